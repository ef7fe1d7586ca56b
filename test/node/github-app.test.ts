/**
 * Minting a GitHub App installation's token (src/actors/project/github-app.ts) against the fake
 * GitHub (test/support/fake-github.ts), which checks the App's RS256 JWT as GitHub does: the
 * right key and App id get the installation's token; a wrong key, a wrong App id, an unknown
 * installation and a key that is not a key are refused in words; escaped line breaks in the key
 * work; a token is kept until five minutes before it expires.
 */
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { githubAppConfig, installationToken, INSTALLATION_TOKEN_MARGIN_MS, mintInstallationToken } from "../../src/actors/project/github-app.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github.ts";

const keys = () => generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
const app = keys();
const other = keys();
let github: FakeGitHub;

beforeAll(async () => {
  github = await startFakeGitHub(undefined, undefined, { app: { appId: "77", publicKeyPem: app.publicKey, installations: { 9: "ghs_nine", 10: "ghs_ten" } } });
});

afterAll(async () => {
  await github?.close();
});

describe("a GitHub App installation's token", () => {
  it("is minted with the App's key and id, and refused in words otherwise", async () => {
    const config = githubAppConfig({ GITHUB_APP_ID: "77", GITHUB_APP_PRIVATE_KEY: app.privateKey, GITHUB_API_BASE_URL: `${github.url}/` });
    expect(config?.apiBaseUrl).toBe(github.url);
    const minted = await mintInstallationToken(config!, 9);
    expect(minted.token).toBe("ghs_nine");
    expect(minted.expiresAtMs).toBeGreaterThan(Date.now() + 50 * 60_000);
    // A key kept in an environment variable with its line breaks escaped works too.
    expect((await mintInstallationToken({ ...config!, privateKey: app.privateKey.replace(/\n/g, "\\n") }, 9)).token).toBe("ghs_nine");

    await expect(mintInstallationToken({ ...config!, privateKey: other.privateKey }, 9)).rejects.toThrow(/GitHub answered 401 A JSON web token could not be decoded when minting a token of installation 9 for App 77/);
    await expect(mintInstallationToken({ ...config!, appId: "78" }, 9)).rejects.toThrow(/401 Integration not found/);
    await expect(mintInstallationToken(config!, 11)).rejects.toThrow(/404 Not Found when minting a token of installation 11/);
    await expect(mintInstallationToken({ ...config!, privateKey: "not a key" }, 9)).rejects.toThrow(/GITHUB_APP_PRIVATE_KEY\) could not sign/);
    expect(githubAppConfig({ GITHUB_APP_ID: "77" })).toBeNull();
    expect(githubAppConfig({ GITHUB_APP_PRIVATE_KEY: app.privateKey })).toBeNull();
  });

  it("is kept until five minutes before it expires, then minted again", async () => {
    const config = githubAppConfig({ GITHUB_APP_ID: "77", GITHUB_APP_PRIVATE_KEY: app.privateKey, GITHUB_API_BASE_URL: github.url })!;
    const count = () => github.installationTokens.filter((id) => id === 10).length;
    const now = Date.now();
    expect(await installationToken(config, 10, now)).toBe("ghs_ten");
    expect(await installationToken(config, 10, now + 1000)).toBe("ghs_ten");
    expect(count()).toBe(1);
    // The fake's token lives an hour: past 55 minutes it is minted again.
    expect(await installationToken(config, 10, now + 3_600_000 - INSTALLATION_TOKEN_MARGIN_MS + 1000)).toBe("ghs_ten");
    expect(count()).toBe(2);
  });
});
