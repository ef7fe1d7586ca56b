/**
 * Stand-ins shared by the plain-Node unit tests: a task row with every column, and a WebSocket
 * connection that records what it is sent (the Agents SDK's `Connection` as the project socket
 * uses it).
 */
import type { TaskRow } from "../../src/actors/task/row-store.ts";

/** A running task's row at step 0 with nothing spent; `overrides` replace any column. */
export function taskRow(overrides: Partial<TaskRow> = {}): TaskRow {
  return {
    id: "task_1", project_id: "p", user_id: "u", prompt: "do it", model: "scripted", max_steps: 10, status: "running", steps: 0,
    summary: null, error: null, failure_code: null, input_tokens: 0, output_tokens: 0, cost_usd: 0, budget_usd: null,
    mission_budget_usd: null, changed_files_json: "[]", mission_id: null, parent_task_id: null, depth: 0, session_id: null,
    policies_json: "[]", limits_json: "{}", wait_kind: null, question: null, last_activity_at: 0, checked_in_at: null, repo_json: null,
    created_at: "2025-01-01T00:00:00.000Z", updated_at: "2025-01-01T00:00:00.000Z", ...overrides,
  };
}

/** A connection that keeps its state, records the frames it is sent (parsed) and how it was closed. */
export class FakeConnection {
  readonly id: string;
  state: unknown = null;
  sent: { type: string; code?: string; message?: string; [key: string]: unknown }[] = [];
  closed: { code: number; reason: string } | null = null;
  constructor(id: string) {
    this.id = id;
  }
  setState(state: unknown) {
    this.state = state;
    return state;
  }
  send(message: string) {
    this.sent.push(JSON.parse(message));
  }
  close(code: number, reason: string) {
    this.closed = { code, reason };
  }
}
