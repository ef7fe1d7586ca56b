/**
 * The settings screens in headless Chromium (playwright-core driving Debian's chromium) against
 * the stack started as `npm start` starts it, with a local fake upstream as its AI Gateway so
 * keys can be checked: a key the provider refuses is reported and not stored; a good key is
 * listed by its last four characters and appears nowhere in the page; the payer mode and a
 * project's override and default task budget persist across reloads; a deleted key is gone. A
 * project's owner sets its repository and token in the project's settings (a bad URL refused with
 * the API's reason; the token shown only as its last four characters, in the page and the API);
 * a member sees them read-only.
 * Screenshots are kept in test-artifacts/.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium, signedInPage } from "./chromium.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.ts";
import { call, startStack, type Stack } from "./stack.ts";

const artifacts = resolve(import.meta.dirname, "../../test-artifacts");
let stack: Stack;
let fake: FakeOpenAI;
let browser: Browser;

type CredentialRow = { id: string; provider: string; label: string; last4: string };

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  fake = await startFakeOpenAI();
  // No AI Gateway locally: the fake stands in for it, so saving a key can check it upstream.
  stack = await startStack({ env: { AI_GATEWAY_BASE_URL: `${fake.url}/gateway`, AI_GATEWAY_TOKEN: "e2e-gateway-token" } });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await fake?.close();
});

async function storedCredentials(): Promise<CredentialRow[]> {
  return (await call<{ credentials: CredentialRow[] }>(stack, "/api/credentials")).credentials;
}

/** Reloads the settings page and waits until both cards are shown. */
async function reloadSettings(page: Page): Promise<void> {
  await page.reload();
  await page.getByTestId("payer-mode-card").waitFor();
  await page.getByTestId("credentials-card").waitFor();
}

describe("the settings screens", () => {
  it("adds, refuses, lists and deletes provider keys, and switches who pays", async () => {
    const page = await signedInPage(browser, stack, { width: 1280, height: 900 });
    await page.getByTestId("nav-settings").click();
    await page.waitForURL(`${stack.url}/settings`);
    await page.getByTestId("credentials-empty").waitFor();
    expect(await page.getByTestId("payer-mode-platform").isChecked()).toBe(true);

    // A key the provider refuses: the refusal is shown, the field is emptied, nothing is stored.
    const badKey = "sk-invalid-browser-test-key-0000";
    await page.getByTestId("credential-key-input").fill(badKey);
    await page.getByTestId("credential-add-button").click();
    const refusal = page.getByTestId("credential-error");
    await refusal.waitFor();
    expect(await refusal.innerText()).toContain("openai rejected the key (HTTP 401)");
    expect(await page.getByTestId("credential-key-input").inputValue()).toBe("");
    expect(await page.getByTestId("credential-row").count()).toBe(0);
    expect(await storedCredentials()).toEqual([]);
    expect(await page.content()).not.toContain(badKey);
    await page.screenshot({ path: resolve(artifacts, "ui-settings-key-refused.png"), fullPage: true });

    // A good key: listed by its last four characters, never shown in full.
    const goodKey = `sk-good-browser-${Date.now().toString(36)}-Zq7w`;
    await page.getByTestId("credential-key-input").fill(goodKey);
    await page.getByTestId("credential-label-input").fill("work laptop");
    await page.getByTestId("credential-add-button").click();
    await page.getByTestId("credential-added").waitFor();
    const row = page.getByTestId("credential-row");
    expect(await row.count()).toBe(1);
    expect(await row.innerText()).toContain("work laptop");
    expect(await row.getByTestId("credential-last4").innerText()).toBe("…Zq7w");
    expect(await page.getByTestId("credential-key-input").inputValue()).toBe("");
    expect(await page.getByTestId("credential-error").count()).toBe(0);
    expect(await page.content()).not.toContain(goodKey);
    expect(await storedCredentials()).toEqual([expect.objectContaining({ provider: "openai", label: "work laptop", last4: "Zq7w" })]);
    // The key went upstream once, to be checked through the gateway.
    const checks = fake.requests.filter((r) => r.headers.authorization === `Bearer ${goodKey}`);
    expect(checks.map((r) => r.path)).toEqual(["/gateway/openai/models"]);

    // Who pays: own-key persists across a reload, and warns that there is no Anthropic key.
    await page.getByTestId("payer-mode-own-key").check();
    await page.getByTestId("payer-mode-saved").waitFor();
    await reloadSettings(page);
    expect(await page.getByTestId("payer-mode-own-key").isChecked()).toBe(true);
    expect(await page.getByTestId("payer-mode-platform").isChecked()).toBe(false);
    expect(await page.getByTestId("payer-mode-missing-keys").innerText()).toContain("no Anthropic key");
    expect(await page.getByTestId("credential-last4").innerText()).toBe("…Zq7w");
    expect(await page.content()).not.toContain(goodKey);
    expect(await call<{ payerMode: string }>(stack, "/api/me/settings")).toEqual({ payerMode: "own-key" });
    await page.screenshot({ path: resolve(artifacts, "ui-settings.png"), fullPage: true });

    // Delete, after the confirmation: the list is empty, here and after a reload.
    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByTestId("credential-delete-button").click();
    await page.getByTestId("credentials-empty").waitFor();
    expect(await storedCredentials()).toEqual([]);
    await reloadSettings(page);
    expect(await page.getByTestId("credential-row").count()).toBe(0);
    expect(await page.getByTestId("payer-mode-missing-keys").innerText()).toContain("no OpenAI or Anthropic key");

    // Back to platform credit, persisted.
    await page.getByTestId("payer-mode-platform").check();
    await page.getByTestId("payer-mode-saved").waitFor();
    await reloadSettings(page);
    expect(await page.getByTestId("payer-mode-platform").isChecked()).toBe(true);
    expect(await page.getByTestId("payer-mode-missing-keys").count()).toBe(0);

    // No key ever reached the stack's logs.
    expect(stack.output()).not.toContain(goodKey);
    expect(stack.output()).not.toContain(badKey);
  });

  it("keeps a project's payer-mode override and default task budget", async () => {
    // The user's own mode, which the project inherits until it overrides it.
    await call(stack, "/api/me/settings", { method: "PUT", json: { payerMode: "platform" } });
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: `model settings ${Date.now()}` } });
    const page = await signedInPage(browser, stack, { width: 1280, height: 900 });
    const openSettings = async () => {
      await page.goto(`${stack.url}/projects/${project.id}`);
      await page.getByTestId("settings-toggle").click();
      await page.getByTestId("project-payer-mode-select").waitFor();
    };
    await openSettings();
    expect(await page.getByTestId("project-payer-mode-select").inputValue()).toBe("inherit");
    expect(await page.getByTestId("project-default-budget-input").inputValue()).toBe("");
    expect(await page.getByTestId("project-effective-payer-mode").innerText()).toContain("Platform credit");

    // A budget that is not an amount is refused in the form, before anything is sent.
    await page.getByTestId("project-default-budget-input").fill("lots");
    await page.getByTestId("project-model-settings-save-button").click();
    expect(await page.getByTestId("project-model-settings-error").innerText()).toContain("amount of USD above 0");

    await page.getByTestId("project-payer-mode-select").selectOption("own-key");
    await page.getByTestId("project-default-budget-input").fill("2.5");
    await page.getByTestId("project-model-settings-save-button").click();
    await page.getByTestId("project-model-settings-saved").waitFor();
    expect(await page.getByTestId("project-effective-payer-mode").innerText()).toContain("My own keys");

    await openSettings();
    expect(await page.getByTestId("project-payer-mode-select").inputValue()).toBe("own-key");
    expect(await page.getByTestId("project-default-budget-input").inputValue()).toBe("2.5");
    expect(await page.getByTestId("project-effective-payer-mode").innerText()).toContain("this project's override");
    expect(await call(stack, `/api/projects/${project.id}/model-settings`)).toEqual({ payerMode: "own-key", defaultTaskBudgetUsd: 2.5, effectivePayerMode: "own-key" });
    await page.screenshot({ path: resolve(artifacts, "ui-project-model-settings.png"), fullPage: true });

    // Back to inheriting, with no default budget: both clear.
    await page.getByTestId("project-payer-mode-select").selectOption("inherit");
    await page.getByTestId("project-default-budget-input").fill("");
    await page.getByTestId("project-model-settings-save-button").click();
    await page.getByTestId("project-model-settings-saved").waitFor();
    await openSettings();
    expect(await page.getByTestId("project-payer-mode-select").inputValue()).toBe("inherit");
    expect(await page.getByTestId("project-default-budget-input").inputValue()).toBe("");
    expect(await call(stack, `/api/projects/${project.id}/model-settings`)).toEqual({ payerMode: null, defaultTaskBudgetUsd: null, effectivePayerMode: "platform" });
  });

  it("sets a project's repository and its token as the owner; a member sees them read-only", async () => {
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: `repository ${Date.now()}` } });
    const token = "github_pat_11UIUIUI0000secretRepoToken9876";
    const page = await signedInPage(browser, stack, { width: 1280, height: 1100 });
    const openSettings = async () => {
      await page.goto(`${stack.url}/projects/${project.id}`);
      await page.getByTestId("settings-toggle").click();
      await page.getByTestId("repository-settings").waitFor();
    };
    await openSettings();
    expect(await page.getByTestId("repository-current").innerText()).toContain("No repository");

    // A URL the API refuses: its reason shows, nothing is stored.
    await page.getByTestId("repository-url-input").fill("ssh://git@github.com/acme/widgets");
    await page.getByTestId("repository-save-button").click();
    expect(await page.getByTestId("repository-error").innerText()).toContain("https");
    expect((await call<{ repository: unknown }>(stack, `/api/projects/${project.id}`)).repository).toBeNull();

    await page.getByTestId("repository-url-input").fill("https://github.com/acme/widgets");
    await page.getByTestId("repository-branch-input").fill("trunk");
    await page.getByTestId("repository-save-button").click();
    await page.getByTestId("repository-saved").waitFor();
    await page.getByTestId("repository-token-input").fill(token);
    await page.getByTestId("repository-token-save-button").click();
    await page.getByTestId("repository-credential").filter({ hasText: "ending in 9876" }).waitFor();
    expect(await page.getByTestId("repository-token-input").inputValue()).toBe("");

    // Kept across a reload, and in the API; the token itself is nowhere in the page or the answer.
    await openSettings();
    expect(await page.getByTestId("repository-current").innerText()).toContain("https://github.com/acme/widgets");
    expect(await page.getByTestId("repository-current").innerText()).toContain("trunk");
    expect(await page.getByTestId("repository-credential").innerText()).toBe("a GitHub token ending in 9876");
    expect(await page.content()).not.toContain(token);
    const shown = await call<{ repository: unknown }>(stack, `/api/projects/${project.id}`);
    expect(shown.repository).toEqual({ url: "https://github.com/acme/widgets", defaultBranch: "trunk", credential: { kind: "github-token", last4: "9876" } });
    await page.screenshot({ path: resolve(artifacts, "ui-project-repository.png"), fullPage: true });

    // A member sees it, and no form to change it.
    const member = await call<{ user: { id: string }; token: string }>(stack, "/api/admin/users", { json: { name: `member ${Date.now()}` } });
    await call(stack, `/api/projects/${project.id}/members`, { json: { userId: member.user.id, role: "member" } });
    const memberPage = await signedInPage(browser, stack, { width: 1280, height: 900 }, member.token);
    await memberPage.goto(`${stack.url}/projects/${project.id}`);
    // Once the page knows the role (a member), the settings show the repository without its forms.
    await memberPage.getByTestId("project-role").filter({ hasText: "member" }).waitFor();
    await memberPage.getByTestId("settings-toggle").click();
    await memberPage.getByTestId("repository-credential").filter({ hasText: "ending in 9876" }).waitFor();
    expect(await memberPage.getByTestId("repository-settings").innerText()).toContain("Only the project's owners change the repository.");
    expect(await memberPage.getByTestId("repository-url-input").count()).toBe(0);
    expect(await memberPage.getByTestId("repository-token-input").count()).toBe(0);

    // The owner removes the credential, then the repository.
    await page.getByTestId("repository-credential-remove-button").click();
    await page.getByTestId("repository-credential").filter({ hasText: "no credential" }).waitFor();
    await page.getByTestId("repository-remove-button").click();
    await page.getByTestId("repository-current").filter({ hasText: "No repository" }).waitFor();
    await page.getByTestId("repository-saved").waitFor();
    expect((await call<{ repository: unknown }>(stack, `/api/projects/${project.id}`)).repository).toBeNull();
  });
});
