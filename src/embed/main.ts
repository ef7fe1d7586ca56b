/**
 * The entry of `/embed.js` (vite.embed.config.ts builds it into dist/ui; the Worker serves it
 * with CORS): defines the `<sam-agent>` custom element (element.ts) once per page. Usage in
 * docs/embedding.md.
 */
import { SamAgentElement } from "./element.ts";

if (!customElements.get("sam-agent")) customElements.define("sam-agent", SamAgentElement);

export { SamAgentElement };
