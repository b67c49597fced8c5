// The map form: another indicator may not have the chosen year, so choosing an indicator resets
// the year to "Laatste" (its latest year).
(function () {
  "use strict";
  var indicator = document.getElementById("f-indicator");
  var period = document.getElementById("f-period");
  if (!indicator || !period) return;
  indicator.addEventListener("change", function () { period.value = ""; });
})();
