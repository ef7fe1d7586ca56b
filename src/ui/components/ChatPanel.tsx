/**
 * The live chat of one session: loads the latest page, pages back with "Load earlier", merges
 * `chat.message` frames (deduplicated by id, ordered by seq), shows the tech lead's streaming
 * replies (`chat.delta` / `chat.card`) as drafts until their stored message arrives, and sends
 * with `chat.send` (over HTTP when the socket is not open).
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { TECH_LEAD_AUTHOR, type ChatMessage } from "../../shared/protocol.ts";
import { errorMessage, listMessages, postMessage } from "../lib/api.ts";
import { applyCard, applyDelta, dropFinished, type Draft } from "../lib/drafts.ts";
import { mergeMessages } from "../lib/merge.ts";
import { useCanWrite } from "../lib/projectAccess.tsx";
import { useProjectConnection, useProjectFrames } from "../lib/socketContext.tsx";
import { Composer } from "./Composer.tsx";
import { MessageList } from "./MessageList.tsx";
import { FormError } from "./FormError.tsx";
import { ReadOnlyNotice } from "./ReadOnlyNotice.tsx";

const PAGE_SIZE = 50;

type Props = { projectId: string; sessionId: string; title: string | null };

/** Chat of session `sessionId` of project `projectId`. */
export function ChatPanel({ projectId, sessionId, title }: Props) {
  const { state, send } = useProjectConnection();
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [drafts, setDrafts] = useState<Draft[]>([]);
  /** Draft ids whose stored message arrived: a late piece of one must not bring it back. */
  const finishedDrafts = useRef(new Set<string>());
  const [loaded, setLoaded] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loadingEarlier, setLoadingEarlier] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [stickToBottom, setStickToBottom] = useState(0);
  const canWrite = useCanWrite();

  /** Stores messages and retires the drafts they replace. */
  const receive = useCallback((incoming: ChatMessage[]) => {
    for (const m of incoming) if (m.draftId) finishedDrafts.current.add(m.draftId);
    setMessages((current) => mergeMessages(current, incoming));
    setDrafts((current) => dropFinished(current, incoming));
  }, []);

  const fetchLatest = useCallback(
    async (signal?: AbortSignal) => {
      const page = await listMessages(projectId, sessionId, { limit: PAGE_SIZE }, signal);
      if (signal?.aborted) return;
      receive(page);
      setLoaded(true);
      setLoadError(null);
    },
    [projectId, sessionId, receive],
  );

  useEffect(() => {
    const controller = new AbortController();
    fetchLatest(controller.signal).catch((err: unknown) => {
      if (!controller.signal.aborted) setLoadError(errorMessage(err));
    });
    return () => controller.abort();
  }, [fetchLatest]);

  useProjectFrames({
    onFrame: (frame) => {
      if (frame.type === "chat.message" && frame.message.sessionId === sessionId) {
        receive([frame.message]);
      } else if (frame.type === "chat.delta" && frame.sessionId === sessionId) {
        if (!finishedDrafts.current.has(frame.draftId)) setDrafts((current) => applyDelta(current, frame));
      } else if (frame.type === "chat.card" && frame.sessionId === sessionId) {
        if (!finishedDrafts.current.has(frame.draftId)) setDrafts((current) => applyCard(current, frame, TECH_LEAD_AUTHOR));
      } else if (frame.type === "error") {
        setNotice(`${frame.code}: ${frame.message}`);
      }
    },
    // Catch up on anything sent while the socket was closed (or before it first opened).
    onOpen: () => {
      fetchLatest().catch(() => {});
    },
  });

  const loadEarlier = async () => {
    const oldest = messages[0];
    if (!oldest || loadingEarlier) return;
    setLoadingEarlier(true);
    try {
      const page = await listMessages(projectId, sessionId, { before: oldest.seq, limit: PAGE_SIZE });
      receive(page);
    } catch (err) {
      setNotice(`Could not load earlier messages: ${errorMessage(err)}`);
    } finally {
      setLoadingEarlier(false);
    }
  };

  /** Sends `text`; resolves to an error text, or null once sent. */
  const sendText = async (text: string): Promise<string | null> => {
    setNotice(null);
    setStickToBottom((n) => n + 1);
    if (state === "connected") {
      const problem = send({ type: "chat.send", sessionId, text });
      if (problem === null) return null;
      if (problem !== "Not connected") return problem;
    }
    try {
      const message = await postMessage(projectId, sessionId, text);
      receive([message]);
      return null;
    } catch (err) {
      return errorMessage(err);
    }
  };

  const hasEarlier = messages.length > 0 && messages[0].seq > 1;

  return (
    <div className="chat card">
      <div className="chat-head">
        <h2>{title ?? "Chat"}</h2>
      </div>
      <FormError message={loadError} prefix="Could not load messages" />
      <MessageList
        messages={messages}
        drafts={drafts}
        loaded={loaded}
        hasEarlier={hasEarlier}
        loadingEarlier={loadingEarlier}
        onLoadEarlier={loadEarlier}
        stickToBottom={stickToBottom}
      />
      {notice && (
        <p className="form-error chat-notice" role="alert">
          {notice}{" "}
          <button type="button" className="link-button" onClick={() => setNotice(null)}>
            dismiss
          </button>
        </p>
      )}
      {canWrite ? <Composer onSend={sendText} /> : <ReadOnlyNotice what="write in the chat" />}
    </div>
  );
}
