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

  // A pad the firm's person signs on with a finger; value() is the PNG (data: URL), or "" when nothing is drawn.
  function signaturePad() {
    const canvas = el("canvas", { width: "600", height: "220", class: "signature-pad",
      style: "width:100%; max-width:600px; height:auto; border:1px solid #999; touch-action:none; background:#fff" });
    const context = canvas.getContext("2d");
    Object.assign(context, { lineWidth: 3, lineCap: "round", strokeStyle: "#111" });
    let drawing = false, drawn = false;
    const at = (event) => {
      const box = canvas.getBoundingClientRect();
      return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
    };
    canvas.addEventListener("pointerdown", (event) => {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      context.beginPath();
      context.moveTo(...at(event));
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!drawing) return;
      context.lineTo(...at(event));
      context.stroke();
      drawn = true;
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach((name) => canvas.addEventListener(name, () => { drawing = false; }));
    const clear = () => { context.clearRect(0, 0, canvas.width, canvas.height); drawn = false; };
    return { canvas, clear, value: () => (drawn ? canvas.toDataURL("image/png") : "") };
  }

  // The firm's person signs what was read back, or refuses before a named witness; returns the answer's fields
  // for the record, or null (with the reason shown) when neither is complete.
  function answerBox() {
    const pad = signaturePad();
    const name = el("input", { name: "signer_name", maxlength: "64", "aria-label": "当事人姓名" });
    const witness = el("input", { name: "witness", maxlength: "64", "aria-label": "见证人" });
    const refuse = el("input", { type: "checkbox", name: "refused" });
    const problem = el("p", { class: "error", hidden: "" });
    const node = el("div", {}, el("div", { class: "field" }, el("label", { text: "当事人姓名" }), name), pad.canvas,
      el("p", {}, el("button", { type: "button", class: "secondary", text: "重新签名", onclick: pad.clear })),
      el("label", { class: "choice" }, refuse, " 当事人拒绝签名"),
      el("div", { class: "field" }, el("label", { text: "见证人（拒绝签名时必填）" }), witness), problem);
    function value() {
      problem.hidden = true;
      if (refuse.checked) {
        if (witness.value.trim()) return { refused: true, witness: witness.value.trim() };
        problem.textContent = "当事人拒绝签名的，须记录见证人";
      } else if (!name.value.trim()) problem.textContent = "请填写当事人姓名";
      else if (!pad.value()) problem.textContent = "请当事人在屏幕上签名";
      else return { signer_name: name.value.trim(), signature: pad.value() };
      problem.hidden = false;
      return null;
    }
    return { node, value };
  }

  // The results recorded on this phone for the visit, the latest for each point.
  async function resultsHere(visit) {
    const heard = {};
    (await window.inspectionOffline.pending())
      .filter((r) => r.kind === "finding" && r.data.visit === visit.visit)
      .sort((a, b) => JSON.parse(a.payload).at.localeCompare(JSON.parse(b.payload).at))
      .forEach((r) => { heard[r.data.point] = r.data.result; });
    return heard;
  }

  // 现场检查记录: read the results back to the firm's person, who signs on the screen (or refuses).
  function recordBox(visit) {
    const box = el("div", { class: "card offline-record" }, el("h3", { text: "现场检查记录 · 宣读签名（离线）" }));
    const readBack = el("div", {});
    const answer = answerBox();
    const sign = el("button", { type: "button", text: "当事人确认，签署现场检查记录（离线签名）", hidden: "" });
    box.append(el("button", { type: "button", class: "secondary", text: "宣读本机记录的检查结果", onclick: async () => {
      const heard = await resultsHere(visit);
      const rows = [], missing = [];
      visit.tasks.filter((t) => t.mine).forEach((task) => task.items.forEach((item) => item.points.forEach((point) => {
        const result = heard[point.id] || point.result;
        if (result) rows.push({ point: point.id, result, text: `${item.code}-${point.position} ${point.text}` });
        else missing.push(`${item.code} 第 ${point.position} 项`);
      })));
      readBack.replaceChildren(el("ol", {}, rows.map((r) => el("li", { text: `${r.text}：${RESULTS[r.result]}` }))));
      if (missing.length) {
        readBack.append(el("p", { class: "error", text: `以下要点本机还没有结果，不能宣读签署：${missing.join("、")}` }));
        sign.hidden = true;
        return;
      }
      sign.hidden = false;
      sign.onclick = async () => {
        const given = answer.value();
        if (!given) return;
        await window.inspectionOffline.record("record", Object.assign({ visit: visit.visit,
          read_back: rows.map((r) => ({ point: r.point, result: r.result })) }, given));
        sign.disabled = true;
        await refreshStatus("现场检查记录已离线签署，联网后上传并生成编号文书。");
      };
    } }), readBack, answer.node, sign);
    return box;
  }

  // 抽样记录、勘验笔录、询问笔录 made at the door without network.
  function paperBox(visit, papers) {
    const items = visit.tasks.filter((t) => t.mine).flatMap((t) => t.items);
    const kinds = Object.entries(papers || {});
    if (!items.length || !kinds.length) return null;
    const kind = el("select", { name: "paper", "aria-label": "记录种类" }, kinds.map(([k, p]) => el("option", { value: k, text: p.label })));
    const item = el("select", { name: "item", "aria-label": "检查事项" },
      items.map((i) => el("option", { value: i.code, text: `${i.code} ${i.name}${i.sampling ? "（监督抽查）" : ""}` })));
    const fieldsBox = el("div", {});
    const showFields = () => fieldsBox.replaceChildren(...papers[kind.value].fields.map(([key, label]) =>
      el("div", { class: "field" }, el("label", { text: label }),
        el("textarea", { name: key, rows: key === "questions" || key === "situation" ? "5" : "2", maxlength: "2000", style: "width:100%" }))));
    kind.addEventListener("change", showFields);
    showFields();
    const answer = answerBox();
    const problem = el("p", { class: "error", hidden: "" });
    const save = el("button", { type: "button", text: "签署本记录（离线签名）", onclick: async () => {
      const content = { item: item.value };
      const blank = [];
      fieldsBox.querySelectorAll("textarea").forEach((area) => {
        content[area.name] = area.value.trim();
        if (!content[area.name]) blank.push(area.previousSibling.textContent);
      });
      problem.hidden = !blank.length;
      problem.textContent = blank.length ? `${papers[kind.value].label}缺少：${blank.join("、")}` : "";
      const given = answer.value();
      if (blank.length || !given) return;
      await window.inspectionOffline.record("field_record", Object.assign({ visit: visit.visit, paper: kind.value, content }, given));
      fieldsBox.querySelectorAll("textarea").forEach((area) => { area.value = ""; });
      await refreshStatus(`${papers[kind.value].label}已离线签署，联网后上传并生成编号文书。`);
    } });
    return el("div", { class: "card offline-paper" }, el("h3", { text: "抽样记录、勘验笔录、询问笔录（离线）" }),
      el("div", { class: "grid" }, kind, item), fieldsBox, problem,
      el("p", { class: "small muted", text: "请向当事人宣读以上内容，由当事人在屏幕上签名确认；当事人拒绝签名的，记录见证人。" }),
      answer.node, save);
  }

  function checklist(visit, papers) {
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
    const paper = paperBox(visit, papers);
    if (paper) box.append(paper);
    box.append(recordBox(visit));
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
              app.append(checklist(scanned, bundle.papers));
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
        el("button", { type: "button", class: "secondary", text: "打开检查单", onclick: () => app.append(checklist(visit, bundle.papers)) })));
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
