/**
 * Logging in with the OAuth 2.0 device authorization grant (RFC 8628) against SAM's
 * `/api/auth/device/*` routes: ask for a code pair, show the user code and the verification link,
 * then poll the token endpoint at the server's interval, adding 5 s on every `slow_down`
 * (RFC 8628 §3.5), until the person approves (a new personal access token), denies it, or the code
 * expires.
 */
import { z } from "zod";
import type { SamApi } from "./api.ts";
import { CliError } from "./errors.ts";

/** The client id SAM's device flow knows the CLI by. */
export const CLI_CLIENT_ID = "sam-cli";

/** RFC 8628 §3.2's answer to the device authorization request. */
const deviceCodeSchema = z.object({
  device_code: z.string(),
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string().optional(),
  expires_in: z.number(),
  interval: z.number().optional(),
});
export type DeviceCode = z.infer<typeof deviceCodeSchema>;

/** What `deviceLogin` needs from its surroundings (so a test can drive the clock). */
export interface DeviceLoginIo {
  /** Shown once the code pair is known (print the code, open the browser). */
  onCode(code: DeviceCode): void | Promise<void>;
  /** Waits `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
  /** Called after each poll that is still pending, with the interval now in force (s). */
  onPending?(intervalSeconds: number): void;
}

/**
 * Runs the device flow against `api` (unauthenticated). Returns the new access token.
 * @throws CliError "denied" (access_denied), "expired" (expired_token, or the local deadline of
 * `expires_in` passed), or the server's error for anything else.
 */
export async function deviceLogin(api: SamApi, io: DeviceLoginIo): Promise<string> {
  const started = await api.raw("POST", "/api/auth/device/code", { client_id: CLI_CLIENT_ID });
  if (started.status !== 200) throw new CliError(`the server refused to start a device login (HTTP ${started.status}${errorText(started.json)})`);
  const code = deviceCodeSchema.parse(started.json);
  await io.onCode(code);
  let interval = code.interval ?? 5;
  let waited = 0;
  for (;;) {
    if (waited >= code.expires_in) throw new CliError("the code expired before it was approved; run `sam auth login` again");
    await io.sleep(interval * 1000);
    waited += interval;
    const poll = await api.raw("POST", "/api/auth/device/token", {
      grant_type: "urn:ietf:params:oauth:grant-type:device_code",
      device_code: code.device_code,
      client_id: CLI_CLIENT_ID,
    });
    if (poll.status === 200) {
      const token = z.object({ access_token: z.string() }).safeParse(poll.json);
      if (!token.success) throw new CliError("the server approved the login but sent no token");
      return token.data.access_token;
    }
    const error = (poll.json as { error?: unknown } | null)?.error;
    if (error === "authorization_pending") {
      io.onPending?.(interval);
      continue;
    }
    if (error === "slow_down") {
      interval += 5;
      io.onPending?.(interval);
      continue;
    }
    if (error === "access_denied") throw new CliError("the login was denied");
    if (error === "expired_token") throw new CliError("the code expired before it was approved; run `sam auth login` again");
    throw new CliError(`the device login failed (HTTP ${poll.status}${errorText(poll.json)})`);
  }
}

/** `: <code or message>` of an error body, or "". */
function errorText(json: unknown): string {
  const error = (json as { error?: unknown } | null)?.error;
  if (typeof error === "string") return `: ${error}`;
  if (error && typeof error === "object" && typeof (error as { message?: unknown }).message === "string") return `: ${(error as { message: string }).message}`;
  return "";
}
