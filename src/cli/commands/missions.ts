/** `sam missions create|status|cancel`: a mission from a plan file, followed live with `--wait`. */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { MissionView } from "../../shared/protocol.ts";
import type { CliContext } from "../context.ts";
import { CliError } from "../errors.ts";
import { missionLines } from "../format.ts";
import { followMission } from "../watch.ts";

/** Reads a mission plan (`{goal, tasks: [...]}` as `POST /api/projects/:id/missions` takes it). @throws CliError (exit 2) */
export function readPlan(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new CliError(`--file ${path}: ${error instanceof Error ? error.message : String(error)}`, 2);
  }
}

/** Registers `missions` on `program`; `setExitCode` records the run's exit code. */
export function registerMissions(program: Command, context: (command: Command) => CliContext, setExitCode: (code: number) => void): void {
  const missions = program.command("missions").description("create, follow and cancel missions (plans of dependent tasks)");

  missions
    .command("create")
    .description("start a mission from a plan file")
    .requiredOption("--file <plan.json>", "the plan: {goal, tasks: [{key, prompt, dependsOn?, model?, script?}], ...}")
    .option("--wait", "show the plan live until the mission ends; exit 0 when it succeeded, 1 otherwise")
    .action(async (options: { file: string; wait?: boolean }, command: Command) => {
      const ctx = context(command);
      const api = ctx.api();
      const created = await api.post<{ id: string; status: string }>(`/api/projects/${encodeURIComponent(ctx.projectId())}/missions`, readPlan(options.file));
      if (!options.wait) {
        ctx.print(`${created.id} ${created.status}`, created);
        return;
      }
      let shown = "";
      const mission = await followMission(api, created.id, (view) => {
        const text = missionLines(view).join("\n");
        if (text !== shown) ctx.progress(text);
        shown = text;
      });
      ctx.print(missionLines(mission), mission);
      setExitCode(mission.status === "succeeded" ? 0 : 1);
    });

  missions
    .command("status")
    .description("a mission's plan and state")
    .argument("<missionId>")
    .action(async (missionId: string, _o: unknown, command: Command) => {
      const ctx = context(command);
      const mission = await ctx.api().get<MissionView>(`/api/missions/${encodeURIComponent(missionId)}`);
      ctx.print(missionLines(mission), mission);
    });

  missions
    .command("cancel")
    .description("cancel a mission and its running tasks")
    .argument("<missionId>")
    .action(async (missionId: string, _o: unknown, command: Command) => {
      const ctx = context(command);
      const mission = await ctx.api().post<MissionView>(`/api/missions/${encodeURIComponent(missionId)}/cancel`);
      ctx.print(missionLines(mission), mission);
    });
}
