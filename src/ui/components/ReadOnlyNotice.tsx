/** Says, where a form would be, that a viewer can only read this project. */

/** The read-only line; `what` is what a member could do here (e.g. "write in the chat"). */
export function ReadOnlyNotice({ what }: { what: string }) {
  return (
    <p className="muted small read-only-notice" data-testid="read-only-notice">
      You are a viewer of this project: you can read it, but only its members can {what}.
    </p>
  );
}
