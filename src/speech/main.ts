/**
 * CLI entry of the local speech service: `node src/speech/main.ts` (under `npm start` it is
 * started in-process instead, scripts/start.ts).
 *
 * Environment: SPEECH_PORT (default 8790; 0 picks a free one), SPEECH_HOST (default 127.0.0.1),
 * SAM_SPEECH_API_KEY (when set, requests must carry it as a bearer token),
 * SAM_POCKETSPHINX_MODEL_DIR (default Debian's /usr/share/pocketsphinx/model/en-us).
 * Prints the URL to give SAM as SAM_SPEECH_BASE_URL. Exits 1 when espeak-ng, pocketsphinx,
 * its en-us model or sox are missing (saying how to install them) or on bad configuration;
 * exits 0 after SIGTERM/SIGINT once the service has closed.
 */
import { startSpeechService } from "./server.ts";
import { DEFAULT_MODEL_DIR, detectSpeechTools, INSTALL_COMMAND } from "./tools.ts";

async function main(): Promise<void> {
  const modelDir = process.env.SAM_POCKETSPHINX_MODEL_DIR || DEFAULT_MODEL_DIR;
  const tools = detectSpeechTools(modelDir);
  if (!tools.available) {
    console.error(`speech: missing ${tools.missing.join(", ")}; install with: ${INSTALL_COMMAND}`);
    process.exit(1);
  }
  const portText = process.env.SPEECH_PORT ?? "8790";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`speech: SPEECH_PORT must be a port number (0-65535), got ${JSON.stringify(portText)}`);
    process.exit(1);
  }
  const service = await startSpeechService({ port, host: process.env.SPEECH_HOST || "127.0.0.1", apiKey: process.env.SAM_SPEECH_API_KEY || undefined, modelDir });
  console.log(`speech service listening on ${service.url} (SAM_SPEECH_BASE_URL=${service.url}/v1)`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error: unknown) => {
  console.error(`speech: failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
