// The inspector's benchmarks in headless Chromium (numbers in BENCHMARKS.md):
//
//   ingest   20 users x ~100 frames/s for 60 s from `agentwire serve --seq`: frames received
//            against the server's ground truth, sequence gaps (dropped frames), reconnects,
//            main-thread long tasks over 50 ms, JS heap and wasm memory at the end
//   import   a 100,000-frame agentwire recording through the page's file input: time until the
//            imported lane shows (the whole file parsed and checked) and the long tasks it made
//   weight   the page's wasm + JS + CSS + HTML, raw and gzip
//
//   node benches/browser/inspector.mjs [ingest] [import] [weight]   (scripts/bench-inspector
//   builds what it needs first). Prints numbers; judges nothing on timing.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync, readdirSync, statSync, createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { gzipSync } from "node:zlib";
import { resolve } from "node:path";
import { loadavg } from "node:os";
import { startServe } from "../../tests/support/serve.mjs";

const root = resolve(new URL("../..", import.meta.url).pathname);
const { chromium } = await import(resolve(root, ".tools/node_modules/playwright-core/index.mjs"));
const bin = resolve(root, "target/release/agentwire");
const work = resolve(root, "target/bench-inspector");
mkdirSync(work, { recursive: true });
const which = process.argv.slice(2).length ? process.argv.slice(2) : ["weight", "import", "ingest"];
const INGEST_SECS = Number(process.env.INGEST_SECS || 60);
const log = (...args) => console.log("[bench-inspector]", ...args);

const serve = (args) => startServe(bin, args, { stderr: "ignore" });

async function openPage(browser, url, settings) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.addInitScript((settings) => {
    localStorage.setItem("agentwire.inspector.settings", JSON.stringify(settings));
    globalThis.__longTasks = [];
    new PerformanceObserver((list) => { for (const entry of list.getEntries()) globalThis.__longTasks.push(entry.duration); })
      .observe({ type: "longtask", buffered: true });
  }, settings);
  await page.goto(url);
  return page;
}

const memory = async (page) => {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("HeapProfiler.collectGarbage");
  await cdp.send("Performance.enable");
  const { metrics } = await cdp.send("Performance.getMetrics");
  const heap = metrics.find((m) => m.name === "JSHeapUsedSize")?.value ?? NaN;
  const wasm = await page.evaluate(() => globalThis.__agentwireInspector?.memory.buffer.byteLength ?? NaN);
  return { heapMB: heap / 1e6, wasmMB: wasm / 1e6 };
};
const longTasks = (page) => page.evaluate(() => {
  const tasks = globalThis.__longTasks.splice(0);
  return { count: tasks.length, maxMs: Math.round(Math.max(0, ...tasks)), totalMs: Math.round(tasks.reduce((a, b) => a + b, 0)) };
});
const laneFrames = (page) => page.$$eval(".lane", (lanes) => Object.fromEntries(lanes.map((lane) => [
  lane.dataset.user, Number(lane.querySelector(".lane-stats span").textContent.replace(/\D/g, "")),
])));

async function weight() {
  const listed = (dir) => readdirSync(resolve(root, dir), { withFileTypes: true })
    .flatMap((entry) => entry.isDirectory() ? listed(`${dir}/${entry.name}`) : [`${dir}/${entry.name}`]);
  const files = ["www/index.html", "www/inspector.css", ...listed("www/pkg")].map((file) => [file]);
  let raw = 0, gz = 0;
  const rows = files.map(([file]) => {
    const bytes = readFileSync(resolve(root, file));
    const zipped = gzipSync(bytes, { level: 9 }).length;
    raw += bytes.length; gz += zipped;
    return `  ${file}: ${bytes.length} B, gzip ${zipped} B`;
  });
  log("page weight:\n" + rows.join("\n") + `\n  total: ${raw} B, gzip ${gz} B (${(gz / 1000).toFixed(1)} KB)`);
}

async function importBench(browser) {
  const source = resolve(work, "stream.recording.jsonl");
  const file = resolve(work, "100k.recording.jsonl");
  execFileSync("sh", ["-c", `"${resolve(root, "target/release/examples/synthetic_stream")}" recording 90 > "${source}"`]);
  const lines = [];
  const reader = createInterface({ input: createReadStream(source) });
  let frames = 0;
  for await (const line of reader) {
    if (frames >= 100000) break;
    lines.push(line);
    if (line.includes('"type":"frame"')) frames++;
  }
  reader.close();
  writeFileSync(file, lines.join("\n") + "\n");
  log(`import: ${frames} frames, ${(statSync(file).size / 1e6).toFixed(1)} MB`);
  const { server, base } = await serve([]);
  try {
    for (let round = 1; round <= 3; round++) {
      const page = await openPage(browser, base + "/", { demo_users: false });
      await page.waitForSelector(".top");
      await longTasks(page);
      const start = await page.evaluate(() => performance.now());
      await page.setInputFiles("input[type=file]", file);
      // First render: the imported lane and its first frames; full check: the last chunk done.
      await page.waitForFunction(() => document.querySelector(".lane .conn.imported") && document.querySelectorAll(".srow:not(.shead)").length > 0,
        null, { timeout: 300000, polling: "raf" });
      const first = await page.evaluate(() => performance.now());
      await page.waitForFunction(() => !document.querySelector(".notice.importing") && document.querySelector(".notice")?.textContent.startsWith("Imported"),
        null, { timeout: 300000, polling: 50 });
      const done = await page.evaluate(() => performance.now());
      const tasks = await longTasks(page);
      const kept = await page.textContent(".top .muted.small");
      const flags = await page.locator(".lane .lane-flags").first().textContent();
      const mem = await memory(page);
      log(`import round ${round}: first render after ${Math.round(first - start)} ms, fully checked after ${Math.round(done - start)} ms; ` +
        `long tasks ${tasks.count} (max ${tasks.maxMs} ms, total ${tasks.totalMs} ms); ${kept}; flags: ${flags.replace(/filter.*/, "").trim()}; ` +
        `heap ${mem.heapMB.toFixed(1)} MB, wasm ${mem.wasmMB.toFixed(1)} MB`);
      await page.close();
    }
  } finally {
    server.kill("SIGTERM");
  }
}

async function ingest(browser) {
  const truth = resolve(work, "ingest.truth.jsonl");
  const { server, base } = await serve(["--users", "20", "--speed", "40", "--run-every", "0.11", "--seq", "--truth", truth]);
  try {
    const page = await openPage(browser, base + "/", { demo_users: true });
    await page.waitForFunction(() => document.querySelectorAll(".lane").length === 20, null, { timeout: 30000 });
    await page.waitForTimeout(3000);
    await longTasks(page);
    const before = await laneFrames(page);
    const started = Date.now();
    const load = [loadavg()[0]];
    await page.waitForTimeout(INGEST_SECS * 1000);
    const after = await laneFrames(page);
    const elapsed = (Date.now() - started) / 1000;
    load.push(loadavg()[0]);
    const tasks = await longTasks(page);
    // What the server sent each user so far (frames queued for it plus its own replies), read
    // right after the page's counts; the difference is what is still in flight.
    const sent = {};
    for (const line of readFileSync(truth, "utf8").trim().split("\n")) {
      const record = JSON.parse(line);
      if ((record.record === "frame" || record.record === "direct") && record.user) sent[record.user] = (sent[record.user] || 0) + (record.connections ? record.connections.length : 1);
    }
    const received = Object.values(after).reduce((a, b) => a + b, 0);
    const inWindow = Object.keys(after).reduce((sum, user) => sum + after[user] - (before[user] || 0), 0);
    const sentTotal = Object.keys(after).reduce((sum, user) => sum + (sent[user] || 0), 0);
    await page.selectOption("select[aria-label='Rule']", "sequence-gap");
    await page.waitForTimeout(300);
    const gapFlags = await page.locator(".frow").count();
    const reconnects = await page.$$eval(".lane", (lanes) => lanes.reduce((sum, lane) =>
      sum + Number([...lane.querySelectorAll(".lane-stats span")].find((s) => s.textContent.includes("reconnects")).textContent.replace(/\D/g, "")), 0));
    const mem = await memory(page);
    log(`ingest: 20 users, ${inWindow} frames in ${elapsed.toFixed(1)} s = ${(inWindow / elapsed).toFixed(0)} frames/s ` +
      `(${(inWindow / elapsed / 20).toFixed(1)} per user); received ${received} of ${sentTotal} sent (${sentTotal - received} in flight or lost), ` +
      `sequence-gap flags ${gapFlags}, reconnects ${reconnects}; long tasks > 50 ms: ${tasks.count} (max ${tasks.maxMs} ms, total ${tasks.totalMs} ms); ` +
      `JS heap ${mem.heapMB.toFixed(1)} MB, wasm memory ${mem.wasmMB.toFixed(1)} MB; load average ${load.map((l) => l.toFixed(2)).join(" → ")}`);
    await page.close();
  } finally {
    server.kill("SIGTERM");
  }
}

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  log(`${new Date().toISOString()}, Chromium ${browser.version()}`);
  for (const name of which) {
    if (name === "weight") await weight();
    else if (name === "import") await importBench(browser);
    else if (name === "ingest") await ingest(browser);
    else throw new Error(`unknown benchmark ${name} (ingest, import, weight)`);
  }
} finally {
  await browser.close();
}
