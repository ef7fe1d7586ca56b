/**
 * `/projects/:id` and `/projects/:id/sessions/:sid`: questions waiting for an answer (on top),
 * sessions (sidebar), the chat of the selected session, and the project's tasks or missions,
 * all live over one project socket; who is online, the members, the triggers, the settings and
 * Talk (a voice call with the tech lead, not for viewers) are in the header. A viewer sees it all read-only;
 * someone removed while the page is open is told they no longer have access.
 */
import { useRef, useState } from "react";
import type { ChatSession } from "../../shared/protocol.ts";
import { listProjects, listSessions, type User } from "../lib/api.ts";
import { ProjectAccessProvider, useProjectAccess } from "../lib/projectAccess.tsx";
import { Link, navigate, paths } from "../lib/router.tsx";
import { ProjectSocketProvider, useProjectFrames } from "../lib/socketContext.tsx";
import { useLoader } from "../lib/useLoader.ts";
import { useProjectMissions } from "../lib/useProjectMissions.ts";
import { useProjectTasks } from "../lib/useProjectTasks.ts";
import { latestVoiceSessionId } from "../lib/voiceCall.ts";
import { ChatPanel } from "./ChatPanel.tsx";
import { ConnectionStatus } from "./ConnectionStatus.tsx";
import { LostAccess } from "./LostAccess.tsx";
import { MembersPanel } from "./MembersPanel.tsx";
import { MissionsPanel } from "./MissionsPanel.tsx";
import { PendingQuestions } from "./PendingQuestions.tsx";
import { PresenceList } from "./PresenceList.tsx";
import { ProjectSettings } from "./ProjectSettings.tsx";
import { SessionList } from "./SessionList.tsx";
import { TalkPanel, type TalkHandle } from "./TalkPanel.tsx";
import { TasksPanel } from "./TasksPanel.tsx";
import { TriggersPanel } from "./TriggersPanel.tsx";

/** The project page of `me`, with their access to it and its live socket. */
export function ProjectPage({ projectId, sessionId, me }: { projectId: string; sessionId: string | null; me: User }) {
  return (
    <ProjectAccessProvider projectId={projectId} me={me}>
      <ProjectGate projectId={projectId} sessionId={sessionId} />
    </ProjectAccessProvider>
  );
}

/** The page while one has access; the "no longer have access" notice (and no socket) once it is lost. */
function ProjectGate({ projectId, sessionId }: { projectId: string; sessionId: string | null }) {
  const { lost } = useProjectAccess();
  if (lost) return <LostAccess projectId={projectId} />;
  return (
    <ProjectSocketProvider projectId={projectId}>
      <ProjectView projectId={projectId} sessionId={sessionId} />
    </ProjectSocketProvider>
  );
}

function ProjectView({ projectId, sessionId }: { projectId: string; sessionId: string | null }) {
  const project = useLoader(async () => (await listProjects()).find((p) => p.id === projectId) ?? null, [projectId]);
  const sessions = useLoader(() => listSessions(projectId), [projectId]);
  const [sidebarOpen, setSidebarOpen] = useState(sessionId === null);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [membersOpen, setMembersOpen] = useState(false);
  const [triggersOpen, setTriggersOpen] = useState(false);
  const [talkOpen, setTalkOpen] = useState(false);
  const talk = useRef<TalkHandle | null>(null);
  const access = useProjectAccess();
  const [tab, setTab] = useState<"tasks" | "missions">("tasks");
  const tasks = useProjectTasks(projectId);
  const missions = useProjectMissions(projectId);
  const activeMissions = missions.items?.filter((m) => m.status === "running" || m.status === "planning" || m.status === "paused").length ?? 0;

  useProjectFrames({
    onFrame: (frame) => {
      if (frame.type !== "chat.message") return;
      const { message } = frame;
      const known = sessions.data?.some((s) => s.id === message.sessionId);
      if (!known) {
        sessions.reload(); // a session another client created
        return;
      }
      sessions.setData((list) =>
        list?.map((s) => (s.id === message.sessionId ? { ...s, messageCount: Math.max(s.messageCount, message.seq) } : s)),
      );
    },
    onOpen: (reconnect) => {
      if (reconnect) sessions.reload();
    },
  });

  const sessionCreated = (session: ChatSession) => {
    sessions.setData((list) => [...(list ?? []).filter((s) => s.id !== session.id), session]);
    sessions.reload();
    setSidebarOpen(false);
    navigate(paths.session(projectId, session.id));
  };

  const selected = sessions.data?.find((s) => s.id === sessionId) ?? null;
  const title = project.data?.name ?? (project.loading ? "…" : projectId);

  return (
    <div className="project-page">
      <div className="page-head">
        <Link to={paths.projects()} className="muted small">
          ← Projects
        </Link>
        <h1 className="page-title" title={projectId}>
          {title}
        </h1>
        {access.role && (
          <span className="chip" data-testid="project-role" title="Your role in this project">
            {access.role}
          </span>
        )}
        <span className="topbar-spacer" />
        {access.canWrite && (
          <button
            type="button"
            className="talk-button"
            data-testid="talk-toggle"
            aria-expanded={talkOpen}
            title="Talk to the tech lead by voice"
            onClick={() => (talkOpen ? talk.current?.close() : talk.current?.open())}
          >
            {talkOpen ? "Close call" : "Talk"}
          </button>
        )}
        <PresenceList />
        <button
          type="button"
          className="secondary"
          data-testid="members-toggle"
          aria-expanded={membersOpen}
          onClick={() => setMembersOpen((open) => !open)}
        >
          Members{access.members ? ` (${access.members.length})` : ""}
        </button>
        <button type="button" className="secondary" data-testid="triggers-toggle" aria-expanded={triggersOpen} onClick={() => setTriggersOpen((open) => !open)}>
          Triggers
        </button>
        {access.canWrite && (
          <button
            type="button"
            className="secondary"
            data-testid="settings-toggle"
            aria-expanded={settingsOpen}
            onClick={() => setSettingsOpen((open) => !open)}
          >
            Settings
          </button>
        )}
        <ConnectionStatus />
      </div>
      {membersOpen && <MembersPanel />}
      {triggersOpen && <TriggersPanel projectId={projectId} />}
      {settingsOpen && access.canWrite && <ProjectSettings projectId={projectId} />}
      {access.canWrite && <TalkPanel ref={talk} projectId={projectId} voiceSessionId={latestVoiceSessionId(sessions.data)} onOpenChange={setTalkOpen} />}
      <PendingQuestions tasks={tasks.items} onAnswered={tasks.upsert} />
      {project.data === null && !project.loading && (
        <p className="form-error" role="alert">
          This project was not found in your project list.
        </p>
      )}
      <button
        type="button"
        className="sidebar-toggle"
        aria-expanded={sidebarOpen}
        onClick={() => setSidebarOpen((open) => !open)}
      >
        {sidebarOpen ? "Hide sessions" : `Sessions${selected ? `: ${selected.title}` : ""}`}
      </button>
      <div className="project-grid">
        <aside className={`sidebar card${sidebarOpen ? " open" : ""}`}>
          <SessionList
            projectId={projectId}
            sessions={sessions.data}
            error={sessions.error}
            selectedId={sessionId}
            onCreated={sessionCreated}
            onSelect={() => setSidebarOpen(false)}
          />
        </aside>
        <section className="chat-column">
          {sessionId ? (
            <ChatPanel key={sessionId} projectId={projectId} sessionId={sessionId} title={selected?.title ?? null} />
          ) : (
            <div className="card empty-chat">
              <p className="muted">Pick a session, or create one, to chat.</p>
            </div>
          )}
        </section>
        <section className="tasks-column">
          <div className="tabs" role="tablist">
            <button type="button" role="tab" aria-selected={tab === "tasks"} data-testid="tab-tasks" onClick={() => setTab("tasks")}>
              Tasks
            </button>
            <button type="button" role="tab" aria-selected={tab === "missions"} data-testid="tab-missions" onClick={() => setTab("missions")}>
              Missions{activeMissions > 0 ? ` (${activeMissions} active)` : ""}
            </button>
          </div>
          {tab === "tasks" ? (
            <TasksPanel projectId={projectId} live={tasks} />
          ) : (
            <MissionsPanel projectId={projectId} live={missions} tasks={tasks.items} />
          )}
        </section>
      </div>
    </div>
  );
}
