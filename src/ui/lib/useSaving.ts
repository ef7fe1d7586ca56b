/**
 * The state every form that saves something shares: whether a save is in flight and the error
 * it ended with. `run(save)` ignores a second submit while one is in flight, clears the error,
 * awaits `save`, and on failure shows the server's words (`errorMessage`); it resolves to whether
 * the save succeeded, so the form can then clear fields or say "Saved.".
 */
import { useState } from "react";
import { errorMessage } from "./api.ts";

/** What a saving form renders from, and how it saves. */
export interface Saving {
  busy: boolean;
  error: string | null;
  /** Shows a problem found before sending (a field left empty), or clears it (null). */
  setError: (error: string | null) => void;
  /** Runs `save` unless one is in flight; resolves true when it succeeded, false when it failed or was ignored. */
  run: (save: () => Promise<void>) => Promise<boolean>;
}

/** React hook: see the module's comment. */
export function useSaving(): Saving {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (save: () => Promise<void>): Promise<boolean> => {
    if (busy) return false;
    setBusy(true);
    setError(null);
    try {
      await save();
      return true;
    } catch (err) {
      setError(errorMessage(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}
