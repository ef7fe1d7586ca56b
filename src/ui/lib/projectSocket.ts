/**
 * The live connection to a project's ProjectAgent (`/agents/project-agent/<projectId>`), through
 * `useAgent`. The upgrade is same-origin, so the browser's sign-in cookie authenticates it (no
 * token in the URL). Server frames are checked with `serverFrameSchema`; anything else (the
 * Agents SDK's own `cf_agent_*` frames, unknown frames) is ignored.
 */
import { useAgent } from "agents/react";
import { useMemo, useRef, useState } from "react";
import { clientFrameSchema, parseFrame, serverFrameSchema, type ClientFrame, type ServerFrame } from "../../shared/protocol.ts";

/** Socket state as shown to people (and to tests: `connected` when open). */
export type ConnectionState = "connecting" | "connected" | "offline";

/** Callbacks of a project socket; they may change on every render. */
export type ProjectSocketHandlers = {
  /** A frame of ours from the server. */
  onFrame?: (frame: ServerFrame) => void;
  /** The socket (re)opened: a chance to refetch what may have been missed while closed. */
  onOpen?: (reconnect: boolean) => void;
  /**
   * The socket closed (it reconnects by itself unless disabled) or failed to connect: `code` is
   * the close code (ACCESS_CHANGED_CLOSE_CODE when the server closed it because access changed;
   * 1006 for a refused or broken connection), `wasOpen` whether it had opened.
   */
  onClose?: (code: number, wasOpen: boolean) => void;
};

/** The close code the server uses when one's access changed (removed, new role, token revoked, signed out, suspended); see src/actors/project/socket.ts. */
export const ACCESS_CHANGED_CLOSE_CODE = 4003;

/** What `useProjectSocket` gives back. */
export type ProjectSocket = {
  state: ConnectionState;
  /** Sends a client frame; returns an error text instead when it is invalid or the socket is closed. */
  send: (frame: ClientFrame) => string | null;
  /** Opens the socket again after a close it does not recover from by itself (the server's 4003). */
  reconnect: () => void;
};

/** Parses a raw WebSocket message into one of our server frames, or null. */
export function parseServerFrame(data: unknown): ServerFrame | null {
  return parseFrame(serverFrameSchema, data);
}

/** React hook: connects to the project's actor while mounted and `enabled` (default true). */
export function useProjectSocket(projectId: string, handlers: ProjectSocketHandlers, enabled = true): ProjectSocket {
  const [state, setState] = useState<ConnectionState>("connecting");
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;
  const openedBefore = useRef(false);
  const isOpen = useRef(false);

  const agent = useAgent({
    agent: "project-agent",
    name: projectId,
    enabled,
    onOpen: () => {
      setState("connected");
      isOpen.current = true;
      const reconnect = openedBefore.current;
      openedBefore.current = true;
      handlersRef.current.onOpen?.(reconnect);
    },
    onClose: (event: CloseEvent) => {
      setState("offline");
      const wasOpen = isOpen.current;
      isOpen.current = false;
      handlersRef.current.onClose?.(event.code, wasOpen);
    },
    onError: () => setState((s) => (s === "connected" ? s : "offline")),
    onMessage: (event: MessageEvent) => {
      const frame = parseServerFrame(event.data);
      if (frame) handlersRef.current.onFrame?.(frame);
    },
  });

  const agentRef = useRef(agent);
  agentRef.current = agent;

  const send = useMemo(
    () =>
      (frame: ClientFrame): string | null => {
        const checked = clientFrameSchema.safeParse(frame);
        if (!checked.success) return checked.error.issues[0]?.message ?? "Invalid message";
        const socket = agentRef.current;
        if (socket.readyState !== WebSocket.OPEN) return "Not connected";
        socket.send(JSON.stringify(checked.data));
        return null;
      },
    [],
  );

  const reconnect = useMemo(() => () => agentRef.current.reconnect(), []);

  return { state, send, reconnect };
}
