/**
 * MCP servers registered on a project (issue 17): what a client sends to register one
 * (`POST /api/projects/:projectId/mcp-servers`) and what it sees of one (never a header's value:
 * header values are secrets, stored encrypted by the project actor). Their tools reach the
 * project's tasks and tech lead as `mcp__<name>__<tool>`.
 */
import { z } from "zod";

/** A server's name: a short identifier, unique in its project (the `<name>` of its tools' names). */
export const mcpServerNameSchema = z
  .string()
  .regex(/^[a-z0-9_-]{1,32}$/, "a name is 1-32 characters of a-z, 0-9, _ and -");

/** An HTTP header name (RFC 9110 token), as a server's headers may carry. */
const headerNameSchema = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "a header name is an HTTP token (letters, digits, !#$%&'*+.^_`|~-)");
/** A header value: printable, one line, at most 4096 characters. */
const headerValueSchema = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^[^\r\n\0]*$/, "a header value is one line");

/** The headers SAM sends a server on every request (`Authorization`, an API key...), at most 20. */
export const mcpServerHeadersSchema = z
  .record(headerNameSchema, headerValueSchema)
  .refine((headers) => Object.keys(headers).length <= 20, "at most 20 headers")
  .refine((headers) => new Set(Object.keys(headers).map((n) => n.toLowerCase())).size === Object.keys(headers).length, "header names repeat (they are case-insensitive)");

/** An MCP server's Streamable HTTP endpoint: an absolute http(s) URL without credentials. */
export const mcpServerUrlSchema = z
  .string()
  .max(2000)
  .refine((raw) => {
    try {
      const url = new URL(raw);
      return (url.protocol === "https:" || url.protocol === "http:") && !url.username && !url.password;
    } catch {
      return false;
    }
  }, "an http(s) URL without user or password (put credentials in headers)");

/** The body of `POST /api/projects/:projectId/mcp-servers`. */
export const mcpServerCreateSchema = z.object({
  name: mcpServerNameSchema,
  url: mcpServerUrlSchema,
  headers: mcpServerHeadersSchema.optional(),
});
export type McpServerCreate = z.infer<typeof mcpServerCreateSchema>;

/** A registered server as clients see it: header names only. Times are ISO 8601. */
export const mcpServerViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  headerNames: z.array(z.string()),
  createdBy: z.string(),
  createdAt: z.string(),
});
export type McpServerView = z.infer<typeof mcpServerViewSchema>;

/** A server as a task or the tech lead connects to it: its headers decrypted (in memory, for the calls of one task or turn). */
export interface McpServerConnection {
  name: string;
  url: string;
  headers: Record<string, string>;
}

/**
 * Why SAM may not call `raw` from a deployment (a request forgery guard), or null when it may.
 * In local mode (`local`: development and tests) every http(s) URL is allowed, loopback
 * included; deployed, hosts that name this machine or a private network are refused:
 * `localhost`, loopback, private (RFC 1918), link-local (cloud metadata), unspecified and IPv6
 * unique-local addresses — the ranges the Agents SDK's MCP client refuses too. Pure.
 */
export function mcpUrlRefusal(raw: string, local: boolean): string | null {
  if (local) return null;
  const host = new URL(raw).hostname.toLowerCase().replace(/^\[|\]$/g, "");
  const privateHost =
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host === "::" ||
    host === "::1" ||
    /^(fc|fd|fe8|fe9|fea|feb)[0-9a-f]*:/.test(host) ||
    /^(0|10|127)\.\d+\.\d+\.\d+$/.test(host) ||
    /^169\.254\.\d+\.\d+$/.test(host) ||
    /^192\.168\.\d+\.\d+$/.test(host) ||
    /^172\.(1[6-9]|2\d|3[01])\.\d+\.\d+$/.test(host);
  return privateHost ? `${host} is a local or private address, which a deployed SAM does not call` : null;
}
