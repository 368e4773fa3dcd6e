// Polls a running schedule build and reloads the page when it is done.
(function () {
  "use strict";
  const box = document.getElementById("run");
  if (!box || box.dataset.running !== "yes") return;
  const bar = document.getElementById("run-bar");
  const pct = document.getElementById("run-pct");
  const message = document.getElementById("run-message");
  const poll = async () => {
    try {
      const run = await (await fetch(box.dataset.url, { headers: { Accept: "application/json" } })).json();
      bar.style.width = Math.round(run.progress * 240) + "px";
      pct.textContent = Math.round(run.progress * 100) + "%";
      message.textContent = run.message;
      if (run.status === "done" || run.status === "failed") { window.location.reload(); return; }
    } catch (err) {
      message.textContent = "暂时无法获取进度，正在重试……";
    }
    setTimeout(poll, 1000);
  };
  setTimeout(poll, 500);
})();
