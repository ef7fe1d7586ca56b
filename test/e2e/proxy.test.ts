/**
 * The OpenAI-compatible proxy end to end: the official `openai` npm client pointed at the stack
 * (started as `npm start` starts it) against a local fake upstream — completion, streaming with
 * usage, tool calls (plain and streamed), upstream error pass-through, unknown model, the model
 * list, and budget refusal — then the usage page in headless Chromium shows what was spent.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import OpenAI from "openai";
import type { Browser } from "playwright-core";
import { launchChromium, signedInPage } from "./chromium.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.ts";
import { pollUntil } from "../support/poll.ts";
import { call, startStack, type Stack } from "./stack.ts";

const artifacts = resolve(import.meta.dirname, "../../test-artifacts");
let stack: Stack;
let fake: FakeOpenAI;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  stack = await startStack({
    env: { SAM_COMPAT_BASE_URL: `${fake.url}/v1`, AI_GATEWAY_BASE_URL: `${fake.url}/gateway`, AI_GATEWAY_TOKEN: "e2e-gateway-token" },
  });
  client = new OpenAI({ apiKey: stack.token, baseURL: `${stack.url}/ai/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
});

describe("the proxy with the openai client", () => {
  it("completes a chat and reports usage", async () => {
    fake.setScript([{ text: "hello through SAM" }], "complete");
    const completion = await client.chat.completions.create({ model: "compat/fake-model", messages: [{ role: "user", content: "say hello [script:complete]" }] });
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0].message.content).toBe("hello through SAM");
    expect(completion.choices[0].finish_reason).toBe("stop");
    expect(completion.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
    const sent = fake.requests.filter((r) => JSON.stringify(r.body).includes("[script:complete]"));
    expect(sent.map((r) => r.path)).toEqual(["/v1/chat/completions"]);
    expect((sent[0].body as { model: string }).model).toBe("fake-model");
  });

  it("streams, with the usage chunk when asked for and without it otherwise", async () => {
    fake.setScript([{ text: "streamed words arrive in pieces" }], "stream");
    const stream = await client.chat.completions.create({
      model: "compat/fake-model",
      messages: [{ role: "user", content: "stream please [script:stream]" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    const usages: unknown[] = [];
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.usage) usages.push(chunk.usage);
    }
    expect(text).toBe("streamed words arrive in pieces");
    expect(chunks).toBeGreaterThan(3);
    expect(usages).toEqual([expect.objectContaining({ prompt_tokens: 12, completion_tokens: 5 })]);

    const plain = await client.chat.completions.create({ model: "compat/fake-model", messages: [{ role: "user", content: "again [script:stream]" }], stream: true });
    let plainText = "";
    let sawUsage = false;
    for await (const chunk of plain) {
      plainText += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.usage) sawUsage = true;
    }
    expect(plainText).toBe("streamed words arrive in pieces");
    expect(sawUsage).toBe(false);
    // SAM still asked the upstream for usage, to account the call.
    const upstream = fake.requests.filter((r) => JSON.stringify(r.body).includes("again [script:stream]"));
    expect((upstream[0].body as { stream_options: unknown }).stream_options).toEqual({ include_usage: true });
  });

  it("passes tool calls through, plain and streamed", async () => {
    fake.setScript([{ toolCalls: [{ name: "get_weather", arguments: { city: "Lisbon" } }] }], "tools");
    const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
      { type: "function", function: { name: "get_weather", description: "Weather of a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } },
    ];
    const completion = await client.chat.completions.create({ model: "compat/fake-model", messages: [{ role: "user", content: "weather? [script:tools]" }], tools });
    const toolCall = completion.choices[0].message.tool_calls?.[0];
    expect(completion.choices[0].finish_reason).toBe("tool_calls");
    expect(toolCall?.type === "function" && toolCall.function.name).toBe("get_weather");
    expect(toolCall?.type === "function" && JSON.parse(toolCall.function.arguments)).toEqual({ city: "Lisbon" });
    const sent = fake.requests.find((r) => JSON.stringify(r.body).includes("weather? [script:tools]"));
    expect((sent?.body as { tools: unknown }).tools).toEqual(tools);

    const stream = client.chat.completions.stream({ model: "compat/fake-model", messages: [{ role: "user", content: "weather streamed [script:tools]" }], tools });
    const final = await stream.finalChatCompletion();
    const streamed = final.choices[0].message.tool_calls?.[0];
    expect(streamed?.type === "function" && streamed.function.name).toBe("get_weather");
    expect(streamed?.type === "function" && JSON.parse(streamed.function.arguments)).toEqual({ city: "Lisbon" });
  });

  it("passes upstream errors through as OpenAI errors with the upstream status", async () => {
    fake.setScript([{ error: { status: 422, message: "the upstream cannot do that", code: "unprocessable" } }], "upstream-error");
    const error = await client.chat.completions
      .create({ model: "openai/gpt-4.1-mini", messages: [{ role: "user", content: "fail [script:upstream-error]" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(422);
    expect(apiError.message).toContain("the upstream cannot do that");
    expect(apiError.code).toBe("unprocessable");
    const sent = fake.requests.find((r) => JSON.stringify(r.body).includes("fail [script:upstream-error]"));
    expect(sent?.path).toBe("/gateway/openai/chat/completions");
    expect(sent?.headers["cf-aig-authorization"]).toBe("Bearer e2e-gateway-token");
  });

  it("refuses an unknown model with a 400 naming it", async () => {
    const error = await client.chat.completions.create({ model: "openai/gpt-nonexistent", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('"openai/gpt-nonexistent"');
  });

  it("lists the models the caller may use", async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(["compat/fake-model", "compat/fake-model-2", "openai/gpt-4.1-mini", "anthropic/claude-haiku-4-5"]));
    expect(ids).not.toContain("scripted");
  });

  it("refuses calls with 429 budget_exceeded once a budget is spent", async () => {
    fake.setScript([{ text: "priced" }], "budget");
    await client.chat.completions.create({ model: "openai/gpt-4.1-mini", messages: [{ role: "user", content: "[script:budget]" }] });
    // Usage is recorded just after the answer: wait until nothing is in flight.
    const before = await pollUntil("the call's reservation to settle", () => call<{ monthlyUsd: { used: number; reserved: number } }>(stack, "/api/me/budgets"), (b) => b.monthlyUsd.reserved === 0, {
      timeoutMs: 5_000,
      intervalMs: 20,
    });
    expect(before.monthlyUsd.used).toBeGreaterThan(0);
    await call(stack, "/api/me/budgets", { method: "PUT", json: { monthlyUsd: before.monthlyUsd.used } });
    const error = await client.chat.completions.create({ model: "openai/gpt-4.1-mini", messages: [{ role: "user", content: "one more [script:budget]" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).code).toBe("budget_exceeded");
    await call(stack, "/api/me/budgets", { method: "PUT", json: { monthlyUsd: 1 } });
  });
});

describe("the usage page", () => {
  let browser: Browser | undefined;
  afterAll(async () => browser?.close());

  it("shows spend per day and per model as charts, and the budget left", async () => {
    // The $1 monthly budget this page shows is set here, not left over from the budget test above.
    await call(stack, "/api/me/budgets", { method: "PUT", json: { monthlyUsd: 1 } });
    // One priced gateway call, so the charts have something to draw.
    fake.setScript([{ text: "priced", usage: { prompt_tokens: 100_000, completion_tokens: 10_000 } }], "priced");
    await client.chat.completions.create({ model: "openai/gpt-4.1", messages: [{ role: "user", content: "[script:priced]" }] });
    const usage = await pollUntil("the priced call in the usage totals", () => call<{ totals: { costUsd: number } }>(stack, "/api/usage?groupBy=model"), (u) => u.totals.costUsd >= 0.28, {
      timeoutMs: 5_000,
      intervalMs: 20,
    });
    // $2 / $8 per million tokens of gpt-4.1: 0.2 + 0.08.
    expect(usage.totals.costUsd).toBeGreaterThanOrEqual(0.28);

    mkdirSync(artifacts, { recursive: true });
    browser = await launchChromium();
    const page = await signedInPage(browser, stack, { width: 1280, height: 900 });
    await page.getByTestId("nav-usage").click();
    await page.waitForURL(`${stack.url}/usage`);
    await page.getByTestId("chart-spend-by-day").locator(".recharts-bar-rectangle").first().waitFor();
    await page.getByTestId("chart-spend-by-model").locator(".recharts-bar-rectangle").first().waitFor();
    const models = await page.getByTestId("usage-model-row").allInnerTexts();
    expect(models.some((row) => row.includes("openai/gpt-4.1\t") || row.startsWith("openai/gpt-4.1\n") || /^openai\/gpt-4\.1\s/.test(row))).toBe(true);
    expect(await page.getByTestId("budget-monthly-usd").getByTestId("budget-left").innerText()).toMatch(/left of \$1\.00/);
    expect(await page.getByTestId("payer-mode").innerText()).toBe("platform");

    await page.getByTestId("budget-monthly-input").fill("5");
    await page.getByTestId("budget-save-button").click();
    await page.getByTestId("budget-monthly-usd").getByTestId("budget-left").filter({ hasText: "left of $5.00" }).waitFor();
    expect((await call<{ monthlyUsd: { limit: number } }>(stack, "/api/me/budgets")).monthlyUsd.limit).toBe(5);
    await page.screenshot({ path: resolve(artifacts, "ui-usage.png"), fullPage: true });
  });
});
