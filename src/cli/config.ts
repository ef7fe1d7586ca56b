/**
 * Where the CLI keeps its login: `$XDG_CONFIG_HOME/sam/config.json` (default
 * `~/.config/sam/config.json`, per the XDG Base Directory spec), written with mode 0600 in a 0700
 * folder because it holds a personal access token. `SAM_API_URL` and `SAM_API_TOKEN` override
 * it, and `--url` overrides the URL.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { z } from "zod";
import { CliError } from "./errors.ts";

/** The saved login. `url` is SAM's origin (`http://127.0.0.1:8787`), `token` a `sam_pat_...`. */
export const savedLoginSchema = z.object({
  url: z.string().url(),
  token: z.string().min(1),
  /** Who the token belongs to, as `GET /api/me` said at login (shown by `sam auth status`). */
  user: z.object({ id: z.string(), name: z.string() }).optional(),
});
export type SavedLogin = z.infer<typeof savedLoginSchema>;

/** The config file's path for `env` (XDG_CONFIG_HOME, else HOME/.config). */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.length > 0 ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), ".config");
  return join(base, "sam", "config.json");
}

/**
 * Reads the saved login, or null when there is none.
 * @throws CliError when the file exists but is not a valid login (it names the file).
 */
export function readLogin(env: NodeJS.ProcessEnv = process.env): SavedLogin | null {
  const path = configPath(env);
  if (!existsSync(path)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new CliError(`${path} is not valid JSON; run \`sam auth logout\` and log in again`);
  }
  const parsed = savedLoginSchema.safeParse(json);
  if (!parsed.success) throw new CliError(`${path} is not a SAM login; run \`sam auth logout\` and log in again`);
  return parsed.data;
}

/** Saves `login` (mode 0600; the folder 0700). Returns the file's path. */
export function writeLogin(login: SavedLogin, env: NodeJS.ProcessEnv = process.env): string {
  const path = configPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

/** Deletes the saved login; returns whether there was one. */
export function deleteLogin(env: NodeJS.ProcessEnv = process.env): boolean {
  const path = configPath(env);
  if (!existsSync(path)) return false;
  rmSync(path);
  return true;
}

/** Where a command talks to and with which token, and where that came from. */
export interface Target {
  url: string;
  token: string;
  source: "environment" | "config";
}

/**
 * The target of a command: the token from `SAM_API_TOKEN` when set, else the saved login's; the
 * URL from `urlFlag`, else `SAM_API_URL`, else the saved login's.
 * @throws CliError (exit 1) when there is no token anywhere: "not logged in".
 */
export function resolveTarget(urlFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): Target {
  const url = normaliseUrl(urlFlag ?? env.SAM_API_URL);
  if (env.SAM_API_TOKEN) {
    const where = url ?? readLogin(env)?.url;
    if (!where) throw new CliError("SAM_API_TOKEN is set but SAM_API_URL is not (or pass --url)");
    return { url: where, token: env.SAM_API_TOKEN, source: "environment" };
  }
  const saved = readLogin(env);
  if (!saved) throw new CliError("not logged in: run `sam auth login` (or set SAM_API_URL and SAM_API_TOKEN)");
  return { url: url ?? saved.url, token: saved.token, source: "config" };
}

/**
 * `value` as an origin-like base URL without a trailing slash (`http://host:port`), or undefined.
 * @throws CliError when it is not an http(s) URL.
 */
export function normaliseUrl(value: string | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`not a URL: ${value}`, 2);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CliError(`not an http(s) URL: ${value}`, 2);
  return url.href.replace(/\/+$/, "");
}
