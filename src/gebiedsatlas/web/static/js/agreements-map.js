/* Commitments per wijk on a Leaflet map (progressive enhancement of the table on /afspraken/kaart); keyboard access
   to the wijken with map-keyboard.js (arrow keys, Home/End in table order, type-ahead, Enter opens the wijk). */
(function () {
  "use strict";
  var el = document.getElementById("afsprakenkaart");
  if (!el || !window.L) { return; }
  var gemeente = el.dataset.gemeente, demo = el.dataset.demo === "true";
  var colours = ["#f2f2f2", "#c6dbef", "#6baed6", "#2171b5", "#08306b"];
  function colour(n) { return colours[Math.min(n, colours.length - 1)]; }
  var map = L.map(el, {scrollWheelZoom: false, zoomSnap: 0.25});
  if (el.dataset.tiles) { L.tileLayer(el.dataset.tiles, {maxZoom: 18}).addTo(map); }
  Promise.all([
    fetch("/api/geojson?level=wijk&parent=" + gemeente + "&period=" + el.dataset.year).then(function (r) { return r.json(); }),
    fetch("/api/agreements/counts?level=wijk&gemeente=" + gemeente + "&demo=" + demo).then(function (r) { return r.json(); })
  ]).then(function (results) {
    var counts = results[1].counts;
    function label(f) {
      var n = counts[f.properties.code] || 0;
      return f.properties.name + ": " + n + (n === 1 ? " afspraak" : " afspraken");
    }
    function href(f) { return "/afspraken/gebied/" + encodeURIComponent(f.properties.code) + (demo ? "?voorbeeld=1" : ""); }
    var layer = L.geoJSON(results[0], {
      style: function (f) {
        return {color: "#333", weight: 1, fillOpacity: 0.8, fillColor: colour(counts[f.properties.code] || 0)};
      },
      onEachFeature: function (f, l) {
        var tip = document.createElement("span");
        tip.textContent = label(f);  // text, never HTML: names come from the data
        l.bindTooltip(tip);
        l.on("click", function () { window.location.href = href(f); });
      }
    }).addTo(map);
    map.fitBounds(layer.getBounds());
    if (window.AtlasMapKeyboard) {
      // Home/End and type-ahead in the order of the table below the map.
      var order = Array.prototype.map.call(document.querySelectorAll("#afspraken-per-wijk tbody tr td:first-of-type"),
        function (td) { return td.textContent.trim(); });
      AtlasMapKeyboard.attach(map, layer, {label: label, href: href, order: order,
        code: function (f) { return f.properties.code; }});
    }
    el.dataset.drawn = "true";
  }).catch(function () { el.textContent = "De kaart kon niet worden geladen; de tabel hieronder bevat dezelfde gegevens."; });
})();
