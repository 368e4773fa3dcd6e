// On the inspection sheet, a flexible-enforcement proposal matters only for a non-compliant point:
// shown while "不符合" is chosen, hidden otherwise. Without this script every proposal stays visible.
(function () {
  "use strict";
  for (const box of document.querySelectorAll(".leniency[data-point]")) {
    const radios = document.querySelectorAll(`input[name="result_${box.dataset.point}"]`);
    const update = () => {
      const chosen = [...radios].find((r) => r.checked);
      box.hidden = !(chosen && chosen.value === "non_compliant");
    };
    radios.forEach((r) => r.addEventListener("change", update));
    update();
  }
})();
