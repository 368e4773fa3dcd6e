// The signature pad of the on-site record: the firm's person draws with a finger or a pen; the drawing
// goes with the form as a PNG (data: URL). An empty pad sends nothing, and the platform asks again.
(function () {
  var canvas = document.getElementById("signature-pad");
  var form = document.getElementById("sign-form");
  var field = document.getElementById("signature-data");
  if (!canvas || !form || !field) return;
  var context = canvas.getContext("2d");
  var drawing = false, drawn = false;
  context.lineWidth = 3;
  context.lineCap = "round";
  context.strokeStyle = "#111";
  function point(event) {
    var box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
  }
  canvas.addEventListener("pointerdown", function (event) {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    var p = point(event);
    context.beginPath();
    context.moveTo(p[0], p[1]);
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) return;
    var p = point(event);
    context.lineTo(p[0], p[1]);
    context.stroke();
    drawn = true;
  });
  ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
    canvas.addEventListener(name, function () { drawing = false; });
  });
  document.getElementById("signature-clear").addEventListener("click", function () {
    context.clearRect(0, 0, canvas.width, canvas.height);
    drawn = false;
  });
  form.addEventListener("submit", function () {
    field.value = drawn ? canvas.toDataURL("image/png") : "";
  });
})();
