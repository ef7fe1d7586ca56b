/**
 * MissionAgent: one mission (DESIGN.md §1, §2.3). In this first cut it records a mission's goal
 * and status; planning, the scheduler loop on alarms and child tasks come with the missions issue.
 */
import { Agent } from "agents";
import type { Env } from "../env.ts";

/** Mission status (issue 3's lifecycle). */
export type MissionStatus = "planning" | "running" | "paused" | "succeeded" | "failed" | "cancelled";

/** A mission as stored. Times are ISO 8601. */
export interface MissionRecord {
  id: string;
  projectId: string;
  goal: string;
  status: MissionStatus;
  createdAt: string;
}

/** The mission actor. Keyed by mission id. */
export class MissionAgent extends Agent<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS mission (
      id TEXT PRIMARY KEY, project_id TEXT NOT NULL, goal TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL)`);
  }

  /** Records the mission once (idempotent); returns the stored record. */
  async create(mission: Omit<MissionRecord, "status" | "createdAt">): Promise<MissionRecord> {
    this.ctx.storage.sql.exec(
      `INSERT OR IGNORE INTO mission (id, project_id, goal, status, created_at) VALUES (?, ?, ?, 'planning', ?)`,
      mission.id,
      mission.projectId,
      mission.goal,
      new Date().toISOString(),
    );
    const record = await this.get();
    if (!record) throw new Error("mission was not stored");
    return record;
  }

  /** The mission, or null if this actor holds none. */
  async get(): Promise<MissionRecord | null> {
    const row = this.ctx.storage.sql
      .exec<{ id: string; project_id: string; goal: string; status: MissionStatus; created_at: string }>(`SELECT * FROM mission LIMIT 1`)
      .toArray()[0];
    return row ? { id: row.id, projectId: row.project_id, goal: row.goal, status: row.status, createdAt: row.created_at } : null;
  }
}
