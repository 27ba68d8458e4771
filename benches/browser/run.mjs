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
// BENCH_PKG (the SDK build the throughput page loads, default pkg-bench), BENCH_RESTARTS (server
// restarts per reconnect policy, default 10), BENCH_RESTART_DROP_CYCLES (restart-then-drop
// cycles, default 5), BENCH_PROFILE=1 (a CPU profile of the SDK path, see profileSdk),
// BENCH_QUIET_LOAD / BENCH_QUIET_WAIT_S (see waitForQuiet), BENCH_DROP_RUNS (runs per drop series; or
// BENCH_DROP_RUNS_FAST / _DEFAULT5 / _SLOW, defaults 20 / 8 / 10), BENCH_DROP_ONLY (a comma list
// of drop series: fast, default5, slow).
//
// It prints numbers and writes them as JSON; it passes or fails nothing on timing or on what it
// measures (lost frames are a result, not a failure). It exits non-zero only when a benchmark
// could not run or could not be trusted (the SDK did not take every frame, a run never ended).
// Every server it starts is killed however it ends.
//
//   throughput  benches/browser/throughput.js: the SDK's receive path against JSON.parse
//   reconnect   server restarts (two reconnect policies): accepting -> open, resume, flags; then
//               restart-then-drop cycles: what resume recovers on the first drop after a restart
//   drop        `--fault drop_connection=1` without restarts: runs completed, frames lost

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadPlaywright } from "../../tests/support/playwright.mjs";

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

/** The 1, 5 and 15 minute load averages (the machine is shared: other builds skew timings). */
const loadavg = () => {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
};

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

/** Console messages the reconnect benchmarks cause on purpose (the browser logs each refused attempt). */
let refusedAttemptsLogged = 0;

function newPage(browser, name) {
  return browser.newPage().then((page) => {
    page.on("pageerror", (error) => console.log(`[${name} page error] ${error}`));
    page.on("console", (message) => {
      if (/ERR_CONNECTION_REFUSED/.test(message.text())) {
        refusedAttemptsLogged++;
        return;
      }
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
  await waitForQuiet();
  const server = await startServer(["--host", "127.0.0.1", "--port", "0", "--www", www]);
  try {
    const page = await newPage(browser, "throughput");
    await page.goto(`http://${server.address}/throughput.html?pkg=${encodeURIComponent(pkg)}`);
    await page.waitForFunction(() => window.benchReady || window.benchError, null, { timeout: 60_000 });
    const setupError = await page.evaluate(() => window.benchError);
    if (setupError) throw new Error(`throughput page setup: ${setupError}`);
    const result = await within(900_000, "the throughput passes", page.evaluate((o) => window.benchThroughput(o), { reps, warmup }));
    // Diagnostics: does the cost per frame grow with what the client has seen (runs tracked)?
    const chunks = [];
    for (let i = 0; i < 3; i++) chunks.push(await page.evaluate(() => window.benchChunks({ chunk: 3000, listen: false })));
    // Diagnostics: the JS-side pieces of the path, timed alone.
    const parts = await within(300_000, "the parts", page.evaluate(() => window.benchParts()));
    await page.close();
    const profile = process.env.BENCH_PROFILE === "1" ? await profileSdk(browser, server.address) : null;
    const summary = summariseThroughput(result, { reps, warmup, pkg });
    if (profile) summary.profile = profile;
    summary.parts = parts;
    console.log(
      `JS-side pieces, ns per frame (no-heartbeat set, frame ${parts.frameMeanBytes} B, event JSON ${parts.eventJsonMeanBytes} B): ` +
        `copy into wasm (wasm-bindgen's charCodeAt loop) ${fmt(parts.copyIn)} vs TextEncoder.encodeInto ${fmt(parts.encodeInto)}; ` +
        `event JSON → JS string (TextDecoder) ${fmt(parts.eventDecode)}; JSON.parse of the event ${fmt(parts.eventParse)}; ` +
        `two type-name strings → JS ${fmt(parts.nameDecode)}; one WebSocket.send between other work: ${fmt(parts.sendBetweenWork)} ns per send`,
    );
    const slices = chunks[0].slices.map((slice, k) => ({
      start: slice.start,
      frames: slice.frames,
      nsPerFrame: median(chunks.map((c) => (c.slices[k].ms * 1e6) / c.slices[k].frames)),
    }));
    summary.chunks = slices;
    console.log(
      `cost per frame along the stream (sdk-nolisten, no-heartbeat set, slices of 3,000 frames, median of 3 clients), ns/frame: ${slices.map((x) => fmt(x.nsPerFrame)).join(", ")}`,
    );
    return summary;
  } finally {
    await stopServer(server.process);
  }
}

/**
 * BENCH_PROFILE=1: a Chrome CPU profile (DevTools protocol, 100 µs sampling) of three SDK passes
 * with a listener over the no-heartbeat data set, with pkg-bench-noopt (built without wasm-opt,
 * which would strip the function names; scripts/bench-browser builds it for BENCH_PROFILE=1).
 * Prints the functions with the most self time; the profile goes to sdk-profile.cpuprofile
 * (open it in Chrome's DevTools). Sampling slows everything down; shares, not times, are the point.
 */
async function profileSdk(browser, address) {
  const page = await newPage(browser, "profile");
  await page.goto(`http://${address}/throughput.html?pkg=pkg-bench-noopt`);
  await page.waitForFunction(() => window.benchReady || window.benchError, null, { timeout: 60_000 });
  const setupError = await page.evaluate(() => window.benchError);
  if (setupError) throw new Error(`profile page setup: ${setupError}`);
  const pass = () =>
    page.evaluate(async () => {
      const internals = window.benchInternals;
      const batch = internals.frames.filter((frame) => JSON.parse(frame).type !== "heartbeat");
      return (await internals.sdkPass(batch, true)).ms;
    });
  await pass();
  await pass();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
  await cdp.send("Profiler.start");
  for (let i = 0; i < 3; i++) await pass();
  const { profile } = await cdp.send("Profiler.stop");
  await page.close();
  const file = path.join(outDir, "sdk-profile.cpuprofile");
  writeFileSync(file, JSON.stringify(profile));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id).callFrame;
    const key = `${frame.functionName || "(anonymous)"}${frame.url ? ` [${frame.url.split("/").pop()}]` : ""}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([name, us]) => ({ name, share: us / total }));
  console.log(
    `\nCPU profile (pkg-bench-noopt, SDK with listener, no-heartbeat set), top self time; full profile in ${path.relative(root, file)}` +
      ` (names without a file are the browser's: \`decode\` is TextDecoder.decode, wasm-bindgen's Rust → JS strings):`,
  );
  for (const { name, share } of top) console.log(`  ${fmt(share * 100, 1).padStart(5)} %  ${name.length > 140 ? `${name.slice(0, 140)}…` : name}`);
  return { file, top };
}

/**
 * The machine is shared (another engineer's builds take both cores for minutes): before timing,
 * wait up to BENCH_QUIET_WAIT_S (default 300) for the 1-minute load average to fall below
 * BENCH_QUIET_LOAD (default 0.7). The load before and after is printed and saved either way.
 */
async function waitForQuiet() {
  const limit = Number(process.env.BENCH_QUIET_LOAD ?? 0.7);
  const deadline = Date.now() + envNumber("BENCH_QUIET_WAIT_S", 300) * 1000;
  const load1 = () => Number(loadavg().split(" ")[0]);
  if (!(load1() >= limit)) return;
  console.log(`load average ${loadavg()}: waiting up to ${(deadline - Date.now()) / 1000} s for it to fall below ${limit}`);
  while (load1() >= limit && Date.now() < deadline) await sleep(5_000);
  console.log(load1() < limit ? `load average now ${loadavg()}` : `still busy (${loadavg()}); measuring anyway`);
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
// 2. Reconnect: shared pieces

const RECONNECT_USER = "bench-reconnect-user";

/** The page's log, mirrored in Node (polled). */
class PageLog {
  constructor(page) {
    this.page = page;
    this.entries = [];
  }

  async poll() {
    const { entries } = await this.page.evaluate((i) => window.rc.since(i), this.entries.length);
    this.entries.push(...entries);
  }

  /** The first entry from index `from` on that satisfies `test`; polls every 10 ms. */
  async waitFor(test, { from = 0, timeoutMs = 30_000, what = "an entry" } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.entries.slice(from).find(test);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
      await sleep(10);
      await this.poll();
    }
  }
}

/**
 * The page clock minus Node's (ms), from one round trip: { offset, uncertainty }. Both are
 * Date-like epoch clocks on the same machine; the page's is performance.timeOrigin + now().
 */
async function clockOffset(page) {
  let best = null;
  for (let i = 0; i < 5; i++) {
    const before = Date.now();
    const pageNow = await page.evaluate(() => window.rc.now());
    const after = Date.now();
    const sample = { offset: pageNow - (before + after) / 2, uncertainty: (after - before) / 2 };
    if (!best || sample.uncertainty < best.uncertainty) best = sample;
  }
  return best;
}

/** Polls 127.0.0.1:port every ~1 ms until it accepts; resolves with Date.now() at that moment. */
async function firstAccept(port, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await accepts(port)) return Date.now();
    if (Date.now() > deadline) throw new Error(`port ${port} did not accept within ${timeoutMs / 1000} s`);
    await sleep(1);
  }
}

/** Run frames (not direct frames) the server queued for `user`, from a --truth file. */
function truthFrames(file, user) {
  if (!existsSync(file)) return [];
  const frames = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line) continue;
    const record = JSON.parse(line);
    if (record.record !== "frame" || record.user !== user) continue;
    let parsed = {};
    try {
      parsed = JSON.parse(record.text);
    } catch {
      // A malformed-frame fault; none are configured here.
    }
    frames.push({ seq: record.seq, runId: parsed.run_id ?? null, type: parsed.type ?? null });
  }
  return frames;
}

const countBy = (items, key) => {
  const counts = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
};

async function openReconnectPage(browser, address, options) {
  const page = await newPage(browser, "reconnect");
  await page.goto(`http://${address}/reconnect.html`);
  await page.waitForFunction(() => window.rcReady, null, { timeout: 30_000 });
  const log = new PageLog(page);
  await page.evaluate((o) => window.rc.start(o), { user: RECONNECT_USER, options });
  const open = await log.waitFor((e) => e.kind === "state" && e.state === "open", { what: "the first open" });
  return { page, log, open };
}

// ------------------------------------------------------------------------------------------------
// 2a. Reconnect across a server restart

async function reconnect(browser) {
  const restarts = envNumber("BENCH_RESTARTS", 10);
  const policies = [
    { name: "default", label: "defaults (first ceiling 0.5 s, doubling, cap 30 s, full jitter)", reconnect: undefined },
    { name: "max1s", label: "`reconnect: { maxDelayMs: 1000 }`", reconnect: { maxDelayMs: 1000 } },
  ];
  const series = [];
  for (const policy of policies) series.push(await restartSeries(browser, policy, restarts));
  const summary = summariseReconnect(series, restarts);
  summary.restartThenDrop = await restartThenDrop(browser, envNumber("BENCH_RESTART_DROP_CYCLES", 5));
  return summary;
}

/**
 * What resume does for the first drop after a restart: a fresh client sees one complete run on
 * server A (--seq), A is killed and B (--seq, every run drops its connection mid-run) takes the
 * port; the client starts a run on B. B numbers from 1 again, so the client's last seq (from A)
 * is ahead of B's: the frames B sent during the drop are compared with B's --truth file.
 */
async function restartThenDrop(browser, cycles) {
  const port = await freePort();
  const truthDir = path.join(outDir, "truth");
  mkdirSync(truthDir, { recursive: true });
  const results = [];
  console.log(`\n[restart+drop] port ${port}, ${cycles} cycles: one run on A, restart, one run on B that drops mid-run`);
  for (let i = 0; i < cycles; i++) {
    const truthB = path.join(truthDir, `restart-drop-${i}-B.jsonl`);
    rmSync(truthB, { force: true });
    const common = ["--host", "127.0.0.1", "--port", String(port), "--www", www, "--seq", "--speed", "5"];
    let server = await startServer([...common, "--seed", String(2000 + 2 * i)]);
    const user = `${RECONNECT_USER}-restart-drop-${i}`;
    try {
      const page = await newPage(browser, "reconnect");
      await page.goto(`http://127.0.0.1:${port}/reconnect.html`);
      await page.waitForFunction(() => window.rcReady, null, { timeout: 30_000 });
      const log = new PageLog(page);
      await page.evaluate((o) => window.rc.start(o), { user, options: { reconnect: { maxDelayMs: 1000 } } });
      await log.waitFor((e) => e.kind === "state" && e.state === "open", { what: "open on A" });
      await page.evaluate(() => window.rc.startAgent("run on A"));
      const a = await log.waitFor((e) => e.kind === "event" && e.type === "agent_started" && e.runId, { what: "A's run" });
      await log.waitFor((e) => e.kind === "event" && e.runId === a.runId && e.agent === "supervisor" && e.type === "agent_completed", { timeoutMs: 60_000, what: "A's run to finish" });
      const lastSeqA = (await page.evaluate(() => window.rc.stats())).last_seq;
      await stopServer(server.process);
      await sleep(1_000);
      await log.poll();
      const mark = log.entries.length;
      server = await startServer([...common, "--seed", String(2001 + 2 * i), "--fault", "drop_connection=1", "--truth", truthB]);
      await log.waitFor((e) => e.kind === "state" && e.state === "open", { from: mark, timeoutMs: 60_000, what: "open on B" });
      await sleep(300);
      await page.evaluate(() => window.rc.startAgent("run on B"));
      const b = await log.waitFor((e, k, all) => e.kind === "event" && e.type === "agent_started" && e.runId && e.runId !== a.runId, { from: mark, what: "B's run" });
      let completed = true;
      await log
        .waitFor((e) => e.kind === "event" && e.runId === b.runId && e.agent === "supervisor" && e.type === "agent_completed", { from: mark, timeoutMs: 30_000, what: "B's run to finish" })
        .catch(() => {
          completed = false;
        });
      await sleep(1_000);
      await log.poll();
      await page.evaluate(() => window.rc.close());
      await page.close();
      const after = log.entries.slice(mark);
      const got = new Set(after.filter((e) => e.kind === "event" && e.runId === b.runId).map((e) => e.seq));
      const queued = truthFrames(truthB, user);
      const missing = queued.filter((f) => !got.has(f.seq));
      const result = {
        cycle: i,
        lastSeqA,
        queuedB: queued.length,
        missingB: missing.map((f) => `${f.seq} ${f.type}`),
        completed,
        drops: after.filter((e) => e.kind === "disconnect").length,
        resume: after.filter((e) => e.kind === "resume").map(({ t, kind, ...rest }) => rest),
        flagsByRule: countBy(after.filter((e) => e.kind === "flag"), (f) => `${f.severity} ${f.rule}`),
        errorFlags: after.filter((e) => e.kind === "flag" && e.severity === "error").map((f) => `${f.rule}: ${f.message}`),
      };
      results.push(result);
      console.log(
        `[restart+drop] cycle ${i + 1}/${cycles}: client's last seq from A ${lastSeqA}; B queued ${result.queuedB} run frames, ` +
          `${missing.length} never delivered${missing.length ? ` (${result.missingB.join(", ")})` : ""}; B's run ${completed ? "completed" : "did not complete"}; ` +
          `${result.drops} drop(s); resume ${JSON.stringify(result.resume)}; flags ${JSON.stringify(result.flagsByRule)}`,
      );
      for (const flag of result.errorFlags) console.log(`    ${flag}`);
    } finally {
      await stopServer(server.process);
    }
  }
  const lost = results.reduce((n, r) => n + r.missingB.length, 0);
  const queued = results.reduce((n, r) => n + r.queuedB, 0);
  console.log(`[restart+drop] over ${cycles} cycles: ${lost} of ${queued} run frames B sent never reached the client; resume outcomes ${JSON.stringify(countBy(results.flatMap((r) => r.resume), (r) => `${r.outcome} (replayed ${r.replayed ?? 0})`))}`);
  return { cycles: results, lost, queued };
}

async function restartSeries(browser, policy, restarts) {
  const port = await freePort();
  const truthDir = path.join(outDir, "truth");
  mkdirSync(truthDir, { recursive: true });
  const truthFile = (i) => path.join(truthDir, `restart-${policy.name}-${i}.jsonl`);
  // A different seed per server instance: a restarted manager does not replay the same runs.
  const args = (i) => ["--host", "127.0.0.1", "--port", String(port), "--www", www, "--seq", "--seed", String(1000 + i), "--truth", truthFile(i)];
  for (let i = 0; i <= restarts; i++) rmSync(truthFile(i), { force: true });
  console.log(`\n[${policy.name}] port ${port}, ${restarts} restarts`);
  let server = await startServer(args(0));
  // stallAfterMs 4 s (default 30 s), so the run each restart interrupts is flagged within the cycle.
  const options = { stallAfterMs: 4000, ...(policy.reconnect ? { reconnect: policy.reconnect } : {}) };
  const { page, log, open } = await openReconnectPage(browser, `127.0.0.1:${port}`, options);
  let lastOpenPage = open.t;
  const cycles = [];
  try {
    for (let i = 0; i < restarts; i++) {
      // Let the connection count as stable (resetAfterMs, 5 s) so every restart starts from attempt 0.
      const clock0 = await clockOffset(page);
      const uptime = Date.now() + clock0.offset - lastOpenPage;
      if (uptime < 5_500) await sleep(5_500 - uptime);
      await log.poll();
      const mark = log.entries.length;
      await page.evaluate((text) => window.rc.startAgent(text), `restart benchmark, cycle ${i}`);
      const started = await log.waitFor((e) => e.kind === "event" && e.type === "agent_started" && e.runId, { from: mark, what: "the run to start" });
      // Mid-run: after the run's third event.
      await log.waitFor(
        (e, k, all) => e.kind === "event" && e.runId === started.runId && all.filter((x) => x.kind === "event" && x.runId === started.runId).length >= 3,
        { from: mark, what: "three events of the run" },
      );
      const clock = await clockOffset(page);
      const tKill = Date.now();
      await stopServer(server.process);
      const killedAfter = Date.now() - tKill;
      const downtimeMs = 1_000 + Math.random() * 1_000;
      await sleep(Math.max(0, tKill + downtimeMs - Date.now()));
      const tSpawn = Date.now();
      const accepted = firstAccept(port);
      server = await startServer(args(i + 1));
      const tAccept = await accepted;
      const opened = await log.waitFor((e) => e.kind === "state" && e.state === "open" && e.t - clock.offset > tKill, {
        from: mark,
        timeoutMs: 90_000,
        what: "the client to open again",
      });
      lastOpenPage = opened.t;
      const tOpen = opened.t - clock.offset;
      // What follows the open: connection_established, the resume and its outcome.
      await sleep(1_500);
      await log.poll();
      const during = log.entries.slice(mark);
      const outage = during.filter((e) => e.t - clock.offset > tKill && e.t <= opened.t);
      const cycle = {
        cycle: i,
        runId: started.runId,
        downtimeMs: tSpawn - tKill,
        killToExitMs: killedAfter,
        spawnToListeningLineMs: server.listenedAt - tSpawn,
        spawnToAcceptMs: tAccept - tSpawn,
        acceptToOpenMs: tOpen - tAccept,
        killToOpenMs: tOpen - tKill,
        clockOffsetMs: clock.offset,
        clockUncertaintyMs: clock.uncertainty,
        attemptAtOpen: [...outage].reverse().find((e) => e.kind === "state" && e.state === "connecting")?.attempt ?? null,
        backoffs: outage.filter((e) => e.kind === "state" && e.state === "backing_off").map((e) => ({ attempt: e.attempt, delayMs: e.delayMs })),
        disconnects: outage.filter((e) => e.kind === "disconnect").map((e) => `${e.code} ${e.cause}`),
        runEventsBeforeKill: during.filter((e) => e.kind === "event" && e.runId === started.runId && e.t - clock.offset <= tKill).length,
        resume: during.filter((e) => e.kind === "resume" && e.t >= opened.t).map(({ t, kind, ...rest }) => rest),
        eventsAfterOpen: during.filter((e) => e.kind === "event" && e.t >= opened.t).map((e) => `${e.type}${e.seq === null ? "" : ` seq ${e.seq}`}`),
      };
      cycles.push(cycle);
      console.log(
        `[${policy.name}] restart ${i + 1}/${restarts}: down ${fmt(cycle.downtimeMs)} ms, accept→open ${fmt(cycle.acceptToOpenMs)} ms ` +
          `(attempt ${cycle.attemptAtOpen}, waits ${cycle.backoffs.map((b) => b.delayMs).join("+")} ms), resume ${JSON.stringify(cycle.resume)}`,
      );
    }
    // The last interrupted run's stall flag (4 s) and anything else late.
    await sleep(5_000);
    await log.poll();
    const stats = await page.evaluate(() => window.rc.stats());
    await page.evaluate(() => window.rc.close());
    await page.close();
    // Per server instance: the run frames it queued for the user vs those the client got.
    const delivered = new Set(log.entries.filter((e) => e.kind === "event" && e.runId).map((e) => `${e.runId}#${e.seq}`));
    const instances = [];
    for (let i = 0; i <= restarts; i++) {
      const queued = truthFrames(truthFile(i), RECONNECT_USER);
      const missing = queued.filter((f) => !delivered.has(`${f.runId}#${f.seq}`));
      instances.push({ instance: i, queued: queued.length, missing: missing.length, missingTypes: countBy(missing, (f) => f.type) });
    }
    const flags = log.entries.filter((e) => e.kind === "flag");
    return {
      policy,
      port,
      cycles,
      instances,
      flagsByRule: countBy(flags, (f) => `${f.severity} ${f.rule}`),
      flagSamples: Object.values(Object.fromEntries(flags.map((f) => [f.rule, `${f.severity} ${f.rule}: ${f.message}`]))),
      runEvents: log.entries.filter((e) => e.kind === "event" && e.runId).length,
      stats,
    };
  } finally {
    await stopServer(server.process);
  }
}

function summariseReconnect(series, restarts) {
  const problems = [];
  console.log("");
  const rows = [];
  for (const s of series) {
    const delays = s.cycles.map((c) => c.acceptToOpenMs);
    const down = s.cycles.map((c) => c.downtimeMs);
    rows.push([
      s.policy.label,
      String(s.cycles.length),
      `${fmt(Math.min(...down))}–${fmt(Math.max(...down))}`,
      `${fmt(median(delays))} / ${fmt(percentile(delays, 90))} / ${fmt(Math.max(...delays))}`,
      `${fmt(Math.min(...delays))}`,
      Object.entries(countBy(s.cycles, (c) => c.attemptAtOpen)).map(([a, n]) => `${a}: ${n}`).join(", "),
      `${fmt(median(s.cycles.map((c) => c.spawnToAcceptMs)))}`,
    ]);
    if (s.cycles.length !== restarts) problems.push(`${s.policy.name}: ${s.cycles.length} of ${restarts} restarts measured`);
  }
  console.log(
    table(
      ["policy", "restarts", "server down (ms)", "accepting → client open, ms: median / p90 / max", "min", "attempt that opened (count)", "spawn → accepting (ms, median)"],
      rows,
    ),
  );
  for (const s of series) {
    console.log(`\n[${s.policy.name}] every cycle, accept→open ms: ${s.cycles.map((c) => fmt(c.acceptToOpenMs)).join(", ")}`);
    console.log(
      `[${s.policy.name}] page clock − Node clock: ${s.cycles.map((c) => fmt(c.clockOffsetMs, 1)).join(", ")} ms (each ± ${fmt(Math.max(...s.cycles.map((c) => c.clockUncertaintyMs)), 1)} ms or better); ` +
        `waits drawn per outage: ${s.cycles.map((c) => c.backoffs.map((b) => b.delayMs).join("+")).join(" | ")}`,
    );
    console.log(`[${s.policy.name}] flags over the series: ${JSON.stringify(s.flagsByRule)}`);
    for (const sample of s.flagSamples) console.log(`    e.g. ${sample}`);
    console.log(`[${s.policy.name}] resume outcomes: ${JSON.stringify(countBy(s.cycles.flatMap((c) => c.resume), (r) => r.outcome))}; first: ${JSON.stringify(s.cycles[0]?.resume)}`);
    console.log(`[${s.policy.name}] events after the first reopen: ${s.cycles[0]?.eventsAfterOpen.join(", ")}`);
    console.log(
      `[${s.policy.name}] run frames queued by each server instance vs received: ` +
        s.instances.map((x) => `#${x.instance} ${x.queued - x.missing}/${x.queued}${x.missing ? ` (missing ${JSON.stringify(x.missingTypes)})` : ""}`).join(", "),
    );
    console.log(`[${s.policy.name}] client stats: ${JSON.stringify({ frames: s.stats.frames, events: s.stats.events, reconnects: s.stats.reconnects, duplicates: s.stats.duplicates, last_seq: s.stats.last_seq, flags: s.stats.flags })}`);
  }
  return { series, problems };
}

// ------------------------------------------------------------------------------------------------
// 2b. Connection drops without a restart (`--fault drop_connection=1`): what resume recovers

async function drop(browser) {
  const runs = (name, fallback) => envNumber(`BENCH_DROP_RUNS_${name.toUpperCase()}`, envNumber("BENCH_DROP_RUNS", fallback));
  const configs = [
    // Frames every ~0.1 s, so each outage misses some and resume has to replay them; a 1 s
    // ceiling keeps the series short (see `default5` for why the defaults would not).
    { name: "fast", speed: "5", runs: runs("fast", 20), label: "`--speed 5`, `reconnect: { maxDelayMs: 1000 }`", reconnect: { maxDelayMs: 1000 } },
    // The same with the default policy: runs last ~2 s, so no connection stays up the 5 s that
    // reset the attempt counter, and every drop waits longer than the one before.
    { name: "default5", speed: "5", runs: runs("default5", 8), label: "`--speed 5`, default reconnect policy", reconnect: undefined },
    // Human-paced runs (~7 s): the connection is up > 5 s before each drop.
    { name: "slow", speed: "1", runs: runs("slow", 10), label: "`--speed 1`, default reconnect policy", reconnect: undefined },
  ].filter((c) => !process.env.BENCH_DROP_ONLY || process.env.BENCH_DROP_ONLY.split(",").includes(c.name));
  const series = [];
  for (const config of configs) series.push(await dropSeries(browser, config));
  console.log("");
  console.log(
    table(
      ["setting", "runs completed", "drops", "resume outcomes", "frames replayed", "run frames sent / never delivered / delivered twice", "drop → open (ms): median / max", "flags"],
      series.map((x) => [
        x.label,
        `${x.completedRuns}/${x.runs}`,
        String(x.drops),
        Object.entries(x.resumes).map(([k, n]) => `${k} ${n}`).join(", "),
        String(x.replayedTotal),
        `${x.queuedRunFrames} / **${x.missingRunFrames}** / ${x.deliveredTwice}`,
        x.reconnectMs ? `${fmt(x.reconnectMs.median)} / ${fmt(x.reconnectMs.max)}` : "-",
        Object.entries(x.flagsByRule).map(([k, n]) => `${k} ×${n}`).join(", ") || "none",
      ]),
    ),
  );
  return { series, problems: series.flatMap((x) => x.problems.map((p) => `${x.name}: ${p}`)) };
}

async function dropSeries(browser, { name, label, speed, runs, reconnect: reconnectPolicy }) {
  console.log(`\n[drop ${name}] ${label}, ${runs} runs`);
  const truthDir = path.join(outDir, "truth");
  mkdirSync(truthDir, { recursive: true });
  const truthFile = path.join(truthDir, `drop-${name}.jsonl`);
  rmSync(truthFile, { force: true });
  const server = await startServer([
    "--host", "127.0.0.1", "--port", "0", "--www", www, "--seq", "--speed", speed,
    "--fault", "drop_connection=1", "--truth", truthFile,
  ]);
  const problems = [];
  try {
    const { page, log } = await openReconnectPage(browser, server.address, reconnectPolicy ? { reconnect: reconnectPolicy } : {});
    const perRun = [];
    for (let r = 0; r < runs; r++) {
      await log.poll();
      const mark = log.entries.length;
      const t0 = Date.now();
      await page.evaluate((text) => window.rc.startAgent(text), `drop benchmark, run ${r}`);
      let runId = null;
      let completed = false;
      try {
        const started = await log.waitFor((e) => e.kind === "event" && e.type === "agent_started" && e.runId, { from: mark, timeoutMs: 60_000, what: "the run to start" });
        runId = started.runId;
        await log.waitFor(
          (e) => e.kind === "event" && e.runId === runId && e.agent === "supervisor" && (e.type === "agent_completed" || e.type === "agent_error"),
          { from: mark, timeoutMs: 120_000, what: "the supervisor to finish" },
        );
        completed = true;
      } catch (error) {
        problems.push(`run ${r}: ${error.message}`);
      }
      // The resume outcome can follow the run's last frame by a little.
      await sleep(300);
      await log.poll();
      const during = log.entries.slice(mark);
      const disconnects = during.filter((e) => e.kind === "disconnect");
      const opens = during.filter((e) => e.kind === "state" && e.state === "open");
      const record = {
        run: r,
        runId,
        completed,
        seconds: (Date.now() - t0) / 1000,
        disconnects: disconnects.length,
        reconnectMs: disconnects.length && opens.length ? opens[0].t - disconnects[0].t : null,
        backoffs: during.filter((e) => e.kind === "state" && e.state === "backing_off").map((e) => ({ attempt: e.attempt, delayMs: e.delayMs })),
        resume: during.filter((e) => e.kind === "resume").map(({ t, kind, ...rest }) => rest),
        flags: during.filter((e) => e.kind === "flag").map((e) => `${e.severity} ${e.rule}`),
      };
      perRun.push(record);
      console.log(
        `[drop ${name}] run ${r + 1}/${runs}: ${completed ? "completed" : "NOT completed"} in ${fmt(record.seconds, 1)} s, ` +
          `${record.disconnects} drop(s), reconnect ${record.reconnectMs === null ? "-" : `${fmt(record.reconnectMs)} ms`} ` +
          `(backoff ${record.backoffs.map((b) => `#${b.attempt} ${b.delayMs} ms`).join(", ")}), resume ${JSON.stringify(record.resume)}, flags ${JSON.stringify(record.flags)}`,
      );
    }
    await sleep(1_000);
    await log.poll();
    const stats = await page.evaluate(() => window.rc.stats());
    await page.evaluate(() => window.rc.close());
    await page.close();

    // Ground truth: every run frame the server queued for the user, by seq, against the frames
    // the client delivered to its listener.
    const queued = truthFrames(truthFile, RECONNECT_USER);
    const events = log.entries.filter((e) => e.kind === "event");
    const deliveredSeqs = events.filter((e) => e.seq !== null).map((e) => e.seq);
    const delivered = new Set(deliveredSeqs);
    const missing = queued.filter((f) => !delivered.has(f.seq));
    const deliveredTwice = deliveredSeqs.length - delivered.size;
    const flags = log.entries.filter((e) => e.kind === "flag");
    const completedRuns = perRun.filter((r) => r.completed).length;
    const resumes = perRun.flatMap((r) => r.resume);
    const reconnectMs = perRun.map((r) => r.reconnectMs).filter((x) => x !== null);
    const summary = {
      name,
      label,
      runs,
      speed,
      completedRuns,
      drops: perRun.reduce((n, r) => n + r.disconnects, 0),
      resumes: countBy(resumes, (r) => r.outcome),
      replayedTotal: resumes.reduce((n, r) => n + (r.replayed ?? 0), 0),
      queuedRunFrames: queued.length,
      missingRunFrames: missing.length,
      missingSample: missing.slice(0, 10),
      deliveredTwice,
      flagsByRule: countBy(flags, (f) => `${f.severity} ${f.rule}`),
      flagSamples: Object.values(Object.fromEntries(flags.map((f) => [f.rule, `${f.severity} ${f.rule}: ${f.message}`]))),
      reconnectMs: reconnectMs.length ? { median: median(reconnectMs), p90: percentile(reconnectMs, 90), max: Math.max(...reconnectMs), min: Math.min(...reconnectMs) } : null,
      backoffAttempts: countBy(perRun.flatMap((r) => r.backoffs), (b) => b.attempt),
      stats,
      perRun,
      problems,
    };
    console.log(
      `[drop ${name}] ${completedRuns}/${runs} runs completed; ${summary.drops} connection drops; resume outcomes ${JSON.stringify(summary.resumes)}, ${summary.replayedTotal} frames replayed; ` +
        `run frames queued by the server ${queued.length}, never delivered ${missing.length}, delivered twice ${deliveredTwice}; flags ${JSON.stringify(summary.flagsByRule)}`,
    );
    for (const sample of summary.flagSamples) console.log(`    e.g. ${sample}`);
    if (summary.reconnectMs) {
      console.log(
        `[drop ${name}] drop → open: median ${fmt(summary.reconnectMs.median)} ms, p90 ${fmt(summary.reconnectMs.p90)}, min ${fmt(summary.reconnectMs.min)}, max ${fmt(summary.reconnectMs.max)}; backoff attempt numbers used: ${JSON.stringify(summary.backoffAttempts)}`,
      );
    }
    console.log(`[drop ${name}] client stats: ${JSON.stringify({ frames: stats.frames, events: stats.events, reconnects: stats.reconnects, duplicates: stats.duplicates, last_seq: stats.last_seq, flags: stats.flags })}`);
    return summary;
  } finally {
    await stopServer(server.process);
  }
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
      const run = { throughput, reconnect, drop }[name];
      if (!run) throw new Error(`unknown benchmark ${name} (throughput, reconnect, drop)`);
      const loadBefore = loadavg();
      console.log(`\n=== ${name} === (load average before: ${loadBefore})`);
      const started = Date.now();
      const summary = await run(browser);
      summary.seconds = (Date.now() - started) / 1000;
      summary.loadavg = { before: loadBefore, after: loadavg() };
      results[name] = summary;
      if (summary.problems?.length) failed = true;
      const file = path.join(outDir, `results-${name}${name === "throughput" && process.env.BENCH_PKG ? `-${process.env.BENCH_PKG}` : ""}.json`);
      writeFileSync(file, JSON.stringify({ ...results, [name]: summary }, null, 2));
      console.log(`(${fmt(summary.seconds, 1)} s; load average after: ${summary.loadavg.after}; details in ${path.relative(root, file)})`);
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
