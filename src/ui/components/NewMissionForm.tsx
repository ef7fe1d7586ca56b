/**
 * The "New mission" form: a goal and the plan as JSON (an array of `{key, prompt, dependsOn?,
 * model?, script?}`). Each task is checked here with the server's own schema; the server checks
 * the rest (cycles, unknown dependencies) and its refusal is shown as it comes.
 */
import { useState, type FormEvent } from "react";
import { z } from "zod";
import { missionTaskRequestSchema, type MissionTaskRequest } from "../../shared/mission-plan.ts";
import { createMission, errorMessage } from "../lib/api.ts";
import { firstIssue } from "../lib/issues.ts";
import { FormError } from "./FormError.tsx";

/** The plan as the server checks each of its tasks (cycles and unknown dependencies are checked there). */
const planSchema = z.array(missionTaskRequestSchema).min(1, "The plan needs at least one task.");

const PLAN_EXAMPLE = `[
  {"key": "a", "prompt": "…", "script": [{"toolCalls": [{"toolName": "bash", "input": {"command": "echo a"}}]}, {"text": "done"}]},
  {"key": "b", "prompt": "…", "dependsOn": ["a"], "script": [{"text": "done"}]}
]`;

/** Parses the plan text, or says what is wrong with it. */
function parsePlan(text: string): { ok: true; tasks: MissionTaskRequest[] } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `The plan is not valid JSON: ${errorMessage(error)}` };
  }
  const parsed = planSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: firstIssue("Plan", parsed.error, (index) => String(index)) };
  return { ok: true, tasks: parsed.data };
}

/** Creates a mission in `projectId`; `onCreated` gets the new mission's id. */
export function NewMissionForm({ projectId, onCreated }: { projectId: string; onCreated: (missionId: string) => void }) {
  const [goal, setGoal] = useState("");
  const [plan, setPlan] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setError(null);
    if (!goal.trim()) {
      setError("Write the mission's goal.");
      return;
    }
    const checked = parsePlan(plan);
    if (!checked.ok) {
      setError(checked.error);
      return;
    }
    setBusy(true);
    try {
      const created = await createMission(projectId, { goal: goal.trim(), tasks: checked.tasks });
      setGoal("");
      setPlan("");
      onCreated(created.id);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="new-mission" onSubmit={submit}>
      <label htmlFor="mission-goal">Goal</label>
      <input
        id="mission-goal"
        data-testid="mission-goal-input"
        placeholder="What should the mission achieve?"
        value={goal}
        onChange={(e) => setGoal(e.target.value)}
      />
      <label htmlFor="mission-plan">
        Plan <span className="muted small">(JSON array of tasks)</span>
      </label>
      <textarea
        id="mission-plan"
        data-testid="mission-plan-input"
        className="mono"
        rows={6}
        spellCheck={false}
        placeholder={PLAN_EXAMPLE}
        value={plan}
        onChange={(e) => setPlan(e.target.value)}
      />
      <FormError message={error} testId="mission-form-error" />
      <button type="submit" data-testid="mission-start-button" disabled={busy}>
        {busy ? "Starting…" : "Start mission"}
      </button>
    </form>
  );
}
