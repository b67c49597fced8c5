/* Fits the compare page's small bar charts to the width of the page before they are drawn.
 *
 * Vega-Lite cannot use width "container" inside a vconcat, so the spec carries a desktop width; on a
 * phone that would scroll sideways. This runs before atlas-pages.js draws the charts (it is loaded
 * first and works on the JSON islands right away) and sets each chart's width to what is left next to
 * the area names.
 */
(function () {
  "use strict";
  var LABELS = 160;  // the y-axis label limit (150) plus padding

  function wrap(text, max) {
    var lines = [], line = "";
    text.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > max) { lines.push(line); line = word; }
      else line = line ? line + " " + word : word;
    });
    if (line) lines.push(line);
    return lines.length > 1 ? lines : text;
  }
  document.querySelectorAll("[data-vega-spec]").forEach(function (el) {
    var island = document.getElementById(el.getAttribute("data-vega-spec"));
    if (!island || !el.clientWidth) return;
    var spec = JSON.parse(island.textContent);
    if (!spec.vconcat) return;
    var width = Math.max(120, Math.min(460, el.clientWidth - LABELS - 16));
    var labelLimit = el.clientWidth < 420 ? 110 : 150;
    var perLine = Math.max(24, Math.floor((el.clientWidth - 8) / 7.5));  // ~7.5 px per character at 13 px
    spec.vconcat.forEach(function (chart) {
      chart.width = width;
      // A long title ("Gemiddelde WOZ-waarde van woningen (× € 1.000), 2022") would widen the chart
      // past the page: it is broken into lines (Vega draws an array of lines).
      if (chart.title && typeof chart.title.text === "string") chart.title.text = wrap(chart.title.text, perLine);
      if (chart.encoding && chart.encoding.y && chart.encoding.y.axis) chart.encoding.y.axis.labelLimit = labelLimit;
    });
    island.textContent = JSON.stringify(spec);
  });
})();
