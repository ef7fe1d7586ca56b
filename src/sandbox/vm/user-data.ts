/**
 * The cloud-init user data of a task's VM (pure): a `#!/bin/bash` script that installs and
 * starts SAM's own runner in VM mode (`src/sandbox/runner/main.ts` with `SAM_RUNNER_MODE=vm`).
 *
 * It makes `$SAM_VM_DIR` (default `/opt/sam`; the local VM host sets a fresh temp directory),
 * installs Node.js 22 and bubblewrap when the image lacks them (as root, on a real VM), downloads
 * the runner bundle SAM serves (`GET <samUrl>/vm/runner.js` and its search worker), and starts it
 * in the background with SAM's URL, the task id and the one-time registration token. The runner
 * then connects out to `<samUrl>/vm/connect?task=<taskId>` (the VM needs no inbound port).
 */

/** What the script needs: SAM's public URL (http or https), the task id, the one-time registration token, whether commands get the network. */
export interface VmUserDataInput {
  samUrl: string;
  taskId: string;
  registrationToken: string;
  network: boolean;
}

/** The Node.js release installed on a VM that lacks Node 22 (from nodejs.org's dist). */
export const VM_NODE_VERSION = "22.12.0";

/** `value` single-quoted for bash. */
function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The user data script for a task's VM. Returns the script text (starts with `#!/bin/bash`).
 * @throws Error when `samUrl` is not an http(s) URL, or the task id or token hold characters outside `[A-Za-z0-9_-]`.
 */
export function vmUserData(input: VmUserDataInput): string {
  const url = new URL(input.samUrl);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`the SAM URL must be http(s), got ${url.protocol}`);
  for (const [name, value] of [["task id", input.taskId], ["registration token", input.registrationToken]] as const) {
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(value)) throw new Error(`the ${name} holds characters a VM's user data does not accept`);
  }
  const samUrl = url.origin;
  return `#!/bin/bash
# SAM VM bootstrap (cloud-init user data): installs and starts SAM's runner in VM mode.
set -euo pipefail
SAM_VM_DIR="\${SAM_VM_DIR:-/opt/sam}"
mkdir -p "$SAM_VM_DIR"
cd "$SAM_VM_DIR"
if ! command -v node >/dev/null 2>&1 || ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)'; then
  arch="$(uname -m)"; case "$arch" in x86_64) arch=x64;; aarch64) arch=arm64;; esac
  curl -fsSL "https://nodejs.org/dist/v${VM_NODE_VERSION}/node-v${VM_NODE_VERSION}-linux-$arch.tar.xz" | tar -xJ --strip-components=1 -C "$SAM_VM_DIR"
  export PATH="$SAM_VM_DIR/bin:$PATH"
fi
if ! command -v bwrap >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null
fi
curl -fsSL ${quote(`${samUrl}/vm/runner.js`)} -o runner.js
curl -fsSL ${quote(`${samUrl}/vm/search-worker.js`)} -o search-worker.js
export SAM_RUNNER_MODE=vm
export SAM_URL=${quote(samUrl)}
export SAM_VM_TASK=${quote(input.taskId)}
export SAM_VM_TOKEN=${quote(input.registrationToken)}
export SAM_VM_NETWORK=${input.network ? "1" : "0"}
export SAM_WORKSPACES_DIR="$SAM_VM_DIR/workspaces"
nohup node runner.js >>"$SAM_VM_DIR/runner.log" 2>&1 </dev/null &
echo "$!" >"$SAM_VM_DIR/runner.pid"
`;
}
