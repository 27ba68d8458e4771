// `connect()`'s options object, checked in JS (js/options.rs reads the result).
//
// Read here rather than property by property from Rust: every `Reflect.get`, type test and
// message built in Rust was wasm a browser downloads for a check made once per connection,
// about 5 KB of the wasm's gzip for 1.7 KB of this file's (BENCHMARKS.md, "A lean data path,
// ninth step"). The checks, their order and their messages are the old ones: unknown names are
// refused with the list of known ones (a typo is an error, not a silently ignored setting), then
// each value's type, then the values, then the auth style; the first error found is the one
// thrown, an `AgentwireError` with code `invalid_options`. `undefined` and `null` are absent.
// The defaults stay in Rust (`SessionConfig::default`).
// scripts/build-npm minifies it for the package, so comments here cost users nothing.

import { agentwireError } from "./emitter.js";

// Every option, in the order a message about an unknown one lists them (the types below are in
// the order they are checked, which differs).
const CONNECT_KEYS = [
  "token",
  "getToken",
  "threadId",
  "threads",
  "filterThreads",
  "userId",
  "reconnect",
  "pingEveryMs",
  "deadAfterMs",
  "connectTimeoutMs",
  "readyAfterMs",
  "queueLimit",
  "maxFrameBytes",
  "stallAfterMs",
  "resume",
  "deliverDuplicates",
  "subprotocol",
  "env",
  "handshake",
  "handshakeTimeoutMs",
  "signal",
  "WebSocket",
];

// Each option's type (a method of `reader`), in the order the types have always been checked:
// `reconnect`'s own first, then the rest.
const RECONNECT_TYPES = [
  ["firstDelayMs", "number"],
  ["maxDelayMs", "number"],
  ["minDelayMs", "number"],
  ["maxAttempts", "count"],
  ["resetAfterMs", "number"],
];
const TYPES = [
  ["getToken", "func"],
  ["WebSocket", "func"],
  ["signal", "signal"],
  ["token", "string"],
  ["threadId", "string"],
  ["threads", "strings"],
  ["filterThreads", "boolean"],
  ["userId", "string"],
  ["pingEveryMs", "number"],
  ["deadAfterMs", "number"],
  ["connectTimeoutMs", "number"],
  ["readyAfterMs", "number"],
  ["queueLimit", "count"],
  ["maxFrameBytes", "count"],
  ["stallAfterMs", "number"],
  ["resume", "boolean"],
  ["deliverDuplicates", "boolean"],
  ["subprotocol", "string"],
  ["env", "string"],
  ["handshake", "string"],
  ["handshakeTimeoutMs", "number"],
];
const RECONNECT_KEYS = RECONNECT_TYPES.map(([key]) => key);

// The millisecond options but `handshakeTimeoutMs`, in the order their values are checked:
// `[key, its name in messages]`.
const MILLIS = [
  ["firstDelayMs", "reconnect.firstDelayMs"],
  ["maxDelayMs", "reconnect.maxDelayMs"],
  ["minDelayMs", "reconnect.minDelayMs"],
  ["resetAfterMs", "reconnect.resetAfterMs"],
  ["stallAfterMs", "stallAfterMs"],
  ["connectTimeoutMs", "connectTimeoutMs"],
  ["pingEveryMs", "pingEveryMs"],
  ["deadAfterMs", "deadAfterMs"],
  ["readyAfterMs", "readyAfterMs"],
];

// The longest time an option can say, in milliseconds: JavaScript's largest exact integer
// (about 285,000 years, "never" in practice). Longer finite values mean the same; without the
// bound, `1e30` would overflow Rust's `Duration` and trap the wasm module, every client of the
// page with it.
const MAX_MILLIS = Number.MAX_SAFE_INTEGER;

// The `maxFrameBytes` the JS API takes: below, the manager's own control frames would be
// refused; above, one frame's copy could fail to fit in wasm memory, which traps the module.
const MIN_FRAME = 4096;
const MAX_FRAME = 256 * 1024 * 1024;

const invalid = (message) => agentwireError("invalid_options", message);

function refuseUnknownKeys(object, known, context) {
  if (typeof object !== "object" && typeof object !== "function") throw invalid(`${context}: expected an object`);
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) throw invalid(`${context}: unknown option \`${key}\` (known: ${known.join(", ")})`);
  }
}

// A reader of one options object: each method returns the value as the type it must have, or
// `undefined` when it is absent, and throws the error that names the option otherwise.
function reader(object, context) {
  const get = (key) => object[key] ?? undefined;
  const wrong = (key, expected) => invalid(`${context}: \`${key}\` must be ${expected}`);
  const typed = (key, type, expected) => {
    const value = get(key);
    if (value !== undefined && typeof value !== type) throw wrong(key, expected);
    return value;
  };
  return {
    get,
    wrong,
    string: (key) => typed(key, "string", "a string"),
    number: (key) => typed(key, "number", "a number"),
    boolean: (key) => typed(key, "boolean", "true or false"),
    func: (key) => typed(key, "function", "a function"),
    count(key) {
      const value = get(key);
      if (value !== undefined && !(Number.isInteger(value) && value >= 0 && value <= 0xffffffff)) {
        throw wrong(key, "a whole number ≥ 0");
      }
      return value;
    },
    signal(key) {
      const value = get(key);
      // Duck-typed, as `fetch` does: an object with `aborted` and `addEventListener`.
      if (value !== undefined && !(typeof value.aborted === "boolean" && typeof value.addEventListener === "function")) {
        throw wrong(key, "an AbortSignal");
      }
      return value;
    },
    strings(key) {
      const value = get(key);
      if (value === undefined) return value;
      // Copied once, and the copy checked and kept: a hole is `undefined` there (refused), and
      // an index getter runs once.
      const copy = Array.isArray(value) ? Array.from(value) : undefined;
      if (!copy?.every((item) => typeof item === "string")) throw wrong(key, "an array of strings");
      return copy;
    },
  };
}

// `connect()`'s options, checked: what options.rs reads (`Options` there: each value of the
// type it must have, under its option's name, absent ones `undefined`; `env` only with
// `subprotocol: "env"`). Throws an `AgentwireError` (`invalid_options`), or what the options
// object's own getters threw.
export function readOptions(options) {
  if (options === undefined || options === null) return {};
  const context = "connect() options";
  refuseUnknownKeys(options, CONNECT_KEYS, context);
  const read = reader(options, context);
  // The types, each value under its option's name.
  const result = {};
  let reconnect = read.get("reconnect");
  if (reconnect !== undefined) {
    if (typeof reconnect !== "object") throw read.wrong("reconnect", "an object");
    const context = "connect() options: `reconnect`";
    refuseUnknownKeys(reconnect, RECONNECT_KEYS, context);
    reconnect = reader(reconnect, context);
    for (const [key, type] of RECONNECT_TYPES) result[key] = reconnect[type](key);
  }
  for (const [key, type] of TYPES) result[key] = read[type](key);
  // Empty is none, as for `token` and `userId` (and the `threadId` of a send).
  result.threadId = result.threadId || undefined;
  const { subprotocol, env, handshake } = result;

  // The values.
  const millis = (key, name) => {
    const ms = result[key];
    if (ms === undefined) return;
    if (!(Number.isFinite(ms) && ms >= 0)) {
      throw invalid(`\`${name}\` must be a number of milliseconds ≥ 0, not ${Number.isFinite(ms) ? ms : "not finite"}`);
    }
    result[key] = Math.min(ms, MAX_MILLIS);
  };
  for (const [key, name] of MILLIS) millis(key, name);
  const bytes = result.maxFrameBytes;
  if (bytes !== undefined && !(bytes >= MIN_FRAME && bytes <= MAX_FRAME)) {
    throw invalid("`maxFrameBytes` is from 4096 to 268435456 (4 KiB to 256 MiB)");
  }
  // The env style speaks to an October manager, which always handshakes (the Rust client
  // decides that), and an explicit "auto" contradicts it.
  if (handshake === "auto" && subprotocol === "env") {
    throw invalid('`subprotocol: "env"` always expects the handshake; leave `handshake` out or set it to "expect"');
  } else if (handshake !== undefined && handshake !== "auto" && handshake !== "expect") {
    throw invalid(`\`handshake\` is "auto" or "expect", not \`${handshake}\``);
  }
  result.expectHandshake = handshake === "expect";
  millis("handshakeTimeoutMs", "handshakeTimeoutMs");

  // The auth style: `jwt-auth` (the default) or `env` with an environment name (Rust checks
  // the name); one style per connection, never both in one list.
  if (subprotocol === "env") {
    if (env === undefined) throw invalid('`subprotocol: "env"` needs `env`: development, local, staging or production');
  } else if (subprotocol !== undefined && subprotocol !== "jwt-auth") {
    throw invalid(`\`subprotocol\` is "jwt-auth" or "env", not \`${subprotocol}\``);
  } else if (env !== undefined) {
    throw invalid('`env` applies only to `subprotocol: "env"` (one auth style per connection)');
  }
  return result;
}

// Calls `getToken` (the option: a function returning a string or a promise of one) for one
// connection attempt, at once, and hands `done` its answer in a microtask: `done(token)` with a
// non-empty string, `done(undefined, message)` otherwise (the message is shown when the refresh
// of a refused token fails). Never throws: a throw, a rejection and a thenable that misbehaves
// all end in `done`.
export function fetchToken(getToken, done) {
  new Promise((resolve) => resolve(getToken())).then(
    (token) => (typeof token === "string" && token !== "" ? done(token) : done(undefined, "getToken did not give a non-empty string")),
    (error) => done(undefined, `getToken failed: ${describe(error)}`),
  );
}

// What a thrown value says: an Error's message, or the value as text.
function describe(error) {
  try {
    return String(error instanceof Error ? error.message : error);
  } catch {
    return "a value that cannot be shown";
  }
}

// The one option `key` of an options object that takes only it (`{ threadId }` for sends,
// `{ userId }` for `checkFrames()`): a non-empty string, or `undefined` when absent or empty.
// Throws as `readOptions` does.
export function onlyStringOption(options, key, context) {
  if (options === undefined || options === null) return undefined;
  refuseUnknownKeys(options, [key], context);
  return reader(options, context).string(key) || undefined;
}
