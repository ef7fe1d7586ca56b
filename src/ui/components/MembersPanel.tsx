/** The members of the surrounding project: everyone sees who they are; owners add people, change roles and remove members. */
import { useProjectAccess } from "../lib/projectAccess.tsx";
import type { ProjectMember } from "../lib/peopleApi.ts";
import { AddMemberForm } from "./AddMemberForm.tsx";
import { FormError } from "./FormError.tsx";
import { MemberRow } from "./MemberRow.tsx";

/** The members card (data from the surrounding `<ProjectAccessProvider>`). */
export function MembersPanel() {
  const access = useProjectAccess();
  const { members, me, isOwner, projectId } = access;

  const upsert = (member: ProjectMember) => {
    access.setMembers((list) => {
      const rest = (list ?? []).filter((m) => m.userId !== member.userId);
      return [...rest, member];
    });
    // The server's order (owners first) and one's own role may have changed.
    void access.recheck(true);
  };
  const removed = (userId: string) => {
    access.setMembers((list) => (list ?? []).filter((m) => m.userId !== userId));
    if (userId === me.id) void access.recheck(true);
  };

  return (
    <section className="card members-panel" data-testid="members-panel">
      <h2>Members</h2>
      <FormError message={access.membersError} prefix="Could not load the members" />
      {!members && !access.membersError && <p className="muted">Loading…</p>}
      {members && (
        <ul className="list member-list">
          {members.map((m) => (
            <MemberRow key={m.userId} projectId={projectId} member={m} isMe={m.userId === me.id} manage={isOwner} onChanged={upsert} onRemoved={removed} />
          ))}
        </ul>
      )}
      {isOwner ? (
        <AddMemberForm projectId={projectId} admin={me.role === "admin"} memberIds={new Set((members ?? []).map((m) => m.userId))} onAdded={upsert} />
      ) : (
        <p className="muted small">Only the project's owners add or remove members.</p>
      )}
    </section>
  );
}
