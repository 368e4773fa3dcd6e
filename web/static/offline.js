// 断网补录 on the inspector's phone. While online: register this phone's signing key (ECDSA P-256; the
// private key never leaves the phone), keep the coming days' visits, and send any records made offline.
// Without network: scans in, findings, outcomes and scans out become records signed here, kept in
// IndexedDB, and sent when the network returns. The server accepts each once, within its deadline.
(function () {
  "use strict";
  const DB = "inspection-offline";
  const encoder = new TextEncoder();

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore("keys", { keyPath: "officer" });
        db.createObjectStore("bundle", { keyPath: "officer" });
        db.createObjectStore("records", { keyPath: "id" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function store(name, mode, work) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(name, mode);
      const result = work(tx.objectStore(name));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : result);
      tx.onerror = () => reject(tx.error);
    });
  }
  const get = (name, key) => store(name, "readonly", (s) => s.get(key));
  const put = (name, value) => store(name, "readwrite", (s) => s.put(value));
  const remove = (name, key) => store(name, "readwrite", (s) => s.delete(key));
  const all = (name) => store(name, "readonly", (s) => s.getAll());

  function b64url(bytes) {
    let text = "";
    new Uint8Array(bytes).forEach((b) => { text += String.fromCharCode(b); });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  async function sha256Hex(text) {
    const digest = await crypto.subtle.digest("SHA-256", encoder.encode(text));
    return Array.from(new Uint8Array(digest)).map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  // The page's CSRF token, which every write of the API by a signed-in session must send back.
  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  async function api(path, options) {
    const response = await fetch(path, Object.assign({ credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() } }, options || {}));
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return response.json();
  }

  // -- While online ------------------------------------------------------------------------------
  async function ensureKey(officer) {
    const known = await get("keys", officer);
    if (known) return known;
    const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
    const answer = await api("/api/v1/devices", { method: "POST",
      body: JSON.stringify({ public_key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } }) });
    const entry = { officer, keyId: answer.key, privateKey: pair.privateKey };
    await put("keys", entry);
    return entry;
  }

  async function prepare() {
    if (!navigator.onLine) return null;
    const bundle = await api("/api/v1/offline/bundle");
    await put("bundle", bundle);
    await ensureKey(bundle.officer);
    localStorage.setItem("inspection-officer", bundle.officer);
    return bundle;
  }

  async function pending() {
    const officer = localStorage.getItem("inspection-officer");
    return (await all("records")).filter((r) => r.officer === officer);
  }

  async function sync() {
    if (!navigator.onLine) return null;
    const records = await pending();
    if (!records.length) return [];
    const answer = await api("/api/v1/offline/sync", { method: "POST",
      body: JSON.stringify({ records: records.map((r) => ({ payload: r.payload, signature: r.signature })) }) });
    for (const result of answer.results) {
      if (result.id) await remove("records", result.id);   // received: applied, waiting, duplicate or refused
    }
    document.dispatchEvent(new CustomEvent("offline-synced", { detail: answer.results }));
    return answer.results;
  }

  // -- Without network -----------------------------------------------------------------------------
  async function record(kind, data) {
    const officer = localStorage.getItem("inspection-officer");
    const key = officer && await get("keys", officer);
    if (!key) throw new Error("本机尚未登记离线签名密钥：请先在有网络时打开工作台");
    const id = crypto.randomUUID().replace(/-/g, "");
    const payload = JSON.stringify({ id, kind, officer, key: key.keyId, at: new Date().toISOString(), data });
    const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.privateKey, encoder.encode(payload));
    await put("records", { id, officer, kind, payload, signature: b64url(signature), data });
    return id;
  }

  async function bundle() {
    const officer = localStorage.getItem("inspection-officer");
    return officer ? get("bundle", officer) : null;
  }

  // The short code typed by hand, in canonical form (as inspection/short_codes.py normalises it).
  function shortCode(text) {
    return text.replace(/[\s\-\u2010-\u2015\uff0d]+/g, "").toUpperCase().replace(/O/g, "0").replace(/[IL]/g, "1");
  }

  async function visitForToken(token) {
    const saved = await bundle();
    if (!saved || !token) return null;
    const hash = await sha256Hex(token.trim());
    const short = await sha256Hex(shortCode(token));
    return saved.visits.find((v) => v.token_sha256 === hash || v.short_code_sha256 === short) || null;
  }

  window.inspectionOffline = { prepare, sync, record, pending, bundle, visitForToken };

  // -- Wiring ------------------------------------------------------------------------------------
  function markReady() { document.documentElement.dataset.offlineReady = "1"; }

  async function start() {
    if ("serviceWorker" in navigator) {
      try {
        await navigator.serviceWorker.register("/sw.js", { scope: "/" });
        await navigator.serviceWorker.ready;
      } catch (error) { console.warn("service worker", error); }
    }
    try {
      await prepare();
      await sync();
    } catch (error) { console.warn("offline preparation", error); }
    markReady();
  }

  window.addEventListener("online", () => { sync().catch((e) => console.warn("sync", e)); });

  // The scan form records the scan offline when there is no network.
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (form.dataset.offline !== "scan_in" || navigator.onLine) return;
    event.preventDefault();
    const token = (form.elements.token || {}).value || "";
    await record("scan_in", { token });
    const note = form.querySelector(".offline-note");
    if (note) { note.hidden = false; note.textContent = "已离线登记扫码：记录已签名保存在本机，联网后自动补录上传。"; }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
