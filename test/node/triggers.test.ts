/**
 * The pure rules of triggers (src/actors/project/trigger-rules.ts) and their shapes
 * (src/shared/trigger.ts): cron checks and due times, the at-most-once due rule, the payload
 * placeholder, the signature header and its HMAC check against GitHub's documented example, and
 * delivery ids.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  cronProblem,
  deliveryIdOf,
  dueMayFire,
  fillPayload,
  fillTemplate,
  newWebhookSecret,
  nextDueMs,
  normalizeCron,
  parseSignatureHeader,
  signatureFor,
  signatureValid,
} from "../../src/actors/project/trigger-rules.ts";
import { triggerCreateSchema, triggerPatchSchema, triggerTemplateSchema } from "../../src/shared/trigger.ts";
import { triggerInputFrom, type TriggerFormFields } from "../../src/ui/lib/triggerForm.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("cron schedules", () => {
  it("accepts 5-field expressions the library parses, and says what is wrong with others", () => {
    for (const ok of ["* * * * *", "0 8 * * 1-5", "*/15 * * * *", "0 0 1 jan *", " 5  4 * * sun "]) expect(cronProblem(ok), ok).toBeNull();
    expect(cronProblem("* * * *")).toMatch(/has 4 fields; a cron expression has 5/);
    expect(cronProblem("0 * * * * *")).toMatch(/has 6 fields/);
    expect(cronProblem("@hourly")).toMatch(/has 1 field;/);
    expect(cronProblem("60 * * * *")).toMatch(/not a valid cron expression/);
    expect(cronProblem("* 24 * * *")).toMatch(/not a valid cron expression/);
    expect(cronProblem("* * * 13 *")).toMatch(/not a valid cron expression/);
    expect(cronProblem("a b c d e")).toMatch(/not a valid cron expression/);
    expect(normalizeCron(" 5  4 * * sun ")).toBe("5 4 * * sun");
  });

  it("gives the next due time strictly after a moment", () => {
    const at = Date.parse("2026-03-01T10:15:30Z");
    const everyMinute = nextDueMs("* * * * *", at);
    expect(everyMinute - at).toBeGreaterThan(0);
    expect(everyMinute - at).toBeLessThanOrEqual(60_000);
    expect(everyMinute % 60_000).toBe(0);
    expect(nextDueMs("* * * * *", everyMinute)).toBe(everyMinute + 60_000);
  });

  it("fires a due time only when it is later than the last one recorded (at most once per due time)", () => {
    expect(dueMayFire(null, 60_000)).toBe(true);
    expect(dueMayFire(60_000, 120_000)).toBe(true);
    expect(dueMayFire(60_000, 60_000)).toBe(false);
    expect(dueMayFire(120_000, 60_000)).toBe(false);
    expect(dueMayFire(null, Number.NaN)).toBe(false);
  });
});

describe("the payload placeholder", () => {
  it("puts the payload in every placeholder, literally", () => {
    expect(fillPayload("a {{payload}} b {{payload}}", "$& $1 $$")).toBe("a $& $1 $$ b $& $1 $$");
    expect(fillPayload("no placeholder", "x")).toBe("no placeholder");
    expect(fillPayload("{{ payload }} {{PAYLOAD}}", "x")).toBe("{{ payload }} {{PAYLOAD}}");
    expect(fillPayload("cron: [{{payload}}]", "")).toBe("cron: []");
  });

  it("fills a task's prompt, or a mission's goal and every task prompt", () => {
    const task = triggerTemplateSchema.parse({ task: { prompt: "review {{payload}}" } });
    expect(fillTemplate(task, "P").task?.prompt).toBe("review P");
    const mission = triggerTemplateSchema.parse({ mission: { goal: "g {{payload}}", tasks: [{ key: "a", prompt: "{{payload}}!" }, { key: "b", prompt: "plain" }] } });
    const filled = fillTemplate(mission, "P");
    expect(filled.mission?.goal).toBe("g P");
    expect(filled.mission?.tasks.map((t) => t.prompt)).toEqual(["P!", "plain"]);
    expect(mission.mission?.tasks[0].prompt).toBe("{{payload}}!");
  });
});

describe("webhook signatures", () => {
  it("parses `sha256=<64 hex>` only", () => {
    const hex = "ab".repeat(32);
    expect(parseSignatureHeader(`sha256=${hex}`)).toEqual(new Uint8Array(32).fill(0xab));
    expect(parseSignatureHeader(` sha256=${hex.toUpperCase()} `)).toEqual(new Uint8Array(32).fill(0xab));
    for (const bad of [null, undefined, "", hex, `sha1=${hex}`, `sha256=${hex.slice(2)}`, `sha256=${hex}00`, `sha256=${"zz".repeat(32)}`, `SHA256=${hex}`]) {
      expect(parseSignatureHeader(bad), String(bad)).toBeNull();
    }
  });

  it("checks GitHub's documented example and what openssl computes", async () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    const github = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    expect(await signatureValid("It's a Secret to Everybody", bytes("Hello, World!"), github)).toBe(true);
    expect(await signatureFor("It's a Secret to Everybody", bytes("Hello, World!"))).toBe(github);
    const secret = newWebhookSecret();
    const body = bytes('{"zen":"Keep it logically awesome."}');
    const openssl = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
    expect(await signatureValid(secret, body, openssl)).toBe(true);
    expect(await signatureValid(secret, bytes('{"zen":"changed"}'), openssl)).toBe(false);
    expect(await signatureValid(`${secret}x`, body, openssl)).toBe(false);
    expect(await signatureValid(secret, body, null)).toBe(false);
    expect(await signatureValid(secret, body, openssl.slice(0, -2))).toBe(false);
  });

  it("makes secrets of 32 random bytes", () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^sam_whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});

describe("delivery ids and shapes", () => {
  it("takes GitHub's delivery header first, then SAM's, trimmed and cut", () => {
    expect(deliveryIdOf(new Headers({ "x-github-delivery": " g-1 ", "x-sam-delivery": "s-1" }))).toBe("g-1");
    expect(deliveryIdOf(new Headers({ "X-SAM-Delivery": "s-1" }))).toBe("s-1");
    expect(deliveryIdOf(new Headers({ "x-sam-delivery": "  " }))).toBeNull();
    expect(deliveryIdOf(new Headers())).toBeNull();
    expect(deliveryIdOf(new Headers({ "x-sam-delivery": "x".repeat(500) }))?.length).toBe(200);
  });

  it("needs a schedule for cron, none for webhook, exactly one template, and something to change", () => {
    const template = { task: { prompt: "p" } };
    expect(triggerCreateSchema.safeParse({ name: "n", kind: "cron", schedule: "* * * * *", template }).success).toBe(true);
    expect(triggerCreateSchema.parse({ name: "n", kind: "webhook", template }).enabled).toBe(true);
    expect(triggerCreateSchema.safeParse({ name: "n", kind: "cron", template }).success).toBe(false);
    expect(triggerCreateSchema.safeParse({ name: "n", kind: "webhook", schedule: "* * * * *", template }).success).toBe(false);
    expect(triggerCreateSchema.safeParse({ name: "n", kind: "webhook", template: {} }).success).toBe(false);
    expect(triggerCreateSchema.safeParse({ name: "n", kind: "webhook", template, extra: 1 }).success).toBe(false);
    expect(triggerPatchSchema.safeParse({}).success).toBe(false);
    expect(triggerPatchSchema.safeParse({ enabled: false }).success).toBe(true);
  });
});

describe("the New trigger form", () => {
  const fields: TriggerFormFields = { name: " nightly ", kind: "cron", schedule: " 0 8 * * 1-5 ", starts: "task", prompt: " check {{payload}} ", model: "scripted", script: "", missionJson: "", enabled: true };

  it("builds the body the API takes", () => {
    expect(triggerInputFrom(fields)).toEqual({ ok: true, input: { name: "nightly", kind: "cron", schedule: "0 8 * * 1-5", enabled: true, template: { task: { prompt: "check {{payload}}", model: "scripted" } } } });
    const hook = triggerInputFrom({ ...fields, kind: "webhook", script: '[{"text":"done"}]', enabled: false });
    expect(hook).toEqual({ ok: true, input: { name: "nightly", kind: "webhook", enabled: false, template: { task: { prompt: "check {{payload}}", model: "scripted", script: [{ text: "done" }] } } } });
    const mission = triggerInputFrom({ ...fields, starts: "mission", missionJson: '{"goal":"g","tasks":[{"key":"a","prompt":"p"}]}' });
    expect(mission.ok && mission.input.template).toEqual({ mission: { goal: "g", tasks: [{ key: "a", prompt: "p" }] } });
  });

  it("says what is missing or wrong", () => {
    const error = (f: Partial<TriggerFormFields>) => {
      const built = triggerInputFrom({ ...fields, ...f });
      return built.ok ? null : built.error;
    };
    expect(error({ name: " " })).toMatch(/name/);
    expect(error({ schedule: "" })).toMatch(/schedule/);
    expect(error({ prompt: "" })).toMatch(/prompt/);
    expect(error({ script: "[" })).toMatch(/Script is not valid JSON/);
    expect(error({ starts: "mission", missionJson: "{" })).toMatch(/not valid JSON/);
    expect(error({ starts: "mission", missionJson: '{"goal":"g","tasks":[{"key":"a","prompt":"p","dependsOn":["a"]}]}' })).toMatch(/depends on itself/);
  });
});
