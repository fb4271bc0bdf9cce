// Swagger UI for Perche's API, started from a file rather than an inline script, so the
// page runs under the Content-Security-Policy. No validator badge: it would send the
// schema to another host.
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.spec,
    dom_id: "#swagger-ui",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis]
  });
})();
