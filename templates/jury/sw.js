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
      // The list of teams a score sends the juror back to says "saved" (…&saved=1): offline, the
      // phone's copy of that list is the one kept without it.
      var kept = request.url.replace(/&(saved|feedback)=1(?=[&#]|$)/g, "");
      return caches.match(request, {ignoreVary: true}).then(function (hit) {
        return hit || caches.match(kept, {ignoreVary: true});
      }).then(function (hit) { return hit || Response.error(); });
    })
  );
});
