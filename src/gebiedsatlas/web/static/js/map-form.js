// The map form: the year list follows the chosen indicator (the years each indicator has are in the
// page, #atlas-map-periods), so no submit is needed to see them; the chosen year is kept when the new
// indicator has it, otherwise it falls back to "Laatste" (its latest year).
(function () {
  "use strict";
  var indicator = document.getElementById("f-indicator");
  var period = document.getElementById("f-period");
  var island = document.getElementById("atlas-map-periods");
  if (!indicator || !period) return;
  var periods = island ? JSON.parse(island.textContent) : null;
  indicator.addEventListener("change", function () {
    var chosen = period.value;
    if (!periods) { period.value = ""; return; }
    var years = periods[indicator.value] || [];
    while (period.options.length > 1) period.remove(1);
    years.forEach(function (y) {
      var option = document.createElement("option");
      option.value = String(y);
      option.textContent = String(y);
      period.appendChild(option);
    });
    period.value = years.map(String).indexOf(chosen) >= 0 ? chosen : "";
  });
})();
