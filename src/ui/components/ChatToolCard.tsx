/**
 * A tool call the tech lead made in a reply: tool name, input and output, in an error style when
 * it failed. Input and JSON output are shown as highlighted JSON blocks; text output (an error, a
 * tool that answers in prose) as Markdown, through the one sanitising renderer.
 */
import { codeFence } from "../../render/fence.ts";
import type { ToolCard } from "../../shared/protocol.ts";
import { prettyJson } from "../lib/format.ts";
import { Markdown } from "./Markdown.tsx";

/** Markdown source showing a tool's value: a string as it is, anything else as a JSON block. */
function valueMarkdown(value: unknown): string {
  return typeof value === "string" ? value : codeFence(prettyJson(value), "json");
}

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
        <Markdown text={codeFence(prettyJson(card.input), "json")} className="tool-markdown" testId="chat-tool-input" />
      </details>
      <details className="tool-section" open={card.isError}>
        <summary>{card.isError ? "Error" : "Output"}</summary>
        {card.output === undefined || card.output === null ? (
          <p className="muted" data-testid="chat-tool-output">
            (no output)
          </p>
        ) : (
          <Markdown text={valueMarkdown(card.output)} className="tool-markdown" testId="chat-tool-output" />
        )}
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
