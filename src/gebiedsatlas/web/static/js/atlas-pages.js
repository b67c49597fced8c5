/* Progressive enhancement for the profile, compare and indicator pages.
 *
 * Everything on these pages is readable without JavaScript (tables carry all numbers); this script
 * draws the Vega-Lite charts (vendored vega-embed, no action menu, Dutch number format), the small
 * area map (vendored Leaflet), the print button, and area suggestions in the compare form.
 */
(function () {
  "use strict";

  // d3-format locale for nl-NL: 226.500 and 4,1.
  var NL_FORMAT = { decimal: ",", thousands: ".", grouping: [3], currency: ["€\u00a0", ""] };

  // The chart library (~900 KB) is loaded on demand: when the first chart comes near the viewport.
  // Pages that include the vendor scripts themselves (compare, indicator) already have vegaEmbed.
  var VEGA_SCRIPTS = ["/static/vendor/vega/vega.min.js", "/static/vendor/vega/vega-lite.min.js",
                      "/static/vendor/vega/vega-embed.min.js"];
  var vegaLoading = null;
  var LEAFLET_SCRIPT = "/static/vendor/leaflet/leaflet.js";

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function loadVega() {
    if (typeof vegaEmbed === "function") return Promise.resolve();
    if (!vegaLoading) {
      vegaLoading = VEGA_SCRIPTS.reduce(function (chain, src) {
        return chain.then(function () { return loadScript(src); });
      }, Promise.resolve());
    }
    return vegaLoading;
  }

  function drawChart(el) {
    if (el.hasAttribute("data-chart-state")) return;
    el.setAttribute("data-chart-state", "loading");
    var source = document.getElementById(el.getAttribute("data-vega-spec"));
    if (!source) return;
    var failed = function () {
      el.setAttribute("data-chart-state", "error");
      el.textContent = "De grafiek kon niet worden getekend; de tabel bevat dezelfde cijfers.";
    };
    loadVega().then(function () {
      var spec = JSON.parse(source.textContent);
      // ast: true makes vega-embed use its bundled expression interpreter instead of compiling chart
      // expressions with Function(), so the Content-Security-Policy needs no 'unsafe-eval'.
      return vegaEmbed(el, spec, { actions: false, renderer: "svg", mode: "vega-lite", formatLocale: NL_FORMAT,
                                   ast: true })
        .then(function (result) {
          el.classList.add("atlas-chart--ready");
          el.setAttribute("data-chart-state", "ready");
          // Vega's SVG gets the spec's description as its accessible name.
          var svg = el.querySelector("svg");
          if (svg && spec.description) {
            svg.setAttribute("role", "img");
            svg.setAttribute("aria-label", spec.description);
          }
          return result;
        });
    }).catch(failed);
  }

  // Charts are drawn when they scroll into view (the first screen is static HTML); without
  // IntersectionObserver all are drawn at once.
  function renderCharts() {
    var nodes = Array.prototype.slice.call(document.querySelectorAll("[data-vega-spec]"));
    if (!nodes.length) return;
    if (typeof IntersectionObserver !== "function") {
      nodes.forEach(drawChart);
      return;
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          drawChart(entry.target);
        }
      });
    }, { rootMargin: "300px 0px" });
    nodes.forEach(function (el) { observer.observe(el); });
  }

  function areaMap(el) {
    if (typeof L === "undefined") return;
    var code = el.getAttribute("data-code");
    var map = L.map(el, { scrollWheelZoom: false, zoomSnap: 0.25 });
    var tiles = el.getAttribute("data-tile-url");
    if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
    fetch(el.getAttribute("data-geojson"))
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (collection) {
        var target = null;
        var layer = L.geoJSON(collection, {
          style: function (feature) {
            return feature.properties.code === code
              ? { color: "#000000", weight: 3, fillColor: "#154273", fillOpacity: 0.65 }
              : { color: "#4d4d4d", weight: 1, fillColor: "#d9d9d9", fillOpacity: 0.55 };
          },
          onEachFeature: function (feature, shape) {
            var own = feature.properties.code === code;
            var tip = document.createElement("span");
            tip.textContent = feature.properties.name + (own ? " (dit gebied)" : "");  // text, never HTML
            shape.bindTooltip(tip, { sticky: true });
            if (own) {
              target = shape;
            } else {
              shape.on("click", function () {
                window.location.href = "/gebied/" + encodeURIComponent(feature.properties.code);
              });
            }
          },
        }).addTo(map);
        if (target) target.bringToFront();
        // Context: the names of the areas around it (shown on paper; on screen only the area's own
        // name, the others are in the tooltips). Not for long lists (e.g. all gemeenten).
        var shapes = layer.getLayers();
        if (shapes.length <= 60) {
          shapes.forEach(function (shape) {
            var props = shape.feature.properties;
            var label = document.createElement("span");
            label.textContent = props.name;  // text, never HTML
            var own = props.code === code;
            L.marker(shape.getBounds().getCenter(), {
              interactive: false, keyboard: false,
              icon: L.divIcon({ className: "atlas-map-label" + (own ? " atlas-map-label--own" : ""),
                                html: label, iconSize: null }),
            }).addTo(map);
          });
        }
        var bounds = target ? target.getBounds().pad(0.8) : layer.getBounds();
        var fit = function () {
          map.invalidateSize(false);
          if (bounds.isValid()) map.fitBounds(bounds, { animate: false });
        };
        fit();
        // Refit when the box changes size (window resize, print layout).
        if (typeof ResizeObserver === "function") new ResizeObserver(fit).observe(el);
        window.addEventListener("beforeprint", fit);
        if (window.matchMedia) window.matchMedia("print").addEventListener("change", fit);
        if (collection.attribution) map.attributionControl.addAttribution(collection.attribution);
        el.setAttribute("data-ready", String(layer.getLayers().length));
      })
      .catch(function () {
        el.setAttribute("data-ready", "error");
        el.textContent = "De kaart kon niet worden geladen; de tabel bij de kaart bevat dezelfde gebieden.";
      });
  }

  function printButtons() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  // Suggest areas while typing in the compare form (the form also works without this).
  function areaSuggestions(input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) return;
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var parts = input.value.split(",");
      var last = parts[parts.length - 1].trim();
      if (last.length < 2) return;
      timer = setTimeout(function () {
        fetch("/api/areas?limit=8&q=" + encodeURIComponent(last))
          .then(function (r) { return r.json(); })
          .then(function (data) {
            var prefix = parts.slice(0, -1).map(function (p) { return p.trim(); }).filter(Boolean);
            list.innerHTML = "";
            data.areas.forEach(function (area) {
              var option = document.createElement("option");
              // The input keeps names; a wijk or buurt carries its code in brackets, as names repeat.
              var shownName = area.level === "gemeente" || area.level === "land"
                ? area.name : area.name + " (" + area.code + ")";
              option.value = prefix.concat([shownName]).join(", ");
              option.label = area.name + " (" + area.level +
                (area.gemeente_name ? " in " + area.gemeente_name : "") + ", " + area.code + ")";
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are optional */ });
      }, 150);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderCharts();
    // The small location map is drawn after the page's load event: Leaflet (~150 KB) is fetched then,
    // so it does not hold up the first screen (the table next to the map names the same areas).
    var maps = document.querySelectorAll("[data-area-map]");
    if (maps.length) {
      var drawMaps = function () {
        var ready = typeof L === "undefined" ? loadScript(LEAFLET_SCRIPT) : Promise.resolve();
        ready.then(function () { maps.forEach(areaMap); }).catch(function () {
          maps.forEach(function (el) {
            el.setAttribute("data-ready", "error");
            el.textContent = "De kaart kon niet worden geladen; de tabel bij de kaart bevat dezelfde gebieden.";
          });
        });
      };
      if (document.readyState === "complete") drawMaps();
      else window.addEventListener("load", function () { setTimeout(drawMaps, 0); });
    }
    printButtons();
    document.querySelectorAll("input[data-area-suggest]").forEach(areaSuggestions);
  });
})();
