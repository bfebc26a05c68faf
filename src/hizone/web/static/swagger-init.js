/* Starts Swagger UI on /api/docs (a file, not an inline script, so the Content-Security-Policy holds).
   Requests sent from the page with the session cookie carry the page's CSRF token. */
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    requestInterceptor: function (request) {
      request.headers["X-CSRF-Token"] = root.dataset.csrf;
      return request;
    }
  });
})();
