/**
 * Serving the embeddable widget to other sites: `GET /embed.js` (the `<sam-agent>` element, an
 * ES module built by vite.embed.config.ts into the UI's assets) and its lazy chunks under
 * `/embed/` (Mermaid and its diagram types, loaded by the module from SAM's origin). A module
 * script and its dynamic imports are fetched in CORS mode from the host page, so each answer
 * carries `Access-Control-Allow-Origin: *` and `Cross-Origin-Resource-Policy: cross-origin`
 * (the files are public code, no credentials involved). The UI's page headers
 * (security-headers.ts: a CSP for documents) do not apply; `nosniff` does.
 */

/** Whether `pathname` is one of the widget's files (`/embed.js` or a chunk under `/embed/`). */
export function isEmbedScriptPath(pathname: string): boolean {
  return pathname === "/embed.js" || (pathname.startsWith("/embed/") && pathname.endsWith(".js"));
}

/**
 * Caching: `/embed.js` keeps one URL across deploys, so caches revalidate it after 5 minutes
 * (a deploy reaches pages within that); the chunks are named by their content's hash, so they
 * never change (a year, immutable).
 */
export function embedCacheControl(pathname: string): string {
  return pathname === "/embed.js" ? "public, max-age=300, must-revalidate" : "public, max-age=31536000, immutable";
}

/**
 * Answers a request for a widget file from the static `assets`: 405 for a method other than
 * GET, HEAD or OPTIONS (a CORS preflight, answered 204), 404 when the file is not built (the
 * assets' single-page fallback would answer index.html), else the file as JavaScript (or a 304
 * for a conditional request it still matches) with the CORS, resource-policy and caching headers above.
 */
export async function serveEmbedScript(request: Request, assets: Fetcher | undefined): Promise<Response> {
  const pathname = new URL(request.url).pathname;
  const cors = { "access-control-allow-origin": "*", "cross-origin-resource-policy": "cross-origin", "x-content-type-options": "nosniff" };
  if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: { ...cors, "access-control-allow-methods": "GET, HEAD", "access-control-max-age": "86400" } });
  if (request.method !== "GET" && request.method !== "HEAD") {
    return Response.json({ error: { code: "method_not_allowed", message: "the widget's files are read with GET" } }, { status: 405, headers: { ...cors, allow: "GET, HEAD, OPTIONS" } });
  }
  const found = assets ? await assets.fetch(request) : null;
  const type = found?.headers.get("content-type") ?? "";
  // A conditional request the file still matches (304) is answered as is, with the same headers.
  const unchanged = found?.status === 304;
  if (!found || (!unchanged && (!found.ok || !/javascript/.test(type)))) {
    return Response.json({ error: { code: "not_found", message: `${pathname} is not built (npm run build:ui builds the widget)` } }, { status: 404, headers: cors });
  }
  const response = new Response(found.body, found);
  for (const [name, value] of Object.entries(cors)) response.headers.set(name, value);
  if (!unchanged) response.headers.set("content-type", "text/javascript; charset=utf-8");
  response.headers.set("cache-control", embedCacheControl(pathname));
  return response;
}
