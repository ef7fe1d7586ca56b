/**
 * Typed, prefixed ULIDs (docs/architecture.md §5): an id names its kind, and a zod schema per kind
 * refuses an id of another kind at every boundary.
 */
import { ulid } from "ulid";
import { z } from "zod";

/** Id prefixes by entity kind. */
export const ID_PREFIXES = {
  user: "usr",
  project: "prj",
  session: "ses",
  message: "msg",
  mission: "msn",
  task: "tsk",
  token: "tok",
  /** A browser's sign-in session (its cookie). */
  signIn: "sgn",
  /** An embed token (another app's visitor on one project's socket). */
  embedToken: "emb",
  credential: "crd",
  /** One accounted model call (its reservation and ledger row). */
  usage: "call",
  /** A trigger (a cron schedule or a signed webhook that starts work in a project). */
  trigger: "trg",
  /** One firing of a trigger (its run record). */
  triggerRun: "trun",
  /** A notification to one user. */
  notification: "ntf",
  /** A browser push subscription of one user. */
  pushSubscription: "psub",
  /** An MCP server registered on a project (its tools are given to the project's agents). */
  mcpServer: "mcs",
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

/** Returns a new id of the given kind, e.g. `prj_01J...` (prefix, underscore, 26-char ULID). */
export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${ulid()}`;
}

/** A zod schema accepting only ids of `kind` (prefix plus a Crockford base32 ULID). */
export function idSchema(kind: IdKind) {
  return z
    .string()
    .regex(new RegExp(`^${ID_PREFIXES[kind]}_[0-9A-HJKMNP-TV-Z]{26}$`), `expected a ${kind} id (${ID_PREFIXES[kind]}_...)`);
}

export const userIdSchema = idSchema("user");
export const projectIdSchema = idSchema("project");
export const sessionIdSchema = idSchema("session");
export const taskIdSchema = idSchema("task");
export const missionIdSchema = idSchema("mission");
export const credentialIdSchema = idSchema("credential");
export const tokenIdSchema = idSchema("token");
export const signInIdSchema = idSchema("signIn");
export const embedTokenIdSchema = idSchema("embedToken");
export const mcpServerIdSchema = idSchema("mcpServer");
