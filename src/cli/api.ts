/**
 * SAM's HTTP API as the CLI uses it: JSON requests with the token as a Bearer credential, and
 * every failure turned into one clear sentence (CliError): the server cannot be reached, the
 * token is refused (401: expired, revoked or wrong), or SAM's own `{"error":{"code","message"}}`.
 */
import { CliError } from "./errors.ts";

/** How long one HTTP request may take before the CLI gives up, in ms. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** A client for one SAM at `url` with `token` (null: unauthenticated routes only). */
export class SamApi {
  readonly url: string;
  readonly token: string | null;
  constructor(url: string, token: string | null) {
    this.url = url;
    this.token = token;
  }

  /** GET `path` (`/api/...`); returns the parsed JSON. @throws CliError */
  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  /** POST `body` as JSON to `path`; returns the parsed JSON (undefined for 204). @throws CliError */
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  /** PUT `body` as JSON; returns the parsed JSON. @throws CliError */
  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PUT", path, body);
  }

  /** DELETE `path`. @throws CliError */
  async delete(path: string): Promise<void> {
    await this.request("DELETE", path);
  }

  /** Sends one request and returns the answer's status and parsed JSON body (null when not JSON). @throws CliError when unreachable. */
  async raw(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new CliError(`cannot reach SAM at ${this.url}: ${reason(error)}`);
    }
    const text = await response.text();
    let json: unknown = null;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    return { status: response.status, json };
  }

  /** Sends one request; returns the parsed JSON of a 2xx. @throws CliError for anything else. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { status, json } = await this.raw(method, path, body);
    if (status >= 200 && status < 300) return json as T;
    throw apiFailure(status, json);
  }
}

/** The CliError for a non-2xx answer: 401 says how to log in again; others quote SAM's message. */
export function apiFailure(status: number, json: unknown): CliError {
  const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const message = typeof error?.message === "string" ? error.message : `HTTP ${status}`;
  if (status === 401) return new CliError(`the token was refused (${message}): it may have expired or been revoked; run \`sam auth login\``);
  return new CliError(message);
}

/** A network error's reason in a few words (`ECONNREFUSED`, `timed out`...). */
function reason(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError") return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
