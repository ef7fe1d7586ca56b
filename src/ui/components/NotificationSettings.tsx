/**
 * The "Notifications" card of the settings page: where notifications go beyond the page.
 *  - Browser push: turn it on for this browser (registers `/sw.js`, asks the permission,
 *    subscribes with the server's VAPID key and gives SAM the subscription) or off (SAM forgets
 *    it, the browser unsubscribes), with a clear sentence when the browser cannot or SAM is not
 *    configured for it; and which kinds are pushed.
 *  - An outgoing webhook: a URL SAM POSTs Slack-compatible JSON `{text}` to, and its kinds.
 * The kinds and the webhook are saved with `PUT /api/me/notification-settings`; errors are shown
 * with FormError.
 */
import { useEffect, useState, type FormEvent } from "react";
import { NOTIFICATION_KINDS, notificationSettingsSchema, type NotificationKind, type NotificationSettings as Settings } from "../../shared/notification.ts";
import { errorMessage } from "../lib/api.ts";
import { NOTIFICATION_KIND_TEXT, pushAvailability, type PushAvailability } from "../lib/notifications.ts";
import { getNotificationSettings, getVapidPublicKey, putNotificationSettings } from "../lib/notificationsApi.ts";
import { browserPushSupport, currentPushSubscription, disablePush, enablePush } from "../lib/push.ts";
import { useLoader } from "../lib/useLoader.ts";
import { FormError } from "./FormError.tsx";

/** Whether this browser receives SAM's pushes: not known yet, on (subscribed), off. */
type BrowserPush = "unknown" | "on" | "off";

/** What the push part found: whether push can be offered here, and the server's VAPID key. */
type PushSetup = { availability: PushAvailability; publicKey: string | null };

/** Loads the VAPID key and decides whether push can be offered in this browser. */
async function loadPushSetup(signal: AbortSignal): Promise<PushSetup> {
  const publicKey = await getVapidPublicKey(signal);
  return { availability: pushAvailability({ ...browserPushSupport(), publicKey }), publicKey };
}

/** Checkboxes for the kinds of one channel. */
function KindChoices({ channel, kinds, disabled, onChange }: { channel: "push" | "webhook"; kinds: NotificationKind[]; disabled: boolean; onChange: (kinds: NotificationKind[]) => void }) {
  const toggle = (kind: NotificationKind, on: boolean) => onChange(NOTIFICATION_KINDS.filter((k) => (k === kind ? on : kinds.includes(k))));
  return (
    <fieldset className="kind-choices" disabled={disabled}>
      <legend className="small">{channel === "push" ? "Push these (to every browser where push is on)" : "Send these"}</legend>
      {NOTIFICATION_KINDS.map((kind) => (
        <label key={kind} className="kind-choice">
          <input type="checkbox" checked={kinds.includes(kind)} onChange={(e) => toggle(kind, e.target.checked)} data-testid={`${channel}-kind-${kind}`} />
          {NOTIFICATION_KIND_TEXT[kind].label}
        </label>
      ))}
    </fieldset>
  );
}

/** The notifications card: push for this browser, the push kinds, the webhook; one Save for the settings. */
export function NotificationSettings() {
  const stored = useLoader((signal) => getNotificationSettings(signal), []);
  const push = useLoader((signal) => loadPushSetup(signal), []);
  const [draft, setDraft] = useState<Settings | null>(null);
  const [webhookUrl, setWebhookUrl] = useState("");
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [browserPush, setBrowserPush] = useState<BrowserPush>("unknown");
  const [pushBusy, setPushBusy] = useState(false);
  const [pushError, setPushError] = useState<string | null>(null);

  // The form starts from what is stored (and again after a reload).
  useEffect(() => {
    if (!stored.data) return;
    setDraft(stored.data);
    setWebhookUrl(stored.data.webhook.url ?? "");
  }, [stored.data]);

  // Whether this browser is subscribed already (a registration and a subscription from before).
  const available = push.data?.availability.ok === true;
  useEffect(() => {
    if (!available) return;
    let live = true;
    currentPushSubscription()
      .then((subscription) => live && setBrowserPush(subscription ? "on" : "off"))
      .catch(() => live && setBrowserPush("off"));
    return () => {
      live = false;
    };
  }, [available]);

  const turnOn = async () => {
    if (!push.data?.publicKey) return;
    setPushBusy(true);
    setPushError(null);
    try {
      await enablePush(push.data.publicKey);
      setBrowserPush("on");
    } catch (err) {
      setPushError(errorMessage(err));
      // The permission may have been refused for good: say so instead of offering the button again.
      push.setData((setup) => setup && { ...setup, availability: pushAvailability({ ...browserPushSupport(), publicKey: setup.publicKey }) });
    } finally {
      setPushBusy(false);
    }
  };

  const turnOff = async () => {
    setPushBusy(true);
    setPushError(null);
    try {
      await disablePush();
      setBrowserPush("off");
    } catch (err) {
      setPushError(errorMessage(err));
    } finally {
      setPushBusy(false);
    }
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!draft) return;
    setSaveError(null);
    setSaved(false);
    const url = webhookUrl.trim();
    const checked = notificationSettingsSchema.safeParse({ ...draft, webhook: { ...draft.webhook, url: url === "" ? null : url } });
    if (!checked.success) {
      setSaveError(checked.error.issues.some((i) => i.path.includes("url")) ? "The webhook URL is not a valid URL." : (checked.error.issues[0]?.message ?? "Invalid settings"));
      return;
    }
    setSaving(true);
    try {
      const result = await putNotificationSettings(checked.data);
      stored.setData(result);
      setSaved(true);
    } catch (err) {
      setSaveError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  };

  const setup = push.data;
  return (
    <section className="card settings-card notification-settings" data-testid="notification-settings">
      <h2>Notifications</h2>
      <p className="muted small">
        The bell in the top bar always has every notification. Choose what also reaches you when SAM is not open: a push to this browser, or a
        message to a webhook (Slack and compatible chat apps).
      </p>
      <FormError message={stored.error} prefix="Could not load your notification settings" />
      <FormError message={push.error} prefix="Could not ask whether push is configured" />

      <h3>Browser push</h3>
      {setup && !setup.availability.ok && (
        <p className="notice small" role="status" data-testid="push-unavailable" data-reason={setup.availability.reason}>
          {setup.availability.message}
        </p>
      )}
      {setup?.availability.ok && (
        <div className="row push-row">
          <span data-testid="push-status" data-state={browserPush}>
            {browserPush === "on" ? "This browser receives push notifications." : browserPush === "off" ? "This browser does not receive push notifications." : "Checking this browser…"}
          </span>
          {browserPush === "on" ? (
            <button type="button" disabled={pushBusy} onClick={() => void turnOff()} data-testid="push-disable-button">
              Turn off for this browser
            </button>
          ) : (
            <button type="button" disabled={pushBusy || browserPush === "unknown"} onClick={() => void turnOn()} data-testid="push-enable-button">
              Turn on for this browser
            </button>
          )}
        </div>
      )}
      <FormError message={pushError} testId="push-error" prefix="Push" />

      {draft && (
        <form onSubmit={(e) => void save(e)} className="notification-settings-form" noValidate>
          <KindChoices channel="push" kinds={draft.push.kinds} disabled={saving} onChange={(kinds) => setDraft({ ...draft, push: { kinds } })} />

          <h3>Outgoing webhook</h3>
          <label>
            Webhook URL (empty: none)
            <input
              type="url"
              inputMode="url"
              placeholder="https://hooks.slack.com/services/…"
              value={webhookUrl}
              onChange={(e) => setWebhookUrl(e.target.value)}
              disabled={saving}
              data-testid="webhook-url-input"
            />
          </label>
          <KindChoices channel="webhook" kinds={draft.webhook.kinds} disabled={saving} onChange={(kinds) => setDraft({ ...draft, webhook: { ...draft.webhook, kinds } })} />

          <FormError message={saveError} testId="notification-settings-error" prefix="Could not save" />
          <div className="row">
            <button type="submit" disabled={saving} data-testid="notification-settings-save">
              {saving ? "Saving…" : "Save"}
            </button>
            {saved && (
              <span className="muted small" role="status" data-testid="notification-settings-saved">
                Saved.
              </span>
            )}
          </div>
        </form>
      )}
      {(stored.loading || push.loading) && !(stored.data && push.data) && <p className="muted">Loading…</p>}
    </section>
  );
}
