import { defineConfig } from "vitest/config";

// End-to-end: each file starts the whole stack the way `npm start` does. Files run one at a
// time (the machine has 2 cores and each stack runs workerd).
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
