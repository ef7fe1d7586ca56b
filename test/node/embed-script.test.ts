/**
 * How the Worker answers for the widget's files (src/api/embed-script.ts), over a stand-in for
 * the static-assets binding that answers as Workers' assets do (the file, or the single-page
 * fallback's index.html for a missing one). The started stack's real answer is checked in
 * test/e2e/embed-browser.test.ts.
 */
import { describe, expect, it } from "vitest";
import { embedCacheControl, isEmbedScriptPath, serveEmbedScript } from "../../src/api/embed-script.ts";

const assets = {
  fetch: async (input: Request | string) => {
    const path = new URL(typeof input === "string" ? input : input.url).pathname;
    if (path === "/embed.js" || path === "/embed/mermaid-abc.js") return new Response("export {};", { headers: { "content-type": "application/javascript", etag: '"1"' } });
    return new Response("<!doctype html>", { headers: { "content-type": "text/html" } });
  },
} as unknown as Fetcher;

describe("the widget's files", () => {
  it("are /embed.js and the .js chunks under /embed/", () => {
    expect(isEmbedScriptPath("/embed.js")).toBe(true);
    expect(isEmbedScriptPath("/embed/mermaid-abc.js")).toBe(true);
    expect(isEmbedScriptPath("/embed")).toBe(false);
    expect(isEmbedScriptPath("/embed/")).toBe(false);
    expect(isEmbedScriptPath("/projects/embed.js")).toBe(false);
  });

  it("are served as JavaScript to any origin, embed.js revalidated and chunks immutable", async () => {
    for (const path of ["/embed.js", "/embed/mermaid-abc.js"]) {
      const response = await serveEmbedScript(new Request(`http://sam.test${path}`), assets);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      expect(response.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
      expect(response.headers.get("cache-control")).toBe(embedCacheControl(path));
      expect(await response.text()).toBe("export {};");
    }
    expect(embedCacheControl("/embed.js")).toContain("max-age=300");
    expect(embedCacheControl("/embed/x-1.js")).toContain("immutable");
  });

  it("answers 404 for a chunk that is not built (not the UI's index.html), 405 for a write, 204 to a preflight", async () => {
    const missing = await serveEmbedScript(new Request("http://sam.test/embed/gone.js"), assets);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "not_found" } });
    expect((await serveEmbedScript(new Request("http://sam.test/embed.js"), undefined)).status).toBe(404);
    expect((await serveEmbedScript(new Request("http://sam.test/embed.js", { method: "POST" }), assets)).status).toBe(405);
    const preflight = await serveEmbedScript(new Request("http://sam.test/embed.js", { method: "OPTIONS" }), assets);
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
  });
});
