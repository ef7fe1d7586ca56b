/**
 * One project socket per page, shared through React context: the provider opens it, and any
 * component below subscribes to frames with `useProjectFrames` or reads the connection with
 * `useProjectConnection`.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, type ReactNode } from "react";
import type { ClientFrame } from "../../actors/protocol.ts";
import { useProjectSocket, type ConnectionState, type ProjectSocketHandlers } from "./projectSocket.ts";

type SocketContextValue = {
  state: ConnectionState;
  send: (frame: ClientFrame) => string | null;
  subscribe: (handlers: ProjectSocketHandlers) => () => void;
};

const SocketContext = createContext<SocketContextValue | null>(null);

/** Opens the socket of `projectId` for the components inside it. */
export function ProjectSocketProvider({ projectId, children }: { projectId: string; children: ReactNode }) {
  const listeners = useRef(new Set<ProjectSocketHandlers>());
  const socket = useProjectSocket(projectId, {
    onFrame: (frame) => {
      for (const listener of [...listeners.current]) listener.onFrame?.(frame);
    },
    onOpen: (reconnect) => {
      for (const listener of [...listeners.current]) listener.onOpen?.(reconnect);
    },
  });
  const subscribe = useCallback((handlers: ProjectSocketHandlers) => {
    listeners.current.add(handlers);
    return () => {
      listeners.current.delete(handlers);
    };
  }, []);
  const value = useMemo(
    () => ({ state: socket.state, send: socket.send, subscribe }),
    [socket.state, socket.send, subscribe],
  );
  return <SocketContext.Provider value={value}>{children}</SocketContext.Provider>;
}

function useSocketContext(): SocketContextValue {
  const value = useContext(SocketContext);
  if (!value) throw new Error("useProjectFrames/useProjectConnection need a <ProjectSocketProvider>");
  return value;
}

/** Subscribes to the project's frames (and socket opens) while mounted; handlers may change freely. */
export function useProjectFrames(handlers: ProjectSocketHandlers): void {
  const { subscribe } = useSocketContext();
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(
    () =>
      subscribe({
        onFrame: (frame) => ref.current.onFrame?.(frame),
        onOpen: (reconnect) => ref.current.onOpen?.(reconnect),
      }),
    [subscribe],
  );
}

/** The connection state and the frame sender of the project socket. */
export function useProjectConnection(): Pick<SocketContextValue, "state" | "send"> {
  const { state, send } = useSocketContext();
  return { state, send };
}
