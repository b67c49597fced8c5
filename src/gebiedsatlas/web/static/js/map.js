// The choropleth map: joins the boundaries (GeoJSON, cached by the server) to the classes embedded
// in the page, draws them with Leaflet, and adds tooltips, click-through and keyboard access.
// window.atlasMap exposes the state for tests and the benchmark (featureCount, drawn).
//
// Keyboard (map-keyboard.js, loaded before this script): one tab stop, arrow keys / Home/End (table
// order) / type-ahead move a link over the areas ("/gebied/<code>", aria-label = the tooltip text),
// Enter opens the profile, Escape goes back to the container.
(function () {
  "use strict";
  const el = document.getElementById("atlas-map");
  const dataEl = document.getElementById("atlas-map-data");
  if (!el || !dataEl || typeof L === "undefined") return;
  performance.mark("atlas-map-script");
  const data = JSON.parse(dataEl.textContent);
  const state = window.atlasMap = {featureCount: 0, drawn: false, map: null, layer: null};

  const map = L.map(el, {zoomSnap: 0.25, attributionControl: true});
  state.map = map;
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Bron: CBS/Kadaster (PDOK), CC BY 4.0");
  const renderer = el.dataset.renderer === "svg" ? L.svg() : L.canvas();
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, {maxZoom: 18, attribution: "Achtergrondkaart"}).addTo(map);
  }

  const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => (
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c]));

  function style(feature) {
    const entry = data.areas[feature.id];
    const cls = entry ? entry[0] : null;
    if ((cls === null || cls === undefined) && entry && entry[2] === 1) {
      // Te kleine aantallen: white with a dashed outline, apart from "geen gegevens".
      return {fillColor: data.tooSmall, fillOpacity: 0.9, color: "#767676", weight: 0.6, dashArray: "3 3"};
    }
    if (cls === null || cls === undefined) {
      // Geen gegevens: grey with a dashed outline, never one of the classes.
      return {fillColor: data.noData, fillOpacity: 0.9, color: "#767676", weight: 0.6, dashArray: "3 3"};
    }
    return {fillColor: data.colours[cls], fillOpacity: 0.9, color: "#ffffff", weight: 0.4};
  }

  // Name, value (with unit, or "geen gegevens"), class and year: the tooltip and the accessible name.
  function describe(feature) {
    const entry = data.areas[feature.id];
    const cls = entry ? entry[0] : null;
    return [feature.properties.name, data.label + ": " + (entry ? entry[1] : "geen gegevens"),
      cls === null || cls === undefined ? "klasse: " + (entry ? entry[1] : "geen gegevens") : classText(cls),
      String(data.period)];
  }

  // Which end is worse: "klasse 1 van 5" alone does not say whether 1 is the worst (issue 15).
  function classText(cls) {
    const n = data.colours.length;
    const text = "klasse " + (cls + 1) + " van " + n;
    if (data.worse === "high") return text + " (" + n + " = slechtst)";
    if (data.worse === "low") return text + " (1 = slechtst)";
    return text + " (" + n + " = hoogst)";
  }

  function tooltip(layer) {
    const [name, ...rest] = describe(layer.feature);
    return "<strong>" + escapeHtml(name) + "</strong><br>" + rest.map(escapeHtml).join("<br>");
  }

  // The page head already started the request (map-prefetch.js: window.atlasGeo); without it, fetch
  // here, and say so, so that the prefetch script (async: it may still come) does not fetch again.
  const geoRequest = window.atlasGeo = window.atlasGeo || fetch(el.dataset.geojson).then((response) => {
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  });
  geoRequest
    .then((geo) => {
      performance.mark("atlas-geojson-parsed");
      const layer = L.geoJSON(geo, {renderer: renderer, style: style});
      layer.bindTooltip(tooltip, {sticky: true, className: "atlas-tooltip"});
      layer.on("click", (e) => { window.location.href = "/gebied/" + encodeURIComponent(e.layer.feature.id); });
      layer.on("mouseover", (e) => e.layer.setStyle({weight: 2, color: "#000000", dashArray: null}));
      layer.on("mouseout", (e) => layer.resetStyle(e.layer));
      const bounds = layer.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, {padding: [8, 8]}); else map.setView([52.2, 5.3], 7);
      layer.addTo(map);
      performance.mark("atlas-layer-added");
      // Gemeente outlines and place names around the map (bundled data); at an area-set scope the
      // map shows one town at a time (the buttons above the map).
      if (window.AtlasMapContext && el.dataset.context) {
        window.AtlasMapContext.add(map, el.dataset.context, {switcher: document.querySelector("[data-town-switch]")})
          .then(() => { el.dataset.context = "ready"; })
          .catch(() => { /* the map works without its reference layer */ });
      }
      state.layer = layer;
      const keys = AtlasMapKeyboard.attach(map, layer, {
        label: (feature) => describe(feature).join(", "),
        tooltip: tooltip,
        href: (feature) => "/gebied/" + encodeURIComponent(feature.id),
        order: Object.keys(data.areas),
      });
      state.focusedCode = keys.focusedCode;
      state.featureCount = layer.getLayers().length;
      // Marked on the next frame, when Leaflet has drawn the layer (canvas draws on animation frame).
      requestAnimationFrame(() => {
        performance.mark("atlas-map-drawn");
        state.drawn = true;
        el.dataset.state = "drawn";
        document.dispatchEvent(new CustomEvent("atlas:map-drawn"));
      });
    })
    .catch((err) => {
      el.dataset.state = "error";
      const p = document.createElement("p");
      p.className = "utrecht-paragraph atlas-map__error";
      p.setAttribute("role", "alert");
      p.textContent = "De kaart kon niet geladen worden (" + err.message + "). De tabel hieronder bevat dezelfde gegevens.";
      el.replaceChildren(p);
      document.dispatchEvent(new CustomEvent("atlas:map-drawn"));
    });
})();
