/**
 * Vite build of the web UI (src/ui → dist/ui). The Worker serves dist/ui as static assets
 * with SPA fallback on the same origin as the API; in `vite dev` the API and the actor
 * WebSockets are proxied to a running Worker (SAM_DEV_API, default http://127.0.0.1:8787), with
 * the Worker's origin as `Origin` (the sign-in cookie is then the dev server's).
 */
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const devApi = process.env.SAM_DEV_API ?? "http://127.0.0.1:8787";

export default defineConfig({
  root: fileURLToPath(new URL("./src/ui", import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("./dist/ui", import.meta.url)),
    emptyOutDir: true,
  },
  server: {
    // The Worker accepts cookie-signed-in changes and browser WebSockets only from its own origin,
    // so the dev proxy presents the Worker's origin (the page is on Vite's).
    proxy: {
      "/api": {
        target: devApi,
        changeOrigin: true,
        configure: (proxy) => proxy.on("proxyReq", (request) => void (request.getHeader("origin") && request.setHeader("origin", new URL(devApi).origin))),
      },
      "/agents": { target: devApi, changeOrigin: true, ws: true, rewriteWsOrigin: true },
    },
  },
});
