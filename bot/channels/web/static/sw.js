/* The web chat's service worker: it keeps the page's SHELL (its HTML, scripts, styles, manifest
 * and icons) so the app opens on a phone, and nothing else. It never caches what the API answers
 * (/api/: a report, a case, a person's name) nor anything it was not asked to keep: those go to
 * the network as if there were no service worker. The shell is fetched from the network first
 * (so a new version shows at once); the cached copy is only for when the network is down.
 */
"use strict";

const CACHE = "shell-v1";
const SHELL = [
  "/",
  "/static/app.js",
  "/static/render.js",
  "/static/style.css",
  "/static/manifest.webmanifest",
  "/static/icon-192.png",
  "/static/icon-512.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  // Older versions' caches go; so would anything a previous worker kept by mistake.
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // Only the shell's own GETs; everything else (the API above all) is left alone.
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || !SHELL.includes(url.pathname) || url.search) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          event.waitUntil(caches.open(CACHE).then((cache) => cache.put(url.pathname, copy)));
        }
        return response;
      })
      .catch(() => caches.match(url.pathname).then((cached) => cached || Response.error())),
  );
});
