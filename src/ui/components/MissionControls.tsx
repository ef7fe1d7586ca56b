/** Pause, resume and cancel buttons for a mission, offered as its status allows. */
import { useState } from "react";
import { TERMINAL_MISSION_STATUSES, type MissionView } from "../../shared/protocol.ts";
import { controlMission, errorMessage, type MissionAction } from "../lib/api.ts";
import { FormError } from "./FormError.tsx";

/** Buttons for `mission`; `onChanged` gets the mission after an action when the server returns it. */
export function MissionControls({ mission, onChanged }: { mission: MissionView; onChanged: (mission: MissionView) => void }) {
  const [busy, setBusy] = useState<MissionAction | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (TERMINAL_MISSION_STATUSES.includes(mission.status)) return null;

  const act = async (action: MissionAction) => {
    setBusy(action);
    setError(null);
    try {
      const after = await controlMission(mission.id, action);
      if (after) onChanged(after);
    } catch (err) {
      setError(`Could not ${action}: ${errorMessage(err)}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="mission-controls">
      {mission.status === "paused" ? (
        <button type="button" data-testid="mission-resume-button" disabled={busy !== null} onClick={() => act("resume")}>
          {busy === "resume" ? "Resuming…" : "Resume"}
        </button>
      ) : (
        <button type="button" className="secondary" data-testid="mission-pause-button" disabled={busy !== null} onClick={() => act("pause")}>
          {busy === "pause" ? "Pausing…" : "Pause"}
        </button>
      )}
      <button type="button" className="danger" data-testid="mission-cancel-button" disabled={busy !== null} onClick={() => act("cancel")}>
        {busy === "cancel" ? "Cancelling…" : "Cancel mission"}
      </button>
      <FormError message={error} />
    </div>
  );
}
