// Keyboard access to the areas of a Leaflet map, shared by the atlas map (/kaart), the analysis maps
// and the map of commitments per wijk. Load after leaflet.js and before the map script; then
//   AtlasMapKeyboard.attach(map, layer, {label, href, order, tooltip, code, name})
// once the GeoJSON layer is on the map. label(feature) is the accessible name (the tooltip as text),
// href(feature) where Enter goes; optional: order (area codes, the table order for Home/End and
// type-ahead; default by name), tooltip(layer) (HTML, default the label), code(feature) (default
// feature.id or properties.code), name(feature) (default properties.name, for type-ahead).
// Returns {focusedCode()}: the code of the area that has focus, or null.
//
// One tab stop, roving focus: Tab reaches the map container; an arrow key (or Enter) picks the area
// nearest the middle of the view and moves focus to one link standing for that area (href, aria-label).
// Arrow keys then move to the nearest area in that direction, Home/End to the first/last area in
// order, typing the start of a name to the next area with that name (type-ahead, as in a list box),
// + and - zoom, Enter opens the link and Escape goes back to the container. That link replaces the
// container in the tab order, so Tab leaves the map and Shift+Tab comes back to the last area.
// Nothing is done per shape before the first key press: the centres are computed then.
(function () {
  "use strict";
  const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => (
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c]));

  function attach(map, layer, options) {
    const el = map.getContainer();
    const codeOf = options.code || ((f) => (f.id !== undefined && f.id !== null ? String(f.id) : f.properties.code));
    const nameOf = options.name || ((f) => String(f.properties.name || ""));
    const labelOf = options.label;
    const hrefOf = options.href;
    const tooltipOf = options.tooltip || ((l) => escapeHtml(labelOf(l.feature)));
    el.classList.add("atlas-map-keys");
    if (el.tabIndex < 0 || !el.hasAttribute("tabindex")) el.tabIndex = 0;
    const focusPane = map.getPane("atlasFocus") || map.createPane("atlasFocus");
    focusPane.style.zIndex = 450;  // above the shapes (400), below tooltips (650)
    const keyTooltip = L.tooltip({className: options.tooltipClass || "atlas-tooltip", direction: "top", offset: [0, -6]});
    let shapes = null;  // [{layer, x, y}] in order, built on the first key press
    let current = null;
    let link = null;
    let ring = null;
    let typed = "";
    let typedTimer = 0;

    function buildShapes() {
      const layers = layer.getLayers().filter((l) => l.feature && l.getBounds);
      let ordered;
      if (options.order) {
        const byCode = new Map(layers.map((l) => [codeOf(l.feature), l]));
        const wanted = new Set(options.order);
        ordered = options.order.filter((c) => byCode.has(c)).map((c) => byCode.get(c));
        byCode.forEach((l, c) => { if (!wanted.has(c)) ordered.push(l); });
      } else {
        ordered = layers.slice().sort((a, b) => nameOf(a.feature).localeCompare(nameOf(b.feature), "nl"));
      }
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
      keyTooltip.setLatLng(anchor(l)).setContent(tooltipOf(l));
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
      next.href = hrefOf(feature);
      next.setAttribute("aria-label", labelOf(feature));
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
        // Type-ahead, as in a list box: the next area (in order) whose name starts with what was typed.
        if (!shapes) buildShapes();
        clearTimeout(typedTimer);
        typedTimer = setTimeout(() => { typed = ""; }, 800);
        typed += e.key.toLocaleLowerCase("nl");
        const start = current && onLink ? shapes.indexOf(current) + (typed.length === 1 ? 1 : 0) : 0;
        for (let i = 0; i < shapes.length && !target; i++) {
          const s = shapes[(start + i) % shapes.length];
          if (nameOf(s.layer.feature).toLocaleLowerCase("nl").startsWith(typed)) target = s;
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
    return {
      focusedCode: () => (current && link && document.activeElement === link ? codeOf(current.layer.feature) : null),
    };
  }

  window.AtlasMapKeyboard = {attach: attach};
}());
