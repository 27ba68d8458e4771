// agentwire's package entry for browsers and bundlers: the wasm-bindgen build in ./web/, with
// two additions. Anything called before `init()` has finished throws an AgentwireError
// (`not_initialized`) instead of a TypeError from inside the glue; and `connect()` takes URLs
// relative to the page (`"/ws"`), with http(s) turned into ws(s).
import wasmInit, * as wasm from "./web/agentwire.js";

export * from "./web/agentwire.js";

let initialized = false;

function agentwireError(code, message) {
  const error = new Error(message);
  error.name = "AgentwireError";
  error.code = code;
  return error;
}

function ready(name) {
  if (!initialized) {
    throw agentwireError(
      "not_initialized",
      `agentwire: ${name}() was called before init() finished; call \`await init()\` first`,
    );
  }
}

/** Loads the wasm module (once; later calls return the same promise's result). */
export default async function init(input) {
  const exports = await wasmInit(input);
  initialized = true;
  return exports;
}

/** Loads the wasm module synchronously from its bytes or a compiled module. */
export function initSync(input) {
  const exports = wasm.initSync(input);
  initialized = true;
  return exports;
}

/** A URL relative to the page made absolute, with http(s) as ws(s); anything else as given. */
export function resolveUrl(url) {
  if (typeof url !== "string" || /^wss?:\/\//i.test(url.trim())) return url;
  const base = globalThis.location?.href;
  let resolved;
  try {
    resolved = new URL(url, base);
  } catch {
    return url;
  }
  if (resolved.protocol === "http:") resolved.protocol = "ws:";
  else if (resolved.protocol === "https:") resolved.protocol = "wss:";
  return resolved.href;
}

export function connect(url, options) {
  ready("connect");
  return wasm.connect(resolveUrl(url), options);
}

export function checkFrames(frames, options) {
  ready("checkFrames");
  return wasm.checkFrames(frames, options);
}

export function version() {
  ready("version");
  return wasm.version();
}

export function isAgentwireError(value) {
  return value instanceof Error && value.name === "AgentwireError" && typeof value.code === "string";
}
