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
import type { TechLeadVoice } from "./actors/voice/tech-lead-voice.ts";
import type { Sandbox } from "@cloudflare/sandbox";

/**
 * SAM's bindings (the actors' Durable Object namespaces, D1, assets, Workers AI) and its
 * variables and secrets, each a string as wrangler passes it (absent when unset; each says its
 * default). Merged into the global `Env` below; modules read `Env`, never this name.
 */
export interface SamEnv {
  /** The actors' namespaces (docs/architecture.md §1), each keyed by its entity's id, and the Sandbox containers'. */
  UserAgent: DurableObjectNamespace<UserAgent>;
  ProjectAgent: DurableObjectNamespace<ProjectAgent>;
  MissionAgent: DurableObjectNamespace<MissionAgent>;
  TaskAgent: DurableObjectNamespace<TaskAgent>;
  /** The voice conversations with a project's tech lead (`/agents/tech-lead-voice/<projectId>`), keyed by project id. */
  TechLeadVoice: DurableObjectNamespace<TechLeadVoice>;
  Sandbox: DurableObjectNamespace<Sandbox>;
  /** D1: the global indexes (users, token hashes, membership, task and mission → project; src/indexes.ts, migrations/). */
  DB: D1Database;
  /** The built UI's static assets (wrangler.jsonc `assets`); absent, the Worker serves no UI. */
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
  /** Secret: the API key sent to that server (`Authorization: Bearer`); absent: none sent. */
  SAM_COMPAT_API_KEY?: string;
  /** Cloudflare account id and AI Gateway id for `openai/...` and `workers-ai/...` models. */
  CF_ACCOUNT_ID?: string;
  /** See `CF_ACCOUNT_ID`. */
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
  /** GitHub OAuth app for browser sign-in (deployed); without both, only tokens sign in. */
  GITHUB_CLIENT_ID?: string;
  /** Secret: the GitHub OAuth app's client secret. */
  GITHUB_CLIENT_SECRET?: string;
  /** Where GitHub's OAuth pages live (default https://github.com; tests point it at a fake on loopback). */
  GITHUB_OAUTH_BASE_URL?: string;
  /** Where GitHub's REST API lives (default https://api.github.com). */
  GITHUB_API_BASE_URL?: string;
  /** SAM's GitHub App (deployed): its id; with GITHUB_APP_PRIVATE_KEY, a project's repository credential may be an installation of it. */
  GITHUB_APP_ID?: string;
  /** Secret: the GitHub App's private key, PEM as GitHub gives it (PKCS#1; converted for WebCrypto) or PKCS#8, line breaks real or escaped as `\n`. */
  GITHUB_APP_PRIVATE_KEY?: string;
  /** SAM's own origin (e.g. https://sam.example.com), for links SAM writes outside itself (a pull request's link to the transcript); absent: the link is a path (`/tasks/<id>`). */
  SAM_PUBLIC_URL?: string;
  /** Hetzner Cloud API token for tasks' VMs (issue 16); unset: no VM provider, `request_vm` is refused. */
  HETZNER_API_TOKEN?: string;
  /** Hetzner Cloud's API base URL (default https://api.hetzner.cloud; `npm start` and the tests point it at the local VM host, src/sandbox/vm-host/). */
  HETZNER_API_BASE_URL?: string;
  /** `1`: a new account is `active` at once; otherwise it is `pending` until an admin approves it (the first account ever is always an active admin). */
  SAM_OPEN_SIGNUP?: string;
  /** A task or mission is refused at start when a USD budget has less than this left (default 0.01). */
  SAM_MIN_START_USD?: string;
  /** ... or when a daily token budget has fewer than this many tokens left (default 1000). */
  SAM_MIN_START_TOKENS?: string;
  /**
   * An OpenAI-compatible speech server (`POST /audio/transcriptions`, `POST /audio/speech`) for
   * voice, e.g. http://127.0.0.1:8790/v1 (a URL with no path gets `/v1`); `npm start` sets it to
   * its local speech service. Absent: voice uses the Workers AI binding `AI`, else is unavailable
   * (src/models/speech/providers.ts).
   */
  SAM_SPEECH_BASE_URL?: string;
  /** Secret: the API key sent to that server (`Authorization: Bearer`); absent: none sent. */
  SAM_SPEECH_API_KEY?: string;
  /** The speech-to-text model: the server's `model` (default `whisper-1`), or on Workers AI `@cf/deepgram/flux` (default) or `@cf/deepgram/nova-3`. */
  SAM_SPEECH_TRANSCRIPTION_MODEL?: string;
  /** The text-to-speech model: the server's `model` (default `tts-1`), or on Workers AI `@cf/deepgram/aura-1` (the default). */
  SAM_SPEECH_TTS_MODEL?: string;
  /** The voice: the server's `voice` (default `alloy`), or Aura's speaker on Workers AI (default `asteria`). */
  SAM_SPEECH_VOICE?: string;
  /** Prices of the speech server's models: JSON `{"<model>": {"perMinute"?: USD per audio minute, "perMillionChars"?: USD}}` (default 0: a local server). */
  SAM_SPEECH_PRICES?: string;
  /**
   * Browser push (Web Push, VAPID: RFC 8292), docs/notifications.md: the public key, base64url of
   * the uncompressed P-256 point (what browsers subscribe with; `GET /api/push/vapid-public-key`).
   * Push is off unless all three VAPID variables are set. `npm start` makes a pair once per state directory.
   */
  VAPID_PUBLIC_KEY?: string;
  /** Secret: the VAPID private key, a JWK (`{"kty":"EC","crv":"P-256","x","y","d"}`) as JSON. */
  VAPID_PRIVATE_KEY?: string;
  /** Who the push services may contact about SAM's messages: `mailto:...` or `https://...`. */
  VAPID_SUBJECT?: string;
  /** Seconds between a failed notification delivery's retries, comma-separated (default `10,60,300,1800`; tests make them short). */
  SAM_NOTIFICATION_RETRY_SECONDS?: string;
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


