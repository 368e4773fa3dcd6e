// Re-checks the public event log in the browser with Web Crypto (docs/protocols/event-log.md):
// seq runs 1, 2, 3... and each prev is the hash before; a version-2 record's hash is re-computed from its
// public fields {v, seq, at, kind, digest, prev}; a version-1 record (no "v") cannot be re-hashed without
// its content, so only its links are checked. The chain must reach the head shown on the page.
(function () {
  "use strict";
  const button = document.getElementById("verify-log");
  const out = document.getElementById("verify-result");
  if (!button) return;
  const enc = new TextEncoder();
  const hex = (buf) => Array.from(new Uint8Array(buf)).map((b) => b.toString(16).padStart(2, "0")).join("");
  // Python's json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) for strings and integers.
  const canonical = (v) => Array.isArray(v) ? "[" + v.map(canonical).join(",") + "]"
    : v && typeof v === "object" ? "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + canonical(v[k])).join(",") + "}"
    : JSON.stringify(v);
  const show = (ok, text) => { out.hidden = false; out.className = "alert " + (ok ? "success" : "error"); out.textContent = text; };
  const HASHED = ["v", "seq", "at", "kind", "digest", "prev"];

  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const text = await (await fetch(button.dataset.export)).text();
      const shownSeq = Number(button.dataset.seq), shownHead = button.dataset.head;
      let prev = "0".repeat(64), seq = 0, v1 = 0, v2 = 0, reached = seq === shownSeq && prev === shownHead;
      for (const line of text.split("\n")) {
        if (!line) continue;
        const r = JSON.parse(line);
        seq += 1;
        if (r.seq !== seq) return show(false, `核对失败：第 ${seq} 条记录缺失或序号错乱（见到序号 ${r.seq}）`);
        if (r.prev !== prev) return show(false, `核对失败：第 ${seq} 条记录的 prev 与前一条记录的 hash 不符`);
        if (r.v === 2) {
          const body = Object.fromEntries(HASHED.map((k) => [k, r[k]]));
          if (hex(await crypto.subtle.digest("SHA-256", enc.encode(canonical(body)))) !== r.hash) {
            return show(false, `核对失败：第 ${seq} 条记录与其 hash 不符（记录被改动）`);
          }
          v2 += 1;
        } else if (r.v === undefined && v2 === 0) {
          v1 += 1;
        } else {
          return show(false, `核对失败：第 ${seq} 条记录的版本无法识别或排在第 2 版记录之后`);
        }
        prev = r.hash;
        if (seq === shownSeq) reached = prev === shownHead;
      }
      if (!reached) return show(false, `核对失败：公开日志未能到达本页显示的链头（第 ${shownSeq} 条）`);
      const old = v1 ? `；其中 ${v1} 条第 1 版记录只能核对序号与前后衔接，无法由公开字段重新计算哈希` : "";
      show(true, `核对通过：共 ${seq} 条记录，哈希链无断点，并到达本页显示的链头${old}`);
    } catch (err) {
      show(false, "核对时出错：" + err);
    } finally {
      button.disabled = false;
    }
  });
})();
