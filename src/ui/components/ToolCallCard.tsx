/** One tool call of a transcript: name, input (pretty JSON), output, exit code and duration. */
import { formatDuration, prettyJson } from "../lib/format.ts";

/** A tool call joined with its result (null while it runs). */
export type ToolCallView = {
  toolCallId: string;
  toolName: string;
  step: number;
  hasInput: boolean;
  input: unknown;
  result: { output: string; isError: boolean; exitCode: number | null; durationMs: number } | null;
};

/** Renders a tool call as a card; `taskEnded` marks a call without a result as never finished. */
export function ToolCallCard({ call, taskEnded }: { call: ToolCallView; taskEnded: boolean }) {
  const { result } = call;
  const state = result === null ? (taskEnded ? "interrupted" : "running") : result.isError ? "error" : "ok";
  return (
    <div className={`tool-card tool-${state === "interrupted" ? "error" : state}`} data-testid="tool-call-card" data-tool-name={call.toolName}>
      <div className="tool-head">
        <span className="tool-name mono">{call.toolName}</span>
        <span className="muted small">step {call.step}</span>
        <span className="topbar-spacer" />
        {result && result.exitCode !== null && (
          <span className={`exit-code${result.exitCode === 0 ? "" : " nonzero"}`} data-testid="tool-exit-code">
            exit {result.exitCode}
          </span>
        )}
        {result && <span className="muted small">{formatDuration(result.durationMs)}</span>}
        <span className={`tool-state tool-state-${state}`}>{state}</span>
      </div>
      {call.hasInput && (
        <details className="tool-section" open>
          <summary>Input</summary>
          <pre className="output">{prettyJson(call.input)}</pre>
        </details>
      )}
      {result && (
        <details className="tool-section" open>
          <summary>Output</summary>
          <pre className="output" data-testid="tool-output">
            {result.output === "" ? <span className="muted">(no output)</span> : result.output}
          </pre>
        </details>
      )}
    </div>
  );
}
