/**
 * Account administration (issue 13), for admins only (others get 403 `forbidden`): list the
 * accounts, add a person (for teams without GitHub sign-in: the answer carries their first
 * personal access token, shown once), approve a pending account, suspend one (their tokens are
 * refused from the next request on and their open sockets close), reinstate a suspended one.
 */
import { getAgentByName } from "agents";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { userIdSchema } from "../../ids.ts";
import { requireAdmin, requireUser, type AuthedEnv } from "../auth.ts";
import { apiError, parseJsonBody, parseValue } from "../http.ts";
import { closeSockets } from "../people/sockets.ts";
import { createPersonalToken } from "../people/tokens.ts";
import { createAccount, getAccount, listAccounts, setAccountStatus, type UserStatus } from "../people/users.ts";

/** `POST /api/admin/users`: the new person's name. */
export const addUserSchema = z.object({ name: z.string().trim().min(1).max(100) });

/** Routes under /api/admin. */
export const adminRoutes = new Hono<AuthedEnv>();

adminRoutes.get("/api/admin/users", requireUser, requireAdmin, async (c) => c.json({ users: await listAccounts(c.env) }));

adminRoutes.post("/api/admin/users", requireUser, requireAdmin, async (c) => {
  const body = await parseJsonBody(c, addUserSchema);
  if (!body.ok) return body.response;
  const user = await createAccount(c.env, { name: body.value.name, status: "active" });
  await (await getAgentByName(c.env.UserAgent, user.id)).ensureProfile({ id: user.id, name: user.name, createdAt: user.createdAt });
  const { token } = await createPersonalToken(c.env, user.id, `added by ${c.get("user").name}`);
  return c.json({ user, token }, 201);
});

/** Each status change: which statuses it starts from, where it goes, and the 409's words. */
const STATUS_CHANGES: Record<"approve" | "suspend" | "reinstate", { from: UserStatus[]; to: UserStatus; refused: string }> = {
  approve: { from: ["pending"], to: "active", refused: "only a pending account can be approved" },
  suspend: { from: ["active", "pending"], to: "suspended", refused: "the account is already suspended, or it is the last active admin" },
  reinstate: { from: ["suspended"], to: "active", refused: "only a suspended account can be reinstated" },
};

for (const [action, change] of Object.entries(STATUS_CHANGES)) {
  adminRoutes.post(`/api/admin/users/:userId/${action}`, requireUser, requireAdmin, async (c) => {
    const userId = parseValue(c, userIdSchema, c.req.param("userId"));
    if (!userId.ok) return userId.response;
    if (action === "suspend" && userId.value === c.get("user").id) return apiError(c, 409, "conflict", "you cannot suspend yourself");
    const changed = await setAccountStatus(c.env, userId.value, change.from, change.to);
    if (!changed) return unchanged(c, userId.value, change.refused);
    if (action === "suspend") await closeSockets(c.env, changed.id, { userId: changed.id }, "account suspended");
    return c.json({ user: changed });
  });
}

/** 404 for an unknown account, else 409 with `refused` (the account is not in a status the change starts from). */
async function unchanged(c: Context<AuthedEnv>, userId: string, refused: string): Promise<Response> {
  return (await getAccount(c.env, userId)) ? apiError(c, 409, "conflict", refused) : apiError(c, 404, "not_found", "no such user");
}
