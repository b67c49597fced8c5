// The chart of one commitment (/afspraken/afspraak/<id>): planned and realised values or the atlas
// series with its target. The figures come from the page's JSON data island (#grafiek-data); an
// external file, not an inline script, so that the Content-Security-Policy can forbid inline
// scripts. ast: true makes vega-embed interpret chart expressions instead of compiling them with
// Function(), so the policy needs no 'unsafe-eval' either.
(function () {
  var el = document.getElementById("grafiek");
  var data = document.getElementById("grafiek-data");
  if (!el || !data || typeof vegaEmbed !== "function") return;
  var chart = JSON.parse(data.textContent);
  // Dutch numbers (4,067 and 1.200), like the tables: the d3 locale is passed to vega-embed below.
  var NL_FORMAT = {decimal: ",", thousands: ".", grouping: [3], currency: ["€\u00a0", ""]};
  var x = {field: "year", type: "quantitative", title: "jaar", axis: {format: "d"}};
  var y = {field: "value", type: "quantitative", title: "waarde", scale: {zero: false}, axis: {format: ",~r"}};
  var layers = [
    {data: {values: chart.points}, mark: {type: "line"},
     encoding: {x: x, y: y, color: {field: "source", type: "nominal", title: "bron"}}},
    // Converted values ("omgerekend") are open diamonds, published ones filled dots: told apart by shape.
    {data: {values: chart.points}, transform: [{filter: "datum.markering !== 'omgerekend'"}],
     mark: {type: "point", filled: true, size: 45, opacity: 1},
     encoding: {x: x, y: y, color: {field: "source", type: "nominal", title: "bron"}}},
    {data: {values: chart.points}, transform: [{filter: "datum.markering === 'omgerekend'"}],
     mark: {type: "point", shape: "diamond", filled: false, fill: "#ffffff", fillOpacity: 1, size: 110,
            strokeWidth: 2, opacity: 1},
     encoding: {x: x, y: y, color: {field: "source", type: "nominal", title: "bron"}}},
    {data: {values: chart.trend}, mark: {type: "line", strokeDash: [4, 4], color: "#555"},
     encoding: {x: {field: "year", type: "quantitative"}, y: {field: "value", type: "quantitative"}}},
    {data: {values: [chart.target]}, mark: {type: "point", shape: "diamond", size: 120, color: "#8b1010", filled: true},
     encoding: {x: {field: "year", type: "quantitative"}, y: {field: "value", type: "quantitative"}}}
  ];
  vegaEmbed("#grafiek", {$schema: "https://vega.github.io/schema/vega-lite/v5.json", width: 560, height: 240,
    layer: layers}, {actions: false, ast: true, renderer: "svg", formatLocale: NL_FORMAT}).catch(function () {});
})();
