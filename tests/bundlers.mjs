#!/usr/bin/env node
// End-to-end test of the packed npm package in each bundler: every app in tests/bundlers, as
// built (dist/), in headless Chromium against `agentwire serve`.
//
//   node tests/bundlers.mjs [APP...]      (default: esbuild vite5 vite6 vite7 webpack5 rollup react-vite8)
//
// Expects tests/bundlers/APP/dist (scripts/test-bundlers packs the package, installs it into each
// app and builds them), target/debug/agentwire, /usr/bin/chromium, and playwright-core in .tools
// (scripts/setup). It never downloads a browser.
//
// For each app it starts a seeded, 8x-speed simulated manager on 127.0.0.1 and a free port that
// serves the app's dist/ at `/`, opens the page (the React app: clicks its send button), and waits
// for the app to report the run's `agent_completed` (data-result="ok"). It then checks: no
// error-severity checker flag, no page error or console error, no failed request and no HTTP
// error (a .wasm the bundler did not emit is a 404: the bug this test guards against), the .wasm
// fetched from the app's own origin with HTTP 200, and one WebSocket. The React app also shows
// the manager's echo of a hostile message as text, not as HTML. One test line per app, and a
// cargo-style `test result: ...` line; every wait is bounded; each server is killed however the
// test ends. On a failure the page is saved to target/bundlers-APP.png.

import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { startServe, stopServe, within } from "./support/serve.mjs";
import { loadPlaywright } from "./support/playwright.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const binary = path.join(root, "target/debug/agentwire");
const chromiumPath = "/usr/bin/chromium";
const APPS = ["esbuild", "vite5", "vite6", "vite7", "webpack5", "rollup", "react-vite8"];

const SERVER_START_MS = 15_000;
const PAGE_OPEN_MS = 20_000;
const RUN_MS = 30_000;
// Everything, browser start on a busy machine included; a last resort if a wait hangs.
const OVERALL_MS = 240_000;

const started = Date.now();
// The last resort: Playwright kills the browser it launched when the process exits.
setTimeout(() => {
  console.error(`bundlers: gave up after ${OVERALL_MS / 1000} s`);
  process.exit(1);
}, OVERALL_MS).unref();

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Starts `agentwire serve` for `dist` and resolves with it and its address (`127.0.0.1:PORT`). */
async function startServer(dist) {
  const args = ["--www", dist, "--speed", "8", "--seed", "5"];
  const { server, base } = await startServe(binary, args, { stderr: "pipe", timeoutMs: SERVER_START_MS });
  return { server, address: base.replace(/^http:\/\//, "") };
}


/** Opens one app's page, runs it, and throws what went wrong. */
async function testApp(browser, app) {
  const dist = path.join(root, "tests/bundlers", app, "dist");
  assert(existsSync(path.join(dist, "index.html")), `${dist}/index.html is missing: run scripts/test-bundlers`);
  const { server, address } = await startServer(dist);
  const origin = `http://${address}`;
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_OPEN_MS);
  const problems = [];
  const warnings = [];
  const wasm = [];
  const sockets = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console.error: ${message.text()}`);
    else if (message.type() === "warning") warnings.push(message.text());
  });
  page.on("requestfailed", (request) =>
    problems.push(`request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText}`),
  );
  page.on("response", (response) => {
    const url = response.url();
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.request().method()} ${url}`);
    if (/\.wasm(\?|$)/.test(url)) wasm.push({ url, status: response.status(), type: response.headers()["content-type"] });
  });
  page.on("websocket", (socket) => sockets.push(socket.url()));

  const react = app.startsWith("react");
  const resultSelector = react ? "#app[data-result]" : "body[data-result]";
  try {
    const response = await page.goto(`${origin}/`, { timeout: PAGE_OPEN_MS });
    assert(response?.ok(), `GET /: HTTP ${response?.status()}`);
    if (react) {
      // Enabled once the wasm has loaded and the client exists (the send is queued until open).
      await page.click("#send:not([disabled])", { timeout: PAGE_OPEN_MS }).catch(async (error) => {
        const result = await page.getAttribute("#app", "data-result").catch(() => null);
        throw new Error(`the send button was not enabled (${result ?? "no result"}): ${error.message}\n${problems.join("\n")}`);
      });
    }
    const found = await page
      .waitForSelector(resultSelector, { timeout: RUN_MS })
      .catch(() => null);
    const outcome = await page.evaluate((selector) => {
      const element = document.querySelector(selector) ?? document.body;
      return {
        result: element.getAttribute("data-result"),
        errors: element.getAttribute("data-errors"),
        status: document.getElementById("status")?.textContent ?? document.getElementById("state")?.textContent,
        events: [...document.querySelectorAll("#events li")].map((li) => li.textContent ?? ""),
        htmlFromWire: document.querySelectorAll("#events img, #flags img").length,
        xss: window.__xss ?? null,
      };
    }, resultSelector);
    assert(found !== null, `no result within ${RUN_MS / 1000} s; the page says: ${outcome.status}\n${problems.join("\n")}`);
    assert(outcome.result === "ok", `the app reports: ${outcome.result}\n${problems.join("\n")}`);
    assert(!outcome.errors, `error-severity flags: ${outcome.errors}`);
    // A wrong content type makes the glue fall back from instantiateStreaming with a warning.
    const mime = warnings.filter((w) => /instantiateStreaming|MIME/i.test(w));
    assert(mime.length === 0, `the .wasm was not served as wasm: ${mime.join(" | ")}`);
    assert(problems.length === 0, problems.join("\n"));
    assert(wasm.length === 1, `expected one .wasm fetch, saw ${wasm.length}: ${JSON.stringify(wasm)}`);
    const [fetched] = wasm;
    assert(fetched.url.startsWith(`${origin}/`), `the .wasm came from elsewhere: ${fetched.url}`);
    assert(fetched.status === 200, `the .wasm: HTTP ${fetched.status}`);
    assert(sockets.length === 1, `expected one WebSocket, saw ${sockets.length}: ${sockets.join(", ")}`);
    assert(sockets[0] === `ws://${address}/ws`, `the WebSocket URL: ${sockets[0]}`);
    if (react) {
      assert(outcome.htmlFromWire === 0 && outcome.xss === null, "wire text was rendered as HTML");
      assert(
        outcome.events.some((text) => text.includes(`<img src=x onerror="window.__xss=1">`)),
        "no event shows the echoed message literally",
      );
      assert(outcome.events.some((text) => text.startsWith("agent_completed")), "agent_completed is not listed");
    }
    return `${path.basename(new URL(fetched.url).pathname)}, ${fetched.type}`;
  } catch (error) {
    const screenshot = path.join(root, "target", `bundlers-${app}.png`);
    mkdirSync(path.dirname(screenshot), { recursive: true });
    await within(15_000, "the screenshot", page.screenshot({ path: screenshot, fullPage: true })).then(
      () => console.log(`bundlers: screenshot saved to ${path.relative(root, screenshot)}`),
      () => {},
    );
    throw error;
  } finally {
    await within(10_000, "the page to close", context.close()).catch(() => {});
    stopServe(server);
  }
}

const apps = process.argv.slice(2);
for (const app of apps) {
  if (!APPS.includes(app)) {
    console.error(`bundlers: unknown app \`${app}\`; the apps are: ${APPS.join(" ")}`);
    process.exit(2);
  }
}

const results = [];
let fatal = null;
let browser = null;
try {
  assert(existsSync(binary), `${binary} is missing: cargo build -p agentwire-cli --bin agentwire`);
  assert(existsSync(chromiumPath), `${chromiumPath} is missing: scripts/setup installs it`);
  const { chromium } = loadPlaywright();
  browser = await within(
    60_000,
    "Chromium to start",
    chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"], timeout: 60_000 }),
  );
  for (const app of apps.length > 0 ? apps : APPS) {
    const appStarted = Date.now();
    try {
      const detail = await testApp(browser, app);
      results.push({ app, ok: true });
      console.log(`test ${app} ... ok (${detail}; ${((Date.now() - appStarted) / 1000).toFixed(1)} s)`);
    } catch (error) {
      results.push({ app, ok: false });
      console.log(`test ${app} ... FAILED\n    ${String(error?.stack ?? error).replaceAll("\n", "\n    ")}`);
    }
  }
} catch (error) {
  fatal = error;
  console.log(`bundlers: ${error?.stack ?? error}`);
} finally {
  await within(10_000, "Chromium to close", browser?.close() ?? Promise.resolve()).catch(() => {});
}

const passed = results.filter((r) => r.ok).length;
const failed = results.filter((r) => !r.ok).length + (fatal ? 1 : 0);
const seconds = ((Date.now() - started) / 1000).toFixed(2);
const ok = failed === 0 && passed > 0;
console.log(`test result: ${ok ? "ok" : "FAILED"}. ${passed} passed; ${failed} failed; finished in ${seconds}s`);
process.exit(ok ? 0 : 1);
