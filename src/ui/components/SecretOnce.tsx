/** A secret shown this one time (a new personal access token): the value, a copy button, and the warning that it will not be shown again. */
import { CopyButton } from "./CopyButton.tsx";

type Props = {
  /** What the secret is, e.g. "Your new token "ci"". */
  title: string;
  secret: string;
  /** Extra words under the warning (how to use it). */
  hint?: string;
  onDismiss: () => void;
};

/** Shows `secret` read-only with a copy button; `onDismiss` hides it for good. */
export function SecretOnce({ title, secret, hint, onDismiss }: Props) {
  return (
    <div className="secret-once notice" role="status" data-testid="secret-once">
      <strong>{title}</strong>
      <p className="form-error">Copy it now: it will not be shown again.</p>
      <div className="row">
        <input
          className="mono secret-value"
          readOnly
          value={secret}
          aria-label="The secret"
          data-testid="secret-value"
          onFocus={(e) => e.currentTarget.select()}
        />
        <CopyButton text={secret} testId="secret-copy-button" />
      </div>
      {hint && <p className="muted small">{hint}</p>}
      <button type="button" className="link-button" data-testid="secret-dismiss-button" onClick={onDismiss}>
        I have copied it
      </button>
    </div>
  );
}
