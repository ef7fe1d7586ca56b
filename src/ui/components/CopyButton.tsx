/** A button that copies a text to the clipboard (navigator.clipboard) and says whether it worked. */
import { useEffect, useState } from "react";

type Props = { text: string; label?: string; testId?: string };

/** Copies `text` on click; shows "Copied" for a moment, or asks to copy by hand when the clipboard is refused. */
export function CopyButton({ text, label = "Copy", testId }: Props) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");

  useEffect(() => {
    if (state !== "copied") return;
    const timer = window.setTimeout(() => setState("idle"), 2000);
    return () => window.clearTimeout(timer);
  }, [state]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      setState("failed");
    }
  };

  return (
    <>
      <button type="button" className="secondary" data-testid={testId} onClick={() => void copy()}>
        {state === "copied" ? "Copied" : label}
      </button>
      {state === "failed" && (
        <span className="muted small" role="status">
          The browser refused the clipboard: select the text and copy it by hand.
        </span>
      )}
    </>
  );
}
