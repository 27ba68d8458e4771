#!/usr/bin/env node
// The SDK's receive path in Node, split into its parts: where a listener's cost per event goes.
// Complements `scripts/bench-browser throughput` (the numbers the targets are judged by, in
// Chromium): Node runs the same wasm and emitter without a page, a server or a browser, so each
// part can be timed alone, and CPU profiles (`node --cpu-prof`) name the wasm functions when the
// package is built with names.
//
//   scripts/bench-browser throughput        # once: builds pkg-bench and frames.txt
//   node benches/node/receive.mjs [--pkg DIR] [--frames FILE]
//
// DIR is a build with the `bench` feature (default target/bench-browser/www/pkg-bench), FILE the
// frames (default target/bench-browser/www/frames.txt; heartbeats are left out, as in the
// browser benchmark's no-heartbeat set: their answers go to a socket). Each pass connects a
// fresh client over a stub socket and times one `benchReceive` over every frame; 9 rounds, the
// median. Rows:
//
//   listener    decode, check, describe, build the JS event, an `on("*")` listener (a `switch`)
//   described   the same, with the emitter's `emitEvent` replaced by one that builds nothing
//               (what describing the event and crossing to JS cost, without the object)
//   nolisten    no event listener: no description, no object
//   object      the JS event alone: `emitEvent` replayed over descriptions captured from a pass
//   baseline    JSON.parse + the same `switch` on each frame
//
// It prints numbers and fails nothing.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const argument = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? path.resolve(process.argv[at + 1]) : fallback;
};
const dir = argument("--pkg", path.join(root, "target/bench-browser/www/pkg-bench"));
const framesFile = argument("--frames", path.join(root, "target/bench-browser/www/frames.txt"));
const ROUNDS = 9;
const USER = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

const { default: init, connect } = await import(path.join(dir, "agentwire.js"));
await init({ module_or_path: readFileSync(path.join(dir, "agentwire_bg.wasm")) });
// The same module instance the glue imports: its prototype can be patched for the rows above.
const snippet = readdirSync(path.join(dir, "snippets"))[0];
const { Emitter } = await import(path.join(dir, "snippets", snippet, "src/js/emitter.js"));
const frames = readFileSync(framesFile, "utf8")
  .split("\n")
  .filter((line) => line !== "" && JSON.parse(line).type !== "heartbeat");

/** A socket of the browser's shape that opens and then stays silent. */
class StubSocket extends EventTarget {
  constructor() {
    super();
    this.readyState = 0;
    setTimeout(() => {
      this.readyState = 1;
      this.dispatchEvent(new Event("open"));
    }, 0);
  }

  send() {}

  close() {
    this.readyState = 3;
  }
}

const sink = { touched: 0, other: 0 };
// As in benches/browser/throughput.js: one field touched per event type. Two copies, so V8's
// type feedback for the SDK's events and for parsed frames stays apart.
function consumeSdk(event) {
  switch (event.type) {
    case "agent_started": if (event.agent_name) sink.touched++; break;
    case "agent_thinking": if (event.reasoning) sink.touched++; break;
    case "tool_executing": if (event.tool_name) sink.touched++; break;
    case "tool_completed": if (event.results) sink.touched++; break;
    case "agent_completed": if (event.final_response) sink.touched++; break;
    default: sink.other++;
  }
}
function consumeBaseline(event) {
  switch (event.type) {
    case "agent_started": if (event.agent_name) sink.touched++; break;
    case "agent_thinking": case "reasoning": if (event.reasoning) sink.touched++; break;
    case "tool_executing": if (event.tool_name) sink.touched++; break;
    case "tool_completed": if (event.results) sink.touched++; break;
    case "agent_completed": if (event.final_response) sink.touched++; break;
    default: sink.other++;
  }
}

/** ns per frame of one `benchReceive` over every frame, by a fresh client. */
async function pass(listen) {
  const client = connect("ws://stub.invalid/ws", { WebSocket: StubSocket, token: "t", userId: USER });
  if (listen) client.on("*", consumeSdk);
  await new Promise((resolve) => setTimeout(resolve, 5));
  const start = performance.now();
  client.benchReceive(frames);
  const ns = ((performance.now() - start) * 1e6) / frames.length;
  client.close();
  client.free();
  return ns;
}

const median = (values) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];
const emitEvent = Emitter.prototype.emitEvent;
const nothing = function () {
  this.call("*", { type: "nothing" });
};
const rows = { listener: [], described: [], nolisten: [], baseline: [] };
for (let round = 0; round < ROUNDS + 1; round++) {
  const times = {
    listener: await pass(true),
    nolisten: await pass(false),
    described: await (async () => {
      Emitter.prototype.emitEvent = nothing;
      try {
        return await pass(true);
      } finally {
        Emitter.prototype.emitEvent = emitEvent;
      }
    })(),
    baseline: (() => {
      const start = performance.now();
      for (const frame of frames) consumeBaseline(JSON.parse(frame));
      return ((performance.now() - start) * 1e6) / frames.length;
    })(),
  };
  // The first round warms up.
  if (round > 0) for (const [row, ns] of Object.entries(times)) rows[row].push(ns);
}

// The object alone: descriptions captured from one pass (the views copied: they point into wasm
// memory), then `emitEvent` replayed over them on an emitter with the same listener.
const captured = [];
Emitter.prototype.emitEvent = function (entries, numbers, side, text) {
  captured.push([entries.slice(), numbers.slice(), side, text]);
  return emitEvent.call(this, entries, numbers, side, text);
};
await pass(true);
Emitter.prototype.emitEvent = emitEvent;
const replay = new Emitter();
replay.on("*", consumeSdk);
const object = [];
for (let round = 0; round < ROUNDS + 1; round++) {
  const start = performance.now();
  for (const [entries, numbers, side, text] of captured) replay.emitEvent(entries, numbers, side, text);
  if (round > 0) object.push(((performance.now() - start) * 1e6) / captured.length);
}

const base = median(rows.baseline);
const line = (name, ns) =>
  console.log(`${name.padEnd(11)} ${ns.toFixed(0).padStart(6)} ns/frame  ${(ns / base).toFixed(2)}x the baseline`);
console.log(`${frames.length} frames (no heartbeats) from ${framesFile}; SDK from ${dir}; median of ${ROUNDS}`);
line("listener", median(rows.listener));
line("described", median(rows.described));
line("nolisten", median(rows.nolisten));
line("object", median(object));
line("baseline", base);
if (captured.length !== frames.length || sink.touched === 0) {
  console.error(`receive.mjs: ${captured.length} events captured for ${frames.length} frames`);
  process.exitCode = 1;
}
// The clients' timers are gone with free(); nothing else keeps Node alive.
