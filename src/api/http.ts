/**
 * HTTP helpers shared by every route: the error body `{"error":{"code","message"}}` and zod
 * parsing of bodies and queries that answers bad input with a 400 instead of throwing.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { EncryptionUnavailableError, encryptionKey } from "../models/credentials.ts";

/** Stable error codes of the API. */
export type ApiErrorCode =
  | "unauthorized"
  | "forbidden"
  | "rate_limited"
  | "account_pending"
  | "account_suspended"
  | "auth_unavailable"
  | "not_found"
  | "invalid_input"
  | "invalid_json"
  | "conflict"
  | "model_unavailable"
  | "workspace_unavailable"
  | "budget_exceeded"
  | "credential_missing"
  | "credential_invalid"
  | "payer_mode_conflict"
  | "encryption_unavailable"
  | "upstream_unavailable"
  | "internal";

/** The JSON error response every route returns on failure. */
export function apiError(c: Context, status: ContentfulStatusCode, code: ApiErrorCode, message: string): Response {
  return c.json({ error: { code, message } }, status);
}

/** Result of parsing: the value, or the 400 response to return. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; response: Response };

/** Parses the JSON body with `schema`; a non-JSON body or a schema failure yields a 400 response. */
export async function parseJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<Parsed<z.output<S>>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return { ok: false, response: apiError(c, 400, "invalid_json", "the request body is not valid JSON") };
  }
  return parseValue(c, schema, body);
}

/** Parses an already-read value (a query object, a path parameter) with `schema`. */
export function parseValue<S extends z.ZodType>(c: Context, schema: S, value: unknown): Parsed<z.output<S>> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, response: apiError(c, 400, "invalid_input", z.prettifyError(result.error)) };
}

/**
 * Checks that `key` (the `ENCRYPTION_KEY` variable) is set and usable before a route stores a secret. Returns the 503
 * `encryption_unavailable` answer when it is not, else null. @throws what `encryptionKey` throws besides EncryptionUnavailableError.
 */
export async function encryptionRefusal(c: Context, key: string | undefined): Promise<Response | null> {
  try {
    await encryptionKey(key);
    return null;
  } catch (error) {
    if (error instanceof EncryptionUnavailableError) return apiError(c, 503, "encryption_unavailable", error.message);
    throw error;
  }
}
