/**
 * Headless Chromium for the browser tests (RUNBOOK: the system's chromium through
 * playwright-core, with the flags that keep it off the closed network), and a page signed in
 * to a started stack through its login link (the UI swaps the link's token for an HttpOnly
 * sign-in cookie of that browser context; no token is kept in the page's storage).
 */
import { chromium, type Browser, type Page } from "playwright-core";
import type { Stack } from "./stack.ts";

/**
 * Launches headless Chromium (`CHROMIUM_PATH`, default /usr/bin/chromium). With
 * `fakeMicrophone` (a WAV file's path), every page's microphone is that file, played in a loop,
 * and the permission prompt is answered yes (Chromium's `--use-fake-device-for-media-stream
 * --use-fake-ui-for-media-stream --use-file-for-fake-audio-capture`).
 */
export function launchChromium(options: { fakeMicrophone?: string } = {}): Promise<Browser> {
  const microphone = options.fakeMicrophone
    ? ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-audio-capture=${options.fakeMicrophone}`]
    : [];
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run", ...microphone],
  });
}

/**
 * A new browser context (its own cookies and storage) with a page signed in to `stack` through
 * the login link of `token` (default: the stack's local admin), landed on the projects page.
 */
export async function signedInPage(browser: Browser, stack: Stack, viewport = { width: 1280, height: 860 }, token = stack.token): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(`${stack.url}/login#token=${token}`);
  await page.waitForURL(`${stack.url}/`);
  return page;
}
