/**
 * CLI entry of the local VM host (a stand-in for Hetzner Cloud; `server.ts`):
 * `node src/sandbox/vm-host/main.ts`. Environment: VM_HOST_PORT (default 8791),
 * HETZNER_API_TOKEN (required: the token callers present), SAM_VM_HOST_DIR (where servers'
 * directories go; default the OS temp dir). Stops, deleting every server, on SIGTERM/SIGINT.
 */
import { startVmHost } from "./server.ts";

const token = process.env.HETZNER_API_TOKEN ?? "";
if (!token) {
  console.error("vm host: HETZNER_API_TOKEN must be set (the token SAM presents)");
  process.exit(1);
}
const host = await startVmHost({ port: Number(process.env.VM_HOST_PORT ?? 8791), token, dir: process.env.SAM_VM_HOST_DIR });
console.log(`vm host (a local stand-in for Hetzner Cloud) listening on ${host.url}`);
const stop = (): void => {
  host.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
