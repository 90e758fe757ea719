// The case step form shows only the fields the chosen step takes ([data-steps]) and requires
// those it needs ([data-required-steps]); a hidden field is disabled, so it is not posted.
(function () {
  "use strict";
  var form = document.getElementById("step-form");
  if (!form) return;
  var select = form.querySelector("select[name=event]");
  function listed(text, step) {
    return (text || "").split(" ").indexOf(step) >= 0;
  }
  function apply() {
    var step = select.value;
    form.querySelectorAll("[data-steps]").forEach(function (field) {
      var takes = listed(field.dataset.steps, step);
      field.hidden = !takes;
      field.querySelectorAll("input, textarea, select").forEach(function (input) {
        input.disabled = !takes;
        input.required = takes && listed(field.dataset.requiredSteps, step);
      });
    });
  }
  select.addEventListener("change", apply);
  apply();
})();
