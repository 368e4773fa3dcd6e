// The offline page: today's visits kept on the phone, and the records made for them without network.
(function () {
  "use strict";
  const app = document.getElementById("offline-app");
  const status = document.getElementById("offline-status");
  const RESULTS = { compliant: "符合", non_compliant: "不符合", not_applicable: "不适用" };
  const OUTCOMES = { no_problem: "未发现问题", rectify: "责令限期整改", case: "立案查处" };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "text") node.textContent = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    });
    children.flat().forEach((c) => node.append(c));
    return node;
  }

  async function refreshStatus(message) {
    const waiting = await window.inspectionOffline.pending();
    status.textContent = (message ? message + " " : "") + (navigator.onLine ? "网络已连接。" : "当前无网络。") +
      (waiting.length ? ` 本机有 ${waiting.length} 条记录待上传。` : " 没有待上传的记录。");
  }

  function checklist(visit) {
    const box = el("div", { class: "card", id: `offline-visit-${visit.visit}` }, el("h2", { text: `${visit.firm} · 检查单`, style: "margin-top:0" }));
    visit.tasks.filter((t) => t.mine).forEach((task) => {
      task.items.forEach((item) => {
        const form = el("form", { class: "offline-item", "data-item": item.code });
        form.append(el("h3", { text: `${item.code} ${item.name}` }));
        const list = el("ol", { class: "points" });
        item.points.forEach((point) => {
          const choices = el("div", { class: "choices" }, Object.entries(RESULTS).map(([value, label]) =>
            el("label", { class: "choice" }, el("input", { type: "radio", name: `result_${point.id}`, value }), ` ${label}`)));
          list.append(el("li", {}, el("div", { text: point.text }), choices,
            el("input", { type: "text", name: `note_${point.id}`, placeholder: "情况说明（不符合时必填）", style: "width:100%" })));
        });
        form.append(list);
        const outcome = el("select", { name: "outcome" }, el("option", { value: "", text: "处理结果" }),
          Object.entries(OUTCOMES).map(([value, label]) => el("option", { value, text: label })));
        form.append(el("div", { class: "grid" }, outcome, el("input", { type: "date", name: "rectify_by" })));
        form.append(el("button", { type: "submit", text: "保存本事项（离线签名）" }));
        form.addEventListener("submit", async (event) => {
          event.preventDefault();
          const data = new FormData(form);
          for (const point of item.points) {
            const result = data.get(`result_${point.id}`);
            if (result) {
              await window.inspectionOffline.record("finding", { visit: visit.visit, task: task.id, point: point.id,
                                                                 result, note: data.get(`note_${point.id}`) || "" });
            }
          }
          if (data.get("outcome")) {
            await window.inspectionOffline.record("outcome", { visit: visit.visit, task: task.id, item: item.code,
                                                               outcome: data.get("outcome"), rectify_by: data.get("rectify_by") || null });
          }
          await refreshStatus(`事项 ${item.code} 的结果已离线保存。`);
        });
        box.append(form);
      });
    });
    box.append(el("button", { type: "button", id: "offline-leave", text: "扫码离开（离线签名）", style: "width:100%; margin-top:10px",
      onclick: async () => {
        await window.inspectionOffline.record("scan_out", { visit: visit.visit });
        await refreshStatus("已离线登记离开。");
      } }));
    return box;
  }

  async function render() {
    const bundle = await window.inspectionOffline.bundle();
    if (!bundle) { status.textContent = "本机还没有保存检查任务：请在有网络时打开一次工作台。"; return; }
    const token = decodeURIComponent((location.pathname.match(/^\/scan\/(.+)$/) || [])[1] || "");
    const scanned = token ? await window.inspectionOffline.visitForToken(token) : null;
    app.replaceChildren();
    if (token) {
      if (scanned) {
        app.append(el("div", { class: "card" }, el("p", {}, "企业码对应：", el("b", { text: scanned.firm }), `（${scanned.day}）`),
          el("button", { type: "button", id: "offline-scan", text: "离线扫码入企", style: "width:100%",
            onclick: async (event) => {
              await window.inspectionOffline.record("scan_in", { token });
              event.target.disabled = true;
              app.append(checklist(scanned));
              await refreshStatus("已离线登记扫码入企；同组另一名执法人员也须扫码。");
            } })));
      } else {
        app.append(el("div", { class: "card" }, el("p", { text: "本机保存的检查任务中没有这家企业：离线时只能对已排定、已确认的检查扫码。" })));
      }
    }
    const list = el("div", {}, el("h2", { text: "本机保存的检查任务" }));
    bundle.visits.forEach((visit) => {
      list.append(el("div", { class: "card" }, el("b", { text: `${visit.day} · ${visit.firm}` }),
        el("div", { class: "small muted", text: visit.address || "" }),
        el("button", { type: "button", class: "secondary", text: "打开检查单", onclick: () => app.append(checklist(visit)) })));
    });
    app.append(list);
    if (navigator.onLine) {
      app.append(el("button", { type: "button", id: "offline-sync", text: "立即上传本机记录", onclick: async () => {
        const results = await window.inspectionOffline.sync();
        await refreshStatus(`已上传 ${results ? results.length : 0} 条。`);
      } }));
    }
    await refreshStatus();
  }

  document.addEventListener("offline-synced", (event) => refreshStatus(`已上传 ${event.detail.length} 条记录。`));
  window.addEventListener("online", () => refreshStatus());
  window.addEventListener("offline", () => refreshStatus());
  render().catch((error) => { status.textContent = `离线页面出错：${error.message}`; });
})();
