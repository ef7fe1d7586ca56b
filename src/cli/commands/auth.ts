/** `sam auth login|status|logout`: the device flow (RFC 8628) or a token, saved in the config file. */
import type { Command } from "commander";
import { spinner } from "@clack/prompts";
import { SamApi } from "../api.ts";
import { configPath, deleteLogin, normaliseUrl, readLogin, writeLogin } from "../config.ts";
import type { CliContext } from "../context.ts";
import { deviceLogin } from "../device-login.ts";

/** Where `sam auth login` goes without `--url`, `SAM_API_URL` or a saved login: `npm start`'s address. */
export const DEFAULT_URL = "http://127.0.0.1:8787";

type Me = { user: { id: string; name: string; role: string; status: string } };

/** Registers the `auth` commands on `program`; `context()` builds the context of the running command. */
export function registerAuth(program: Command, context: (command: Command) => CliContext): void {
  const auth = program.command("auth").description("log in to SAM, see who you are, log out");

  auth
    .command("login")
    .description("log in with the device flow (a code to approve in the browser), or with --token")
    .option("--token <token>", "a personal access token (sam_pat_...) instead of the device flow, for scripts")
    .option("--no-browser", "do not try to open the browser")
    .action(async (options: { token?: string; browser: boolean }, command: Command) => {
      const ctx = context(command);
      const url = normaliseUrl(ctx.options.url ?? ctx.io.env.SAM_API_URL) ?? safeSavedUrl(ctx) ?? DEFAULT_URL;
      const token = options.token ?? (await deviceFlow(ctx, url, options.browser));
      const me = await new SamApi(url, token).get<Me>("/api/me");
      const path = writeLogin({ url, token, user: { id: me.user.id, name: me.user.name } }, ctx.io.env);
      ctx.print(`logged in to ${url} as ${me.user.name} (${me.user.id}); saved in ${path}`, { url, user: me.user, config: path });
    });

  auth
    .command("status")
    .description("who you are logged in as, and where")
    .action(async (_options: unknown, command: Command) => {
      const ctx = context(command);
      const target = ctx.target();
      const me = await new SamApi(target.url, target.token).get<Me>("/api/me");
      ctx.print(
        [`logged in to ${target.url} as ${me.user.name} (${me.user.id}, ${me.user.role}, ${me.user.status})`, `credentials from ${target.source === "environment" ? "SAM_API_URL / SAM_API_TOKEN" : configPath(ctx.io.env)}`],
        { url: target.url, user: me.user, source: target.source },
      );
    });

  auth
    .command("logout")
    .description("forget the saved login (the token itself stays valid until revoked: `DELETE /api/tokens/:id` or the Tokens page)")
    .action((_options: unknown, command: Command) => {
      const ctx = context(command);
      const removed = deleteLogin(ctx.io.env);
      ctx.print(removed ? `logged out (removed ${configPath(ctx.io.env)})` : "not logged in", { loggedOut: removed });
    });
}

/** The saved login's URL, or undefined when there is none or it cannot be read. */
function safeSavedUrl(ctx: CliContext): string | undefined {
  try {
    return readLogin(ctx.io.env)?.url;
  } catch {
    return undefined;
  }
}

/** Runs the device flow against `url`, showing the code (and opening the browser when it can). Returns the token. */
async function deviceFlow(ctx: CliContext, url: string, browser: boolean): Promise<string> {
  const progress = ctx.interactive ? spinner({ output: ctx.io.stderr as NodeJS.WriteStream }) : null;
  let spinning = false;
  try {
    const token = await deviceLogin(new SamApi(url, null), {
      onCode: async (code) => {
        const link = code.verification_uri_complete ?? code.verification_uri;
        if (ctx.json) ctx.io.stderr.write(`${JSON.stringify({ userCode: code.user_code, verificationUri: code.verification_uri, verificationUriComplete: link, expiresIn: code.expires_in })}\n`);
        else ctx.io.stderr.write(`To log in, open ${link}\nand check that it shows the code ${code.user_code} (it expires in ${Math.round(code.expires_in / 60)} minutes).\n`);
        if (browser && ctx.interactive) await openBrowser(link);
        progress?.start("waiting for approval");
        spinning = progress !== null;
      },
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      onPending: (interval) => progress?.message(`waiting for approval (checking every ${interval} s)`),
    });
    if (spinning) progress?.stop("approved");
    return token;
  } catch (error) {
    if (spinning) progress?.error(error instanceof Error ? error.message : String(error));
    throw error;
  }
}

/** Opens `link` in the default browser; a machine without one is not an error (the link is printed). */
async function openBrowser(link: string): Promise<void> {
  try {
    const { default: open } = await import("open");
    const child = await open(link);
    child.on("error", () => undefined);
  } catch {
    // No browser here: the person opens the printed link.
  }
}
