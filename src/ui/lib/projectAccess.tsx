/**
 * What the signed-in person may do in one project, shared through React context: the members
 * (`GET /api/projects/:id/members`, which also tells whether one is still a member), one's own
 * role, and whether access was lost. The project socket asks for a re-check when the server
 * closes it because access changed (close code 4003) or when it cannot reconnect; a 404 then
 * means "no longer a member" (the page says so and the socket stops), a 401 signs out (the API
 * client tells the session store), a new role takes effect at once.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type Dispatch, type ReactNode, type SetStateAction } from "react";
import { ApiError, errorMessage, type User } from "./api.ts";
import { listMembers, type ProjectMember, type ProjectRole } from "./peopleApi.ts";
import { accessOutcome } from "./peopleRules.ts";

/** One's access to a project, as the provider keeps it. */
export type ProjectAccess = {
  projectId: string;
  me: User;
  /** The members, owners first; undefined until loaded. */
  members: ProjectMember[] | undefined;
  membersError: string | null;
  /** One's role; null while unknown. */
  role: ProjectRole | null;
  /** Whether to offer writing (chat, tasks, missions, answers, settings): owners and members; also when the role could not be loaded (the server decides). */
  canWrite: boolean;
  /** Whether to offer managing members. */
  isOwner: boolean;
  /** True once the server said one is not (or no longer) a member. */
  lost: boolean;
  /**
   * Asks the server again and resolves to what it said (`ok`: still a member, role refreshed; see
   * `accessOutcome` for the others). Unless `force`, a call during a check gets its answer, and
   * one within RECHECK_GAP_MS of the last is `skipped`. Only the latest check's answer is applied.
   */
  recheck: (force?: boolean) => Promise<AccessCheck>;
  /** Changes the loaded member list (after adding, changing or removing someone). */
  setMembers: Dispatch<SetStateAction<ProjectMember[] | undefined>>;
};

/** The answer of one access check; `skipped` when a recent one made it needless. */
export type AccessCheck = "ok" | "lost" | "signedOut" | "inactive" | "unknown" | "skipped";

/** The shortest time between two re-checks the socket asks for, in ms (a refused reconnect repeats with backoff). */
export const RECHECK_GAP_MS = 3_000;

const AccessContext = createContext<ProjectAccess | null>(null);

/** Loads `me`'s access to `projectId` for the components inside it. */
export function ProjectAccessProvider({ projectId, me, children }: { projectId: string; me: User; children: ReactNode }) {
  const [members, setMembers] = useState<ProjectMember[] | undefined>(undefined);
  const [membersError, setMembersError] = useState<string | null>(null);
  const [lost, setLost] = useState(false);
  const inFlight = useRef<Promise<AccessCheck> | null>(null);
  const lastCheck = useRef(0);
  /** Bumped by every check, so only the latest one's answer is applied. */
  const latest = useRef(0);
  const live = useRef(true);

  const check = useCallback(
    (force: boolean): Promise<AccessCheck> => {
      const now = Date.now();
      if (!force && inFlight.current) return inFlight.current;
      if (!force && now - lastCheck.current < RECHECK_GAP_MS) return Promise.resolve("skipped");
      lastCheck.current = now;
      const mine = ++latest.current;
      const applies = () => live.current && mine === latest.current;
      const run = (async (): Promise<AccessCheck> => {
        try {
          const list = await listMembers(projectId);
          if (applies()) {
            setMembers(list);
            setMembersError(null);
            setLost(false);
          }
          return "ok";
        } catch (error) {
          const outcome = error instanceof ApiError ? accessOutcome(error.status, error.code) : "unknown";
          if (applies()) {
            if (outcome === "lost") setLost(true);
            else if (outcome === "unknown") setMembersError(errorMessage(error));
            // signedOut / inactive: the session store heard of it from the API client and replaces the page.
          }
          return outcome;
        } finally {
          if (mine === latest.current) inFlight.current = null;
        }
      })();
      inFlight.current = run;
      return run;
    },
    [projectId],
  );

  useEffect(() => {
    live.current = true;
    void check(true);
    return () => {
      live.current = false;
    };
  }, [check]);

  const recheck = useCallback((force = false) => check(force), [check]);
  const role = members?.find((m) => m.userId === me.id)?.role ?? null;
  const value = useMemo<ProjectAccess>(
    () => ({
      projectId,
      me,
      members,
      membersError,
      role,
      canWrite: role ? role !== "viewer" : membersError !== null,
      isOwner: role === "owner",
      lost,
      recheck,
      setMembers,
    }),
    [projectId, me, members, membersError, role, lost, recheck],
  );
  return <AccessContext.Provider value={value}>{children}</AccessContext.Provider>;
}

/** The surrounding project's access; throws outside a `<ProjectAccessProvider>`. */
export function useProjectAccess(): ProjectAccess {
  const value = useContext(AccessContext);
  if (!value) throw new Error("useProjectAccess needs a <ProjectAccessProvider>");
  return value;
}

/** The surrounding project's access, or null outside a `<ProjectAccessProvider>`. */
export function useOptionalProjectAccess(): ProjectAccess | null {
  return useContext(AccessContext);
}

/** Whether to offer writing in the surrounding project (true outside a provider: the server decides). */
export function useCanWrite(): boolean {
  return useOptionalProjectAccess()?.canWrite ?? true;
}
