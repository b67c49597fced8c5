// The choropleth map: joins the boundaries (GeoJSON, cached by the server) to the classes embedded
// in the page, draws them with Leaflet, and adds tooltips, click-through and keyboard access.
// window.atlasMap exposes the state for tests and the benchmark (featureCount, drawn).
//
// Keyboard (one tab stop, roving focus): Tab reaches the map container; an arrow key (or Enter)
// picks the area nearest the middle of the view and moves focus to one link standing for that area
// ("/gebied/<code>", aria-label = the tooltip text). Arrow keys then move to the nearest area in that
// direction, Home/End to the first/last area in table order, typing the start of a name to the next
// area with that name (type-ahead, as in a list box), + and - zoom, Enter opens the profile
// (it is a link) and Escape goes back to the container. That link replaces the container in the tab
// order, so Tab leaves the map and Shift+Tab comes back to the last area. Nothing is done per shape
// while drawing: the centres for the arrow keys are computed on the first key press.
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
      cls === null || cls === undefined ? "klasse: geen gegevens" : "klasse " + (cls + 1) + " van " + data.colours.length,
      String(data.period)];
  }

  function tooltip(layer) {
    const [name, ...rest] = describe(layer.feature);
    return "<strong>" + escapeHtml(name) + "</strong><br>" + rest.map(escapeHtml).join("<br>");
  }

  function setupKeyboard(layer) {
    const focusPane = map.createPane("atlasFocus");
    focusPane.style.zIndex = 450;  // above the shapes (400), below tooltips (650)
    const keyTooltip = L.tooltip({className: "atlas-tooltip", direction: "top", offset: [0, -6]});
    let shapes = null;  // [{layer, x, y}] in table order, built on the first key press
    let current = null;
    let link = null;
    let ring = null;
    let typed = "";
    let typedTimer = 0;

    function buildShapes() {
      const byCode = new Map(layer.getLayers().map((l) => [l.feature.id, l]));
      const ordered = Object.keys(data.areas).filter((c) => byCode.has(c)).map((c) => byCode.get(c));
      byCode.forEach((l, c) => { if (!(c in data.areas)) ordered.push(l); });
      shapes = ordered.map((l) => {
        const p = map.project(l.getBounds().getCenter(), 0);
        return {layer: l, x: p.x, y: p.y};
      });
    }

    function anchor(l) {
      try { return l.getCenter(); } catch (err) { return l.getBounds().getCenter(); }
    }

    function showFocus() {
      if (!current) return;
      const l = current.layer;
      if (!ring) {
        const opts = {pane: "atlasFocus", interactive: false, fill: false, className: "atlas-map__focus-ring"};
        ring = [L.polygon(l.getLatLngs(), {...opts, color: "#ffffff", weight: 7}),
          L.polygon(l.getLatLngs(), {...opts, color: "#000000", weight: 3})];
        ring.forEach((r) => r.addTo(map));
      } else {
        ring.forEach((r) => r.setLatLngs(l.getLatLngs()));
      }
      keyTooltip.setLatLng(anchor(l)).setContent(tooltip(l));
      if (!map.hasLayer(keyTooltip)) keyTooltip.addTo(map);
    }

    function hideFocus() {
      if (ring) ring.forEach((r) => r.remove());
      ring = null;
      keyTooltip.remove();
    }

    // A new link for every area: moving focus to it makes screen readers read its name.
    function focusShape(shape) {
      current = shape;
      const feature = shape.layer.feature;
      const next = document.createElement("a");
      next.className = "atlas-map__focus visually-hidden";
      next.href = "/gebied/" + encodeURIComponent(feature.id);
      next.setAttribute("aria-label", describe(feature).join(", "));
      next.addEventListener("focus", showFocus);
      next.addEventListener("blur", (e) => {
        if (!e.relatedTarget || !e.relatedTarget.classList.contains("atlas-map__focus")) hideFocus();
      });
      el.appendChild(next);
      const bounds = shape.layer.getBounds();
      if (!map.getBounds().contains(bounds)) {
        map.panInside(anchor(shape.layer), {padding: [60, 60], animate: false});
      }
      el.tabIndex = -1;  // the link is the map's tab stop now
      next.focus({preventScroll: true});
      if (link) link.remove();
      link = next;
      showFocus();
    }

    function nearestToView() {
      const c = map.project(map.getCenter(), 0);
      let best = shapes[0];
      let bestD = Infinity;
      for (const s of shapes) {
        const d = (s.x - c.x) ** 2 + (s.y - c.y) ** 2;
        if (d < bestD) { bestD = d; best = s; }
      }
      return best;
    }

    // The nearest centre in the direction of the arrow: distance along it, sideways distance weighs double.
    function neighbour(from, dx, dy) {
      let best = null;
      let bestScore = Infinity;
      for (const s of shapes) {
        if (s === from) continue;
        const along = (s.x - from.x) * dx + (s.y - from.y) * dy;
        if (along <= 0) continue;
        const side = Math.abs((s.x - from.x) * dy - (s.y - from.y) * dx);
        if (side > 2 * along) continue;
        const score = along + 2 * side;
        if (score < bestScore) { bestScore = score; best = s; }
      }
      return best;
    }

    const arrows = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1]};
    el.addEventListener("keydown", (e) => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const onLink = link !== null && e.target === link;
      if (e.target !== el && !onLink) return;  // zoom buttons, attribution links
      let target = null;
      if (e.key in arrows || (e.key === "Enter" && !onLink)) {
        if (!shapes) buildShapes();
        if (!shapes.length) return;
        if (!onLink || !current) target = current || nearestToView();
        else if (e.key in arrows) target = neighbour(current, ...arrows[e.key]) || current;
      } else if ((e.key === "Home" || e.key === "End") && onLink) {
        target = shapes[e.key === "Home" ? 0 : shapes.length - 1];
      } else if ((e.key === "+" || e.key === "=" || e.key === "-" || e.key === "_") && onLink) {
        map.setZoomAround(anchor(current.layer), map.getZoom() + (e.key === "+" || e.key === "=" ? 1 : -1));
      } else if (e.key.length === 1 && (e.key !== " " || typed) && !"+=-_".includes(e.key)) {
        // Type-ahead, as in a list box: the next area (table order) whose name starts with what was typed.
        if (!shapes) buildShapes();
        clearTimeout(typedTimer);
        typedTimer = setTimeout(() => { typed = ""; }, 800);
        typed += e.key.toLocaleLowerCase("nl");
        const start = current && onLink ? shapes.indexOf(current) + (typed.length === 1 ? 1 : 0) : 0;
        for (let i = 0; i < shapes.length && !target; i++) {
          const s = shapes[(start + i) % shapes.length];
          if (s.layer.feature.properties.name.toLocaleLowerCase("nl").startsWith(typed)) target = s;
        }
        if (!target) return;
      } else if (e.key === "Escape" && onLink) {
        hideFocus();
        el.tabIndex = 0;
        el.focus({preventScroll: true});
        link.remove();
        link = null;
      } else {
        return;
      }
      e.preventDefault();
      e.stopPropagation();  // not Leaflet's own arrow-key panning
      if (target) focusShape(target);
    });
    state.focusedCode = () => (current && link && document.activeElement === link ? current.layer.feature.id : null);
  }

  // The page head already started the request (window.atlasGeo); without it, fetch here.
  const geoRequest = window.atlasGeo || fetch(el.dataset.geojson).then((response) => {
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
      state.layer = layer;
      setupKeyboard(layer);
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
