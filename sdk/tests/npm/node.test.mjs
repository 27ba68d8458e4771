// The npm package in Node, as an app gets it: `import ... from "agentwire"` resolved through the
// package's `exports` (the `node` condition), against `agentwire serve`.
//
//   node --experimental-websocket --test sdk/tests/npm/node.test.mjs
//
// Run by scripts/test-npm-node, which links sdk/pkg as node_modules/agentwire next to this file
// and sets AGENTWIRE_BIN. Node 20 has a global WebSocket only with --experimental-websocket (22
// has one by default): the tests take it and remove it from the global object, to check both
// what Node 20 does without it and what the `WebSocket` option does.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import init, { checkFrames, connect, isAgentwireError, version } from "agentwire";

import { startServe, stopServe, within } from "../../../tests/support/serve.mjs";

const NodeWebSocket = globalThis.WebSocket;
delete globalThis.WebSocket;

const binary = process.env.AGENTWIRE_BIN;
let server;
let base;
let address;

before(async () => {
  assert.ok(binary, "AGENTWIRE_BIN is not set");
  assert.equal(typeof NodeWebSocket, "function", "run with --experimental-websocket (Node 20) or Node 22+");
  ({ server, base } = await startServe(binary, ["--speed", "8", "--seed", "3"], { stderr: "pipe" }));
  address = base.replace(/^http:\/\//, "");
});

after(() => stopServe(server));

async function devToken(user) {
  const response = await fetch(`http://${address}/dev/token?user=${user}`);
  assert.equal(response.status, 200);
  return (await response.json()).token;
}

function codeOf(body) {
  try {
    body();
  } catch (error) {
    assert.ok(isAgentwireError(error), `not an AgentwireError: ${error}`);
    return error.code;
  }
  assert.fail("did not throw");
}

test("anything called before init() throws not_initialized, and isAgentwireError works already", () => {
  assert.equal(codeOf(() => connect("ws://127.0.0.1:1/ws")), "not_initialized");
  assert.equal(codeOf(() => checkFrames([])), "not_initialized");
  assert.equal(codeOf(() => version()), "not_initialized");
  assert.equal(isAgentwireError(new Error("other")), false);
});

test("init() in Node loads the wasm from the package without arguments", async () => {
  await init();
  assert.match(version(), /^\d+\.\d+\.\d+/);
});

test("without a global WebSocket or the option, connect() says so at once", () => {
  assert.equal(globalThis.WebSocket, undefined);
  let error;
  try {
    connect(`ws://${address}/ws`, { token: "x" });
  } catch (thrown) {
    error = thrown;
  }
  assert.equal(error?.code, "no_websocket");
  assert.match(error.message, /WebSocket/);
});

test("the WebSocket option must be a constructor", () => {
  assert.equal(codeOf(() => connect(`ws://${address}/ws`, { WebSocket: "ws" })), "invalid_options");
});

/** Connects `user`, runs one request and resolves with what was seen; closes the client. */
async function oneRun(options, user) {
  const token = await devToken(user);
  const client = connect(`ws://${address}/ws`, { token, ...options });
  const states = [];
  const flags = [];
  client.onStateChange((state) => states.push(state.state));
  client.onFlag((flag) => flags.push(flag));
  await within(10_000, "ready", client.ready);
  const completed = new Promise((resolve) => client.once("agent_completed", resolve));
  client.sendUserMessage("Why did our GPU spend rise?");
  const event = await within(30_000, "agent_completed", completed);
  await within(5_000, "close()", client.close());
  return { states, flags, event, client };
}

test("a run arrives in Node through the WebSocket option (Node before 22)", async () => {
  const { states, flags, event } = await oneRun({ WebSocket: NodeWebSocket }, "node-option");
  assert.equal(event.type, "agent_completed");
  assert.deepEqual(flags.filter((flag) => flag.severity === "error"), []);
  assert.deepEqual(states, ["connecting", "open", "closed"]);
});

test("a run arrives in Node through the global WebSocket (Node 22+)", async () => {
  globalThis.WebSocket = NodeWebSocket;
  try {
    const { event } = await oneRun({}, "node-global");
    assert.equal(event.type, "agent_completed");
  } finally {
    delete globalThis.WebSocket;
  }
});

test("a refused token never shows open: connecting, then closed with auth_failed", async () => {
  const client = connect(`ws://${address}/ws`, { token: "not-a-jwt", WebSocket: NodeWebSocket });
  const states = [];
  client.onStateChange((state) => states.push(state));
  await within(10_000, "ready to reject", client.ready.then(
    () => assert.fail("ready resolved for a refused token"),
    (error) => assert.equal(error.code, "closed"),
  ));
  assert.deepEqual(states.map((state) => state.state), ["connecting", "closed"]);
  assert.equal(states.at(-1).reason.kind, "auth_failed");
});

test("getToken: its token (a promise) opens the connection, and a refused one is refreshed through it once", async () => {
  const fresh = await devToken("node-get-token");
  const calls = [];
  const client = connect(`ws://${address}/ws`, {
    WebSocket: NodeWebSocket,
    getToken: async () => {
      calls.push(client.state.state);
      await new Promise((resolve) => setTimeout(resolve, 10));
      return fresh;
    },
  });
  await within(10_000, "ready", client.ready);
  assert.deepEqual(calls, ["connecting"], "asked once, before the first attempt");
  assert.equal(client.userId, "node-get-token", "the user comes from the token");
  await client.close();

  // A refused token: one fresh one from getToken (a plain string, not a promise), then open.
  const refreshed = [];
  const second = connect(`ws://${address}/ws`, {
    token: "not-a-jwt",
    WebSocket: NodeWebSocket,
    getToken: () => {
      refreshed.push(true);
      return fresh;
    },
  });
  await within(10_000, "ready after the refresh", second.ready);
  assert.equal(refreshed.length, 1);
  await second.close();
});

test("getToken that throws, rejects or gives no string: a token_unavailable disconnect, then auth_failed saying why", async () => {
  const cases = [
    [() => { throw new Error("vault sealed"); }, "no fresh token: getToken failed: vault sealed"],
    [() => Promise.reject("offline"), "no fresh token: getToken failed: offline"],
    [async () => "", "no fresh token: getToken did not give a non-empty string"],
    [() => 42, "no fresh token: getToken did not give a non-empty string"],
    [() => { throw 42; }, "no fresh token: getToken failed: 42"],
    [() => ({ then() { throw new Error("bad thenable"); } }), "no fresh token: getToken failed: bad thenable"],
  ];
  for (const [getToken, message] of cases) {
    // A refused token first, so that the fetch is a refresh, which closes when it fails.
    const client = connect(`ws://${address}/ws`, { token: "not-a-jwt", WebSocket: NodeWebSocket, getToken });
    const causes = [];
    client.onDisconnect((disconnect) => causes.push(disconnect.cause));
    const closed = new Promise((resolve) => client.onStateChange((state) => state.state === "closed" && resolve(state)));
    const state = await within(10_000, `closed (${message})`, closed);
    assert.equal(state.reason.kind, "auth_failed");
    assert.equal(state.reason.message, message);
    assert.ok(causes.includes("token_unavailable"), `${message}: ${causes}`);
  }
});

test("getToken failing before the first connection is retried with backoff, and one pending at close() is ignored", async () => {
  let calls = 0;
  const client = connect(`ws://${address}/ws`, {
    WebSocket: NodeWebSocket,
    reconnect: { firstDelayMs: 20, maxDelayMs: 20 },
    getToken: () => {
      calls += 1;
      return Promise.reject(new Error("not yet"));
    },
  });
  const causes = [];
  client.onDisconnect((disconnect) => causes.push(disconnect.cause));
  await within(5_000, "a second request", new Promise((resolve) => {
    const poll = setInterval(() => calls >= 2 && (clearInterval(poll), resolve()), 5);
  }));
  assert.notEqual(client.state.state, "closed", "not given up: no token was refused");
  assert.equal(causes[0], "token_unavailable");
  await client.close();

  // A token that arrives after close(): ignored, nothing opens.
  let answer;
  const pending = connect(`ws://${address}/ws`, {
    WebSocket: NodeWebSocket,
    getToken: () => new Promise((resolve) => { answer = resolve; }),
  });
  await within(5_000, "the request", new Promise((resolve) => {
    const poll = setInterval(() => answer && (clearInterval(poll), resolve()), 5);
  }));
  await pending.close();
  answer(await devToken("node-late"));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(pending.state.state, "closed");
  assert.equal(pending.stats.frames, 0);
});

test("send() queues a custom message and the server answers it; bad messages are refused", async () => {
  const token = await devToken("node-send");
  const client = connect(`ws://${address}/ws`, { token, WebSocket: NodeWebSocket });
  const acked = new Promise((resolve) =>
    client.on("ack", (event) => event.received_type === "stop_agent" && resolve(event)),
  );
  // Before the connection is ready: queued, then sent.
  client.send({ type: "stop_agent", payload: { run_id: "r-1" } });
  await within(10_000, "the server's ack of stop_agent", acked);

  const cyclic = { type: "x" };
  cyclic.self = cyclic;
  for (const bad of [
    "stop_agent",
    ["stop_agent"],
    null,
    {},
    { type: "" },
    { type: 7 },
    { type: "ping" },
    { type: "resume", payload: { last_seq: 1 } },
    { type: "handshake_acknowledged" },
    cyclic,
    { type: "x", n: 1n },
    { type: "x", big: "a".repeat(1_048_577) },
  ]) {
    assert.equal(codeOf(() => client.send(bad)), "invalid_message");
  }
  await client.close();
  assert.equal(codeOf(() => client.send({ type: "stop_agent" })), "closed");
});

test("checkFrames reports what agentwire check reports", () => {
  const frame = (type, fields, timestamp) =>
    JSON.stringify({ type, run_id: "r1", thread_id: "t1", user_id: "u1", agent_name: "a", timestamp, ...fields });
  const started = frame("agent_started", {}, 1758207374.1);
  const thinking = frame("agent_thinking", { reasoning: "hm" }, 1758207374.2);
  const completed = frame("agent_completed", { final_response: "done" }, 1758207374.3);
  assert.deepEqual(checkFrames([started, thinking, completed], { userId: "u1" }), []);
  const rules = checkFrames(["not json", started]).map((flag) => `${flag.severity} ${flag.rule}`);
  assert.deepEqual(rules, ["error malformed-frame", "error run-incomplete"]);
  assert.equal(codeOf(() => checkFrames("nope")), "invalid_options");
  assert.equal(codeOf(() => checkFrames([1])), "invalid_options");
  assert.equal(codeOf(() => checkFrames([], { user: "u1" })), "invalid_options");
});

/** A WebSocket of the browser's shape that opens, then delivers `frames`, all in-process. */
function scriptedSocket(frames) {
  return class ScriptedSocket extends EventTarget {
    constructor(url, protocols) {
      super();
      this.url = url;
      this.protocols = protocols;
      this.readyState = 0;
      this.binaryType = "blob";
      setTimeout(() => {
        this.readyState = 1;
        this.dispatchEvent(new Event("open"));
        for (const data of frames) {
          const message = new Event("message");
          message.data = data;
          this.dispatchEvent(message);
        }
      }, 0);
    }

    send() {}

    close(code = 1000, reason = "") {
      if (this.readyState >= 2) return;
      this.readyState = 3;
      const close = new Event("close");
      Object.assign(close, { code, reason, wasClean: true });
      setTimeout(() => this.dispatchEvent(close), 0);
    }
  };
}

/** The events a scripted socket delivering `sent` gives the `*` listener. */
async function eventsOf(sent) {
  const client = connect("ws://scripted.invalid/ws", { WebSocket: scriptedSocket(sent) });
  const events = [];
  const all = new Promise((resolve) => {
    client.on("*", (event) => {
      events.push(event);
      if (events.length === sent.length) resolve();
    });
  });
  await within(5_000, "every event", all);
  await client.close();
  return events;
}

// A test double that dispatches from inside its own calls, as hand-written ones often do:
// `send()` answers at once and `close()` fires `close` at once. The client makes those calls
// while it holds its state, so it must take the events afterwards, in order; it used to trap
// (a RefCell borrowed twice), which breaks every client of the module.
function synchronousSocket(onSend) {
  return class SynchronousSocket extends EventTarget {
    constructor() {
      super();
      this.readyState = 0;
      setTimeout(() => {
        this.readyState = 1;
        this.dispatchEvent(new Event("open"));
      }, 0);
    }

    send(text) {
      for (const data of onSend(JSON.parse(text))) {
        const message = new Event("message");
        message.data = data;
        this.dispatchEvent(message);
      }
    }

    close(code = 1000, reason = "") {
      if (this.readyState >= 2) return;
      this.readyState = 3;
      this.dispatchEvent(Object.assign(new Event("close"), { code, reason, wasClean: true }));
    }
  };
}

test("a socket that dispatches from inside send() and close() is heard in order, without a trap", async () => {
  const context = { run_id: "r1", thread_id: "t1", user_id: "u1", agent_name: "a" };
  const replies = (message) =>
    message.type === "start_agent"
      ? [
          JSON.stringify({ type: "agent_started", ...context }),
          JSON.stringify({ type: "agent_completed", final_response: "done", ...context }),
        ]
      : [];
  const client = connect("ws://synchronous.invalid/ws", { WebSocket: synchronousSocket(replies) });
  const events = [];
  client.on("*", (event) => events.push(event.type));
  const states = [];
  client.onStateChange((state) => states.push(state.state));
  await within(5_000, "open", client.ready);
  client.startAgent("go");
  assert.deepEqual(events, ["agent_started", "agent_completed"]);
  await client.close();
  assert.equal(states.at(-1), "closed");
  // The module still works: a second client connects and closes.
  const again = connect("ws://synchronous.invalid/ws", { WebSocket: synchronousSocket(() => []) });
  await within(5_000, "open again", again.ready);
  await again.close();
});

test("a socket whose binaryType and readyState throw does not leave the client stuck", async () => {
  class Throwing extends synchronousSocket(() => []) {
    set binaryType(_value) {
      throw new Error("no binaryType here");
    }

    get readyState() {
      throw new Error("no readyState here");
    }

    set readyState(_value) {}
  }
  const client = connect("ws://throwing.invalid/ws", { WebSocket: Throwing });
  await within(5_000, "open", client.ready);
  assert.equal(client.state.state, "open");
  await client.close();
  assert.equal(client.state.state, "closed");
});

test("a frozen event still reads: raw is parsed on each read instead of settling", async () => {
  // Immer and Redux Toolkit freeze what they store; `raw` settles into a plain value on its
  // first read, which a frozen object refuses.
  const frame = { type: "agent_started", run_id: "r1", thread_id: "t1", user_id: "u1", agent_name: "a" };
  const [event] = await eventsOf([JSON.stringify(frame)]);
  Object.freeze(event);
  assert.deepEqual(event.raw, frame);
  assert.deepEqual(event.raw, frame);
  assert.deepEqual(JSON.parse(JSON.stringify(event)).raw, frame);
  assert.deepEqual({ ...event }.raw, frame);
  const [unread] = await eventsOf([JSON.stringify(frame)]);
  const copy = structuredClone(Object.freeze(unread));
  assert.deepEqual(copy.raw, frame);
});

test("times arrive as the SDK writes them: ISO 8601 in UTC, microseconds when there are any", async () => {
  // Rust hands a time over as seconds and microseconds, and emitter.js writes the text
  // (json/description.rs): every shape of timestamp, at the ends of the range too.
  const cases = [
    ["2025-09-18T14:56:15.002311+00:00", "2025-09-18T14:56:15.002311Z"],
    ["2025-09-18T16:56:15+02:00", "2025-09-18T14:56:15Z"],
    [1758207375.5, "2025-09-18T14:56:15.500000Z"],
    [1758207375000, "2025-09-18T14:56:15Z"],
    ["1969-07-20T20:17:40.000001Z", "1969-07-20T20:17:40.000001Z"],
    ["0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"],
    ["9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"],
    ["2024-02-29T23:59:59.000100", "2024-02-29T23:59:59.000100Z"],
  ];
  const sent = cases.map(([timestamp], index) =>
    JSON.stringify({ type: "heartbeat", timestamp, data: { n: index } }),
  );
  const events = await eventsOf(sent);
  assert.deepEqual(
    events.map((event) => event.timestamp),
    cases.map(([, expected]) => expected),
  );
});

test("renamed and aliased types arrive as their canonical type, with the wire's in wire_type", async () => {
  // The canonical type of a renamed frame is not in the frame's text: Rust hands it over as a
  // name from the key table (json/description.rs, NAME).
  const context = { run_id: "r1", thread_id: "t1", user_id: "u1", agent_name: "a" };
  const sent = [
    { type: "agent_started", ...context },
    { type: "reasoning", reasoning: "weighing the options", ...context },
    { type: "tool_started", tool_name: "search", ...context },
    { type: "tool_result", tool_name: "search", results: { hits: 3 }, ...context },
    { type: "agent_finished", final_response: "done", ...context },
  ].map((frame) => JSON.stringify(frame));
  const events = await eventsOf(sent);
  assert.deepEqual(
    events.map((event) => [event.type, event.wire_type]),
    [
      ["agent_started", "agent_started"],
      ["agent_thinking", "reasoning"],
      ["tool_executing", "tool_started"],
      ["tool_completed", "tool_result"],
      ["agent_completed", "agent_finished"],
    ],
  );
  assert.equal(events[1].reasoning, "weighing the options");
});

test("times of any day from year 0000 to 9999 arrive as toISOString writes them", async () => {
  // emitter.js writes a time's text by calendar arithmetic (not `Date`) and keeps the last
  // day's and second's texts: spread seconds over the whole range, runs within one day and
  // one second, and days before 1970.
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const first = -62_167_219_200;
  const last = 253_402_300_799;
  const seconds = [first, last, -1, 0, 86_399, 86_400, 951_782_400, 951_868_799];
  for (let i = 0; i < 300; i++) seconds.push(Math.floor(first + random() * (last - first)));
  for (let i = 0; i < 20; i++) seconds.push(1_758_207_375 + i * 97);
  // Runs within one second, a second again after another, one second on either side of
  // midnight, and the same time of day on consecutive days: the last second's text is kept too.
  seconds.push(1_758_207_375, 1_758_207_375, 1_758_207_376, 1_758_207_375, 86_399, 86_400, 86_399);
  seconds.push(0, 86_400, -1, 86_399);
  const cases = seconds.map((second, index) => {
    const micros = index % 3 === 0 ? 0 : Math.floor(random() * 1_000_000);
    const text = new Date(second * 1000).toISOString().slice(0, 19);
    return micros === 0 ? `${text}Z` : `${text}.${String(micros).padStart(6, "0")}Z`;
  });
  const sent = cases.map((timestamp, index) =>
    JSON.stringify({ type: "heartbeat", timestamp, data: { n: index } }),
  );
  const events = await eventsOf(sent);
  assert.deepEqual(
    events.map((event) => event.timestamp),
    cases,
  );
});

test("long fields arrive exactly as the frame holds them: slices of its text, escapes, any script, JSON", async () => {
  // Values are handed over as slices of the frame's own string (json/description.rs); the
  // offsets are in UTF-16 units, so text before them in other scripts and emoji must not shift
  // them, and escaped text must still arrive unescaped.
  const long = "thinking about GPU spend, é 中文 😀 ".repeat(4);
  const context = { run_id: "r1", thread_id: "t1", user_id: "u1", agent_name: "a😀é" };
  const results = { rows: Array.from({ length: 12 }, (_, i) => [i, `région ${i} 😀`, i / 4]) };
  const sent = [
    { type: "agent_started", task_description: `${long}!`, ...context },
    { type: "agent_thinking", data: { reasoning: long }, step_number: 1, ...context },
    { type: "agent_thinking", reasoning: `quote " and \\ and \n: ${long}`, ...context },
    { type: "tool_executing", tool_name: "report", parameters: { query: long, n: 1.5e300 }, ...context },
    { type: "tool_completed", tool_name: "report", results, ...context },
    { type: "agent_completed", final_response: { answer: long, cited: [1, 2] }, ...context },
  ].map((frame) => JSON.stringify(frame));
  // A thought with an escape the serialiser would not write: the text differs from the value,
  // so it cannot be a range and must be written out. (Another step: an equal frame would be a
  // duplicate, which is flagged and not delivered.)
  sent.push(sent[1].replace('"step_number":1', '"step_number":2').replace("thinking about", "\\u0074hinking about"));
  const events = await eventsOf(sent);
  const field = (event) => {
    switch (event.type) {
      case "agent_started":
        return ["task_description", event.task_description];
      case "agent_thinking":
        return ["reasoning", event.reasoning];
      case "tool_executing":
        return ["parameters", event.parameters];
      case "tool_completed":
        return ["results", event.results];
      default:
        return ["final_response", event.final_response];
    }
  };
  events.forEach((event, index) => {
    const frame = JSON.parse(sent[index]);
    const [name, value] = field(event);
    assert.deepEqual(value, frame[name] ?? frame.data[name], `${event.type} ${name}`);
    assert.equal(event.agent_name, "a😀é");
    assert.deepEqual(event.raw, frame);
    assert.equal(Object.hasOwn(event, "@refs"), false);
    assert.equal(event.frame, index);
  });
});

test("a frame over maxFrameBytes is a malformed-frame flag with its length, and the connection goes on", async () => {
  const limit = 4096;
  // Raw JSON text, not JSON.stringify's: it would escape a lone surrogate into six ASCII bytes.
  const thinking = (text) => `{"type":"agent_thinking","reasoning":"${text}"}`;
  const sent = [
    thinking("x".repeat(5000)), // more code units than the limit: measured, never encoded
    thinking("é".repeat(2100)), // fewer code units than the limit, more bytes: counted, refused
    thinking(`😀\ud800${"y".repeat(4100)}`), // a pair is 4 bytes, a lone surrogate 3 (U+FFFD)
    `${thinking("z".repeat(4100))}\ud83d`, // a high surrogate at the very end
    new Uint8Array(limit + 1).fill(32).buffer, // a binary frame: not copied either
    thinking("fits"),
  ];
  const client = connect("ws://scripted.invalid/ws", {
    WebSocket: scriptedSocket(sent),
    maxFrameBytes: limit,
  });
  // (Thinking outside a run is also `event-before-start`: only the size flags matter here.)
  const flags = [];
  client.onFlag((flag) => flag.rule === "malformed-frame" && flags.push(flag));
  const delivered = new Promise((resolve) => client.on("agent_thinking", resolve));
  const event = await within(5_000, "the frame within the limit", delivered);
  assert.equal(event.reasoning, "fits");
  const lengths = [...sent.slice(0, 4).map((text) => Buffer.byteLength(text)), limit + 1];
  assert.ok(sent[1].length < limit && lengths[1] > limit, "the second frame is measured in bytes");
  assert.deepEqual(
    flags.map((flag) => [flag.rule, flag.frame]),
    lengths.map((_, frame) => ["malformed-frame", frame]),
  );
  flags.forEach((flag, index) => {
    assert.match(flag.message, new RegExp(`frame is ${lengths[index]} bytes, longer than the ${limit}-byte limit`));
  });
  assert.equal(client.stats.decode_errors, 5);
  await client.close();

  // The default limit, 16 MiB: a longer frame is refused the same way, and never reaches wasm
  // memory (the module's memory does not grow by the frame's size).
  const memory = (await init()).memory;
  const before = memory.buffer.byteLength;
  // Larger than all the memory the module has: a copy could not fit in its free space.
  const size = Math.max(64 << 20, 2 * before);
  const huge = [thinking("z".repeat(size)), thinking("after")];
  const next = connect("ws://scripted.invalid/ws", { WebSocket: scriptedSocket(huge) });
  const malformed = [];
  next.onFlag((flag) => flag.rule === "malformed-frame" && malformed.push(flag.frame));
  const after = new Promise((resolve) => next.on("agent_thinking", resolve));
  assert.equal((await within(5_000, "the frame after", after)).reasoning, "after");
  assert.deepEqual(malformed, [0]);
  const grown = memory.buffer.byteLength - before;
  assert.ok(grown < 16 << 20, `wasm memory grew by ${grown} bytes for a ${size}-byte frame it refused`);
  await next.close();
  for (const maxFrameBytes of [-1, 0, 4095, 2 ** 28 + 1, 1.5]) {
    assert.equal(codeOf(() => connect("ws://x.invalid/ws", { maxFrameBytes })), "invalid_options", `${maxFrameBytes}`);
  }
});
