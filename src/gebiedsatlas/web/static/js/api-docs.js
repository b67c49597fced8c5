/* /docs: start Swagger UI (static/vendor/swagger-ui) on #swagger-ui.
   The OpenAPI URL comes from the element's data-openapi-url, so the page needs no inline script.
   validatorUrl: null — Swagger UI would otherwise show a badge image from the online validator. */
(function () {
  "use strict";
  var element = document.getElementById("swagger-ui");
  if (!element || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  var SwaggerUIBundle = window.SwaggerUIBundle;
  window.ui = SwaggerUIBundle({
    url: element.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
