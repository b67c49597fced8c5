/* The area picker: wijken or buurten by name, inside one gemeente (prestatieafspraken: a commitment's
 * areas; woonprogramma: a project's wijk or buurt).
 *
 * - Typing a name (2+ letters) suggests matching areas of that gemeente (/api/areas?parent=&level=),
 *   each with its level and gemeente; choosing one writes "Name (CODE)" into the field, so name and code
 *   travel together and the server can check that they agree (areas/names.py).
 * - A small map of the gemeente's wijken or buurten: clicking an area adds or removes it. The map is an
 *   extra; the text field and the suggestions do the same by keyboard.
 * Settings on the [data-area-picker] element: data-gemeente(-name); data-levels="wijk,buurt" for a fixed
 * choice (else the level follows the "Gebied" select #veld-scope_kind: wijk or buurt, and for the whole
 * gemeente or an area set the suggestions and the map are not shown); data-single for one area only.
 * The text field is the input marked data-picker-input (or named scope_codes).
 */
(function () {
  "use strict";
  document.querySelectorAll("[data-area-picker]").forEach(setUp);

  function setUp(root) {
  var input = root.querySelector("input[data-picker-input]") || root.querySelector("input[name=scope_codes]");
  var box = root.querySelector(".pa-picker__suggestions");
  var mapEl = root.querySelector("[data-picker-map]");
  var fixed = (root.getAttribute("data-levels") || "").split(",").filter(Boolean);
  var single = root.hasAttribute("data-single");
  var kind = fixed.length ? null : document.getElementById("veld-scope_kind");
  var gemeente = root.getAttribute("data-gemeente");
  var gemeenteName = root.getAttribute("data-gemeente-name");
  var levels = {wijk: "Wijk", buurt: "Buurt"};
  var timer = null, seq = 0, map = null, layer = null, mapLevel = null;

  // The level of the map (and, with one level, of the suggestions).
  function level() {
    if (fixed.length) return fixed[0];
    return kind && levels[kind.value] ? kind.value : null;
  }
  function searchLevel() { return fixed.length > 1 ? null : level(); }
  function noun() { return fixed.length > 1 ? fixed.join(" of ") : level(); }

  function tokens() {
    if (single) return input.value.trim() ? [input.value.trim()] : [];
    return input.value.split(",").map(function (t) { return t.trim(); }).filter(Boolean);
  }

  function codeOf(token) {
    var m = /\(((?:WK|BU)\d+)\)\s*$/i.exec(token) || /^((?:WK|BU)\d+)$/i.exec(token);
    return m ? m[1].toUpperCase() : null;
  }

  function chosenCodes() {
    return tokens().map(codeOf).filter(Boolean);
  }

  function setTokens(list) {
    input.value = list.join(", ");
    input.dispatchEvent(new Event("change"));
    if (layer) layer.setStyle(style);
  }

  function say(text) {
    box.textContent = "";
    var p = document.createElement("p");
    p.className = "pa-hint";
    p.textContent = text;
    box.appendChild(p);
  }

  function choose(area) {
    if (single) {
      setTokens([area.name + " (" + area.code + ")"]);
      say(area.name + " is gekozen.");
      input.focus();
      return;
    }
    var list = tokens();
    var typed = input.value.trim().endsWith(",") ? null : list.pop();
    if (typed !== null && typed !== undefined && codeOf(typed)) list.push(typed);  // keep a finished choice
    var token = area.name + " (" + area.code + ")";
    if (list.indexOf(token) < 0) list.push(token);
    setTokens(list);
    input.value += ", ";
    say(area.name + " is toegevoegd.");
    input.focus();
  }

  function render(areas, q) {
    areas = areas.filter(function (a) { return levels[a.level]; });  // not the gemeente itself
    box.textContent = "";
    if (!areas.length) { say("Geen " + noun() + " ‘" + q + "’ in " + gemeenteName + "."); return; }
    var ul = document.createElement("ul");
    ul.setAttribute("aria-label", "Suggesties");
    areas.forEach(function (a) {
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button";
      b.setAttribute("data-code", a.code);
      b.textContent = a.name + " — " + (levels[a.level] || a.level) + " in " + (a.gemeente_name || gemeenteName) + " (" + a.code + ")";
      b.addEventListener("click", function () { choose(a); });
      li.appendChild(b);
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    var lv = searchLevel();
    var parts = single ? [input.value] : input.value.split(",");
    var q = parts[parts.length - 1].trim();
    if (!level() || q.length < 2 || codeOf(q)) { box.textContent = ""; return; }
    timer = setTimeout(function () {
      var mine = ++seq;
      fetch("/api/areas?limit=8" + (lv ? "&level=" + lv : "") + "&parent=" + encodeURIComponent(gemeente) + "&q=" + encodeURIComponent(q))
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (body) { if (mine === seq) render(body.areas, q); })
        .catch(function () { /* suggestions are a convenience; the server checks names too */ });
    }, 150);
  });

  function style(feature) {
    var on = chosenCodes().indexOf(feature.properties.code) >= 0;
    return on ? {color: "#000", weight: 2.5, fillColor: "#0b4a8b", fillOpacity: 0.7}
              : {color: "#4d4d4d", weight: 1, fillColor: "#d9d9d9", fillOpacity: 0.5};
  }

  function toggle(feature) {
    var code = feature.properties.code;
    if (single) {
      var again = chosenCodes().indexOf(code) >= 0;
      setTokens(again ? [] : [feature.properties.name + " (" + code + ")"]);
      say(feature.properties.name + (again ? " is weggehaald." : " is gekozen."));
      return;
    }
    var list = tokens().filter(function (t) { return codeOf(t) !== code; });
    var removed = list.length !== tokens().length;
    if (!removed) list.push(feature.properties.name + " (" + code + ")");
    setTokens(list);
    say(feature.properties.name + (removed ? " is weggehaald." : " is toegevoegd."));
  }

  function drawMap() {
    var lv = level();
    if (!mapEl || typeof L === "undefined") return;
    mapEl.hidden = !lv;
    if (!lv || lv === mapLevel) { if (map) map.invalidateSize(); return; }
    mapLevel = lv;
    if (!map) {
      map = L.map(mapEl, {scrollWheelZoom: false, zoomSnap: 0.25, keyboard: false});
      map.attributionControl.setPrefix(false);
      map.attributionControl.addAttribution("Bron: CBS/Kadaster (PDOK), CC BY 4.0");
    }
    if (layer) { layer.remove(); layer = null; }
    fetch("/api/geojson?level=" + lv + "&parent=" + encodeURIComponent(gemeente))
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (geo) {
        layer = L.geoJSON(geo, {
          style: style,
          onEachFeature: function (f, shape) {
            var tip = document.createElement("span");
            tip.textContent = f.properties.name;  // text, never HTML
            shape.bindTooltip(tip, {sticky: true});
            shape.on("click", function () { toggle(f); });
          },
        }).addTo(map);
        map.invalidateSize();
        if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), {animate: false});
        mapEl.setAttribute("data-ready", String(layer.getLayers().length));
      })
      .catch(function () { mapEl.hidden = true; });
  }

  input.addEventListener("change", function () { if (layer) layer.setStyle(style); });
  if (kind) kind.addEventListener("change", function () { box.textContent = ""; drawMap(); });
  drawMap();
  }
})();
