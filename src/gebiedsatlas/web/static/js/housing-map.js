/* Woonprogramma: the wijken of a gemeente on a Leaflet map, coloured by where the share of corporation
   housing moves in the chosen scenario (towards or away from the per-wijk target, or up/down without one).
   Progressive enhancement of the table "Per wijk" below it; keyboard access with map-keyboard.js. */
(function () {
  "use strict";
  var el = document.getElementById("woonkaart");
  var island = document.getElementById("woonkaart-data");
  if (!el || !island || !window.L) { return; }
  var data = JSON.parse(island.textContent);
  var colours = {"naar doel toe": "#2166ac", "binnen doel": "#92c5de", "van doel af": "#b2182b",
                 "blijft buiten doel": "#f4a582", "meer": "#4393c3", "minder": "#d6604d", "gelijk": "#f7f7f7"};
  function entry(f) { return data.wijken[f.properties.code]; }
  function label(f) {
    var e = entry(f);
    return f.properties.name + ": " + (e ? e.label : "geen gegevens");
  }
  function href(f) { return "/gebied/" + encodeURIComponent(f.properties.code); }
  var map = L.map(el, {scrollWheelZoom: false, zoomSnap: 0.25});
  if (el.dataset.tiles) { L.tileLayer(el.dataset.tiles, {maxZoom: 18}).addTo(map); }
  fetch("/api/geojson?level=wijk&parent=" + encodeURIComponent(el.dataset.gemeente) + "&period=" + el.dataset.year)
    .then(function (r) { return r.json(); })
    .then(function (geojson) {
      var layer = L.geoJSON(geojson, {
        style: function (f) {
          var e = entry(f);
          return {color: "#333", weight: 1, fillOpacity: 0.8, fillColor: e ? (colours[e.klasse] || "#cccccc") : "#ffffff"};
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
        var order = Array.prototype.map.call(document.querySelectorAll("#woon-per-wijk tbody tr th"),
          function (th) { return th.textContent.trim(); });
        AtlasMapKeyboard.attach(map, layer, {label: label, href: href, order: order,
          code: function (f) { return f.properties.code; }});
      }
      el.dataset.drawn = "true";
    })
    .catch(function () { el.textContent = "De kaart kon niet worden geladen; de tabel hieronder bevat dezelfde gegevens."; });
})();
