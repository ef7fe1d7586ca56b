/** The microphone's live level during a voice call, as a horizontal bar meter. */
import { meterLevel } from "../lib/voiceAudio.ts";

type Props = {
  /** The microphone's RMS level in [0, 1]. */
  level: number;
  muted: boolean;
  /** Whether the microphone is in use (a call is starting or live). */
  active: boolean;
};

/** A `role="meter"` bar filled to the level in dBFS (`meterLevel`); says "muted" or "off" instead when there is nothing to show. */
export function VoiceLevelMeter({ level, muted, active }: Props) {
  const value = active && !muted ? meterLevel(level) : 0;
  const percent = Math.round(value * 100);
  const label = !active ? "microphone off" : muted ? "muted" : `${percent}%`;
  return (
    <div className={`level-meter${active ? (muted ? " muted" : "") : " off"}`} data-testid="voice-level" data-level={value.toFixed(2)}>
      <div
        className="level-meter-bar"
        role="meter"
        aria-label="Microphone level"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={label}
      >
        <div className="level-meter-fill" style={{ transform: `scaleX(${value})` }} />
      </div>
      <span className="level-meter-label small muted">{!active ? "off" : muted ? "muted" : "mic"}</span>
    </div>
  );
}
