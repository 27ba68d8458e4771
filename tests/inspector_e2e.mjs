// End to end: `agentwire serve` with three demo users and injected faults, the inspector page in
// headless Chromium (Playwright, Debian's /usr/bin/chromium), and the server's ground truth.
//
//   node tests/inspector_e2e.mjs            (scripts/test-inspector builds what it needs first)
//
// It checks that the page shows three lanes and runs, that every fault the truth file lists
// (per-run kinds) has its matching flag on the page, that the exported recordings contain no
// token and that `agentwire check` accepts them and finds the same faults, and it saves a
// screenshot (target/e2e/inspector.png). Bounded: the whole test stops itself after 4 minutes.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { startServe } from "./support/serve.mjs";

const root = resolve(new URL("..", import.meta.url).pathname);
const { chromium } = await import(resolve(root, ".tools/node_modules/playwright-core/index.mjs"));
const bin = process.env.AGENTWIRE_BIN || resolve(root, "target/debug/agentwire");
const out = resolve(root, "target/e2e");
mkdirSync(out, { recursive: true });
const truthPath = resolve(out, "truth.jsonl");
const STALL_SECS = 3;
const TRAFFIC_MS = Number(process.env.E2E_TRAFFIC_MS || 20000);

const failures = [];
const expect = (ok, message) => { if (!ok) failures.push(message); };
const log = (...args) => console.log("[inspector e2e]", ...args);

const { server, base } = await startServe(bin, [
  "--users", "3", "--faults", "chaos", "--fault", "freeze_connection=0", "--fault", "refuse_connections=0",
  "--seed", "11", "--truth", truthPath, "--speed", "4", "--run-every", "1", "--stall-after", String(STALL_SECS), "--seq",
]);
const guard = setTimeout(() => { log("timed out after 4 minutes"); server.kill("SIGKILL"); process.exit(1); }, 240000);
log("server at", base);

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.addInitScript((stall) => {
    if (!localStorage.getItem("agentwire.inspector.settings")) {
      localStorage.setItem("agentwire.inspector.settings", JSON.stringify({ stall_after_secs: stall }));
    }
  }, STALL_SECS);
  await page.goto(base + "/");

  await page.waitForFunction(() => document.querySelectorAll(".lane").length === 3, null, { timeout: 20000 });
  await page.waitForSelector(".fault-notice", { timeout: 10000 });
  const notice = await page.textContent(".fault-notice");
  expect(notice.includes("Fault injection is on") && notice.includes("duplicate 25.0 %"), `the page does not say which faults are on: ${notice}`);
  log("three lanes; traffic for", TRAFFIC_MS, "ms");
  await page.waitForTimeout(TRAFFIC_MS);

  // The faults injected so far, then time for their frames (delays included) and stall timers.
  const truth = readFileSync(truthPath, "utf8").trim().split("\n").map((line) => JSON.parse(line));
  await page.waitForTimeout((STALL_SECS + 2) * 1000 + 4000);

  const runs = new Map(); // run_id -> { user, kinds: [] }
  const leaks = new Map(); // run_id -> users that received a copy
  for (const record of truth) {
    if (record.record === "fault" && record.run_id) {
      const run = runs.get(record.run_id) || { user: record.user, kinds: [] };
      run.kinds.push(record.fault);
      runs.set(record.run_id, run);
    }
    if (record.record === "leak") {
      const runId = JSON.parse(record.text).run_id;
      if (!leaks.has(runId)) leaks.set(runId, new Set());
      leaks.get(runId).add(record.user);
    }
  }
  expect(runs.size >= 5, `only ${runs.size} faulted runs in ${TRAFFIC_MS} ms`);
  expect(await page.locator(".run").count() > 0, "no run timeline shown");

  const exact = { duplicate: "duplicate-event", duplicate_attempt: "duplicate-event", skew_timestamp: "timestamp-regression", delay: "run-stalled" };
  const flagsFor = async (runId) => {
    await page.fill("#search", runId);
    await page.waitForTimeout(150);
    return page.$$eval(".frow", (rows) => rows.map((row) => ({
      rule: row.querySelector(".rule").textContent,
      user: row.querySelector(".frow-user").textContent,
      severity: row.querySelector(".sev-badge").textContent,
    })));
  };
  const matched = {};
  const malformedByUser = new Map();
  const expectations = []; // for the export check: { user, runId, rule | null }
  for (const [runId, run] of runs) {
    const kinds = run.kinds.filter((kind) => kind !== "cross_user");
    const flags = await flagsFor(runId);
    const own = flags.filter((flag) => flag.user === run.user);
    for (const kind of run.kinds) matched[kind] = matched[kind] || { found: 0, total: 0 };
    if (kinds.length === 1 && exact[kinds[0]]) {
      const ok = own.some((flag) => flag.rule === exact[kinds[0]]);
      matched[kinds[0]].total++; if (ok) matched[kinds[0]].found++;
      expect(ok, `${kinds[0]} in ${runId} (${run.user}): no ${exact[kinds[0]]} among ${JSON.stringify(own)}`);
      expectations.push({ user: run.user, runId, rule: exact[kinds[0]] });
    } else if (kinds.length === 1 && kinds[0] === "malformed") {
      malformedByUser.set(run.user, (malformedByUser.get(run.user) || 0) + 1);
    } else if (kinds.length > 0) {
      const ok = own.some((flag) => flag.severity !== "info");
      for (const kind of kinds) { matched[kind].total++; if (ok) matched[kind].found++; }
      expect(ok, `${kinds.join("+")} in ${runId} (${run.user}): no warning or error among ${JSON.stringify(own)}`);
      expectations.push({ user: run.user, runId, rule: null });
    }
    if (run.kinds.includes("cross_user")) {
      const targets = [...(leaks.get(runId) || [])];
      const ok = targets.length > 0 && targets.every((target) => flags.some((flag) => flag.user === target && flag.rule === "cross-user-event"));
      matched.cross_user.total++; if (ok) matched.cross_user.found++;
      expect(ok, `cross_user in ${runId}: receivers ${targets} lack a cross-user-event flag among ${JSON.stringify(flags)}`);
    }
  }
  // A malformed frame's flag names no run: count them per user with the rule filter.
  await page.fill("#search", "");
  await page.selectOption("select[aria-label='Rule']", "malformed-frame");
  for (const [user, count] of malformedByUser) {
    await page.selectOption("select[aria-label='User']", user);
    await page.waitForTimeout(150);
    const shown = await page.locator(".frow").count();
    matched.malformed = matched.malformed || { found: 0, total: 0 };
    matched.malformed.total += count; matched.malformed.found += Math.min(shown, count);
    expect(shown >= count, `${user}: ${count} malformed faults but ${shown} malformed-frame flags`);
  }
  await page.click("text=clear filters");
  log("faults found on the page:", JSON.stringify(matched));

  // A screenshot with a flag selected (its frames highlighted in the stream).
  const cross = page.locator(".lane.cross").first();
  await (await cross.count() ? cross : page.locator(".lane").first()).click();
  const firstError = page.locator(".frow.error").first();
  if (await firstError.count()) await firstError.click();
  await page.waitForTimeout(400);
  await page.screenshot({ path: resolve(out, "inspector.png") });
  log("screenshot:", resolve(out, "inspector.png"));

  // Export every user's recording; no token inside; `agentwire check` accepts each and sees the
  // same faults.
  const tokens = (await (await fetch(base + "/dev/users")).json()).map((user) => user.token);
  await page.click("details.menu > summary");
  const downloads = [];
  page.on("download", (download) => downloads.push(download));
  await page.click("text=All users: agentwire recordings (.jsonl)");
  for (let waited = 0; downloads.length < 3 && waited < 10000; waited += 100) await page.waitForTimeout(100);
  expect(downloads.length === 3, `${downloads.length} recordings downloaded, expected 3`);
  for (const download of downloads) {
    const path = resolve(out, download.suggestedFilename());
    await download.saveAs(path);
    const text = readFileSync(path, "utf8");
    expect(!tokens.some((token) => text.includes(token)), `${path} contains a token`);
    const user = JSON.parse(text.split("\n")[0]).user_id;
    let report;
    try {
      report = JSON.parse(execFileSync(bin, ["check", "--json", "--stall-after", String(STALL_SECS), path], { encoding: "utf8" }));
    } catch (error) {
      expect(error.status === 1, `agentwire check ${path} exited ${error.status}`);
      report = JSON.parse(error.stdout);
    }
    expect(report.frames > 0, `${path}: no frames`);
    for (const { runId, rule } of expectations.filter((e) => e.user === user)) {
      const flags = report.flags.filter((flag) => flag.run_id === runId);
      const ok = rule ? flags.some((flag) => flag.rule === rule) : flags.some((flag) => flag.severity !== "info");
      expect(ok, `check ${path}: run ${runId} lacks ${rule || "a warning or error"}: ${JSON.stringify(flags)}`);
    }
    log(`check ${download.suggestedFilename()}: ${report.frames} frames, ${report.flags.length} flags`);
  }
  expect(pageErrors.length === 0, `page errors: ${pageErrors.join("; ")}`);
} finally {
  await browser.close();
  server.kill("SIGTERM");
  clearTimeout(guard);
}

if (failures.length) {
  console.error("[inspector e2e] FAILED:\n  " + failures.join("\n  "));
  process.exit(1);
}
log("passed");
