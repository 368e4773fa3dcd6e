// Re-computes a published draw (prn-hmac-sha256-v1) in the browser with Web Crypto,
// from the JSON record alone, and says whether it matches.
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
      const seed = fromHex(record.seed);
      if (hex(await crypto.subtle.digest("SHA-256", seed)) !== record.seed_commitment) return show(false, "种子与承诺值不符");
      const pool = [...record.pool].sort((a, b) => (a.uscc < b.uscc ? -1 : 1));
      if (hex(await crypto.subtle.digest("SHA-256", enc.encode(canonical(pool)))) !== record.pool_sha256) return show(false, "抽取池摘要不符");
      const key = await crypto.subtle.importKey("raw", seed, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      const u = {};
      for (const e of pool) {
        const mac = new DataView(await crypto.subtle.sign("HMAC", key, enc.encode(e.uscc)));
        u[e.uscc] = mac.getBigUint64(0);
      }
      const selected = [];
      for (const c of [...new Set(pool.map((e) => e.class))].sort()) {
        const codes = pool.filter((e) => e.class === c).map((e) => e.uscc);
        const n = Math.min(codes.length, Math.ceil((record.ratios[c] || 0) * codes.length - 1e-9));
        codes.sort((a, b) => (u[a] < u[b] ? -1 : u[a] > u[b] ? 1 : a < b ? -1 : 1));
        selected.push(...codes.slice(0, n));
      }
      const same = selected.length === record.selected.length && selected.every((c, i) => c === record.selected[i]);
      show(same, same ? `核对通过：按公开种子重新计算，抽中 ${selected.length} 家，与公示名单完全一致` : "核对失败：重新计算的名单与公示名单不一致");
    } catch (err) {
      show(false, "核对时出错：" + err);
    }
  });
})();
