// Map of an analysis page: draws the boundaries from the page's GeoJSON URL with Leaflet and colours
// each area with the colour the server embedded (#analysis-map-data); tooltips give name and label,
// a click (or Enter on an area reached by keyboard, map-keyboard.js) opens the area profile.
// window.analysisMap exposes the state for tests.
(function () {
  "use strict";
  const el = document.getElementById("analysis-map");
  const dataEl = document.getElementById("analysis-map-data");
  if (!el || !dataEl || typeof L === "undefined") return;
  const data = JSON.parse(dataEl.textContent);
  const state = window.analysisMap = {featureCount: 0, drawn: false, error: null};
  const map = L.map(el, {zoomSnap: 0.25});
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Grenzen: CBS/Kadaster (PDOK), CC BY 4.0");
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, {maxZoom: 18, attribution: "Achtergrondkaart"}).addTo(map);
  }
  const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => (
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c]));
  const noData = "#d9d9d9";

  function style(feature) {
    const colour = data.colours[feature.id];
    if (!colour) return {fillColor: noData, fillOpacity: 0.9, color: "#767676", weight: 0.6, dashArray: "3 3"};
    return {fillColor: colour, fillOpacity: 0.9, color: "#555555", weight: 0.5};
  }

  fetch(data.geojson)
    .then((response) => {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then((geo) => {
      const layer = L.geoJSON(geo, {renderer: L.canvas({padding: 0.2}), style: style});
      const tooltip = (l) => {
        const p = l.feature.properties;
        const label = data.labels[l.feature.id] || "geen gegevens";
        return "<strong>" + escapeHtml(p.name) + "</strong>" + (p.gemeente ? " (" + escapeHtml(p.gemeente) + ")" : "") +
          "<br>" + escapeHtml(label);
      };
      layer.bindTooltip(tooltip, {sticky: true, className: "atlas-tooltip"});
      layer.on("click", (e) => { window.location.href = "/gebied/" + encodeURIComponent(e.layer.feature.id); });
      layer.on("mouseover", (e) => e.layer.setStyle({weight: 2, color: "#000000", dashArray: null}));
      layer.on("mouseout", (e) => layer.resetStyle(e.layer));
      const bounds = layer.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, {padding: [8, 8]}); else map.setView([52.2, 5.3], 7);
      layer.addTo(map);
      // Gemeente outlines and place names (bundled data) where the page asks for them; at an area-set
      // scope the map then shows one town at a time (buttons above the map).
      if (window.AtlasMapContext && el.dataset.context) {
        window.AtlasMapContext.add(map, el.dataset.context, {switcher: document.querySelector("[data-town-switch]")})
          .catch(() => { /* the map works without its reference layer */ });
      }
      state.featureCount = layer.getLayers().length;
      // The colour each area got (tests compare it with the colours the page embedded).
      state.fills = () => layer.getLayers().map((l) => [l.feature.id, l.options.fillColor]);
      if (window.AtlasMapKeyboard) {
        // Same text as the tooltip: "name (gemeente), label"; Home/End and type-ahead by name.
        const keys = AtlasMapKeyboard.attach(map, layer, {
          label: (f) => f.properties.name + (f.properties.gemeente ? " (" + f.properties.gemeente + ")" : "") + ", " +
            (data.labels[f.id] || "geen gegevens"),
          tooltip: tooltip,
          href: (f) => "/gebied/" + encodeURIComponent(f.id),
        });
        state.focusedCode = keys.focusedCode;
      }
      requestAnimationFrame(() => { state.drawn = true; });
    })
    .catch((err) => {
      state.error = String(err);
      el.insertAdjacentHTML("afterbegin", "<p class=\"utrecht-paragraph\">De kaart kon niet worden geladen.</p>");
    });
}());
