/** A person's (or the tech lead's, a task's, SAM's) small round picture: their avatar image, or their initials. */
import { useState } from "react";
import { initials } from "../lib/peopleRules.ts";

type Props = {
  name: string;
  /** The image (https or data: only, as the page's CSP allows); absent or failing to load: initials. */
  url?: string | null;
  /** Colours the initials by who it is: `user`, `tech-lead`, `task` or `system`. */
  kind?: string;
  size?: "small" | "normal";
};

/** Renders `url` as a round image, falling back to the initials of `name` (also when the image fails to load). */
export function Avatar({ name, url, kind = "user", size = "normal" }: Props) {
  const [failed, setFailed] = useState(false);
  const className = `avatar avatar-${size} avatar-kind-${kind}`;
  if (url && !failed) {
    return <img className={className} src={url} alt="" title={name} data-testid="avatar" referrerPolicy="no-referrer" onError={() => setFailed(true)} />;
  }
  return (
    <span className={className} title={name} aria-hidden="true" data-testid="avatar">
      {initials(name)}
    </span>
  );
}
