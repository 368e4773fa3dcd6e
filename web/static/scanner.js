// The scan page's camera scanner: reads a firm's posted QR code with the phone's camera, puts the code in
// the token field and submits the scan-in. The browser's BarcodeDetector does the reading where there is one;
// elsewhere jsQR (web/static/vendor, served by the platform itself) reads the camera's frames.
(function () {
  "use strict";

  const root = document.getElementById("scanner");
  if (!root) return;
  const form = root.closest("form");
  const field = form.elements.token;
  const startButton = root.querySelector("[data-scanner-start]");
  const stopButton = root.querySelector("[data-scanner-stop]");
  const video = root.querySelector("video");
  const status = root.querySelector("[data-scanner-status]");
  const canvas = document.createElement("canvas");
  let stream = null;
  let jsQRLoading = null;

  function say(text, kind) {
    status.textContent = text;
    status.className = "small scanner-status" + (kind ? " " + kind : "");
  }

  // The token a scanned text carries: this platform's scan address (/scan/<token>), or a bare code.
  function tokenFromText(text) {
    const value = (text || "").trim();
    let url = null;
    try { url = new URL(value); } catch (error) { url = null; }
    if (!url) return value || null;
    const match = url.pathname.match(/^\/scan\/([^/]+)$/);
    if (url.origin !== window.location.origin || !match) return null;
    return decodeURIComponent(match[1]);
  }

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve(window.jsQR);
    if (!jsQRLoading) {
      jsQRLoading = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = root.dataset.jsqr;
        script.onload = () => resolve(window.jsQR);
        script.onerror = () => { jsQRLoading = null; reject(new Error("jsQR")); };
        document.head.appendChild(script);
      });
    }
    return jsQRLoading;
  }

  async function nativeDetector() {
    if (!("BarcodeDetector" in window)) return null;
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      return formats.includes("qr_code") ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    } catch (error) { return null; }
  }

  // Read a QR code from an image, video or canvas with jsQR; the decoded text, or null.
  async function readWithJsQR(source, width, height) {
    const jsQR = await loadJsQR();
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(source, 0, 0, width, height);
    const found = jsQR(context.getImageData(0, 0, width, height).data, width, height);
    return found ? found.data : null;
  }

  function stop() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
  }

  // A code was read: fill the field and scan in, or say why this code is not one of ours.
  function accept(text) {
    const token = tokenFromText(text);
    if (!token) {
      say("读到的不是本平台的企业码：请扫描企业张贴的企业码，或手工输入企业码下方的编号", "error");
      return false;
    }
    stop();
    field.value = token;
    say("已读取企业码，正在扫码入企……", "ok");
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
    return true;
  }

  function cameraProblem(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "未获得相机权限：请在浏览器设置中允许本网站使用相机后重试，或手工输入企业码下方的编号";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
      return "未找到可用的相机：请手工输入企业码下方的编号";
    }
    if (name === "NotReadableError") return "相机正被其他应用占用：请关闭其他使用相机的应用后重试，或手工输入编号";
    return "无法打开相机：请手工输入企业码下方的编号";
  }

  async function start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say("本浏览器不能在此页面使用相机（需通过 HTTPS 访问）：请用手机相机扫码，或手工输入企业码下方的编号", "error");
      return;
    }
    say("正在打开相机……");
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (error) {
      stream = null;
      say(cameraProblem(error), "error");
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    startButton.hidden = true;
    stopButton.hidden = false;
    await video.play().catch(() => {});
    const detector = await nativeDetector();
    if (!detector) {
      try { await loadJsQR(); } catch (error) { say("扫码组件加载失败：请手工输入企业码下方的编号", "error"); stop(); return; }
    }
    say("请将企业码置于取景框内");
    const tick = async () => {
      if (!stream) return;
      if (video.readyState >= 2 && video.videoWidth) {
        let text = null;
        if (detector) {
          const codes = await detector.detect(video).catch(() => []);
          text = codes.length ? codes[0].rawValue : null;
        } else {
          const scale = Math.min(1, 640 / Math.max(video.videoWidth, video.videoHeight));
          text = await readWithJsQR(video, Math.round(video.videoWidth * scale), Math.round(video.videoHeight * scale));
        }
        if (text && accept(text)) return;
      }
      window.requestAnimationFrame(tick);
    };
    window.requestAnimationFrame(tick);
  }

  startButton.hidden = false;
  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", () => { stop(); say(""); });
  window.addEventListener("pagehide", stop);
  window.inspectionScanner = { tokenFromText, readWithJsQR, accept, loadJsQR };
})();
