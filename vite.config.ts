/**
 * Vite build of the web UI (src/ui → dist/ui). The Worker serves dist/ui as static assets
 * with SPA fallback on the same origin as the API; in `vite dev` the API and the actor
 * WebSockets are proxied to a running Worker (SAM_DEV_API, default http://127.0.0.1:8787).
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
    proxy: {
      "/api": { target: devApi, changeOrigin: true },
      "/agents": { target: devApi, changeOrigin: true, ws: true },
    },
  },
});
