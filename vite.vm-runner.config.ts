/**
 * Vite build of SAM's runner as single-file bundles for VMs (issue 16): `dist/ui/vm/runner.js`
 * (src/sandbox/runner/main.ts; started with `SAM_RUNNER_MODE=vm` by a VM's user data) and, with
 * `--mode search-worker`, `dist/ui/vm/search-worker.js` (the search worker thread it starts
 * beside itself). Each is one file with its dependencies (zod) inlined, for Node 22; SAM serves
 * them at `GET /vm/runner.js` and `GET /vm/search-worker.js` (static assets). Runs after the UI's
 * build, which empties dist/ui.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig(({ mode }) => {
  const worker = mode === "search-worker";
  return {
    publicDir: false,
    ssr: { noExternal: true, target: "node" },
    build: {
      ssr: true,
      outDir: fileURLToPath(new URL("./dist/ui/vm", import.meta.url)),
      emptyOutDir: false,
      target: "node22",
      minify: false,
      rollupOptions: {
        input: fileURLToPath(new URL(worker ? "./src/sandbox/runner/search-worker.ts" : "./src/sandbox/runner/main.ts", import.meta.url)),
        output: { format: "es", entryFileNames: worker ? "search-worker.js" : "runner.js", codeSplitting: false },
      },
    },
  };
});
