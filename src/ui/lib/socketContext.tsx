/**
 * One project socket per page, shared through React context: the provider opens it, and any
 * component below subscribes to frames with `useProjectFrames`, reads the connection with
 * `useProjectConnection`, or follows a task's transcript live with `useWatchTask`.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, type ReactNode } from "react";
import { MAX_WATCHED_TASKS, type ClientFrame } from "../../shared/protocol.ts";
import { useProjectSocket, type ConnectionState, type ProjectSocketHandlers } from "./projectSocket.ts";

type SocketContextValue = {
  state: ConnectionState;
  send: (frame: ClientFrame) => string | null;
  subscribe: (handlers: ProjectSocketHandlers) => () => void;
  /** Starts receiving a task's `task.event` frames; returns the function that stops it. */
  watch: (taskId: string) => () => void;
};

const SocketContext = createContext<SocketContextValue | null>(null);

/** Opens the socket of `projectId` for the components inside it. */
export function ProjectSocketProvider({ projectId, children }: { projectId: string; children: ReactNode }) {
  const listeners = useRef(new Set<ProjectSocketHandlers>());
  // Task id → how many mounted components watch it; the server holds the set per connection.
  const watchers = useRef(new Map<string, number>());
  const sendRef = useRef<(frame: ClientFrame) => string | null>(() => null);
  const sendWatch = useCallback(() => {
    sendRef.current({ type: "task.watch", taskIds: [...watchers.current.keys()].slice(-MAX_WATCHED_TASKS) });
  }, []);
  const socket = useProjectSocket(projectId, {
    onFrame: (frame) => {
      for (const listener of [...listeners.current]) listener.onFrame?.(frame);
    },
    onOpen: (reconnect) => {
      // A new connection watches nothing yet.
      if (watchers.current.size > 0) sendWatch();
      for (const listener of [...listeners.current]) listener.onOpen?.(reconnect);
    },
  });
  sendRef.current = socket.send;
  const watch = useCallback(
    (taskId: string) => {
      watchers.current.set(taskId, (watchers.current.get(taskId) ?? 0) + 1);
      sendWatch();
      return () => {
        const count = (watchers.current.get(taskId) ?? 1) - 1;
        if (count > 0) watchers.current.set(taskId, count);
        else watchers.current.delete(taskId);
        sendWatch();
      };
    },
    [sendWatch],
  );
  const subscribe = useCallback((handlers: ProjectSocketHandlers) => {
    listeners.current.add(handlers);
    return () => {
      listeners.current.delete(handlers);
    };
  }, []);
  const value = useMemo(
    () => ({ state: socket.state, send: socket.send, subscribe, watch }),
    [socket.state, socket.send, subscribe, watch],
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

/**
 * Receives `taskId`'s `task.event` frames (through `useProjectFrames`) while mounted. Events from
 * before the watch reached the server are in the transcript: fetch it after subscribing.
 */
export function useWatchTask(taskId: string): void {
  const { watch } = useSocketContext();
  useEffect(() => watch(taskId), [watch, taskId]);
}
