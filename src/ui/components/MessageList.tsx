/**
 * The scrollable list of chat messages, then the replies still streaming (drafts). Each shows
 * who wrote it: a person's name and picture (from the project's members, by author id), or the
 * initials of the tech lead, a task or SAM; one's own messages are marked. Keeps the view pinned
 * to the bottom when new messages arrive or a draft grows (if the reader was at the bottom), and
 * keeps the reader's place when earlier ones load.
 */
import { useLayoutEffect, useMemo, useRef } from "react";
import type { ChatMessage } from "../../shared/protocol.ts";
import type { Draft } from "../lib/drafts.ts";
import { formatTime } from "../lib/format.ts";
import { useOptionalProjectAccess } from "../lib/projectAccess.tsx";
import { Avatar } from "./Avatar.tsx";
import { ChatToolCards } from "./ChatToolCard.tsx";
import { Markdown } from "./Markdown.tsx";

type Props = {
  messages: ChatMessage[];
  /** Replies being streamed, shown after the stored messages. */
  drafts: Draft[];
  loaded: boolean;
  hasEarlier: boolean;
  loadingEarlier: boolean;
  onLoadEarlier: () => void;
  /** Bumped when the local user sends: scroll to the bottom on the next new message. */
  stickToBottom: number;
};

const NEAR_BOTTOM_PX = 80;

/** Renders messages oldest first (with a "Load earlier" button on top), then the drafts. */
export function MessageList({ messages, drafts, loaded, hasEarlier, loadingEarlier, onLoadEarlier, stickToBottom }: Props) {
  const boxRef = useRef<HTMLDivElement>(null);
  const nearBottom = useRef(true);
  const prev = useRef({ firstId: "", lastId: "", scrollHeight: 0, scrollTop: 0 });
  const access = useOptionalProjectAccess();
  const myId = access?.me.id ?? null;
  const pictures = useMemo(() => new Map((access?.members ?? []).map((m) => [m.userId, m.avatarUrl])), [access?.members]);

  useLayoutEffect(() => {
    nearBottom.current = true;
  }, [stickToBottom]);

  useLayoutEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    const firstId = messages[0]?.id ?? "";
    const lastDraft = drafts[drafts.length - 1];
    // A growing draft counts as a new tail, so the view follows the stream.
    const lastId = lastDraft
      ? `${lastDraft.draftId}:${lastDraft.text.length}:${lastDraft.cards.length}`
      : (messages[messages.length - 1]?.id ?? "");
    const before = prev.current;
    if (lastId !== before.lastId) {
      if (nearBottom.current || before.lastId === "") box.scrollTop = box.scrollHeight;
    } else if (firstId !== before.firstId && before.firstId !== "") {
      // Earlier messages were prepended: keep the same message under the reader's eyes.
      box.scrollTop = before.scrollTop + (box.scrollHeight - before.scrollHeight);
    }
    prev.current = { firstId, lastId, scrollHeight: box.scrollHeight, scrollTop: box.scrollTop };
  }, [messages, drafts]);

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
      {loaded && messages.length === 0 && drafts.length === 0 && <p className="muted center">No messages yet. Say hello.</p>}
      {!loaded && <p className="muted center">Loading…</p>}
      {messages.map((message) => (
        <article
          key={message.id}
          className={`message message-${message.role}${message.author.kind === "user" && message.author.id === myId ? " message-mine" : ""}`}
          data-testid="chat-message"
          data-seq={message.seq}
          data-draft-id={message.draftId ?? undefined}
          data-author-id={message.author.id}
          data-author-kind={message.author.kind}
        >
          <header className="message-meta">
            <Avatar
              name={message.author.name}
              url={message.author.kind === "user" ? pictures.get(message.author.id) : undefined}
              kind={message.author.kind}
              size="small"
            />
            <span className="message-author" data-testid="chat-message-author">
              {message.author.name}
            </span>
            {message.author.kind === "user" && message.author.id === myId && <span className="muted small">(you)</span>}
            <time dateTime={message.createdAt}>{formatTime(message.createdAt)}</time>
          </header>
          <Markdown text={message.text} className="message-text" testId="chat-message-text" />
          <ChatToolCards cards={message.cards} />
        </article>
      ))}
      {drafts.map((draft) => (
        <article key={draft.draftId} className="message message-assistant message-draft" data-testid="chat-draft" data-draft-id={draft.draftId}>
          <header className="message-meta">
            <Avatar name={draft.author.name} kind={draft.author.kind} size="small" />
            <span className="message-author">{draft.author.name}</span>
            <span className="typing">writing…</span>
          </header>
          <Markdown text={draft.text} className="message-text" testId="chat-draft-text" diagrams={false} />
          <ChatToolCards cards={draft.cards} />
        </article>
      ))}
    </div>
  );
}
