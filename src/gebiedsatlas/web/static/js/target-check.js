/* The direction check of an outcome target, while typing: a target on the worse side of the baseline
 * (Leefbaarometer "from 4,067 to 4,050", where higher is better) gets a warning that names the
 * indicator's direction, and the confirmation box appears. The server makes the same check on save
 * (agreements/direction.py), also when the baseline is taken from the atlas.
 */
(function () {
  "use strict";
  var select = document.getElementById("veld-indicator_id");
  var baseline = document.getElementById("veld-baseline_value");
  var target = document.getElementById("veld-target_value");
  var out = document.getElementById("richting-waarschuwing");
  var confirm = document.getElementById("richting-bevestiging");
  if (!select || !baseline || !target || !out) return;

  function number(text) {
    var t = String(text || "").trim().replace(/\s/g, "");
    if (!t) return null;
    if (t.indexOf(",") >= 0) t = t.replace(/\./g, "").replace(",", ".");  // Dutch: 1.200,5
    var n = Number(t);
    return isFinite(n) ? n : null;
  }

  function dutch(n, decimals) {
    return n.toLocaleString("nl-NL", {maximumFractionDigits: Math.max(decimals, 1)});
  }

  function check() {
    var option = select.options[select.selectedIndex];
    var direction = option ? option.getAttribute("data-direction") : null;
    var b = number(baseline.value), t = number(target.value);
    var message = "";
    if (direction && direction !== "neutral" && b !== null && t !== null && t !== b) {
      var lower = t < b;
      var up = direction === "higher_is_better";
      if (lower === up) {
        var d = parseInt(option.getAttribute("data-decimals") || "1", 10);
        var label = option.textContent.replace(/\s*\(.*\)\s*$/, "");
        message = "Let op: bij ‘" + label + "’ is " + option.getAttribute("data-direction-label") +
          ", maar de streefwaarde " + dutch(t, d) + " ligt " + (lower ? "lager" : "hoger") +
          " dan de beginwaarde " + dutch(b, d) + ". Dan telt het doel als " + (up ? "ondergrens" : "bovengrens") +
          ": de waarde mag niet " + (lower ? "onder " : "boven ") + dutch(t, d) + " komen.";
      }
    }
    if (out.textContent !== message) out.textContent = message;
    if (confirm && message) confirm.hidden = false;
  }

  [select, baseline, target].forEach(function (el) {
    el.addEventListener("input", check);
    el.addEventListener("change", check);
  });
  check();
})();
