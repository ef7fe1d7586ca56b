/**
 * The Hono app: every HTTP route under /api. Auth middleware is attached per route, never as a
 * wildcard on a shared mount path (docs/architecture.md §8).
 */
import { Hono } from "hono";
import type { AuthedEnv } from "./auth.ts";
import { apiError } from "./http.ts";
import { metaRoutes } from "./routes/meta.ts";
import { projectRoutes } from "./routes/projects.ts";
import { missionRoutes } from "./routes/missions.ts";
import { taskRoutes } from "./routes/tasks.ts";
import { credentialRoutes } from "./routes/credentials.ts";
import { proxyRoutes } from "./routes/proxy.ts";
import { usageRoutes } from "./routes/usage.ts";
import { adminRoutes } from "./routes/admin.ts";
import { deviceRoutes } from "./routes/device.ts";
import { embedTokenRoutes } from "./routes/embed-tokens.ts";
import { memberRoutes } from "./routes/members.ts";
import { signInRoutes } from "./routes/sign-in.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import { notificationRoutes } from "./routes/notifications.ts";
import { hookRoutes } from "./routes/hooks.ts";
import { triggerRoutes } from "./routes/triggers.ts";
import { mcpServerRoutes } from "./routes/mcp-servers.ts";
import { repositoryRoutes } from "./routes/repository.ts";

/** Builds the API app. */
export function createApiApp(): Hono<AuthedEnv> {
  const app = new Hono<AuthedEnv>();
  app.route("/", metaRoutes);
  app.route("/", projectRoutes);
  app.route("/", repositoryRoutes);
  app.route("/", taskRoutes);
  app.route("/", missionRoutes);
  app.route("/", credentialRoutes);
  app.route("/", usageRoutes);
  app.route("/", proxyRoutes);
  app.route("/", tokenRoutes);
  app.route("/", adminRoutes);
  app.route("/", memberRoutes);
  app.route("/", deviceRoutes);
  app.route("/", signInRoutes);
  app.route("/", embedTokenRoutes);
  app.route("/", notificationRoutes);
  app.route("/", triggerRoutes);
  app.route("/", mcpServerRoutes);
  app.route("/", hookRoutes);
  app.notFound((c) => apiError(c, 404, "not_found", `no route ${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError((error, c) => {
    console.error(`unhandled error on ${c.req.method} ${new URL(c.req.url).pathname}: ${error.message}`);
    return apiError(c, 500, "internal", "internal error");
  });
  return app;
}
