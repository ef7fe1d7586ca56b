/** Who you are in SAM: name, picture, SAM-wide role, and your user id with a copy button (share it to be added to a project). */
import type { User } from "../lib/api.ts";
import { Avatar } from "./Avatar.tsx";
import { CopyButton } from "./CopyButton.tsx";

/** The card of the signed-in `user`. */
export function AccountCard({ user }: { user: User }) {
  return (
    <section className="card account-card" data-testid="account-card">
      <h2>Your account</h2>
      <div className="row">
        <Avatar name={user.name} url={user.avatarUrl} />
        <strong>{user.name}</strong>
        <span className="chip">{user.role}</span>
      </div>
      <p className="muted small">Your user id: a project's owner adds you to the project with it.</p>
      <div className="row">
        <code className="mono" data-testid="my-user-id">
          {user.id}
        </code>
        <CopyButton text={user.id} label="Copy id" testId="copy-user-id-button" />
      </div>
    </section>
  );
}
