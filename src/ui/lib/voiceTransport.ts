/**
 * The voice call's WebSocket to `/agents/tech-lead-voice/<projectId>`: a plain same-origin
 * socket (the sign-in cookie authenticates the upgrade, as the project socket's) implementing the
 * Agents SDK's `VoiceTransport` (its published interface), instead of the SDK's default, which
 * retries a refused upgrade for ever. Here a socket the server never accepted means voice is
 * unavailable (reported once, no retry); one that drops after it opened is reopened with backoff
 * (the SDK's client then starts the call again); a 4003 (access changed) is final
 * (`closeDecision` in voiceCall.ts). It also lets the hook see every frame both ways (the reply's
 * audio, interruptions) and hand the SDK's client a frame of its own (`deliverLocally`).
 */
import type { VoiceTransport, VoiceTransportCloseInfo } from "agents/voice/client";
import { closeDecision, type CloseDecision } from "./voiceCall.ts";

/** What the transport tells its owner, beyond what the SDK's client is told. */
export type VoiceTransportTap = {
  /** Every frame from the server, before the SDK's client sees it (binary frames as ArrayBuffer). */
  incoming?: (data: string | ArrayBuffer) => void;
  /** Every JSON frame the SDK's client sends. */
  outgoing?: (data: Record<string, unknown>) => void;
  /** The socket closed for good (not retried): why. */
  closed?: (decision: Exclude<CloseDecision, { action: "retry" }>) => void;
};

/** A `VoiceTransport` over one reconnecting same-origin WebSocket at `url`. */
export class SameOriginVoiceTransport implements VoiceTransport {
  onopen: (() => void) | null = null;
  onclose: ((info?: VoiceTransportCloseInfo) => void) | null = null;
  onerror: ((error?: unknown) => void) | null = null;
  onmessage: ((data: string | ArrayBuffer | Blob) => void) | null = null;
  private readonly url: string;
  private readonly tap: VoiceTransportTap;
  private socket: WebSocket | null = null;
  private everOpened = false;
  private reconnects = 0;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** A transport for `url` (ws: or wss:), reporting to `tap`. */
  constructor(url: string, tap: VoiceTransportTap = {}) {
    this.url = url;
    this.tap = tap;
  }

  /** Whether the socket is open. */
  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** Opens the socket (once; `disconnect` ends it for good). */
  connect(): void {
    if (this.socket || this.stopped) return;
    const socket = new WebSocket(this.url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.everOpened = true;
      this.reconnects = 0;
      this.onopen?.();
    };
    socket.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
      if (this.socket !== socket) return;
      this.tap.incoming?.(event.data);
      this.onmessage?.(event.data);
    };
    socket.onerror = (event) => {
      // Before it ever opened, the close that follows says it all (the SDK's client would say "Reconnecting...").
      if (this.socket === socket && this.everOpened) this.onerror?.(event);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.onclose?.({ code: event.code, reason: event.reason, wasClean: event.wasClean });
      if (this.stopped) return;
      const decision = closeDecision(event.code, event.reason, this.everOpened, this.reconnects);
      if (decision.action === "retry") {
        this.reconnects++;
        this.timer = setTimeout(() => {
          this.timer = null;
          this.connect();
        }, decision.delayMs);
        return;
      }
      this.stopped = true;
      this.tap.closed?.(decision);
    };
  }

  /** Sends a JSON frame when open (dropped otherwise, as the SDK's own transport does). */
  sendJSON(data: Record<string, unknown>): void {
    if (!this.connected) return;
    this.tap.outgoing?.(data);
    this.socket?.send(JSON.stringify(data));
  }

  /** Sends a binary (audio) frame when open. */
  sendBinary(data: ArrayBuffer): void {
    if (this.connected) this.socket?.send(data);
  }

  /** Hands the SDK's client a JSON frame as if the server had sent it (e.g. `playback_interrupt`, to stop playback here). */
  deliverLocally(data: Record<string, unknown>): void {
    this.onmessage?.(JSON.stringify(data));
  }

  /** Closes the socket for good (normal closure) and stops reconnecting. */
  disconnect(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket && (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)) socket.close(1000, "call ended");
  }
}
