/** The code entry box of the device page: the code the CLI shows (XXXX-XXXX), checked for its form before it is looked up. */
import { useState, type FormEvent } from "react";
import { normalizeUserCode } from "../lib/peopleRules.ts";
import { FormError } from "./FormError.tsx";

/** Asks for a code; `onCode` gets it in the form `XXXX-XXXX`. */
export function DeviceCodeForm({ onCode }: { onCode: (userCode: string) => void }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const code = normalizeUserCode(value);
    if (!code) {
      setError("A code is 8 letters, like BCDF-GHJK (as your terminal shows it).");
      return;
    }
    setError(null);
    onCode(code);
  };

  return (
    <form className="form-inline device-code-form" onSubmit={submit}>
      <label htmlFor="device-code" className="visually-hidden">
        Code
      </label>
      <input
        id="device-code"
        data-testid="device-code-input"
        className="mono"
        placeholder="XXXX-XXXX"
        autoComplete="off"
        autoCapitalize="characters"
        value={value}
        maxLength={20}
        onChange={(e) => setValue(e.target.value)}
      />
      <button type="submit" data-testid="device-code-submit-button" disabled={!value.trim()}>
        Continue
      </button>
      <FormError message={error} testId="device-code-error" />
    </form>
  );
}
