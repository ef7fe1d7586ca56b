/**
 * The voice call with the project's tech lead (issue 14's "Talk"): opened by the page's Talk
 * button, it asks for the microphone, shows its live level, what the recogniser hears while one
 * speaks, what the tech lead is doing (listening, thinking, speaking), the conversation with each
 * reply's text beside its audio, and offers mute, stop the reply, and end call. When voice is
 * unavailable it says why and nothing else changes. The turns are also stored in the project's
 * `voice` session, which everyone sees in the chat; the panel links to it.
 */
import { useEffect, useImperativeHandle, useRef, useState, type Ref } from "react";
import { Link, paths } from "../lib/router.tsx";
import { useTechLeadVoice } from "../lib/useTechLeadVoice.ts";
import { VoiceLevelMeter } from "./VoiceLevelMeter.tsx";
import { VoiceReplyAudio } from "./VoiceReplyAudio.tsx";

/** What the page's Talk button does with the panel. */
export type TalkHandle = {
  /** Shows the panel and starts a call: call it from the click (browsers start audio only from a gesture). */
  open: () => void;
  /** Ends the call and hides the panel. */
  close: () => void;
};

type Props = {
  projectId: string;
  /** The project's latest `voice` session, to link to; null when it has none yet. */
  voiceSessionId: string | null;
  /** Told when the panel shows or hides (also false when it unmounts). */
  onOpenChange: (open: boolean) => void;
  ref?: Ref<TalkHandle>;
};

/** The panel (nothing while closed); its call ends when it closes or unmounts. */
export function TalkPanel({ projectId, voiceSessionId, onOpenChange, ref }: Props) {
  const voice = useTechLeadVoice(projectId);
  const [open, setOpen] = useState(false);
  const openChange = useRef(onOpenChange);
  openChange.current = onOpenChange;
  const transcriptEnd = useRef<HTMLLIElement | null>(null);

  useImperativeHandle(
    ref,
    () => ({
      open: () => {
        voice.start();
        setOpen(true);
        openChange.current(true);
      },
      close: () => {
        voice.end();
        setOpen(false);
        openChange.current(false);
      },
    }),
    [voice.start, voice.end],
  );

  useEffect(() => () => openChange.current(false), []);

  const lastText = voice.items.at(-1)?.text;
  useEffect(() => {
    transcriptEnd.current?.scrollIntoView?.({ block: "nearest" });
  }, [voice.items.length, lastText, voice.interim]);

  if (!open) return null;
  const inCall = voice.phase === "connecting" || voice.phase === "starting" || voice.phase === "live";
  const canStop = voice.phase === "live" && (voice.playing || voice.serverStatus === "speaking" || voice.serverStatus === "thinking");
  const unavailable = voice.phase === "unavailable";

  return (
    <section className="card talk-panel" data-testid="talk-panel" data-phase={voice.phase} aria-label="Voice call with the tech lead">
      <div className="talk-head">
        <h2>Talk to the tech lead</h2>
        <span className={`talk-status talk-status-${voice.status}`} data-testid="voice-status" role="status">
          {voice.status}
        </span>
        <span className="topbar-spacer" />
        {!inCall && (
          <button
            type="button"
            className="secondary"
            data-testid="talk-close"
            onClick={() => {
              setOpen(false);
              openChange.current(false);
            }}
          >
            Close
          </button>
        )}
      </div>

      {voice.problem && (
        <p className={`form-error talk-problem${unavailable ? " talk-unavailable" : ""}`} role="alert" data-testid="voice-problem">
          {voice.problem}
        </p>
      )}
      {voice.phase === "connecting" && <p className="muted small">Connecting to the tech lead…</p>}
      {voice.phase === "starting" && <p className="muted small">Allow the microphone if your browser asks.</p>}

      <div className="talk-controls">
        <VoiceLevelMeter level={voice.level} muted={voice.muted} active={voice.phase === "live" || voice.phase === "starting"} />
        <div className="talk-buttons">
          <button type="button" className="secondary" data-testid="voice-mute" aria-pressed={voice.muted} disabled={!inCall} onClick={voice.toggleMute}>
            {voice.muted ? "Unmute" : "Mute"}
          </button>
          <button type="button" className="secondary" data-testid="voice-interrupt" disabled={!canStop} onClick={voice.interrupt}>
            Stop reply
          </button>
          {inCall ? (
            <button type="button" className="danger" data-testid="voice-end" onClick={voice.end}>
              End call
            </button>
          ) : (
            <button type="button" data-testid="voice-call-again" onClick={voice.start}>
              {unavailable ? "Try again" : "Talk again"}
            </button>
          )}
        </div>
      </div>

      <ol className="talk-transcript" data-testid="voice-transcript">
        {voice.items.map((item) => (
          <li
            key={item.key}
            className={`talk-line talk-line-${item.role}`}
            data-testid={item.role === "user" ? "voice-said" : "voice-reply"}
            data-audio-state={item.audio?.state}
          >
            <span className="talk-who small">{item.role === "user" ? "You" : "Tech lead"}</span>
            <span className="talk-text pre-wrap" data-testid="voice-line-text">
              {item.text}
            </span>
            {item.audio && <VoiceReplyAudio audio={item.audio} replaying={voice.replaying === item.key} onReplay={() => voice.replay(item.key)} />}
          </li>
        ))}
        {voice.interim && (
          <li className="talk-line talk-line-user talk-interim" data-testid="voice-interim" aria-live="polite">
            <span className="talk-who small">You</span>
            <span className="talk-text">{voice.interim}…</span>
          </li>
        )}
        <li ref={transcriptEnd} className="talk-end" aria-hidden="true" />
      </ol>
      {voice.phase === "live" && voice.items.length === 0 && !voice.interim && <p className="muted small">Speak: the tech lead is listening.</p>}

      <p className="small talk-foot">
        {voiceSessionId ? (
          <Link to={paths.session(projectId, voiceSessionId)} data-testid="voice-session-link">
            Open the voice session in the chat
          </Link>
        ) : (
          <span className="muted">Each turn is also kept in the project's voice session.</span>
        )}
        {voice.received.frames > 0 && (
          <span className="muted" data-testid="voice-received" data-frames={voice.received.frames} data-bytes={voice.received.bytes}>
            {" "}
            · {voice.received.frames} audio {voice.received.frames === 1 ? "frame" : "frames"} received
          </span>
        )}
      </p>
    </section>
  );
}
