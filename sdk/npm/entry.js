// What the package's entries (index.js for browsers and bundlers, node.js for Node) add to a
// wasm-bindgen module: anything called before `init()` has finished throws an AgentwireError
// (`not_initialized`) instead of a TypeError from inside the glue, and `connect()` takes URLs
// relative to the page (`"/ws"`), with http(s) turned into ws(s).

function agentwireError(code, message) {
  const error = new Error(message);
  error.name = "AgentwireError";
  error.code = code;
  return error;
}

export function isAgentwireError(value) {
  return value instanceof Error && value.name === "AgentwireError" && typeof value.code === "string";
}

export function resolveUrl(url) {
  if (typeof url !== "string" || /^wss?:\/\//i.test(url.trim())) return url;
  let resolved;
  try {
    resolved = new URL(url, globalThis.location?.href);
  } catch {
    return url;
  }
  if (resolved.protocol === "http:") resolved.protocol = "ws:";
  else if (resolved.protocol === "https:") resolved.protocol = "wss:";
  return resolved.href;
}

/** The entry's functions over the module `glue`, loaded by `load(input)`. */
export function entry(load, glue) {
  let initialized = false;
  const ready = (name) => {
    if (!initialized) {
      throw agentwireError(
        "not_initialized",
        `agentwire: ${name}() was called before init() finished; call \`await init()\` first`,
      );
    }
  };
  return {
    async init(input) {
      const exports = await load(input);
      initialized = true;
      return exports;
    },
    initSync(input) {
      const exports = glue.initSync(input);
      initialized = true;
      return exports;
    },
    connect(url, options) {
      ready("connect");
      return glue.connect(resolveUrl(url), options);
    },
    version() {
      ready("version");
      return glue.version();
    },
    checkFrames(frames, options) {
      ready("checkFrames");
      return glue.checkFrames(frames, options);
    },
  };
}
