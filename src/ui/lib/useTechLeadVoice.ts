/**
 * A voice call with the project's tech lead, as a React hook — the one module of the UI that
 * uses the Agents SDK's voice client (`agents/voice/client`, experimental and pinned: keep every
 * use of it here). The SDK's `VoiceClient` speaks the voice protocol (`hello`, `start_call`,
 * `end_call`, `interrupt`; `status`, `transcript*`, `audio_config`, `playback_interrupt`, `error`;
 * 16 kHz PCM16 frames in, audio frames out) and plays the replies; SAM gives it its own
 * transport (voiceTransport.ts: same-origin socket, voice-unavailable detection) and microphone
 * (voiceMicrophone.ts: a worklet the strict CSP allows). The hook adds what the panel shows:
 * the phase of the call, why it is unavailable, and each reply's audio (frames, seconds, playing
 * or interrupted), which it also keeps, decoded, to play again.
 */
import { VoiceClient, type TranscriptMessage, type VoiceStatus } from "agents/voice/client";
import { useCallback, useEffect, useRef, useState } from "react";
import { pcm16Seconds, pcm16ToFloat } from "./voiceAudio.ts";
import {
  CALL_START_TIMEOUT_MS,
  displayStatus,
  isPlaying,
  latestReplyKey,
  microphoneError,
  recordFrame,
  recordInterrupt,
  recordSeconds,
  START_TIMEOUT_MESSAGE,
  unavailableMessage,
  VOICE_AGENT_CLASS,
  voiceItems,
  voiceSocketUrl,
  type CloseDecision,
  type ReplyAudioLog,
  type ServerVoiceStatus,
  type VoiceItem,
  type VoicePhase,
} from "./voiceCall.ts";
import { WorkletMicrophone } from "./voiceMicrophone.ts";
import { SameOriginVoiceTransport } from "./voiceTransport.ts";

/** How many replies keep their decoded audio to be played again (older ones drop it). */
const REPLAYABLE_REPLIES = 20;

/** What the panel shows of a call, and what it can do. */
export type TechLeadVoice = {
  phase: VoicePhase;
  /** The word for the call's state: the phase, or while live `listening`, `thinking` or `speaking`. */
  status: string;
  /** What the tech lead's last `status` frame said. */
  serverStatus: ServerVoiceStatus;
  /** Why voice is unavailable or the call failed, or the last error of a live call (a turn refused, a reconnect); null when all is well. */
  problem: string | null;
  /** What the recogniser heard so far of the current utterance; null between utterances. */
  interim: string | null;
  /** The call's transcript, each reply with its audio. */
  items: VoiceItem[];
  /** The microphone's RMS level in [0, 1] (0 while muted). */
  level: number;
  muted: boolean;
  /** Whether a reply is playing here now. */
  playing: boolean;
  /** Audio received from the tech lead during the call: frames and bytes. */
  received: { frames: number; bytes: number };
  /** The reply being played again, or null. */
  replaying: string | null;
  /** Starts a call: call it from the click on Talk (browsers start audio only from a gesture). */
  start: () => void;
  /** Ends the call (the transcript stays shown). */
  end: () => void;
  toggleMute: () => void;
  /** Stops the reply playing now and tells the tech lead to stop its turn (as speaking over it does). */
  interrupt: () => void;
  /** Plays reply `key`'s audio again (or stops it when it is the one playing again). */
  replay: (key: string) => void;
};

type Snapshot = Omit<TechLeadVoice, "start" | "end" | "toggleMute" | "interrupt" | "replay">;

const initialSnapshot: Snapshot = {
  phase: "idle",
  status: "idle",
  serverStatus: "idle",
  problem: null,
  interim: null,
  items: [],
  level: 0,
  muted: false,
  playing: false,
  received: { frames: 0, bytes: 0 },
  replaying: null,
};

/** The voice call of `projectId`; one at a time, ended when the component unmounts. */
export function useTechLeadVoice(projectId: string): TechLeadVoice {
  const [snapshot, setSnapshot] = useState<Snapshot>(initialSnapshot);
  const callRef = useRef<VoiceCall | null>(null);

  useEffect(
    () => () => {
      callRef.current?.dispose();
      callRef.current = null;
    },
    [projectId],
  );

  const start = useCallback(() => {
    const current = callRef.current;
    if (current && current.active) return;
    current?.dispose();
    const call = new VoiceCall(projectId, (next) => {
      if (callRef.current === call) setSnapshot(next);
    });
    callRef.current = call;
    call.start();
  }, [projectId]);
  const end = useCallback(() => callRef.current?.end(), []);
  const toggleMute = useCallback(() => callRef.current?.toggleMute(), []);
  const interrupt = useCallback(() => callRef.current?.interrupt(), []);
  const replay = useCallback((key: string) => callRef.current?.replay(key), []);
  return { ...snapshot, start, end, toggleMute, interrupt, replay };
}

/** One call: the SDK's client with SAM's transport and microphone, and what the panel shows of it. */
class VoiceCall {
  private readonly projectId: string;
  private readonly publish: (snapshot: Snapshot) => void;
  private phase: VoicePhase = "idle";
  private serverStatus: ServerVoiceStatus = "idle";
  private problem: string | null = null;
  private interim: string | null = null;
  private lines: TranscriptMessage[] = [];
  private log: ReplyAudioLog = {};
  private level = 0;
  private muted = false;
  private received = { frames: 0, bytes: 0 };
  private replaying: string | null = null;
  private client: VoiceClient | null = null;
  private transport: SameOriginVoiceTransport | null = null;
  private microphone: WorkletMicrophone | null = null;
  /** Decoded audio of the latest replies, by reply key, to play again. */
  private readonly buffers = new Map<string, AudioBuffer[]>();
  private decoder: OfflineAudioContext | null = null;
  private replayContext: AudioContext | null = null;
  private startTimer: ReturnType<typeof setTimeout> | null = null;
  private playTimer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;

  constructor(projectId: string, publish: (snapshot: Snapshot) => void) {
    this.projectId = projectId;
    this.publish = publish;
  }

  /** Whether the call is under way (connecting, starting or live). */
  get active(): boolean {
    return this.phase === "connecting" || this.phase === "starting" || this.phase === "live";
  }

  start(): void {
    const microphone = new WorkletMicrophone();
    microphone.prepare(); // inside the click: lets audio start on strict browsers
    const transport = new SameOriginVoiceTransport(voiceSocketUrl(window.location, this.projectId), {
      incoming: (data) => this.incoming(data),
      outgoing: (data) => {
        if (data.type === "interrupt") this.interrupted();
      },
      closed: (decision) => this.closed(decision),
    });
    const client = new VoiceClient({ agent: VOICE_AGENT_CLASS, name: this.projectId, transport, audioInput: microphone });
    this.microphone = microphone;
    this.transport = transport;
    this.client = client;
    client.addEventListener("connectionchange", (connected) => this.connectionChanged(connected));
    client.addEventListener("statuschange", (status) => this.statusChanged(status));
    client.addEventListener("transcriptchange", (lines) => {
      this.lines = lines;
      this.emit();
    });
    client.addEventListener("interimtranscript", (text) => {
      this.interim = text ? text : null;
      this.emit();
    });
    client.addEventListener("audiolevelchange", (level) => {
      this.level = level;
      this.emit();
    });
    client.addEventListener("mutechange", (muted) => {
      this.muted = muted;
      this.emit();
    });
    client.addEventListener("voiceerror", (error) => this.serverError(error.message));
    client.addEventListener("error", (message) => {
      if (!this.active) return;
      this.problem = message;
      this.emit();
    });
    this.phase = "connecting";
    this.emit();
    client.connect();
  }

  end(): void {
    if (!this.active) return;
    this.finish("ended", null);
  }

  toggleMute(): void {
    if (this.phase === "live" || this.phase === "starting") this.client?.toggleMute();
  }

  interrupt(): void {
    if (this.phase !== "live") return;
    // The SDK's client stops its playback on the server's `playback_interrupt`; hand it one here,
    // then tell the server to abort the turn (it answers `listening`).
    this.transport?.deliverLocally({ type: "playback_interrupt" });
    this.interrupted();
    this.client?.sendJSON({ type: "interrupt" });
  }

  replay(key: string): void {
    if (this.replaying === key) {
      this.stopReplay();
      this.emit();
      return;
    }
    const buffers = this.buffers.get(key);
    if (!buffers || buffers.length === 0) return;
    this.stopReplay();
    const context = new AudioContext();
    this.replayContext = context;
    this.replaying = key;
    let at = context.currentTime + 0.05;
    let last: AudioBufferSourceNode | null = null;
    for (const buffer of buffers) {
      const source = context.createBufferSource();
      source.buffer = buffer;
      source.connect(context.destination);
      source.start(at);
      at += buffer.duration;
      last = source;
    }
    if (last)
      last.onended = () => {
        if (this.replayContext !== context) return;
        this.stopReplay();
        this.emit();
      };
    this.emit();
  }

  /** Ends everything without publishing (the component is gone). */
  dispose(): void {
    this.disposed = true;
    if (this.active) this.finish("ended", null);
    this.stopReplay();
    this.clearTimers();
  }

  private connectionChanged(connected: boolean): void {
    if (!connected) {
      if (this.phase === "live") {
        this.problem = "Connection lost. Reconnecting…";
        this.emit();
      }
      return;
    }
    if (this.phase === "live") {
      // Reopened: the SDK's client has asked to start the call again.
      this.problem = null;
      this.emit();
      return;
    }
    if (this.phase !== "connecting") return;
    this.phase = "starting";
    this.startTimer = setTimeout(() => {
      if (this.phase === "starting") this.finish("unavailable", START_TIMEOUT_MESSAGE);
    }, CALL_START_TIMEOUT_MS);
    this.emit();
    // Asks for the microphone (the permission prompt) and sends `start_call` — once the SDK's
    // client is done opening (it sends `start_call` itself on an open while in a call).
    queueMicrotask(() => {
      if (this.phase !== "starting") return;
      this.client?.startCall().catch((error: unknown) => {
        if (this.active) this.finish("failed", microphoneError(error).message);
      });
    });
  }

  private statusChanged(status: VoiceStatus): void {
    this.serverStatus = status;
    if (status !== "idle" && this.phase === "starting") {
      this.phase = "live";
      if (this.startTimer) clearTimeout(this.startTimer);
      this.startTimer = null;
    } else if (status === "idle" && this.phase === "live") {
      // The server ended the call (it failed, or it was ended from elsewhere).
      this.finish(this.problem ? "failed" : "ended", this.problem);
      return;
    }
    this.emit();
  }

  private serverError(message: string): void {
    if (this.phase === "starting" || this.phase === "connecting") {
      // The server could not start the call (no speech service, refused): voice is unavailable.
      this.finish("unavailable", `Voice is unavailable: ${message}`);
      return;
    }
    if (this.phase === "live") {
      this.problem = message;
      this.emit();
    }
  }

  private closed(decision: Exclude<CloseDecision, { action: "retry" }>): void {
    if (!this.active) return;
    switch (decision.action) {
      case "refused": {
        this.finish("unavailable", unavailableMessage(null, null));
        void this.explainRefusal();
        return;
      }
      case "access-changed":
        this.finish("failed", "Your access to this project changed: you can no longer talk to its tech lead here.");
        return;
      case "signed-out":
        this.finish("failed", "You are signed out: sign in again to talk to the tech lead.");
        return;
      case "gave-up":
        this.finish("failed", "The voice connection was lost. Press Talk to call again.");
        return;
      case "ended":
        this.finish("ended", decision.reason ? `The call was ended: ${decision.reason}` : null);
        return;
    }
  }

  /**
   * Asks `GET /api/me` whether the sign-in is the reason the upgrade was refused (browsers hide
   * the upgrade's status), and says so when still relevant. A plain fetch, not the API client: the
   * page's session store keeps its own checks.
   */
  private async explainRefusal(): Promise<void> {
    let message: string;
    try {
      const response = await fetch("/api/me", { credentials: "same-origin", headers: { accept: "application/json" } });
      message = unavailableMessage(response.status, await response.text());
    } catch {
      message = unavailableMessage(null, null);
    }
    if (this.phase === "unavailable" && !this.disposed) {
      this.problem = message;
      this.emit();
    }
  }

  private incoming(data: string | ArrayBuffer): void {
    if (typeof data === "string") {
      if (data.includes('"playback_interrupt"')) {
        try {
          if ((JSON.parse(data) as { type?: unknown }).type === "playback_interrupt") this.interrupted();
        } catch {
          // not ours to judge: the SDK's client ignores it too
        }
      }
      return;
    }
    const key = latestReplyKey(this.client?.transcript ?? this.lines) ?? "unassigned";
    this.received = { frames: this.received.frames + 1, bytes: this.received.bytes + data.byteLength };
    this.log = recordFrame(this.log, key, data.byteLength);
    this.emit();
    // A copy: decoding detaches its buffer, and the SDK's client plays this one.
    void this.decode(key, data.slice(0));
  }

  /** Measures (and keeps, to play again) one audio frame of reply `key`. */
  private async decode(key: string, frame: ArrayBuffer): Promise<void> {
    const client = this.client;
    if (!client) return;
    let buffer: AudioBuffer | null = null;
    let seconds = 0;
    try {
      if (client.audioFormat === "pcm16") {
        seconds = pcm16Seconds(frame.byteLength, client.sampleRate);
        const samples = pcm16ToFloat(frame);
        if (samples.length > 0) {
          buffer = new AudioBuffer({ length: samples.length, sampleRate: client.sampleRate, numberOfChannels: 1 });
          buffer.copyToChannel(samples, 0);
        }
      } else {
        this.decoder ??= new OfflineAudioContext(1, 1, 48_000);
        buffer = await this.decoder.decodeAudioData(frame);
        seconds = buffer.duration;
      }
    } catch {
      // A piece of a stream that does not decode alone: counted, not measured.
    }
    if (this.disposed) return;
    if (buffer) {
      const list = this.buffers.get(key) ?? [];
      list.push(buffer);
      this.buffers.set(key, list);
      while (this.buffers.size > REPLAYABLE_REPLIES) this.buffers.delete(this.buffers.keys().next().value as string);
    }
    if (seconds > 0) {
      this.log = recordSeconds(this.log, key, seconds, Date.now());
      this.emit();
    }
  }

  /** The reply now playing (or about to) was stopped. */
  private interrupted(): void {
    const key = latestReplyKey(this.client?.transcript ?? this.lines);
    if (!key) return;
    this.log = recordInterrupt(this.log, key, Date.now());
    this.emit();
  }

  /** Ends the call as `phase`, saying `problem`; the transcript and replies stay. */
  private finish(phase: VoicePhase, problem: string | null): void {
    this.phase = phase;
    this.problem = problem;
    this.interim = null;
    this.level = 0;
    this.muted = false; // the next call starts unmuted (a new client)
    this.clearTimers();
    const client = this.client;
    client?.disconnect(); // ends the call first (`end_call`, microphone and playback stopped)
    this.microphone?.stop();
    // Nothing plays once the call is over (the SDK's client stopped its playback).
    const now = Date.now();
    for (const [key, audio] of Object.entries(this.log)) {
      if (audio.playingUntil > now) this.log = { ...this.log, [key]: { ...audio, playingUntil: now } };
    }
    this.emit();
  }

  private clearTimers(): void {
    if (this.startTimer) clearTimeout(this.startTimer);
    if (this.playTimer) clearTimeout(this.playTimer);
    this.startTimer = null;
    this.playTimer = null;
  }

  private stopReplay(): void {
    const context = this.replayContext;
    this.replayContext = null;
    this.replaying = null;
    if (context && context.state !== "closed") void context.close().catch(() => {});
  }

  /** Publishes the snapshot, and schedules one more when a reply stops playing. */
  private emit(): void {
    if (this.disposed) return;
    const now = Date.now();
    const playing = isPlaying(this.log, now);
    if (this.playTimer) clearTimeout(this.playTimer);
    this.playTimer = null;
    if (playing) {
      const until = Math.min(...Object.values(this.log).filter((a) => !a.interrupted && a.playingUntil > now).map((a) => a.playingUntil));
      this.playTimer = setTimeout(() => this.emit(), Math.max(0, until - now) + 20);
    }
    this.publish({
      phase: this.phase,
      status: displayStatus(this.phase, this.serverStatus, playing),
      serverStatus: this.serverStatus,
      problem: this.problem,
      interim: this.interim,
      items: voiceItems(this.lines, this.log, now),
      level: this.muted ? 0 : this.level,
      muted: this.muted,
      playing,
      received: this.received,
      replaying: this.replaying,
    });
  }
}
