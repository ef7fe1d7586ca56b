/**
 * Vite build of the embeddable widget (src/embed/main.ts → dist/ui/embed.js, its lazy chunks —
 * Mermaid and its diagram types — under dist/ui/embed/). It runs after the UI's build (which
 * empties dist/ui), so it never empties the folder itself. The Worker serves these files to
 * other origins with CORS (src/api/embed-script.ts). `base: "./"`: the bundle is an ES module on
 * another site's page, so its chunks are found relative to embed.js's own URL
 * (`import.meta.url`), never to the host page's origin.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL("./dist/ui", import.meta.url)),
    emptyOutDir: false,
    target: "es2022",
    modulePreload: false,
    rollupOptions: {
      input: fileURLToPath(new URL("./src/embed/main.ts", import.meta.url)),
      preserveEntrySignatures: "exports-only",
      output: {
        format: "es",
        entryFileNames: "embed.js",
        chunkFileNames: "embed/[name]-[hash].js",
        assetFileNames: "embed/[name]-[hash][extname]",
      },
    },
  },
});
