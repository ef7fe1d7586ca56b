/**
 * The scrollable list of chat messages. Keeps the view pinned to the bottom when new messages
 * arrive (if the reader was at the bottom), and keeps the reader's place when earlier ones load.
 */
import { useLayoutEffect, useRef } from "react";
import type { ChatMessage } from "../../actors/protocol.ts";
import { formatTime } from "../lib/format.ts";

type Props = {
  messages: ChatMessage[];
  loaded: boolean;
  hasEarlier: boolean;
  loadingEarlier: boolean;
  onLoadEarlier: () => void;
  /** Bumped when the local user sends: scroll to the bottom on the next new message. */
  stickToBottom: number;
};

const NEAR_BOTTOM_PX = 80;

/** Renders messages oldest first with a "Load earlier" button on top. */
export function MessageList({ messages, loaded, hasEarlier, loadingEarlier, onLoadEarlier, stickToBottom }: Props) {
  const boxRef = useRef<HTMLDivElement>(null);
  const nearBottom = useRef(true);
  const prev = useRef({ firstId: "", lastId: "", scrollHeight: 0, scrollTop: 0 });

  useLayoutEffect(() => {
    nearBottom.current = true;
  }, [stickToBottom]);

  useLayoutEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    const firstId = messages[0]?.id ?? "";
    const lastId = messages[messages.length - 1]?.id ?? "";
    const before = prev.current;
    if (lastId !== before.lastId) {
      if (nearBottom.current || before.lastId === "") box.scrollTop = box.scrollHeight;
    } else if (firstId !== before.firstId && before.firstId !== "") {
      // Earlier messages were prepended: keep the same message under the reader's eyes.
      box.scrollTop = before.scrollTop + (box.scrollHeight - before.scrollHeight);
    }
    prev.current = { firstId, lastId, scrollHeight: box.scrollHeight, scrollTop: box.scrollTop };
  }, [messages]);

  const onScroll = () => {
    const box = boxRef.current;
    if (!box) return;
    nearBottom.current = box.scrollHeight - box.scrollTop - box.clientHeight < NEAR_BOTTOM_PX;
    prev.current = { ...prev.current, scrollHeight: box.scrollHeight, scrollTop: box.scrollTop };
  };

  return (
    <div className="messages" ref={boxRef} onScroll={onScroll} aria-live="polite">
      {hasEarlier && (
        <div className="load-earlier">
          <button type="button" data-testid="chat-load-earlier" onClick={onLoadEarlier} disabled={loadingEarlier}>
            {loadingEarlier ? "Loading…" : "Load earlier"}
          </button>
        </div>
      )}
      {loaded && messages.length === 0 && <p className="muted center">No messages yet. Say hello.</p>}
      {!loaded && <p className="muted center">Loading…</p>}
      {messages.map((message) => (
        <article key={message.id} className={`message message-${message.role}`} data-testid="chat-message" data-seq={message.seq}>
          <header className="message-meta">
            <span className="message-author">{message.author}</span>
            <time dateTime={message.createdAt}>{formatTime(message.createdAt)}</time>
          </header>
          <div className="message-text">{message.text}</div>
        </article>
      ))}
    </div>
  );
}
