/** One member of a project: picture, name, role; an owner may change the role or remove them (a project keeps at least one owner). */
import { useState } from "react";
import { errorMessage } from "../lib/api.ts";
import { PROJECT_ROLES, removeMember, setMember, type ProjectMember, type ProjectRole } from "../lib/peopleApi.ts";
import { Avatar } from "./Avatar.tsx";
import { FormError } from "./FormError.tsx";

type Props = {
  projectId: string;
  member: ProjectMember;
  isMe: boolean;
  /** Whether the viewer of the list may manage members (is an owner). */
  manage: boolean;
  onChanged: (member: ProjectMember) => void;
  onRemoved: (userId: string) => void;
};

/** A row of the members list. */
export function MemberRow({ projectId, member, isMe, manage, onChanged, onRemoved }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  const changeRole = (role: ProjectRole) => run(async () => onChanged(await setMember(projectId, member.userId, role)));
  const remove = () => {
    const who = isMe ? "yourself" : member.name;
    if (!window.confirm(`Remove ${who} from this project?`)) return;
    void run(async () => {
      await removeMember(projectId, member.userId);
      onRemoved(member.userId);
    });
  };

  return (
    <li className="list-row member-row" data-testid="member-row" data-user-id={member.userId} data-role={member.role}>
      <Avatar name={member.name} url={member.avatarUrl} size="small" />
      <span className="list-title">
        {member.name}
        {isMe && <span className="muted small"> (you)</span>}
      </span>
      {manage ? (
        <select
          aria-label={`Role of ${member.name}`}
          data-testid="member-role-select"
          value={member.role}
          disabled={busy}
          onChange={(e) => void changeRole(e.target.value as ProjectRole)}
        >
          {PROJECT_ROLES.map((role) => (
            <option key={role} value={role}>
              {role}
            </option>
          ))}
        </select>
      ) : (
        <span className="chip" data-testid="member-role">
          {member.role}
        </span>
      )}
      {manage && (
        <button type="button" className="danger" data-testid="member-remove-button" disabled={busy} onClick={remove}>
          Remove
        </button>
      )}
      <FormError message={error} testId="member-error" />
    </li>
  );
}
