// Redirects old marketing paths; the partner key is inlined at build time by [define].
addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const target = new URL("/new" + url.pathname, "https://www.example.com");
  event.respondWith(Response.redirect(target.toString(), 301));
});
