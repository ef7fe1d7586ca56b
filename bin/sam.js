#!/usr/bin/env node
// The `sam` command (src/cli/main.ts). Node ≥ 22.18 runs the TypeScript source directly.
import { runCli } from "../src/cli/main.ts";

const code = await runCli(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
process.exitCode = code;
// Sockets and timers of a finished command must not keep the process alive.
setImmediate(() => process.exit(code));
