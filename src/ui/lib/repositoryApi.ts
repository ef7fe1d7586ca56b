/**
 * The repository part of the HTTP API client (issue 16): a project's repository credential
 * (`/api/projects/:id/repository-credential`; the repository itself is set with `updateProject`).
 * Same-origin requests through `api.ts`; answers checked with zod against src/shared/repository.ts.
 */
import { z } from "zod";
import { repositoryViewSchema, type RepositoryView } from "../../shared/repository.ts";
import { requestJson } from "./api.ts";

const seg = encodeURIComponent;

/** `PUT /api/projects/:id/repository-credential {token}` (owners): stores the repository's GitHub token; returns the repository as shown (the token never comes back). */
export async function putRepositoryToken(projectId: string, token: string): Promise<RepositoryView> {
  return (await requestJson(`/api/projects/${seg(projectId)}/repository-credential`, z.object({ repository: repositoryViewSchema }), { method: "PUT", body: { token } })).repository;
}

/** `DELETE /api/projects/:id/repository-credential` (owners): removes the repository's credential. */
export async function deleteRepositoryCredential(projectId: string): Promise<void> {
  await requestJson(`/api/projects/${seg(projectId)}/repository-credential`, z.object({ deleted: z.boolean() }), { method: "DELETE" });
}
