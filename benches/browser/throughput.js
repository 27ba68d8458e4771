// In-browser throughput of the SDK's receive path, against a plain JS baseline in the same page.
//
// Loaded by throughput.html; run.mjs (scripts/bench-browser) serves it with `agentwire serve`
// and calls `window.benchThroughput(options)`. It needs, next to it on the server:
//   pkg-bench/   the SDK built with the cargo feature `bench` (it adds `client.benchReceive`)
//   frames.txt   a clean synthetic stream, one frame per line (synthetic_stream frames 20)
//
// What is timed, per pass, over every frame of a data set (`full`: frames.txt as generated;
// `no-heartbeat`: the same without its heartbeat frames; `non-ascii`: those with a non-ASCII
// character at the front; `escaped`: those with newlines in their text; see DATASETS):
//   sdk          client.benchReceive(frames): each string goes through the client exactly as a
//                socket `message` would (UTF-16 -> UTF-8 copy into wasm, decode, live checker,
//                session bookkeeping, a `heartbeat_ack` sent on the real socket for each
//                heartbeat, event -> JSON text -> JSON.parse in the emitter), then to a
//                `client.on("*")` listener that runs the app code (consumeSdk, below).
//                `client.onFlag` is registered too, as an app would.
//   sdk-nolisten the same with no event listener: the SDK then builds no JS object at all, so
//                the difference to `sdk` is the conversion of events to JS (plus the app code).
//   baseline     what an app without the SDK would do: JSON.parse, then the same app code.
//   parse        JSON.parse alone.
//
// Every SDK pass uses a fresh client (connected to the page's own server and open): the live
// checker remembers what it has seen, so replaying the same frames into one client would measure
// its duplicate detection instead of the normal path.

// `?pkg=NAME` loads another build of the SDK from ./NAME/ (for comparisons; default pkg-bench).
const PKG = new URLSearchParams(location.search).get("pkg") ?? "pkg-bench";
if (!/^pkg[-\w]*$/.test(PKG)) throw new Error(`bad ?pkg=${PKG}`);
const { default: init, connect } = await import(`./${PKG}/agentwire.js`);

// The user of every frame in the synthetic stream: the token is for this user, so the checker's
// cross-user rule has nothing to say about a clean stream.
const USER = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

const sink = { events: 0, touched: 0, other: 0 };

// The app's handling of one event: a switch on `type` with a case per event type that touches
// one field, and a count. Written out twice, identically, on purpose: V8 keeps type feedback per
// function, so one shared function would see the SDK's event objects and the baseline's parsed
// frames (different hidden classes) and slow both down in a way neither app would see alone.
function consumeSdk(event) {
  switch (event.type) {
    case "agent_started":
      if (event.agent_name) sink.touched++;
      break;
    case "agent_thinking":
    case "reasoning": // the wire's quirk; the SDK delivers it as agent_thinking
      if (event.reasoning) sink.touched++;
      break;
    case "tool_executing":
      if (event.tool_name) sink.touched++;
      break;
    case "tool_completed":
      if (event.results) sink.touched++;
      break;
    case "agent_completed":
      if (event.final_response) sink.touched++;
      break;
    case "heartbeat":
      if (event.timestamp) sink.touched++;
      break;
    default:
      sink.other++;
  }
  sink.events++;
}

function consumeBaseline(event) {
  switch (event.type) {
    case "agent_started":
      if (event.agent_name) sink.touched++;
      break;
    case "agent_thinking":
    case "reasoning": // the wire's quirk; the SDK delivers it as agent_thinking
      if (event.reasoning) sink.touched++;
      break;
    case "tool_executing":
      if (event.tool_name) sink.touched++;
      break;
    case "tool_completed":
      if (event.results) sink.touched++;
      break;
    case "agent_completed":
      if (event.final_response) sink.touched++;
      break;
    case "heartbeat":
      if (event.timestamp) sink.touched++;
      break;
    default:
      sink.other++;
  }
  sink.events++;
}

let token;
let frames;
let frameBytes = 0;
let framesWithoutHeartbeats;
let framesNonAscii;
let framesEscaped;

async function setup() {
  await init();
  const tokenResponse = await fetch(`/dev/token?user=${encodeURIComponent(USER)}`);
  if (!tokenResponse.ok) throw new Error(`GET /dev/token: HTTP ${tokenResponse.status}`);
  token = (await tokenResponse.json()).token;
  const framesResponse = await fetch("frames.txt");
  if (!framesResponse.ok) throw new Error(`GET frames.txt: HTTP ${framesResponse.status}`);
  // One fresh string per frame, decoded from its own UTF-8 bytes, as the browser makes a text
  // message's `data`. (`split` alone would give slices of one big string, which V8 reads
  // character by character more slowly, and which no socket ever delivers.)
  const bytes = new Uint8Array(await framesResponse.arrayBuffer());
  const decoder = new TextDecoder();
  frames = [];
  for (let start = 0; start < bytes.length; ) {
    let end = bytes.indexOf(10, start);
    if (end < 0) end = bytes.length;
    if (end > start) frames.push(decoder.decode(bytes.subarray(start, end)));
    start = end + 1;
  }
  frameBytes = frames.reduce((sum, frame) => sum + new TextEncoder().encode(frame).length, 0);
  framesWithoutHeartbeats = frames.filter((frame) => JSON.parse(frame).type !== "heartbeat");
  // See DATASETS; fresh strings from UTF-8 bytes too.
  const encoder = new TextEncoder();
  framesNonAscii = framesWithoutHeartbeats.map((frame) =>
    decoder.decode(encoder.encode(`{"note":"\u00e9",${frame.slice(1)}`)),
  );
  // Only string values have spaces in these frames, so this adds escapes to text only.
  framesEscaped = framesWithoutHeartbeats.map((frame) =>
    decoder.decode(encoder.encode(frame.replace(/ (the|is|and) /g, " $1\\n"))),
  );
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function collectGarbage() {
  // Only with --js-flags=--expose-gc (run.mjs passes it): each pass starts on a clean heap.
  if (typeof globalThis.gc === "function") globalThis.gc();
}

/** A new client, open, with the server's connection_established already received. */
async function openClient(listen) {
  const client = connect(`ws://${location.host}/ws`, { token });
  const seen = { listenerCalls: 0, flags: 0, byRule: {}, samples: [] };
  if (listen) {
    client.on("*", (event) => {
      consumeSdk(event);
      seen.listenerCalls++;
    });
  }
  client.onFlag((flag) => {
    seen.flags++;
    seen.byRule[flag.rule] = (seen.byRule[flag.rule] ?? 0) + 1;
    if (seen.samples.length < 5) seen.samples.push(`${flag.severity} ${flag.rule}: ${flag.message}`);
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the client did not open within 10 s")), 10_000);
    client.onStateChange((state) => {
      if (state.state === "open") {
        clearTimeout(timer);
        resolve();
      } else if (state.state === "closed") {
        clearTimeout(timer);
        reject(new Error(`the client closed: ${JSON.stringify(state.reason)}`));
      }
    });
  });
  for (let waited = 0; client.stats.frames < 1; waited += 10) {
    if (waited > 5_000) throw new Error("no connection_established within 5 s of open");
    await sleep(10);
  }
  return { client, seen };
}

async function sdkPass(batch, listen) {
  const { client, seen } = await openClient(listen);
  const before = client.stats;
  const calls0 = seen.listenerCalls;
  const flags0 = seen.flags;
  collectGarbage();
  const t0 = performance.now();
  client.benchReceive(batch);
  const t1 = performance.now();
  const after = client.stats;
  const result = {
    ms: t1 - t0,
    frames: after.frames - before.frames,
    delivered: after.events - before.events,
    listenerCalls: seen.listenerCalls - calls0,
    duplicates: after.duplicates - before.duplicates,
    decodeErrors: after.decode_errors - before.decode_errors,
    sent: after.sent - before.sent,
    flags: seen.flags - flags0,
    flagsByRule: { ...seen.byRule },
    flagSamples: [...seen.samples],
  };
  client.close();
  client.free();
  return result;
}

function baselinePass(batch) {
  const events0 = sink.events;
  collectGarbage();
  const t0 = performance.now();
  for (let i = 0; i < batch.length; i++) consumeBaseline(JSON.parse(batch[i]));
  const t1 = performance.now();
  return { ms: t1 - t0, frames: batch.length, listenerCalls: sink.events - events0 };
}

let parsed = 0;
function parsePass(batch) {
  const parsed0 = parsed;
  collectGarbage();
  const t0 = performance.now();
  for (let i = 0; i < batch.length; i++) {
    if (JSON.parse(batch[i]) !== null) parsed++;
  }
  const t1 = performance.now();
  return { ms: t1 - t0, frames: batch.length, listenerCalls: parsed - parsed0 };
}

// Two data sets: the stream as generated, and the same without its heartbeat frames (one frame
// in eight): the SDK answers each heartbeat with a `heartbeat_ack` on the real socket, as the
// protocol asks, and on this 2-core machine one WebSocket send between other work costs 5 to
// 50 µs (it wakes the network service and the server, which compete with the page for the
// cores), more than decoding a frame. A busy live connection gets almost no heartbeats (the
// manager sends one only after 10 s of client silence), so `no-heartbeat` is the SDK's own cost.
//
// A third, `non-ascii`: the no-heartbeat frames, each with one non-ASCII character in a member
// at its front (`"note":"é"`), so that every value after it sits at a UTF-16 offset other than
// its byte offset in the UTF-8 frame: what model text in most languages, or with typographic
// quotes, gives. The synthetic stream is all ASCII, which hid a cost that grew with the square
// of the frame (BENCHMARKS.md, sixth step). A fourth, `escaped`: the no-heartbeat frames with a
// newline (`\n` in the JSON) after every "the", "is" and "and" of their text, as a model's
// multi-line answers have; the synthetic stream has no escapes at all.
const DATASETS = {
  full: () => frames,
  "no-heartbeat": () => framesWithoutHeartbeats,
  "non-ascii": () => framesNonAscii,
  escaped: () => framesEscaped,
};

const VARIANTS = {
  sdk: (batch) => sdkPass(batch, true),
  "sdk-nolisten": (batch) => sdkPass(batch, false),
  baseline: async (batch) => baselinePass(batch),
  parse: async (batch) => parsePass(batch),
};

/**
 * Diagnostics: one fresh client fed the frames in slices of `chunk`, each slice timed. A cost per
 * frame that grows from slice to slice is work proportional to what the client has seen so far.
 */
window.benchChunks = async ({ chunk = 1000, listen = true, dataset = "no-heartbeat" } = {}) => {
  const batch = DATASETS[dataset]();
  const { client, seen } = await openClient(listen);
  const slices = [];
  collectGarbage();
  for (let start = 0; start < batch.length; start += chunk) {
    const slice = batch.slice(start, start + chunk);
    const t0 = performance.now();
    client.benchReceive(slice);
    const t1 = performance.now();
    slices.push({ start, frames: slice.length, ms: t1 - t0 });
  }
  const stats = client.stats;
  client.close();
  client.free();
  return { pkg: PKG, slices, frames: stats.frames, events: stats.events, flags: seen.flags };
};

/**
 * Diagnostics: the JS-side pieces of the SDK path, each timed alone over the no-heartbeat data
 * set (median of `reps`, ns per frame), to say where the time goes without a profiler (the npm
 * build has no function names):
 *   copyIn       wasm-bindgen's passStringToWasm0 for an ASCII string: a charCodeAt loop into
 *                wasm memory (what `as_string()` costs per frame, copied from the generated glue)
 *   encodeInto   TextEncoder.encodeInto of the same string (the alternative)
 *   eventDecode  TextDecoder.decode of each event's JSON text (Rust -> JS; the text here is the
 *                delivered event re-serialised with JSON.stringify, `raw` and the fields given
 *                as ranges of the frame included: an upper bound of what crosses)
 *   eventParse   JSON.parse of that text (what the emitter does per event)
 *   nameDecode   two TextDecoder.decode calls of a 14-byte type name (what wants() and emitEvent()
 *                cost before type names were made once, in js::type_name)
 *   send         one WebSocket.send between seven JSON.parse calls, minus the seven parses alone
 *                (per heartbeat: what each `heartbeat_ack` costs between other work)
 */
window.benchParts = async ({ reps = 5 } = {}) => {
  const batch = framesWithoutHeartbeats;
  const { client } = await openClient(false);
  const events = [];
  client.on("*", (event) => events.push(JSON.stringify(event)));
  client.benchReceive(batch);
  client.close();
  client.free();
  const encoder = new TextEncoder();
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  const memory = new Uint8Array(1 << 16);
  const encodedEvents = events.map((event) => encoder.encode(event));
  const name = encoder.encode("agent_thinking");
  const perFrame = (body) => {
    const samples = [];
    for (let r = 0; r < reps; r++) {
      collectGarbage();
      const t0 = performance.now();
      body();
      samples.push(((performance.now() - t0) * 1e6) / batch.length);
    }
    return samples.sort((a, b) => a - b)[samples.length >> 1];
  };
  let check = 0;
  const parts = {
    frameMeanBytes: Math.round(batch.reduce((n, f) => n + f.length, 0) / batch.length),
    eventJsonMeanBytes: Math.round(events.reduce((n, e) => n + e.length, 0) / events.length),
    copyIn: perFrame(() => {
      for (const frame of batch) {
        const len = frame.length;
        let offset = 0;
        for (; offset < len; offset++) {
          const code = frame.charCodeAt(offset);
          if (code > 0x7f) break;
          memory[offset] = code;
        }
        check += offset;
      }
    }),
    encodeInto: perFrame(() => {
      for (const frame of batch) check += encoder.encodeInto(frame, memory).written;
    }),
    eventDecode: perFrame(() => {
      for (const bytes of encodedEvents) check += decoder.decode(bytes).length;
    }),
    eventParse: perFrame(() => {
      for (const text of events) check += JSON.parse(text) === null ? 0 : 1;
    }),
    nameDecode: perFrame(() => {
      for (let i = 0; i < batch.length; i++) check += decoder.decode(name).length + decoder.decode(name).length;
    }),
  };
  // The cost of one send between other work, per send (not per frame).
  const socket = new WebSocket(`ws://${location.host}/ws`, ["jwt-auth", `jwt.${btoa(token).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "")}`]);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error("the diagnostic socket did not open"));
  });
  const sends = 3000;
  const work = (i) => {
    for (let j = 0; j < 7; j++) check += JSON.parse(batch[(i * 7 + j) % batch.length]) === null ? 0 : 1;
  };
  const timeLoop = (withSend) => {
    const samples = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      for (let i = 0; i < sends; i++) {
        work(i);
        if (withSend) socket.send('{"type":"heartbeat_ack"}');
      }
      samples.push(((performance.now() - t0) * 1e6) / sends);
    }
    return samples.sort((a, b) => a - b)[samples.length >> 1];
  };
  const withoutSend = timeLoop(false);
  const withSend = timeLoop(true);
  socket.close();
  parts.sendBetweenWork = withSend - withoutSend;
  parts.check = check;
  return parts;
};

/**
 * Runs `warmup` untimed rounds, then `reps` timed rounds; each round runs every variant on every
 * data set once, in an order rotated from round to round. Returns every pass.
 */
window.benchThroughput = async ({ warmup = 2, reps = 7, datasets = Object.keys(DATASETS) } = {}) => {
  const cases = datasets.flatMap((dataset) => Object.keys(VARIANTS).map((variant) => ({ dataset, variant })));
  const passes = [];
  for (let round = -warmup; round < reps; round++) {
    const offset = ((round % cases.length) + cases.length) % cases.length;
    const order = cases.slice(offset).concat(cases.slice(0, offset));
    for (const { dataset, variant } of order) {
      const batch = DATASETS[dataset]();
      const result = await VARIANTS[variant](batch);
      passes.push({ dataset, variant, round, warmup: round < 0, batch: batch.length, ...result });
      await sleep(20);
    }
  }
  return {
    pkg: PKG,
    datasets: Object.fromEntries(
      datasets.map((name) => {
        const batch = DATASETS[name]();
        return [name, { frames: batch.length, bytes: batch.reduce((sum, f) => sum + new TextEncoder().encode(f).length, 0) }];
      }),
    ),
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    exposedGc: typeof globalThis.gc === "function",
    sink: { ...sink },
    passes,
  };
};

// For ad-hoc experiments from the driver (page.evaluate).
window.benchInternals = { connect, openClient, sdkPass, sink, get frames() { return frames; }, get token() { return token; } };

setup().then(
  () => {
    window.benchReady = true;
    document.getElementById("status").textContent = `ready: ${frames.length} frames`;
  },
  (error) => {
    window.benchError = String(error?.stack ?? error);
    document.getElementById("status").textContent = `error: ${error}`;
  },
);
