/**
 * The environment `wrangler` runs in locally: offline (no metrics, no `cf` fetch, no D1
 * warning) and without wrangler's local trace collector and data explorer, which persist a span
 * per invocation into SQLite — most of workerd's CPU under load went there (evals/perf/README.md).
 * `observability` stays on for deployments. Used by `npm start` and by the benchmarks' runtime floor.
 */

/**
 * Returns `base` plus wrangler's local settings. `X_LOCAL_OBSERVABILITY` and `X_LOCAL_EXPLORER`
 * default to "false"; a value already in `base` wins.
 */
export function localWranglerEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...base,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    NO_D1_WARNING: "true",
    X_LOCAL_OBSERVABILITY: base.X_LOCAL_OBSERVABILITY ?? "false",
    X_LOCAL_EXPLORER: base.X_LOCAL_EXPLORER ?? "false",
  };
}
