/** A tool call the tech lead made in a reply: tool name, input and output, in an error style when it failed. */
import type { ToolCard } from "../../shared/protocol.ts";
import { prettyJson } from "../lib/format.ts";

/** Renders one card of a chat message (stored or streaming). */
export function ChatToolCard({ card }: { card: ToolCard }) {
  const state = card.isError ? "error" : "ok";
  return (
    <div className={`tool-card chat-tool-card tool-${state}`} data-testid="chat-tool-card" data-tool-name={card.toolName} data-error={card.isError}>
      <div className="tool-head">
        <span className="tool-name mono">{card.toolName}</span>
        <span className="topbar-spacer" />
        <span className={`tool-state tool-state-${state}`}>{state}</span>
      </div>
      <details className="tool-section">
        <summary>Input</summary>
        <pre className="output" data-testid="chat-tool-input">
          {prettyJson(card.input)}
        </pre>
      </details>
      <details className="tool-section" open={card.isError}>
        <summary>{card.isError ? "Error" : "Output"}</summary>
        <pre className="output" data-testid="chat-tool-output">
          {card.output === undefined || card.output === null ? <span className="muted">(no output)</span> : prettyJson(card.output)}
        </pre>
      </details>
    </div>
  );
}

/** The cards of a message in order; nothing when there are none. */
export function ChatToolCards({ cards }: { cards: readonly ToolCard[] }) {
  if (cards.length === 0) return null;
  return (
    <div className="chat-tool-cards">
      {cards.map((card) => (
        <ChatToolCard key={card.toolCallId} card={card} />
      ))}
    </div>
  );
}
