// The jury's service worker: pages of the jury form are kept as they are fetched, and
// served from that copy when the network is gone, so a juror in a tent with no Wi-Fi
// can still open their teams. Scores themselves wait in the page's outbox.
var CACHE = "perche-jury-1";
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  event.respondWith(
    fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(request, {ignoreVary: true}).then(function (hit) { return hit || Response.error(); });
    })
  );
});
