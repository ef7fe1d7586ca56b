/**
 * The shapes of a project's knowledge and policies, as the project actor stores them, the tech
 * lead's tools return them and the API answers them (`GET /api/projects/:projectId/policies`).
 * A leaf module (types only).
 */

/** A piece of project knowledge the tech lead keeps (`add_knowledge`), found again by full-text search. */
export interface KnowledgeEntry {
  /** The entry's row id in the project (1, 2, 3... in order of adding). */
  id: number;
  title: string;
  text: string;
  /** When it was added (ISO 8601). */
  createdAt: string;
}

/** A project policy: a rule every task's instructions include from the time it is added. */
export interface Policy {
  /** The policy's row id in the project (1, 2, 3... in order of adding). */
  id: number;
  text: string;
  /** The name of the person who added it (directly or through the tech lead). */
  createdBy: string;
  /** When it was added (ISO 8601). */
  createdAt: string;
}
