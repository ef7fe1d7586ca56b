/**
 * The live connection to a project's ProjectAgent (`/agents/project-agent/<projectId>?token=`),
 * through `useAgent`. Server frames are checked with `serverFrameSchema`; anything else (the
 * Agents SDK's own `cf_agent_*` frames, unknown frames) is ignored.
 */
import { useAgent } from "agents/react";
import { useMemo, useRef, useState } from "react";
import { clientFrameSchema, serverFrameSchema, type ClientFrame, type ServerFrame } from "../../shared/protocol.ts";
import { useToken } from "./auth.ts";

/** Socket state as shown to people (and to tests: `connected` when open). */
export type ConnectionState = "connecting" | "connected" | "offline";

/** Callbacks of a project socket; they may change on every render. */
export type ProjectSocketHandlers = {
  /** A frame of ours from the server. */
  onFrame?: (frame: ServerFrame) => void;
  /** The socket (re)opened: a chance to refetch what may have been missed while closed. */
  onOpen?: (reconnect: boolean) => void;
};

/** What `useProjectSocket` gives back. */
export type ProjectSocket = {
  state: ConnectionState;
  /** Sends a client frame; returns an error text instead when it is invalid or the socket is closed. */
  send: (frame: ClientFrame) => string | null;
};

/** Parses a raw WebSocket message into one of our server frames, or null. */
export function parseServerFrame(data: unknown): ServerFrame | null {
  if (typeof data !== "string") return null;
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return null;
  }
  const parsed = serverFrameSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/** React hook: connects to the project's actor while mounted. */
export function useProjectSocket(projectId: string, handlers: ProjectSocketHandlers): ProjectSocket {
  const token = useToken() ?? "";
  const [state, setState] = useState<ConnectionState>("connecting");
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;
  const openedBefore = useRef(false);
  const query = useMemo(() => ({ token }), [token]);

  const agent = useAgent({
    agent: "project-agent",
    name: projectId,
    query,
    onOpen: () => {
      setState("connected");
      const reconnect = openedBefore.current;
      openedBefore.current = true;
      handlersRef.current.onOpen?.(reconnect);
    },
    onClose: () => setState("offline"),
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

  return { state, send };
}
