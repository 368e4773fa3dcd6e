// The inspector's service worker: keeps the offline page and its scripts, and answers for the inspector's
// pages with it when the network is gone (断网补录). API calls are never answered from the cache.
const CACHE = "inspection-offline-v2";
const SHELL = ["/offline", "/static/app.css", "/static/offline.js", "/static/offline-page.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

const OFFLINE_PAGES = [/^\/scan(\/|$)/, /^\/visits\/\d+$/, /^\/home$/, /^\/offline$/];

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") {
    if (!OFFLINE_PAGES.some((pattern) => pattern.test(url.pathname))) return;
    event.respondWith(fetch(request).catch(() => caches.match("/offline")));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(fetch(request).then((response) => {
      if (response.ok) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(request, copy));
      }
      return response;
    }).catch(() => caches.match(request)));
  }
});
