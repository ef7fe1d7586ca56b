/** Beside a tech lead's spoken reply: its audio (playing, played and how long, interrupted) and a button to hear it again. */
import { formatSeconds, type VoiceItem } from "../lib/voiceCall.ts";

type Props = {
  audio: NonNullable<VoiceItem["audio"]>;
  /** Whether this reply is the one being played again. */
  replaying: boolean;
  onReplay: () => void;
};

/** The audio line of one reply; `data-*` attributes carry the counts for tests. */
export function VoiceReplyAudio({ audio, replaying, onReplay }: Props) {
  const length = audio.seconds > 0 ? formatSeconds(audio.seconds) : null;
  const text =
    audio.state === "playing"
      ? "speaking…"
      : audio.state === "interrupted"
        ? `interrupted${length ? ` (${length} received)` : ""}`
        : audio.state === "played"
          ? `spoken${length ? `, ${length}` : ""}`
          : "no audio";
  return (
    <span
      className={`voice-reply-audio voice-audio-${audio.state}`}
      data-testid="voice-reply-audio"
      data-audio-state={audio.state}
      data-audio-frames={audio.frames}
      data-audio-bytes={audio.bytes}
      data-audio-seconds={audio.seconds.toFixed(2)}
    >
      <span className="voice-audio-icon" aria-hidden="true" />
      <span className="small">{text}</span>
      {audio.seconds > 0 && audio.state !== "playing" && (
        <button type="button" className="link-button small" data-testid="voice-replay" onClick={onReplay}>
          {replaying ? "stop" : "play again"}
        </button>
      )}
    </span>
  );
}
