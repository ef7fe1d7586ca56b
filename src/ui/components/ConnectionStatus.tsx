/** The project socket's state; its text is exactly `connected` while the socket is open. */
import { useProjectConnection } from "../lib/socketContext.tsx";

/** Shows the live-connection state of the surrounding project socket. */
export function ConnectionStatus() {
  const { state } = useProjectConnection();
  return (
    <span className={`conn conn-${state}`} data-testid="connection-status" title="live updates">
      {state}
    </span>
  );
}
