/* Commitments per wijk on a Leaflet map (progressive enhancement of the table on /afspraken/kaart). */
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
    var layer = L.geoJSON(results[0], {
      style: function (f) {
        return {color: "#333", weight: 1, fillOpacity: 0.8, fillColor: colour(counts[f.properties.code] || 0)};
      },
      onEachFeature: function (f, l) {
        var n = counts[f.properties.code] || 0;
        l.bindTooltip(f.properties.name + ": " + n + (n === 1 ? " afspraak" : " afspraken"));
        l.on("click", function () {
          window.location.href = "/afspraken/gebied/" + f.properties.code + (demo ? "?voorbeeld=1" : "");
        });
      }
    }).addTo(map);
    map.fitBounds(layer.getBounds());
    el.dataset.drawn = "true";
  }).catch(function () { el.textContent = "De kaart kon niet worden geladen; de tabel hieronder bevat dezelfde gegevens."; });
})();
