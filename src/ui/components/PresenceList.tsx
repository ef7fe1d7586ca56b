/** Who is online in the project (the server's `presence` frames): small avatars with names; nothing until the server has said. */
import { useOptionalProjectAccess } from "../lib/projectAccess.tsx";
import { usePresence } from "../lib/socketContext.tsx";
import { Avatar } from "./Avatar.tsx";

/** The online list of the surrounding project socket; pictures come from the project's members. */
export function PresenceList() {
  const presence = usePresence();
  const access = useOptionalProjectAccess();
  if (!presence || presence.length === 0) return null;
  const pictures = new Map((access?.members ?? []).map((m) => [m.userId, m.avatarUrl]));
  return (
    <ul className="presence" aria-label="Online now" data-testid="presence-list">
      {presence.map((user) => (
        <li key={user.id} className="presence-user" data-testid="presence-user" data-user-id={user.id} title={`${user.name} is online`}>
          <Avatar name={user.name} url={pictures.get(user.id)} size="small" />
          <span className="presence-name">{user.name}</span>
        </li>
      ))}
    </ul>
  );
}
