#!/usr/bin/env node
// End-to-end test of the example app (www/example) in headless Chromium, against `agentwire serve`.
//
//   node tests/example_app.mjs
//
// Expects www/example/dist (npm run build in www/example; scripts/test-example does it all),
// target/debug/agentwire, /usr/bin/chromium, and playwright-core in .tools (scripts/setup:
// `npm install --prefix .tools --no-audit --no-fund playwright-core@1.65.1`). It never downloads
// a browser.
//
// It starts a numbered (--seq), seeded, 4x-speed simulated manager on 127.0.0.1 and a free port,
// opens the page, sends a message whose text is hostile HTML (the manager echoes the request into
// its thinking events), and checks that the page shows the run (agent started, thinking, a tool
// call and its completion, the final answer), no error-severity flag, and the hostile text as
// text. It saves a screenshot to target/example-app.png and ends with a cargo-style
// `test result: ...` line. Every wait is bounded; the server is killed however the test ends.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { startServe, stopServe, within } from "./support/serve.mjs";
import { loadPlaywright } from "./support/playwright.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "www/example/dist");
const binary = path.join(root, "target/debug/agentwire");
const screenshot = path.join(root, "target/example-app.png");
const recordingPath = path.join(root, "target/example-app.jsonl");
const chromiumPath = "/usr/bin/chromium";

const SERVER_START_MS = 15_000;
const PAGE_OPEN_MS = 20_000;
const RUN_MS = 30_000;
// Everything, browser start on a busy machine included; a last resort if a wait hangs.
const OVERALL_MS = 120_000;

// The manager echoes the request into its thinking events, so this comes back over the wire.
const HOSTILE = `<img src=x onerror="window.__xss=1"><b>bold?</b>`;
const MESSAGE = `Why did our GPU spend rise? ${HOSTILE}`;

const started = Date.now();
let server = null;
let browser = null;

setTimeout(() => {
  console.error(`example_app: gave up after ${OVERALL_MS / 1000} s`);
  process.exit(1);
}, OVERALL_MS).unref();

/** Starts `agentwire serve` for the app and resolves with its address (`127.0.0.1:PORT`). */
async function startServer() {
  const args = ["--www", dist, "--seq", "--speed", "4", "--seed", "5"];
  const started = await startServe(binary, args, { stderr: "pipe", timeoutMs: SERVER_START_MS });
  server = started.server;
  return started.base.replace(/^http:\/\//, "");
}


// ------------------------------------------------------------------------------------------------
// The checks, run in order; the first failure skips the rest.

const results = [];
async function check(name, body) {
  if (results.some((r) => r.outcome === "FAILED")) {
    results.push({ name, outcome: "skipped" });
    console.log(`test ${name} ... skipped`);
    return;
  }
  try {
    await body();
    results.push({ name, outcome: "ok" });
    console.log(`test ${name} ... ok`);
  } catch (error) {
    results.push({ name, outcome: "FAILED", error });
    console.log(`test ${name} ... FAILED\n    ${String(error?.stack ?? error).replaceAll("\n", "\n    ")}`);
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Counts of what the conversation shows, read from the page. */
function conversation(page) {
  return page.evaluate(() => {
    const count = (selector) => document.querySelectorAll(selector).length;
    return {
      started: count('#chat [data-kind="started"]'),
      thinking: count('#chat [data-kind="thinking"]'),
      tools: count('#chat [data-kind="tool"]'),
      toolsDone: count('#chat [data-kind="tool"][data-done="true"]'),
      answers: [...document.querySelectorAll('#chat [data-kind="answer"] .body')].map((e) => e.textContent ?? ""),
      errors: [...document.querySelectorAll('#chat [data-kind="error"]')].map((e) => e.textContent ?? ""),
      flags: [...document.querySelectorAll("#flags [data-severity]")].map(
        (e) => `${e.getAttribute("data-severity")} ${e.getAttribute("data-rule")}: ${e.querySelector(".body")?.textContent}`,
      ),
    };
  });
}

async function main() {
  assert(existsSync(path.join(dist, "index.html")), `${dist} is missing: run npm run build in www/example`);
  assert(existsSync(binary), `${binary} is missing: cargo build -p agentwire-cli --bin agentwire`);
  assert(existsSync(chromiumPath), `${chromiumPath} is missing: scripts/setup installs it`);
  const { chromium } = loadPlaywright();

  const address = await startServer();
  console.log(`example_app: agentwire serve at http://${address}/`);
  browser = await within(
    60_000,
    "Chromium to start",
    chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"], timeout: 60_000 }),
  );
  const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
  // The package's Playwright helper, as a frontend team would use it in its own tests.
  const { recordAgentwire } = await import(pathToFileURL(path.join(root, "sdk/pkg/playwright.js")).href);
  const recording = recordAgentwire(page, { url: "/ws", userId: "e2e-user" });
  page.setDefaultTimeout(PAGE_OPEN_MS);
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(`console.error: ${message.text()}`);
  });

  try {
    await check("page loads, gets a dev token and connects", async () => {
      const response = await page.goto(`http://${address}/?user=e2e-user`, { timeout: PAGE_OPEN_MS });
      assert(response?.ok(), `GET /: HTTP ${response?.status()}`);
      await page.waitForSelector('#state[data-state="open"]', { timeout: PAGE_OPEN_MS });
      assert((await page.textContent("#user")) === "e2e-user", "the page does not show the ?user= id");
    });

    await check("a typed message is sent and shown", async () => {
      await page.fill("#message", MESSAGE);
      await page.click("#send");
      const mine = await page.waitForSelector('#chat [data-kind="user"]');
      assert((await mine.textContent())?.includes(HOSTILE), "the user's message is not shown as typed");
      assert((await page.inputValue("#message")) === "", "the input was not cleared");
    });

    await check("the run is shown: agent started, thinking, a tool call completed, the answer", async () => {
      // A run has 0 to 3 tool calls; with this seed the first has some, but send another message
      // (at most twice) rather than fail if the simulated runs ever change.
      let seen;
      for (let messages = 1; ; messages++) {
        await page.waitForFunction(
          (n) => document.querySelectorAll('#chat [data-kind="answer"]').length >= n,
          messages,
          { timeout: RUN_MS },
        );
        seen = await conversation(page);
        if (seen.toolsDone > 0 || messages === 3) break;
        console.log(`example_app: run ${messages} had no tool call; sending another message`);
        await page.fill("#message", "And what about storage?");
        await page.click("#send");
      }
      console.log(`example_app: ${JSON.stringify({ ...seen, answers: seen.answers.map((a) => a.slice(0, 80)) })}`);
      assert(seen.started >= 1, "no agent_started shown");
      assert(seen.thinking >= 1, "no thinking step shown");
      assert(seen.toolsDone >= 1, `no completed tool call shown (${seen.tools} tool calls)`);
      assert(seen.answers.every((a) => a.trim().length > 0), "an empty final answer");
      assert(seen.errors.length === 0, `error entries shown: ${seen.errors.join(" | ")}`);
    });

    await check("no error-severity checker flag", async () => {
      const { flags } = await conversation(page);
      if (flags.length > 0) console.log(`example_app: flags: ${flags.join(" | ")}`);
      assert(!flags.some((f) => f.startsWith("error ")), `error flags: ${flags.join(" | ")}`);
    });

    await check("hostile text from the wire is rendered as text", async () => {
      const rendered = await page.evaluate((hostile) => {
        const thinking = [...document.querySelectorAll('#chat [data-kind="thinking"] .body')];
        return {
          echoed: thinking.some((e) => (e.textContent ?? "").includes(hostile)),
          elements: document.querySelectorAll("#chat img, #chat b, #flags img").length,
          // Set only if the hostile onerror handler ever ran.
          xss: window.__xss ?? null,
        };
      }, HOSTILE);
      assert(rendered.echoed, "no thinking step shows the request's hostile text literally");
      assert(rendered.elements === 0, `${rendered.elements} elements were created from wire text`);
      assert(rendered.xss === null, "the hostile onerror handler ran");
    });

    await check("the Playwright helper recorded the run, with no error flag and no token", async () => {
      const flags = await recording.expectNoErrors({ save: recordingPath });
      assert(recording.received.length >= 5, `${recording.received.length} frames recorded`);
      const jsonl = recording.toJSONL();
      assert(!/eyJ[A-Za-z0-9_-]*\.eyJ/.test(jsonl), "a token is in the recording");
      // `agentwire check` reads what the helper wrote, and agrees with it.
      const checked = spawnSync(binary, ["check", recordingPath], { encoding: "utf8" });
      assert(checked.status === 0, `agentwire check exited ${checked.status}:\n${checked.stdout}${checked.stderr}`);
      console.log(`example_app: ${recording.received.length} frames recorded, ${flags.length} flags; agentwire check passed`);
    });

    await check("no page errors", async () => {
      assert(pageErrors.length === 0, pageErrors.join("\n"));
    });
  } finally {
    mkdirSync(path.dirname(screenshot), { recursive: true });
    await within(15_000, "the screenshot", page.screenshot({ path: screenshot, fullPage: true })).then(
      () => console.log(`example_app: screenshot saved to ${path.relative(root, screenshot)}`),
      (error) => console.log(`example_app: no screenshot: ${error.message}`),
    );
  }
}

let fatal = null;
try {
  await main();
} catch (error) {
  fatal = error;
  console.log(`example_app: ${error?.stack ?? error}`);
} finally {
  await within(10_000, "Chromium to close", browser?.close() ?? Promise.resolve()).catch(() => {});
  if (server) stopServe(server);
}

const passed = results.filter((r) => r.outcome === "ok").length;
const failed = results.filter((r) => r.outcome === "FAILED").length + (fatal ? 1 : 0);
const skipped = results.filter((r) => r.outcome === "skipped").length;
const seconds = ((Date.now() - started) / 1000).toFixed(2);
const ok = failed === 0 && passed > 0;
console.log(
  `test result: ${ok ? "ok" : "FAILED"}. ${passed} passed; ${failed} failed; ${skipped} skipped; finished in ${seconds}s`,
);
process.exit(ok ? 0 : 1);
