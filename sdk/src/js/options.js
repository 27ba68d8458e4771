// `connect()`'s options object, checked in JS (js/options.rs reads the result).
//
// Read here rather than property by property from Rust: every `Reflect.get`, type test and
// message built in Rust was wasm a browser downloads for a check made once per connection, and
// about 5 KB of the package's gzip (BENCHMARKS.md, "A lean data path, ninth step"). The checks
// and their messages are the same: unknown names are refused with the list of known ones (a
// typo is an error, not a silently ignored setting), and a value of the wrong type is an error
// that names the option. `undefined` and `null` are absent. The defaults stay in Rust
// (`SessionConfig::default`), so this file holds no number the Rust docs also state.
// scripts/build-npm minifies it for the package, so comments here cost users nothing.

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

const RECONNECT_KEYS = ["firstDelayMs", "maxDelayMs", "minDelayMs", "maxAttempts", "resetAfterMs"];

// The millisecond options: `[key, its reader (0 the options, 1 \`reconnect\`), its name in
// messages]`.
const MILLIS = [
  ["firstDelayMs", 1, "reconnect.firstDelayMs"],
  ["maxDelayMs", 1, "reconnect.maxDelayMs"],
  ["minDelayMs", 1, "reconnect.minDelayMs"],
  ["resetAfterMs", 1, "reconnect.resetAfterMs"],
  ["connectTimeoutMs", 0, "connectTimeoutMs"],
  ["pingEveryMs", 0, "pingEveryMs"],
  ["deadAfterMs", 0, "deadAfterMs"],
  ["readyAfterMs", 0, "readyAfterMs"],
  ["stallAfterMs", 0, "stallAfterMs"],
  ["handshakeTimeoutMs", 0, "handshakeTimeoutMs"],
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

function refuseUnknownKeys(object, known, context) {
  if (typeof object !== "object" && typeof object !== "function") throw `${context}: expected an object`;
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) throw `${context}: unknown option \`${key}\` (known: ${known.join(", ")})`;
  }
}

// A reader of one options object: each getter returns the value as the type it must have, or
// `undefined` when it is absent, and throws the message that names the option otherwise.
function reader(object, context) {
  const get = (key) => object[key] ?? undefined;
  const wrong = (key, expected) => `${context}: \`${key}\` must be ${expected}`;
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
    strings(key) {
      const value = get(key);
      if (value !== undefined && !(Array.isArray(value) && value.every((item) => typeof item === "string"))) {
        throw wrong(key, "an array of strings");
      }
      return value;
    },
  };
}

// `connect()`'s options, checked: what options.rs reads (`Options` there: each value of the
// type it must have, under its option's name, absent ones `undefined`), or a thrown string, the
// message of the `invalid_options` error Rust makes of it.
export function readOptions(options) {
  if (options === undefined || options === null) return {};
  const context = "connect() options";
  refuseUnknownKeys(options, CONNECT_KEYS, context);
  const read = reader(options, context);
  let reconnect = read.get("reconnect");
  if (reconnect !== undefined) {
    if (typeof reconnect !== "object") throw read.wrong("reconnect", "an object");
    const context = "connect() options: `reconnect`";
    refuseUnknownKeys(reconnect, RECONNECT_KEYS, context);
    reconnect = reader(reconnect, context);
  }
  // Every value under its option's name (`reconnect`'s too: no name is in both lists).
  const result = { maxAttempts: reconnect?.count("maxAttempts") };
  const readers = [read, reconnect];
  for (const [key, object, name] of MILLIS) {
    const ms = readers[object]?.number(key);
    if (ms !== undefined && !(Number.isFinite(ms) && ms >= 0)) {
      throw `\`${name}\` must be a number of milliseconds ≥ 0, not ${Number.isFinite(ms) ? ms : "not finite"}`;
    }
    result[key] = ms === undefined ? ms : Math.min(ms, MAX_MILLIS);
  }
  const maxFrameBytes = read.count("maxFrameBytes");
  if (maxFrameBytes !== undefined && !(maxFrameBytes >= MIN_FRAME && maxFrameBytes <= MAX_FRAME)) {
    throw "`maxFrameBytes` is from 4096 to 268435456 (4 KiB to 256 MiB)";
  }
  const signal = read.get("signal");
  // Duck-typed, as `fetch` does: an object with `aborted` and `addEventListener`.
  if (signal !== undefined && !(typeof signal.aborted === "boolean" && typeof signal.addEventListener === "function")) {
    throw read.wrong("signal", "an AbortSignal");
  }
  Object.assign(result, {
    token: read.string("token"),
    getToken: read.func("getToken"),
    websocket: read.func("WebSocket"),
    signal,
    threadId: read.string("threadId"),
    threads: read.strings("threads"),
    filterThreads: read.boolean("filterThreads"),
    userId: read.string("userId"),
    resume: read.boolean("resume"),
    deliverDuplicates: read.boolean("deliverDuplicates"),
    queueLimit: read.count("queueLimit"),
    maxFrameBytes,
  });
  // The auth style: `jwt-auth` (the default) or `env` with an environment name (Rust checks
  // the name); one style per connection, never both in one list.
  const subprotocol = read.string("subprotocol");
  const env = read.string("env");
  const handshake = read.string("handshake");
  if (subprotocol === "env") {
    if (env === undefined) throw '`subprotocol: "env"` needs `env`: development, local, staging or production';
    result.env = env;
  } else if (subprotocol !== undefined && subprotocol !== "jwt-auth") {
    throw `\`subprotocol\` is "jwt-auth" or "env", not \`${subprotocol}\``;
  } else if (env !== undefined) {
    throw '`env` applies only to `subprotocol: "env"` (one auth style per connection)';
  }
  // The env style speaks to an October manager, which always handshakes (the Rust client
  // decides that), and an explicit "auto" contradicts it.
  if (handshake === "auto" && subprotocol === "env") {
    throw '`subprotocol: "env"` always expects the handshake; leave `handshake` out or set it to "expect"';
  } else if (handshake !== undefined && handshake !== "auto" && handshake !== "expect") {
    throw `\`handshake\` is "auto" or "expect", not \`${handshake}\``;
  }
  result.expectHandshake = handshake === "expect";
  return result;
}

// Calls `getToken` (the option: a function returning a string or a promise of one) for one
// connection attempt, and hands `done` its answer on a later task: `done(token)` with a
// non-empty string, `done(undefined, message)` otherwise (the message is shown in the auth error).
export function fetchToken(getToken, done) {
  const failed = (error) => {
    const message = error instanceof Error ? error.message : typeof error === "string" ? error : "getToken failed";
    done(undefined, `getToken failed: ${message}`);
  };
  let answer;
  try {
    answer = getToken();
  } catch (error) {
    answer = Promise.reject(error);
  }
  Promise.resolve(answer).then(
    (token) => (typeof token === "string" && token !== "" ? done(token) : done(undefined, "getToken did not give a non-empty string")),
    failed,
  );
}

// The one option `key` of an options object that takes only it (`{ threadId }` for sends,
// `{ userId }` for `checkFrames()`): a non-empty string, or `undefined` when absent or empty.
export function onlyStringOption(options, key, context) {
  if (options === undefined || options === null) return undefined;
  refuseUnknownKeys(options, [key], context);
  return reader(options, context).string(key) || undefined;
}
