/** `sam projects list|create` and `sam members list|add|remove` (project from --project or SAM_PROJECT). */
import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { CliError } from "../errors.ts";
import { table } from "../format.ts";

type Project = { id: string; name: string; createdAt: string; role?: string };
type Member = { userId: string; name: string; role: string; addedAt: string };

const ROLES = ["owner", "member", "viewer"] as const;

/** Registers `projects` and `members` on `program`. */
export function registerProjects(program: Command, context: (command: Command) => CliContext): void {
  const projects = program.command("projects").description("the projects you are a member of");
  projects
    .command("list")
    .description("list your projects")
    .action(async (_o: unknown, command: Command) => {
      const ctx = context(command);
      const { projects: list } = await ctx.api().get<{ projects: Project[] }>("/api/projects");
      ctx.print(list.length ? table(["ID", "NAME", "ROLE", "CREATED"], list.map((p) => [p.id, p.name, p.role ?? "", p.createdAt])) : "no projects yet: `sam projects create NAME`", { projects: list });
    });
  projects
    .command("create")
    .description("create a project (you become its owner)")
    .argument("<name>", "the project's name")
    .action(async (name: string, _o: unknown, command: Command) => {
      const ctx = context(command);
      const project = await ctx.api().post<Project>("/api/projects", { name });
      ctx.print(`created ${project.id} ${project.name}`, project);
    });

  const members = program.command("members").description("who is in the project, with which role");
  members
    .command("list")
    .description("list the project's members")
    .action(async (_o: unknown, command: Command) => {
      const ctx = context(command);
      const { members: list } = await ctx.api().get<{ members: Member[] }>(`/api/projects/${encodeURIComponent(ctx.projectId())}/members`);
      ctx.print(table(["USER", "NAME", "ROLE", "ADDED"], list.map((m) => [m.userId, m.name, m.role, m.addedAt])), { members: list });
    });
  members
    .command("add")
    .description("add a person to the project, or change their role (owners only)")
    .argument("<userId>", "their user id (usr_...)")
    .option("--role <role>", `one of ${ROLES.join(", ")}`, "member")
    .action(async (userId: string, options: { role: string }, command: Command) => {
      const ctx = context(command);
      if (!(ROLES as readonly string[]).includes(options.role)) throw new CliError(`--role must be one of ${ROLES.join(", ")}`, 2);
      const member = await ctx.api().post<Member>(`/api/projects/${encodeURIComponent(ctx.projectId())}/members`, { userId, role: options.role });
      ctx.print(`${member.name} (${member.userId}) is now ${member.role}`, member);
    });
  members
    .command("remove")
    .description("remove a person from the project (owners only)")
    .argument("<userId>", "their user id (usr_...)")
    .action(async (userId: string, _o: unknown, command: Command) => {
      const ctx = context(command);
      await ctx.api().delete(`/api/projects/${encodeURIComponent(ctx.projectId())}/members/${encodeURIComponent(userId)}`);
      ctx.print(`removed ${userId}`, { removed: userId });
    });
}
