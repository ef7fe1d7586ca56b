/**
 * One project socket per page, shared through React context: the provider opens it, and any
 * component below subscribes to frames with `useProjectFrames`, reads the connection with
 * `useProjectConnection`, follows a task's transcript live with `useWatchTask`, or reads who is
 * online with `usePresence`. Inside a `<ProjectAccessProvider>`, a close because access changed
 * (4003) or a failed reconnect asks it to re-check one's access, and a lost access stops the socket.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { MAX_WATCHED_TASKS, type ClientFrame, type ServerFrame } from "../../shared/protocol.ts";
import { useOptionalProjectAccess } from "./projectAccess.tsx";
import { ACCESS_CHANGED_CLOSE_CODE, useProjectSocket, type ConnectionState, type ProjectSocketHandlers } from "./projectSocket.ts";

/** Someone online in the project (the server's `presence` frame). */
export type PresentUser = Extract<ServerFrame, { type: "presence" }>["users"][number];

type SocketContextValue = {
  state: ConnectionState;
  /** Who is online, from the last `presence` frame of this connection; null before one arrived (or while offline). */
  presence: PresentUser[] | null;
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
  const access = useOptionalProjectAccess();
  const recheckRef = useRef(access?.recheck);
  recheckRef.current = access?.recheck;
  const [presence, setPresence] = useState<PresentUser[] | null>(null);
  const reconnectRef = useRef<() => void>(() => {});
  const socket = useProjectSocket(
    projectId,
    {
      onFrame: (frame) => {
        if (frame.type === "presence") setPresence(frame.users);
        for (const listener of [...listeners.current]) listener.onFrame?.(frame);
      },
      onOpen: (reconnect) => {
        // A new connection watches nothing yet.
        if (watchers.current.size > 0) sendWatch();
        for (const listener of [...listeners.current]) listener.onOpen?.(reconnect);
      },
      onClose: (code, wasOpen) => {
        setPresence(null);
        for (const listener of [...listeners.current]) listener.onClose?.(code, wasOpen);
        const recheck = recheckRef.current;
        if (code === ACCESS_CHANGED_CLOSE_CODE) {
          // Access changed (a 4003 is final for the SDK's client): ask at once whether one is
          // still a member (the role refreshed), and reconnect once if so; a refused reconnect
          // closes again and is checked below.
          if (!recheck) reconnectRef.current();
          else
            void recheck(true).then((outcome) => {
              if (outcome === "ok" || outcome === "unknown") reconnectRef.current();
            });
        } else {
          // Any other close or a refused reconnect (the SDK's client retries): ask, at most every few seconds.
          void recheck?.(false);
        }
      },
    },
    !access?.lost,
  );
  sendRef.current = socket.send;
  reconnectRef.current = socket.reconnect;
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
    () => ({ state: socket.state, presence, send: socket.send, subscribe, watch }),
    [socket.state, presence, socket.send, subscribe, watch],
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

/** Who is online in the project (null until the server sent a `presence` frame on this connection). */
export function usePresence(): PresentUser[] | null {
  return useSocketContext().presence;
}

/**
 * Receives `taskId`'s `task.event` frames (through `useProjectFrames`) while mounted. Events from
 * before the watch reached the server are in the transcript: fetch it after subscribing.
 */
export function useWatchTask(taskId: string): void {
  const { watch } = useSocketContext();
  useEffect(() => watch(taskId), [watch, taskId]);
}
