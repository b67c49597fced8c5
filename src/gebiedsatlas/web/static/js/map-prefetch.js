// Loaded async in the head of the map page, before the style sheets: starts fetching (and parsing)
// the boundaries at once instead of after the CSS and the long page. map.js uses window.atlasGeo,
// or fetches itself (and sets window.atlasGeo) if it runs first. An external file, not an inline
// script, so that the Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";
  var script = document.currentScript;
  var url = script && script.getAttribute("data-geojson");
  if (!url || window.atlasGeo) return;
  window.atlasGeo = fetch(url).then(function (r) {
    if (!r.ok) throw new Error("HTTP " + r.status);
    return r.json();
  });
  window.atlasGeo.catch(function () {});  // handled in map.js
})();
