/**
 * The Worker's bindings and configuration variables (wrangler.jsonc, `.dev.vars`, `--var`).
 *
 * The composition root of the types: it names the actor classes for their namespaces and is
 * imported by no module. Modules use the global `Env` (= `Cloudflare.Env`, which the Agents
 * SDK also defaults to) declared below, as `wrangler types` does, so no import runs from a
 * module back up to the actors through the environment.
 */
import type { ProjectAgent } from "./actors/project/project-agent.ts";
import type { TaskAgent } from "./actors/task/task-agent.ts";
import type { UserAgent } from "./actors/user/user-agent.ts";
import type { MissionAgent } from "./actors/mission/mission-agent.ts";
import type { Sandbox } from "@cloudflare/sandbox";

export interface SamEnv {
  UserAgent: DurableObjectNamespace<UserAgent>;
  ProjectAgent: DurableObjectNamespace<ProjectAgent>;
  MissionAgent: DurableObjectNamespace<MissionAgent>;
  TaskAgent: DurableObjectNamespace<TaskAgent>;
  Sandbox: DurableObjectNamespace<Sandbox>;
  DB: D1Database;
  ASSETS?: Fetcher;
  /** Workers AI binding; absent in local mode (it is remote-only). */
  AI?: Ai;

  /** `local` (one local user, the local runner) or `cloud` (deployed). */
  SAM_MODE?: string;
  /** Local mode: the local user's personal access token (set by `npm start`). */
  SAM_DEV_TOKEN?: string;
  /** Local runner base URL, e.g. http://127.0.0.1:8788; when set, workspaces use it. */
  SAM_RUNNER_URL?: string;
  /** Shared secret the runner requires. */
  SAM_RUNNER_SECRET?: string;
  /** OpenAI-compatible server for `compat/<name>` models, e.g. http://127.0.0.1:11434/v1. */
  SAM_COMPAT_BASE_URL?: string;
  SAM_COMPAT_API_KEY?: string;
  /** Cloudflare account id and AI Gateway id for `openai/...` and `workers-ai/...` models. */
  CF_ACCOUNT_ID?: string;
  AI_GATEWAY_ID?: string;
  /** AI Gateway token for unified billing (`cf-aig-authorization`). */
  AI_GATEWAY_TOKEN?: string;
  /** Overrides the AI Gateway base URL (tests point it at a local fake). */
  AI_GATEWAY_BASE_URL?: string;
  /** Prices of `compat/<name>` models: JSON `{"<name>": {"input", "output", "cachedInput"?}}` in USD per million tokens (default 0). */
  SAM_COMPAT_PRICES?: string;
  /** Secret: 32 random bytes, base64; encrypts provider credentials at rest (AES-GCM). `npm start` makes one into `.dev.vars`. */
  ENCRYPTION_KEY?: string;
  /** Secret: the HMAC key personal access tokens and device codes are stored under (any string; `npm start` makes 32 random bytes, base64, into `.dev.vars`). */
  TOKEN_HASH_KEY?: string;
  /** `1`: a new account is `active` at once; otherwise it is `pending` until an admin approves it (the first account ever is always an active admin). */
  SAM_OPEN_SIGNUP?: string;
  /** A task or mission is refused at start when a USD budget has less than this left (default 0.01). */
  SAM_MIN_START_USD?: string;
  /** ... or when a daily token budget has fewer than this many tokens left (default 1000). */
  SAM_MIN_START_TOKENS?: string;
  /** Version string reported by /api/health. */
  SAM_VERSION?: string;
}

declare global {
  // Lets the Agents SDK's `Cloudflare.Env` default resolve to our bindings.
  namespace Cloudflare {
    interface Env extends SamEnv {}
  }
  /** The bindings as the runtime sees them (SamEnv, plus any test-only additions). */
  type Env = Cloudflare.Env;
}


