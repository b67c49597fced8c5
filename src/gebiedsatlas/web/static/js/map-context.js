/* A light reference layer for the atlas maps, from the bundled boundaries (/api/reference-layer):
 * the surrounding gemeenten in light grey under the map, every gemeente outline over it, and the place
 * names (from zoom 9, when they no longer overlap). No tiles and no other host: an optional tile
 * basemap stays a setting (GEBIEDSATLAS_TILE_URL).
 *
 * AtlasMapContext.add(map, url, {switcher}) returns a promise of {bounds: {code: LatLngBounds}}.
 * With a town switcher (buttons with data-town="GMxxxx"), the map shows one town at a time: it starts
 * on the first town and the buttons move it (aria-pressed tells which one is shown).
 */
(function () {
  "use strict";
  var LABEL_ZOOM = 9;

  function pane(map, name, z) {
    var p = map.getPane(name) || map.createPane(name);
    p.style.zIndex = String(z);
    p.style.pointerEvents = "none";
    return p;
  }

  function add(map, url, options) {
    options = options || {};
    pane(map, "atlas-context", 350);  // under the choropleth (overlayPane = 400)
    pane(map, "atlas-outlines", 450);
    var labelsPane = pane(map, "atlas-labels", 460);
    labelsPane.setAttribute("aria-hidden", "true");  // the names are in the table and tooltips too
    return fetch(url)
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (geo) {
        var bounds = {};
        L.geoJSON(geo, {
          pane: "atlas-context", interactive: false, renderer: L.svg({pane: "atlas-context"}),
          style: function (f) {
            return f.properties.focus
              ? {fillColor: "#ffffff", fillOpacity: 1, color: "#c8c8c8", weight: 0.5}
              : {fillColor: "#ebebeb", fillOpacity: 1, color: "#c8c8c8", weight: 0.5};
          },
        }).addTo(map);
        L.geoJSON(geo, {
          pane: "atlas-outlines", interactive: false, renderer: L.svg({pane: "atlas-outlines"}),
          style: function () { return {fill: false, color: "#3d3d3d", weight: 1.1, opacity: 0.85}; },
          onEachFeature: function (f, layer) { bounds[f.properties.code] = layer.getBounds(); },
        }).addTo(map);
        var labels = L.layerGroup();
        geo.features.forEach(function (f) {
          var name = document.createElement("span");
          name.textContent = f.properties.name;  // text, never HTML
          labels.addLayer(L.marker([f.properties.label[1], f.properties.label[0]], {
            pane: "atlas-labels", interactive: false, keyboard: false,
            icon: L.divIcon({className: "atlas-place" + (f.properties.focus ? " atlas-place--focus" : ""),
                             html: name, iconSize: null}),
          }));
        });
        var toggle = function () {
          if (map.getZoom() >= LABEL_ZOOM) labels.addTo(map); else labels.remove();
        };
        map.on("zoomend", toggle);
        toggle();
        if (options.switcher) townSwitcher(map, options.switcher, bounds);
        return {bounds: bounds};
      });
  }

  function townSwitcher(map, el, bounds) {
    var buttons = Array.prototype.slice.call(el.querySelectorAll("button[data-town]"));
    function show(button) {
      buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
      var code = button.getAttribute("data-town");
      var box = code === "*" ? null : bounds[code];
      if (code === "*") {
        var all = null;
        buttons.forEach(function (b) {
          var c = b.getAttribute("data-town");
          if (bounds[c]) all = all ? all.extend(bounds[c]) : L.latLngBounds(bounds[c].getSouthWest(), bounds[c].getNorthEast());
        });
        box = all;
      }
      if (box && box.isValid()) map.fitBounds(box, {padding: [12, 12], animate: false});
      el.setAttribute("data-shown", code);
    }
    buttons.forEach(function (b) { b.addEventListener("click", function () { show(b); }); });
    el.hidden = false;
    if (buttons.length) show(buttons[0]);
  }

  window.AtlasMapContext = {add: add};
})();
