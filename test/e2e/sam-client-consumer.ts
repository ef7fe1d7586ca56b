/**
 * A program outside SAM's source that uses the published client as an app would: it imports
 * `sam/client` by the package's name (Node resolves it through package.json's `exports`, by
 * package self-reference; Node strips the types), connects to a started stack's project, prints
 * the frames it receives as JSON lines, and exits 0 once a chat message arrives (2 after 60 s).
 *
 *   node test/e2e/sam-client-consumer.ts <SAM URL> <projectId> <token>
 *
 * Run by test/e2e/embed-browser.test.ts.
 */
import { connectProject, type ServerFrame } from "sam/client";

const [url, projectId, token] = process.argv.slice(2);
if (!url || !projectId || !token) {
  console.error("usage: node test/e2e/sam-client-consumer.ts <SAM URL> <projectId> <token>");
  process.exit(64);
}
const client = connectProject({ host: url, projectId, token });
client.onFrame((frame: ServerFrame) => {
  console.log(JSON.stringify(frame));
  if (frame.type === "chat.message") {
    client.close();
    process.exit(0);
  }
});
setTimeout(() => {
  console.error("no chat message in 60 s");
  process.exit(2);
}, 60_000);
