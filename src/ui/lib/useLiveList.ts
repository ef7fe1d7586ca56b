/**
 * A project list kept live: loaded once, then updated from one kind of frame, and refetched
 * when the socket reopens (frames sent while it was closed are lost). The tasks and missions
 * lists of the project page are both this.
 */
import { useCallback, useEffect, useState } from "react";
import type { ServerFrame } from "../../shared/protocol.ts";
import { errorMessage } from "./api.ts";
import { useProjectFrames } from "./socketContext.tsx";

/** A live list: the items (undefined until the first load), its state, and ways to change it. */
export type LiveList<T> = {
  items: T[] | undefined;
  error: string | null;
  loading: boolean;
  /** Puts an item the page learnt of on its own (created, answered, paused...) into the list. */
  upsert: (item: T) => void;
  reload: () => void;
};

/** How one list loads, recognises its frames and merges. */
export interface LiveListSource<T> {
  load: (projectId: string) => Promise<T[]>;
  /** The item a frame carries for this list and project, or null. */
  itemOf: (frame: ServerFrame, projectId: string) => T | null;
  upsert: (list: readonly T[], item: T) => T[];
  /** Merges a fresh load into what frames already brought (which may be newer). */
  merge: (list: readonly T[], fresh: readonly T[]) => T[];
}

/** React hook: the live list of `projectId` described by `source` (needs a ProjectSocketProvider above). */
export function useLiveList<T>(projectId: string, source: LiveListSource<T>): LiveList<T> {
  const [items, setItems] = useState<T[] | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    source
      .load(projectId)
      .then((fresh) => {
        if (controller.signal.aborted) return;
        setItems((current) => source.merge(current ?? [], fresh));
        setError(null);
      })
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setError(errorMessage(err));
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
    // `source` is a module constant of its caller.
  }, [projectId, generation]);

  useProjectFrames({
    onFrame: (frame) => {
      const item = source.itemOf(frame, projectId);
      if (item) setItems((list) => source.upsert(list ?? [], item));
    },
    onOpen: (reconnect) => {
      if (reconnect) setGeneration((g) => g + 1);
    },
  });

  return {
    items,
    error,
    loading,
    upsert: (item) => setItems((list) => source.upsert(list ?? [], item)),
    reload: useCallback(() => setGeneration((g) => g + 1), []),
  };
}
