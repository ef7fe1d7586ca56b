/**
 * Embed tokens (`sam_emb_...`): what another web app's visitor may do on one project's
 * WebSocket. A leaf module shared by the API (minting), the Worker (upgrades) and the project
 * actor (which frames a connection may send and receive).
 */
import { z } from "zod";

/** Prefix of an embed token. */
export const EMBED_TOKEN_PREFIX = "sam_emb_";

/**
 * What an embed token allows: read the chat (`chat.message`, streamed replies, presence), write
 * to it (`chat.send`), read tasks and missions (`task.updated`, `mission.updated`, `task.watch`
 * and its `task.event`s), act on tasks (`task.answer`, `task.message`).
 */
export const embedCapabilitySchema = z.enum(["chat:read", "chat:write", "tasks:read", "tasks:write"]);
export type EmbedCapability = z.infer<typeof embedCapabilitySchema>;

/** Longest life of an embed token, in minutes (a day: they are minted per visitor, short-lived by design). */
export const MAX_EMBED_MINUTES = 24 * 60;

/** An origin as browsers send it: scheme, host and port, nothing else (`https://app.example`). */
export const originSchema = z
  .string()
  .max(200)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "https:" || url.protocol === "http:") && url.origin === value;
    } catch {
      return false;
    }
  }, "an origin is scheme://host[:port] with no path, e.g. https://app.example");

/**
 * Header by which the Worker tells the project actor that a socket is an embed token's, with
 * what the token allows (JSON of {@link EmbedGrant}); set only by the Worker after it checked the
 * token (client-sent copies are dropped).
 */
export const EMBED_HEADER = "x-sam-embed";

/** What a project socket opened with an embed token may do, as the Worker hands it to the actor. */
export const embedGrantSchema = z.object({
  /** The embed token's id (`emb_...`); revoking it closes the socket. */
  id: z.string(),
  /** The token's name: the visitor's name in the chat. */
  name: z.string(),
  capabilities: z.array(embedCapabilitySchema),
  /** The one chat session it may use, or null for all. */
  sessionId: z.string().nullable(),
  /** When the token expires (ISO 8601): the socket is closed then. */
  expiresAt: z.string(),
  /** Who minted it: the tech lead's turns a visitor starts are paid by them. */
  payerId: z.string(),
});
export type EmbedGrant = z.infer<typeof embedGrantSchema>;
