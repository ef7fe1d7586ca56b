/**
 * SAM's GitHub App (src/actors/project/github-app.ts) against the fake GitHub
 * (test/support/fake-github.ts), which checks the App's RS256 JWT as GitHub does: the right key
 * (PKCS#8, or PKCS#1 as GitHub hands it out, line breaks real or escaped) and App id get the
 * installation's token, narrowed to the one repository and to contents and pull requests; a wrong
 * key, a wrong App id, an unknown installation, a repository the installation does not grant and
 * a key that is not a key are refused in words; the App's installation on a repository is checked;
 * a token is kept until five minutes before it expires.
 */
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkRepositoryInstallation, githubAppConfig, installationToken, INSTALLATION_TOKEN_MARGIN_MS, mintInstallationToken } from "../../src/actors/project/github-app.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github.ts";

const keys = (format: "pkcs1" | "pkcs8") => generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: format, format: "pem" } });
const app = keys("pkcs1");
const other = keys("pkcs8");
const WIDGETS = { owner: "acme", repo: "widgets" };
let github: FakeGitHub;

beforeAll(async () => {
  github = await startFakeGitHub(undefined, undefined, {
    app: { appId: "77", publicKeyPem: app.publicKey, installations: { 9: { token: "ghs_nine", repositories: ["acme/widgets", "acme/gadgets"] }, 10: { token: "ghs_ten", repositories: ["acme/widgets"] } } },
  });
});

afterAll(async () => {
  await github?.close();
});

describe("a GitHub App installation's token", () => {
  it("is minted with the App's key and id for one repository, and refused in words otherwise", async () => {
    const config = githubAppConfig({ GITHUB_APP_ID: "77", GITHUB_APP_PRIVATE_KEY: app.privateKey, GITHUB_API_BASE_URL: `${github.url}/` })!;
    expect(config.apiBaseUrl).toBe(github.url);
    expect(app.privateKey).toContain("BEGIN RSA PRIVATE KEY");
    const minted = await mintInstallationToken(config, 9, WIDGETS);
    expect(minted.token).toBe("ghs_nine");
    expect(minted.expiresAtMs).toBeGreaterThan(Date.now() + 50 * 60_000);
    // Narrowed to the repository and what SAM does with it.
    expect(github.installationTokens.at(-1)).toEqual({ installationId: 9, repositories: ["widgets"], permissions: { contents: "write", pull_requests: "write" } });
    // A key kept in an environment variable with its line breaks escaped works too.
    expect((await mintInstallationToken({ ...config, privateKey: app.privateKey.replace(/\n/g, "\\n") }, 9, WIDGETS)).token).toBe("ghs_nine");

    await expect(mintInstallationToken({ ...config, privateKey: other.privateKey }, 9, WIDGETS)).rejects.toThrow(/GitHub answered 401 A JSON web token could not be decoded when minting a token of installation 9 for App 77/);
    await expect(mintInstallationToken({ ...config, appId: "78" }, 9, WIDGETS)).rejects.toThrow(/401 Integration not found/);
    await expect(mintInstallationToken(config, 11, WIDGETS)).rejects.toThrow(/404 Not Found when minting a token of installation 11/);
    await expect(mintInstallationToken(config, 10, { owner: "acme", repo: "gadgets" })).rejects.toThrow(/422 There is at least one repository that does not exist or is not accessible/);
    await expect(mintInstallationToken({ ...config, privateKey: "-----BEGIN RSA PRIVATE KEY-----\nnope\n-----END RSA PRIVATE KEY-----" }, 9, WIDGETS)).rejects.toThrow(/GITHUB_APP_PRIVATE_KEY\) could not be read/);
    await expect(mintInstallationToken({ ...config, privateKey: "not a key" }, 9, WIDGETS)).rejects.toThrow(/GITHUB_APP_PRIVATE_KEY\) could not sign/);
    expect(githubAppConfig({ GITHUB_APP_ID: "77" })).toBeNull();
    expect(githubAppConfig({ GITHUB_APP_PRIVATE_KEY: app.privateKey })).toBeNull();
  });

  it("is checked to be the App's installation on the repository", async () => {
    const config = githubAppConfig({ GITHUB_APP_ID: "77", GITHUB_APP_PRIVATE_KEY: app.privateKey, GITHUB_API_BASE_URL: github.url })!;
    await expect(checkRepositoryInstallation(config, 9, { owner: "acme", repo: "gadgets" })).resolves.toBeUndefined();
    await expect(checkRepositoryInstallation(config, 10, { owner: "acme", repo: "gadgets" })).rejects.toThrow("SAM's GitHub App is installed on acme/gadgets as installation 9, not 10");
    await expect(checkRepositoryInstallation(config, 9, { owner: "someone", repo: "else" })).rejects.toThrow("SAM's GitHub App (App 77) is not installed on someone/else");
  });

  it("is kept until five minutes before it expires, then minted again", async () => {
    const config = githubAppConfig({ GITHUB_APP_ID: "77", GITHUB_APP_PRIVATE_KEY: app.privateKey, GITHUB_API_BASE_URL: github.url })!;
    const count = () => github.installationTokens.filter((m) => m.installationId === 10).length;
    const now = Date.now();
    expect(await installationToken(config, 10, WIDGETS, now)).toBe("ghs_ten");
    expect(await installationToken(config, 10, WIDGETS, now + 1000)).toBe("ghs_ten");
    expect(count()).toBe(1);
    // The fake's token lives an hour: past 55 minutes it is minted again.
    expect(await installationToken(config, 10, WIDGETS, now + 3_600_000 - INSTALLATION_TOKEN_MARGIN_MS + 1000)).toBe("ghs_ten");
    expect(count()).toBe(2);
  });
});
