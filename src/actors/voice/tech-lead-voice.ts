/**
 * TechLeadVoice: talking with a project's tech lead (docs/api.md, "Voice"), keyed by project id,
 * at `/agents/tech-lead-voice/<projectId>`. An Agents SDK `withVoice` actor (through SAM's one
 * door to it, src/models/speech/voice-sdk.ts), so the SDK's wire protocol is its contract: a
 * person's microphone audio in, the tech lead's words as transcripts and WAV audio out. What it
 * does, each job in a module of `voice/`:
 *
 *  - who may talk and as whom (access.ts): the Worker authenticates the upgrade and passes the
 *    person (or an embed grant) in headers, as for the project socket; the actor re-checks when a
 *    call starts and at every turn, and closes the socket when access changed;
 *  - every client frame parsed and counted first (frames.ts): a bad one gets an `error` frame;
 *  - speech-to-text and text-to-speech from the configured providers (models/speech/providers.ts)
 *    with the project's vocabulary as the recogniser's prompt (vocabulary.ts);
 *  - every second heard and character spoken paid through the gate by the speaker's payer
 *    (gate-meter.ts), checked before and recorded after, source `voice`;
 *  - each turn run by the project's tech lead (turn-stream.ts → `ProjectAgent.voiceTurn`), where
 *    it is stored in the `voice` session with its tool cards and streamed to every member;
 *  - barge-in: speech detected while the tech lead thinks or talks (the transcriber's
 *    `onSpeechStart`), or an `interrupt` frame, aborts the turn (the SDK's signal → the
 *    project's `abortVoiceTurn`: the model call stops, started tool calls finish and are kept).
 *
 * The SDK keeps no history of its own here (the project's session is the record).
 */
import { Agent, getAgentByName, type Connection, type ConnectionContext, type WSMessage } from "agents";
import { beginSpeechCall, BudgetExceededError, PayerModeError } from "../../models/gate.ts";
import { createTranscriber, createTts, speechSetup, type SpeechSetup } from "../../models/speech/providers.ts";
import type { SpeechMeter } from "../../models/speech/meter.ts";
import { SAM_VOICE_OPTIONS, withVoice, type TextSource, type Transcriber, type TTSProvider, type VoiceTurnContext } from "../../models/speech/voice-sdk.ts";
import { connectionStillAllowed } from "../project/access-recheck.ts";
import { connectionUserSchema, credentialExpired, credentialExpiry, userFromHeaders, type ConnectionUser } from "../project/frames.ts";
import { ACCESS_CHANGED_CLOSE_CODE, UNAUTHENTICATED_CLOSE_CODE, type ConnectionFilter } from "../project/socket.ts";
import { connectionMatches, speakerOf, voiceRefusal } from "./access.ts";
import { pcmSeconds } from "../../models/speech/wav.ts";
import { countVoiceFrame, parseVoiceFrame, VOICE_RATE_LIMIT, voiceErrorFrame, type VoiceErrorCode, type VoiceWindow } from "./frames.ts";
import { gateMeter } from "./gate-meter.ts";
import { projectTurnParts } from "./turn-stream.ts";
import { projectVocabulary } from "./vocabulary.ts";

const VoiceAgent = withVoice(Agent, SAM_VOICE_OPTIONS);

/** A sentence admitted for speech, waiting for its audio (beforeSynthesize → afterSynthesize). */
type PendingSpeech = { text: string; startedAt: number; charge: NonNullable<Awaited<ReturnType<SpeechMeter["begin"]>>> };

/** The voice actor of one project. Keyed by project id. */
export class TechLeadVoice extends VoiceAgent<Env> {
  /** The speech providers this Worker is configured with (read once per instance). */
  private readonly setup: SpeechSetup = speechSetup(this.env);
  /** The text-to-speech provider (none when voice is unavailable: a call is then refused). */
  override tts: TTSProvider | undefined = this.setup.kind === "unavailable" ? undefined : createTts(this.setup);
  /** Per connection: its frame counts (memory only, like the project socket's). */
  private readonly windows = new Map<string, VoiceWindow>();
  /** Per connection in a call: its speech meter. */
  private readonly meters = new Map<string, SpeechMeter>();
  /** Per connection in a call: the recogniser's vocabulary, read when the call started. */
  private readonly vocabularies = new Map<string, string>();
  /** The time now (epoch ms); tests move it. */
  private clock: () => number = () => Date.now();
  /** Per connection: sentences admitted for speech, waiting for their audio. */
  private readonly pendingSpeech = new Map<string, PendingSpeech[]>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Every frame is parsed and counted before the SDK's voice pipeline (and the Agent's own
    // `rpc`/`cf_agent_*` handling, which the voice socket does not offer) sees it.
    const sdkOnMessage = this.onMessage.bind(this);
    this.onMessage = async (connection: Connection, raw: WSMessage) => {
      const user = this.userOf(connection);
      if (!user) return sendError(connection, "unauthenticated", "this connection has no speaker");
      if (voiceRefusal(user, Date.now())) {
        connection.close(ACCESS_CHANGED_CLOSE_CODE, voiceRefusal(user, Date.now()) ?? "access changed");
        return;
      }
      const decision = parseVoiceFrame(raw);
      const count = countVoiceFrame(this.windows.get(connection.id), decision.kind === "audio" ? decision.bytes : 0, Date.now());
      this.windows.set(connection.id, count.window);
      if (!count.allowed) {
        const { maxFrames, maxAudioBytes, windowMs } = VOICE_RATE_LIMIT;
        return sendError(connection, "rate_limited", `too many frames or too much audio: this frame was dropped (at most ${maxFrames} frames and ${pcmSeconds(maxAudioBytes)} s of audio per ${windowMs / 1000} s)`);
      }
      if (decision.kind === "error") return sendError(connection, decision.code, decision.message);
      await sdkOnMessage(connection, raw);
    };
  }

  // ---------- the socket ----------

  /** Accepts a connection the Worker authenticated (closes any other: 4001 without a person, 4003 when they may not talk). */
  override onConnect(connection: Connection, context: ConnectionContext): void {
    const user = userFromHeaders(context.request.headers);
    if (!user) {
      connection.close(UNAUTHENTICATED_CLOSE_CODE, "unauthenticated");
      return;
    }
    const refusal = voiceRefusal(user, Date.now());
    if (refusal) {
      connection.close(ACCESS_CHANGED_CLOSE_CODE, refusal);
      return;
    }
    connection.setState(user);
    void this.stillAllowed(connection, user);
    // A token that expires (a person's or an embed's) closes its socket then, in a call or not.
    const expiry = credentialExpiry(user);
    if (expiry !== null) void this.schedule(new Date(expiry), "closeExpiredConnections", new Date(expiry).toISOString(), { idempotent: true });
  }

  /** Non-voice frames never reach here (the constructor's check answers them); kept as the SDK's fallback. */
  override onMessage(connection: Connection, _message: WSMessage): void {
    sendError(connection, "invalid_frame", "not a voice frame");
  }

  /** Forgets a closed connection. */
  override onClose(connection: Connection): void {
    this.forget(connection.id);
  }

  /** The voice socket sends only voice frames: no Agents SDK identity, state or MCP frames. */
  override shouldSendProtocolMessages(): boolean {
    return false;
  }

  /** Refuses every change of the Agents SDK's shared state that a client sends (as ProjectAgent). @throws Error for any change not made by the server. */
  override validateStateChange(_nextState: unknown, source: Connection | "server"): void {
    if (source !== "server") throw new Error("clients may not change this actor's state");
  }

  /** Closes the voice sockets a user's or a token's access change ends (ProjectAgent.closeConnections forwards it). Returns how many. */
  async closeConnections(filter: ConnectionFilter, reason: string): Promise<number> {
    let closed = 0;
    for (const connection of this.getConnections()) {
      const user = this.userOf(connection);
      if (!user || !connectionMatches(user, filter)) continue;
      connection.close(ACCESS_CHANGED_CLOSE_CODE, reason);
      this.forget(connection.id);
      closed++;
    }
    return closed;
  }

  /** Closes the connections whose token expired by now (4003; an alarm runs it at each expiry). Returns how many. */
  async closeExpiredConnections(): Promise<number> {
    let closed = 0;
    for (const connection of this.getConnections()) {
      const user = this.userOf(connection);
      if (!user || !credentialExpired(user, this.clock())) continue;
      connection.close(ACCESS_CHANGED_CLOSE_CODE, user.embed ? "embed token expired" : "token expired");
      this.forget(connection.id);
      closed++;
    }
    return closed;
  }

  // ---------- a call ----------

  /**
   * Admits a call: the speaker may still talk, voice is configured, and the payer's budgets and
   * payer mode admit speech (a one-second probe through the gate, released); reads the
   * project's vocabulary for the recogniser. Each refusal is told with an `error` frame.
   */
  override async beforeCallStart(connection: Connection): Promise<boolean> {
    const user = this.userOf(connection);
    if (!user) {
      sendError(connection, "unauthenticated", "this connection has no speaker");
      return false;
    }
    if (!(await this.stillAllowed(connection, user))) return false;
    if (this.setup.kind === "unavailable") {
      sendError(connection, "voice_unavailable", this.setup.reason);
      return false;
    }
    const payer = speakerOf(user).payer;
    try {
      await (await beginSpeechCall(this.env, { userId: payer.id, projectId: this.name }, this.setup.transcription, 1)).release();
    } catch (error) {
      if (error instanceof BudgetExceededError || error instanceof PayerModeError) {
        sendError(connection, error.code, error.message);
        return false;
      }
      throw error;
    }
    this.vocabularies.set(connection.id, await this.readVocabulary());
    return true;
  }

  /** The call's transcriber: the configured provider, metered for the speaker's payer. */
  override createTranscriber(connection: Connection): Transcriber | null {
    const meter = this.meterOf(connection);
    if (this.setup.kind === "unavailable" || !meter) return null;
    return createTranscriber(this.setup, {
      meter,
      prompt: () => this.vocabularies.get(connection.id),
      onError: (error) => sendError(connection, "speech_failed", `speech recognition failed: ${error.message}`),
    });
  }

  /** Drops the call's meter and releases speech admitted but never spoken. */
  override onCallEnd(connection: Connection): void {
    this.releasePending(connection.id);
    this.meters.delete(connection.id);
    this.vocabularies.delete(connection.id);
  }

  // ---------- a turn ----------

  /**
   * One turn: `transcript` (or a `text_message`) goes to the project's tech lead, whose reply
   * comes back as stream parts (turn-stream.ts) for the SDK to speak sentence by sentence.
   * @throws Error when the connection has no speaker or its access changed (the SDK sends an `error` frame).
   */
  override async onTurn(transcript: string, context: VoiceTurnContext): Promise<TextSource> {
    const user = this.userOf(context.connection);
    if (!user) throw new Error("this connection has no speaker");
    if (!(await this.stillAllowed(context.connection, user))) throw new Error("your access to this project changed");
    const speaker = speakerOf(user);
    return projectTurnParts(this.env, this.name, { turnId: crypto.randomUUID(), ...speaker, text: transcript }, context.signal);
  }

  /** Admits a sentence's speech for the payer (its characters); a refused one is not spoken (null) and the client is told. */
  override async beforeSynthesize(text: string, connection: Connection): Promise<string | null> {
    const meter = this.meterOf(connection);
    if (!meter) return null;
    const charge = await meter.begin("speech", text.length);
    if (!charge) return null;
    const pending = this.pendingSpeech.get(connection.id) ?? [];
    pending.push({ text, startedAt: Date.now(), charge });
    this.pendingSpeech.set(connection.id, pending);
    return text;
  }

  /** Records a sentence's speech: its characters when audio came back, nothing (a failed call) when none did. */
  override async afterSynthesize(audio: ArrayBuffer | null, text: string, connection: Connection): Promise<ArrayBuffer | null> {
    const pending = this.pendingSpeech.get(connection.id) ?? [];
    const index = pending.findIndex((p) => p.text === text);
    if (index >= 0) {
      const [done] = pending.splice(index, 1);
      await done.charge.settle({ status: audio ? "ok" : "failed", latencyMs: Date.now() - done.startedAt, quantity: audio ? text.length : 0 });
    }
    return audio;
  }

  /** The project keeps the conversation (its `voice` session); the SDK's own history is not kept. */
  override saveMessage(): void {}

  /** No SDK history (see `saveMessage`): the tech lead reads the project's conversation. */
  override getConversationHistory(): Array<{ role: "user" | "assistant"; content: string }> {
    return [];
  }

  // ---------- helpers ----------

  /** Who is on a connection (stored at connect), or null. */
  private userOf(connection: Connection): ConnectionUser | null {
    const parsed = connectionUserSchema.safeParse(connection.state);
    return parsed.success ? parsed.data : null;
  }

  /** The connection's speech meter, made on first use (null without a speaker or providers). */
  private meterOf(connection: Connection): SpeechMeter | null {
    const existing = this.meters.get(connection.id);
    if (existing) return existing;
    const user = this.userOf(connection);
    if (!user || this.setup.kind === "unavailable") return null;
    const payer = speakerOf(user).payer;
    const meter = gateMeter(this.env, { userId: payer.id, projectId: this.name }, this.setup, (code, message) => sendError(connection, code, message));
    this.meters.set(connection.id, meter);
    return meter;
  }

  /**
   * Whether `user`'s access still holds (D1, read afresh: membership, role, account, token; an
   * embed's token and maker) and they may still talk; when not, closes the connection (4003).
   */
  private async stillAllowed(connection: Connection, user: ConnectionUser): Promise<boolean> {
    try {
      if (!voiceRefusal(user, Date.now()) && (await connectionStillAllowed(this.env, this.name, { ...user, watching: [] }))) return true;
    } catch (error) {
      console.error(`voice ${this.name}: re-checking connection ${connection.id} failed: ${String(error)}`);
      return false;
    }
    connection.close(ACCESS_CHANGED_CLOSE_CODE, "access changed");
    this.forget(connection.id);
    return false;
  }

  /** The recogniser's vocabulary from the project's missions and tasks ("" when they cannot be read). */
  private async readVocabulary(): Promise<string> {
    try {
      const project = await getAgentByName(this.env.ProjectAgent, this.name);
      const [missions, tasks] = await Promise.all([project.listMissions(), project.listTasks()]);
      return projectVocabulary(missions, tasks);
    } catch (error) {
      console.error(`voice ${this.name}: reading the vocabulary failed: ${String(error)}`);
      return "";
    }
  }

  private releasePending(connectionId: string): void {
    for (const pending of this.pendingSpeech.get(connectionId) ?? []) void pending.charge.release();
    this.pendingSpeech.delete(connectionId);
  }

  private forget(connectionId: string): void {
    this.releasePending(connectionId);
    this.windows.delete(connectionId);
    this.meters.delete(connectionId);
    this.vocabularies.delete(connectionId);
  }
}

/** Sends one connection an `error` frame of `code` with `message`. */
function sendError(connection: Connection, code: VoiceErrorCode, message: string): void {
  connection.send(voiceErrorFrame(code, message));
}
