/**
 * Embed tokens in D1 (see src/shared/embed.ts): minted by a project's owners and members for
 * another app's visitor, listed without their secret, revoked at once, and found by their keyed
 * hash when a socket upgrade presents one.
 */
import { z } from "zod";
import { newId } from "../../ids.ts";
import { EMBED_TOKEN_PREFIX, embedCapabilitySchema, type EmbedCapability } from "../../shared/embed.ts";
import { newSecret, secretDigest } from "./secrets.ts";

/** An embed token as `GET /api/projects/:projectId/embed-tokens` lists it. Times ISO 8601. */
export interface EmbedTokenInfo {
  id: string;
  name: string;
  capabilities: EmbedCapability[];
  sessionId: string | null;
  origins: string[];
  createdBy: string;
  createdAt: string;
  expiresAt: string;
}

/** What minting an embed token takes. */
export interface EmbedTokenRequest {
  name: string;
  capabilities: EmbedCapability[];
  sessionId?: string;
  origins: string[];
  expiresInMinutes: number;
}

type Row = {
  id: string;
  project_id: string;
  name: string;
  capabilities_json: string;
  session_id: string | null;
  origins_json: string;
  created_by: string;
  created_at: string;
  expires_at: string;
};

const stringList = z.array(z.string());

function toInfo(row: Row): EmbedTokenInfo {
  return {
    id: row.id,
    name: row.name,
    capabilities: z.array(embedCapabilitySchema).parse(JSON.parse(row.capabilities_json)),
    sessionId: row.session_id,
    origins: stringList.parse(JSON.parse(row.origins_json)),
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

/**
 * Mints an embed token for `projectId`, made by `userId`. Returns its id, the secret (shown only
 * here) and when it expires. @throws TokenKeyUnavailableError without TOKEN_HASH_KEY.
 */
export async function createEmbedToken(env: Env, projectId: string, userId: string, request: EmbedTokenRequest): Promise<{ id: string; token: string; expiresAt: string }> {
  const id = newId("embedToken");
  const token = newSecret(EMBED_TOKEN_PREFIX);
  const now = Date.now();
  const expiresAt = new Date(now + request.expiresInMinutes * 60_000).toISOString();
  await env.DB.batch([
    // Expired tokens are forgotten as new ones are made.
    env.DB.prepare(`DELETE FROM embed_tokens WHERE expires_at < ?`).bind(new Date(now).toISOString()),
    env.DB.prepare(
      `INSERT INTO embed_tokens (id, project_id, token_hash, name, capabilities_json, session_id, origins_json, created_by, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).bind(id, projectId, await secretDigest(env, token), request.name, JSON.stringify([...new Set(request.capabilities)]), request.sessionId ?? null, JSON.stringify(request.origins), userId, new Date(now).toISOString(), expiresAt),
  ]);
  return { id, token, expiresAt };
}

/** The project's embed tokens that have not expired, newest first (no secret). */
export async function listEmbedTokens(env: Env, projectId: string, nowMs = Date.now()): Promise<EmbedTokenInfo[]> {
  const { results } = await env.DB.prepare(`SELECT * FROM embed_tokens WHERE project_id = ? AND expires_at > ? ORDER BY created_at DESC, id DESC`)
    .bind(projectId, new Date(nowMs).toISOString())
    .all<Row>();
  return results.map(toInfo);
}

/** Deletes the embed token `id` of `projectId`. Returns whether it existed. */
export async function deleteEmbedToken(env: Env, projectId: string, id: string): Promise<boolean> {
  const result = await env.DB.prepare(`DELETE FROM embed_tokens WHERE id = ? AND project_id = ?`).bind(id, projectId).run();
  return result.meta.changes > 0;
}

/** An embed token found by its secret, with its project; `expired` when its time has passed. */
export type FoundEmbedToken = EmbedTokenInfo & { projectId: string; expired: boolean };

/** The embed token whose secret is `token`, or null. */
export async function findEmbedToken(env: Env, token: string, nowMs = Date.now()): Promise<FoundEmbedToken | null> {
  const row = await env.DB.prepare(`SELECT * FROM embed_tokens WHERE token_hash = ?`).bind(await secretDigest(env, token)).first<Row>();
  if (!row) return null;
  return { ...toInfo(row), projectId: row.project_id, expired: Date.parse(row.expires_at) <= nowMs };
}
