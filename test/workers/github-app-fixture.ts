/**
 * SAM's GitHub App in the Workers-runtime tests: its id, and the installation the fake GitHub
 * (global-setup.ts) mints `TEST_GITHUB_INSTALLATION_TOKEN` for. Its key pair is made per run.
 */
export const TEST_GITHUB_APP_ID = "123456";
export const TEST_GITHUB_INSTALLATION_ID = 4242;
export const TEST_GITHUB_INSTALLATION_TOKEN = "ghs_testInstallationToken0123456789abcdef";
/** The repositories (`owner/repo`) the installation grants. */
export const TEST_GITHUB_INSTALLATION_REPOSITORIES = ["acme/widgets"];
