#!/usr/bin/env node
// Drives the browser benchmarks in headless Chromium (Playwright) against `agentwire serve`.
// Run through scripts/bench-browser, which builds what it needs; by hand:
//
//   node benches/browser/run.mjs [throughput] [reconnect] [drop]
//        --www DIR       the assembled pages: *.html/*.js from benches/browser, pkg/ (the npm
//                        build), pkg-bench/ (the `bench` feature build), frames.txt
//        --server FILE   the agentwire binary (default target/release/agentwire)
//        --out DIR       where results-*.json go (default: the parent of --www)
//
// Tunables (environment): BENCH_REPS (timed rounds, default 7), BENCH_WARMUP (default 2),
// BENCH_RESTARTS (server restarts per reconnect policy, default 10), BENCH_DROP_RUNS (runs in the
// drop_connection benchmark, default 20).
//
// It prints numbers and writes them as JSON; it passes or fails nothing on timing. It exits
// non-zero only when a benchmark could not run or its own sanity checks failed (e.g. the SDK
// did not deliver every frame). Every server it starts is killed however it ends.

import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const chromiumPath = "/usr/bin/chromium";

// ------------------------------------------------------------------------------------------------
// Arguments

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const at = argv.indexOf(name);
  if (at < 0) return fallback;
  const value = argv[at + 1];
  argv.splice(at, 2);
  return value;
};
const www = path.resolve(option("--www", path.join(root, "target/bench-browser/www")));
const serverBinary = path.resolve(option("--server", path.join(root, "target/release/agentwire")));
const outDir = path.resolve(option("--out", path.dirname(www)));
const selected = argv.length > 0 ? argv : ["throughput", "reconnect", "drop"];
const envNumber = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);

// ------------------------------------------------------------------------------------------------
// Processes: every server is tracked and killed at exit, whatever happens.

const servers = new Set();
function killAll() {
  for (const server of servers) {
    if (server.exitCode === null && server.signalCode === null) {
      try {
        server.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
}
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping`);
    killAll();
    process.exit(130);
  });
}

/** Rejects after `ms` with a message naming what was awaited. */
function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `agentwire serve` with `args`; resolves with { process, address, listenedAt } once it
 * printed its listening line (`listenedAt`: Date.now() when Node read it).
 */
function startServer(args) {
  const child = spawn(serverBinary, ["serve", ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  servers.add(child);
  child.on("exit", () => servers.delete(child));
  const log = [];
  child.stderr.setEncoding("utf8").on("data", (chunk) => {
    log.push(chunk);
    if (log.length > 200) log.shift();
  });
  const ready = new Promise((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      out += chunk;
      const found = /listening on http:\/\/([^/\s]+)\//.exec(out);
      if (found) resolve({ process: child, address: found[1], listenedAt: Date.now(), log });
    });
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      reject(new Error(`agentwire serve exited (${signal ?? code}) before listening:\n${log.join("")}`)),
    );
  });
  return within(15_000, "agentwire serve to print its address", ready);
}

/** Kills a server and waits until it is gone. */
async function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await within(10_000, "agentwire serve to exit", gone);
}

/** Whether something accepts TCP connections on 127.0.0.1:port (one attempt). */
function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A port in 20000..59999 that is free now (so a restarted server can take it again). */
async function freePort() {
  for (let tries = 0; tries < 50; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const free = await new Promise((resolve) => {
      const probe = net.createServer();
      probe.once("error", () => resolve(false));
      probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error("no free port found");
}

function loadPlaywright() {
  const require = createRequire(path.join(root, ".tools/package.json"));
  try {
    return require("playwright-core");
  } catch {
    throw new Error(
      "playwright-core is missing: npm install --prefix .tools --no-audit --no-fund playwright-core@1.65.1",
    );
  }
}

// ------------------------------------------------------------------------------------------------
// Statistics and printing

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};
const fmt = (n, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : String(n);

function table(headers, rows) {
  const lines = [`| ${headers.join(" | ")} |`, `|${headers.map(() => "---").join("|")}|`];
  for (const row of rows) lines.push(`| ${row.join(" | ")} |`);
  return lines.join("\n");
}

function newPage(browser, name) {
  return browser.newPage().then((page) => {
    page.on("pageerror", (error) => console.log(`[${name} page error] ${error}`));
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") {
        console.log(`[${name} console.${message.type()}] ${message.text()}`);
      }
    });
    return page;
  });
}

// ------------------------------------------------------------------------------------------------
// 1. Throughput

async function throughput(browser) {
  const reps = envNumber("BENCH_REPS", 7);
  const warmup = envNumber("BENCH_WARMUP", 2);
  const pkg = process.env.BENCH_PKG ?? "pkg-bench";
  const server = await startServer(["--host", "127.0.0.1", "--port", "0", "--www", www]);
  try {
    const page = await newPage(browser, "throughput");
    await page.goto(`http://${server.address}/throughput.html?pkg=${encodeURIComponent(pkg)}`);
    await page.waitForFunction(() => window.benchReady || window.benchError, null, { timeout: 60_000 });
    const setupError = await page.evaluate(() => window.benchError);
    if (setupError) throw new Error(`throughput page setup: ${setupError}`);
    const result = await within(900_000, "the throughput passes", page.evaluate((o) => window.benchThroughput(o), { reps, warmup }));
    await page.close();
    return summariseThroughput(result, { reps, warmup, pkg });
  } finally {
    await stopServer(server.process);
  }
}

const VARIANT_LABELS = {
  sdk: 'SDK: `benchReceive` → decode → live checker → `on("*")` listener',
  "sdk-nolisten": "SDK, no event listener (no JS objects built)",
  baseline: "`JSON.parse` + `switch (type)` (**baseline**)",
  parse: "`JSON.parse` alone",
};

function summariseThroughput(result, settings) {
  const problems = [];
  for (const pass of result.passes) {
    const where = `${pass.dataset}/${pass.variant} round ${pass.round}`;
    const expectCalls = pass.variant === "sdk-nolisten" ? 0 : pass.batch;
    if (pass.listenerCalls !== expectCalls) problems.push(`${where}: ${pass.listenerCalls} listener calls for ${pass.batch} frames`);
    if (pass.variant.startsWith("sdk")) {
      if (pass.frames !== pass.batch) problems.push(`${where}: stats.frames +${pass.frames}, not ${pass.batch}`);
      if (pass.delivered !== pass.batch) problems.push(`${where}: stats.events +${pass.delivered}, not ${pass.batch}`);
      if (pass.decodeErrors !== 0) problems.push(`${where}: ${pass.decodeErrors} decode errors`);
    }
  }
  const timed = result.passes.filter((p) => !p.warmup);
  const datasets = Object.keys(result.datasets);
  const variants = Object.keys(VARIANT_LABELS);
  const stats = {};
  for (const dataset of datasets) {
    const { frames, bytes } = result.datasets[dataset];
    const baseline = timed.filter((p) => p.dataset === dataset && p.variant === "baseline");
    stats[dataset] = {};
    for (const variant of variants) {
      const passes = timed.filter((p) => p.dataset === dataset && p.variant === variant);
      if (passes.length === 0) continue;
      const ms = passes.map((p) => p.ms);
      const med = median(ms);
      const best = Math.min(...ms);
      stats[dataset][variant] = {
        ms,
        medianMs: med,
        bestMs: best,
        framesPerSecMedian: frames / (med / 1000),
        framesPerSecBest: frames / (best / 1000),
        nsPerFrameMedian: (med * 1e6) / frames,
        nsPerFrameBest: (best * 1e6) / frames,
        mbPerSecMedian: bytes / 1e6 / (med / 1000),
        // Cost per frame over the baseline's: of the medians, and the median of each round's own ratio.
        ratioOfMedians: med / median(baseline.map((p) => p.ms)),
        ratioPairedMedian: median(passes.map((p) => p.ms / baseline.find((b) => b.round === p.round).ms)),
      };
    }
  }
  const sdkPasses = result.passes.filter((p) => p.variant.startsWith("sdk"));
  const flagsByRule = {};
  for (const pass of sdkPasses) {
    for (const [rule, n] of Object.entries(pass.flagsByRule)) flagsByRule[rule] = Math.max(flagsByRule[rule] ?? 0, n);
  }
  const sentPerPass = Object.fromEntries(datasets.map((d) => [d, [...new Set(sdkPasses.filter((p) => p.dataset === d).map((p) => p.sent))]]));
  const summary = {
    settings,
    pkg: result.pkg,
    datasets: result.datasets,
    userAgent: result.userAgent,
    hardwareConcurrency: result.hardwareConcurrency,
    exposedGc: result.exposedGc,
    stats,
    flags: { perPass: sdkPasses.map((p) => p.flags), byRuleMaxPerPass: flagsByRule, samples: sdkPasses.find((p) => p.flagSamples.length)?.flagSamples ?? [] },
    sentPerPass,
    problems,
    passes: result.passes,
  };

  console.log(`\nthroughput (${result.pkg}): ${settings.reps} timed rounds after ${settings.warmup} warm-up rounds, a fresh open client per SDK pass; ${result.userAgent}; gc between passes: ${result.exposedGc}`);
  for (const dataset of datasets) {
    const { frames, bytes } = result.datasets[dataset];
    console.log(`\n${dataset}: ${fmt(frames)} frames, ${fmt(bytes / 1e6, 1)} MB (mean ${fmt(bytes / frames)} B); heartbeat_acks the SDK sent per pass: ${sentPerPass[dataset].join("/")}\n`);
    console.log(
      table(
        ["what", "frames/s median (best)", "ns/frame median (best)", "MB/s median", "cost per frame ÷ baseline (of medians; paired)"],
        variants
          .filter((v) => stats[dataset][v])
          .map((v) => {
            const x = stats[dataset][v];
            return [
              VARIANT_LABELS[v],
              `${fmt(x.framesPerSecMedian)} (${fmt(x.framesPerSecBest)})`,
              `${fmt(x.nsPerFrameMedian)} (${fmt(x.nsPerFrameBest)})`,
              fmt(x.mbPerSecMedian),
              `**${fmt(x.ratioOfMedians, 2)}**; ${fmt(x.ratioPairedMedian, 2)}`,
            ];
          }),
      ),
    );
    const d = stats[dataset];
    console.log(`per-pass ms: ${variants.filter((v) => d[v]).map((v) => `${v} [${d[v].ms.map((m) => fmt(m, 1)).join(", ")}]`).join("; ")}`);
    if (d.sdk && d["sdk-nolisten"]) {
      console.log(`conversion to JS objects + listener (sdk − sdk-nolisten): ${fmt(d.sdk.nsPerFrameMedian - d["sdk-nolisten"].nsPerFrameMedian)} ns/frame of ${fmt(d.sdk.nsPerFrameMedian)}`);
      console.log(
        `targets: ≥ 200,000 frames/s: ${d.sdk.framesPerSecMedian >= 200_000 ? "met" : "NOT met"} (${fmt(d.sdk.framesPerSecMedian)}); ` +
          `≤ 3× the baseline's cost per frame: ${d.sdk.ratioOfMedians <= 3 ? "met" : "NOT met"} (${fmt(d.sdk.ratioOfMedians, 2)}×)`,
      );
    }
  }
  console.log(`\nflags per SDK pass (warm-up included): [${summary.flags.perPass.join(", ")}]; by rule (max per pass): ${JSON.stringify(flagsByRule)}`);
  if (summary.flags.samples.length) console.log(`flag samples: ${summary.flags.samples.join(" | ")}`);
  if (problems.length) console.log(`PROBLEMS:\n  ${problems.join("\n  ")}`);
  else console.log("sanity: every SDK pass took every frame of its batch and delivered each to the listener exactly once (stats.frames, stats.events and listener calls == frames); no decode errors");
  return summary;
}

// ------------------------------------------------------------------------------------------------

async function main() {
  const { chromium } = loadPlaywright();
  const browser = await within(
    60_000,
    "Chromium to start",
    chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ["--no-sandbox", "--js-flags=--expose-gc"],
      timeout: 60_000,
    }),
  );
  console.log(`Chromium ${browser.version()} (headless, ${chromiumPath}); server ${path.relative(root, serverBinary)}; pages from ${path.relative(root, www)}`);
  const results = { date: new Date().toISOString(), chromium: browser.version() };
  let failed = false;
  try {
    for (const name of selected) {
      const run = { throughput, reconnect: (b) => reconnect(b), drop: (b) => drop(b) }[name];
      if (!run) throw new Error(`unknown benchmark ${name} (throughput, reconnect, drop)`);
      console.log(`\n=== ${name} ===`);
      const started = Date.now();
      const summary = await run(browser);
      summary.seconds = (Date.now() - started) / 1000;
      results[name] = summary;
      if (summary.problems?.length) failed = true;
      writeFileSync(path.join(outDir, `results-${name}.json`), JSON.stringify({ ...results, [name]: summary }, null, 2));
      console.log(`(${fmt(summary.seconds, 1)} s; details in ${path.relative(root, path.join(outDir, `results-${name}.json`))})`);
    }
  } finally {
    await within(10_000, "Chromium to close", browser.close()).catch(() => {});
    killAll();
  }
  return failed;
}

main().then(
  (failed) => process.exit(failed ? 1 : 0),
  (error) => {
    console.error(`bench-browser: ${error?.stack ?? error}`);
    killAll();
    process.exit(2);
  },
);
