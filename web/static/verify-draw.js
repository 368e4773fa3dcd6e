// Re-computes a published draw in the browser with Web Crypto, from the JSON record alone, and says
// whether it matches: prn-hmac-sha256-v1 (the n smallest u per class) or prn-sps-hmac-sha256-v1
// (the n smallest u / weight per class, sequential Poisson sampling on the same numbers).
(function () {
  "use strict";
  const button = document.getElementById("verify");
  const out = document.getElementById("verify-result");
  if (!button) return;
  const enc = new TextEncoder();
  const hex = (buf) => Array.from(new Uint8Array(buf)).map((b) => b.toString(16).padStart(2, "0")).join("");
  const fromHex = (s) => new Uint8Array(s.match(/../g).map((h) => parseInt(h, 16)));
  // Python's json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) for plain data.
  const canonical = (v) => Array.isArray(v) ? "[" + v.map(canonical).join(",") + "]"
    : v && typeof v === "object" ? "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + canonical(v[k])).join(",") + "}"
    : JSON.stringify(v);
  const show = (ok, text) => { out.hidden = false; out.className = "alert " + (ok ? "success" : "error"); out.textContent = text; };

  button.addEventListener("click", async () => {
    try {
      const record = await (await fetch(button.dataset.record)).json();
      const weighted = record.algorithm === "prn-sps-hmac-sha256-v1";
      if (!weighted && record.algorithm !== "prn-hmac-sha256-v1") return show(false, "未知的抽取算法：" + record.algorithm);
      if (weighted && !record.pool.every((e) => typeof e.weight === "number" && e.weight > 0)) return show(false, "风险加权抽取的每家企业须有大于 0 的权重");
      const seed = fromHex(record.seed);
      if (hex(await crypto.subtle.digest("SHA-256", seed)) !== record.seed_commitment) return show(false, "种子与承诺值不符");
      const pool = [...record.pool].sort((a, b) => (a.uscc < b.uscc ? -1 : 1));
      if (hex(await crypto.subtle.digest("SHA-256", enc.encode(canonical(pool)))) !== record.pool_sha256) return show(false, "抽取池摘要不符");
      const key = await crypto.subtle.importKey("raw", seed, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      // u as Python computes it: the 64-bit integer over 2^64 in double precision (exact scaling of the
      // correctly rounded integer), divided by the weight when weighted.
      const sortKey = {};
      for (const e of pool) {
        const mac = new DataView(await crypto.subtle.sign("HMAC", key, enc.encode(e.uscc)));
        const u = Number(mac.getBigUint64(0)) / 2 ** 64;
        sortKey[e.uscc] = weighted ? u / e.weight : u;
      }
      const selected = [];
      for (const c of [...new Set(pool.map((e) => e.class))].sort()) {
        const codes = pool.filter((e) => e.class === c).map((e) => e.uscc);
        const n = Math.min(codes.length, Math.ceil((record.ratios[c] || 0) * codes.length - 1e-9));
        codes.sort((a, b) => (sortKey[a] < sortKey[b] ? -1 : sortKey[a] > sortKey[b] ? 1 : a < b ? -1 : 1));
        selected.push(...codes.slice(0, n));
      }
      const same = selected.length === record.selected.length && selected.every((c, i) => c === record.selected[i]);
      const how = weighted ? `（风险加权，预警模型 版本 ${record.risk_model}）` : "";
      show(same, same ? `核对通过${how}：按公开种子重新计算，抽中 ${selected.length} 家，与公示名单完全一致` : "核对失败：重新计算的名单与公示名单不一致");
    } catch (err) {
      show(false, "核对时出错：" + err);
    }
  });
})();
