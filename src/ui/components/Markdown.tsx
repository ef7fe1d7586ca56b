/**
 * Markdown as written by an agent or a person, shown rendered: the one renderer of src/render
 * (marked + highlight.js + DOMPurify, so raw HTML, handlers and `javascript:` links never reach
 * the page), with Mermaid diagrams upgraded to SVG after mount (lazily loaded). The renderer's
 * stylesheet is put in the document once, on first use.
 */
import { useEffect, useMemo, useRef } from "react";
import { renderDiagrams } from "../../render/diagrams.ts";
import { renderMarkdown } from "../../render/markdown.ts";
import { renderStyles } from "../../render/styles.ts";

const STYLE_ID = "sam-render-styles";

/** Adds `renderStyles` to the document's head once (idempotent; a no-op when already there). */
export function useRenderStyles(): void {
  useEffect(() => {
    if (document.getElementById(STYLE_ID)) return;
    const style = document.createElement("style");
    style.id = STYLE_ID;
    style.textContent = renderStyles;
    document.head.appendChild(style);
  }, []);
}

type Props = {
  /** The Markdown source. */
  text: string;
  /** Extra classes for the container (it always has `render-md`). */
  className?: string;
  /** `data-testid` of the container. */
  testId?: string;
  /** Render Mermaid blocks as diagrams (default true; off for text still streaming, whose blocks are incomplete). */
  diagrams?: boolean;
};

/** A `<div class="render-md">` holding `text` rendered and sanitised. */
export function Markdown({ text, className, testId, diagrams = true }: Props) {
  useRenderStyles();
  const ref = useRef<HTMLDivElement>(null);
  const html = useMemo(() => renderMarkdown(text), [text]);
  useEffect(() => {
    if (diagrams && ref.current) void renderDiagrams(ref.current);
  }, [html, diagrams]);
  return (
    <div
      ref={ref}
      className={className ? `render-md ${className}` : "render-md"}
      data-testid={testId}
      // Safe: renderMarkdown returns DOMPurify-sanitised HTML.
      dangerouslySetInnerHTML={{ __html: html }}
    />
  );
}
