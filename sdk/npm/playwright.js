// agentwire/playwright: records the WebSocket frames a page receives and sends during a
// Playwright test as an agentwire recording, and fails the test on the live checker's error
// flags, as `agentwire check` does. Node only (it loads the wasm through ./node.js).
import { writeFile } from "node:fs/promises";

import init, { checkFrames } from "./node.js";

// Redaction, as agentwire's Rust recorder does it (sdk/src/recording/redact.rs): secret query
// and fragment parameters become REDACTED, userinfo goes, JWT-shaped tokens become
// [REDACTED-JWT]. Written here rather than exported from the wasm module, which browsers load
// too and which stays as small as it can be; sdk/tests/npm/playwright.test.mjs holds the two
// equal on the Rust tests' cases.
const SECRET_PARAMS = new Set([
  "token", "jwt", "auth", "auth_token", "access_token", "ticket", "auth_ticket", "ticket_id",
  "api_key", "key",
]);
const JWT = /eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)*/g;

/** `text` with every JWT-shaped token replaced by `[REDACTED-JWT]`. */
export function redactSecrets(text) {
  return text.replace(JWT, "[REDACTED-JWT]");
}

/** `%XX` escapes and `+` (a space) decoded to bytes; anything malformed kept as it is. */
function percentDecode(text) {
  const bytes = new TextEncoder().encode(text);
  const out = [];
  const hex = (byte) => {
    const digit = String.fromCharCode(byte);
    return /^[0-9a-fA-F]$/.test(digit) ? parseInt(digit, 16) : undefined;
  };
  for (let i = 0; i < bytes.length; ) {
    const high = bytes[i] === 0x25 ? hex(bytes[i + 1]) : undefined;
    const low = high === undefined ? undefined : hex(bytes[i + 2]);
    if (low !== undefined) {
      out.push((high << 4) | low);
      i += 3;
    } else {
      out.push(bytes[i] === 0x2b ? 0x20 : bytes[i]);
      i += 1;
    }
  }
  return out;
}

function isSecretParam(name) {
  const folded = percentDecode(name).map((byte) => (byte >= 0x41 && byte <= 0x5a ? byte + 32 : byte));
  return SECRET_PARAMS.has(String.fromCharCode(...folded));
}

function redactParams(params) {
  return params
    .split("&")
    .map((param) => {
      const cut = param.indexOf("=");
      if (cut < 0 || cut === param.length - 1 || !isSecretParam(param.slice(0, cut))) return param;
      return `${param.slice(0, cut)}=REDACTED`;
    })
    .join("&");
}

/** `url` without credentials: userinfo dropped, secret parameters' values REDACTED, JWTs replaced. */
export function redactUrl(url) {
  const hash = url.indexOf("#");
  const beforeFragment = hash < 0 ? url : url.slice(0, hash);
  const question = beforeFragment.indexOf("?");
  const base = question < 0 ? beforeFragment : beforeFragment.slice(0, question);
  // Where the authority starts: after `scheme://`, after a leading `//`, or at the start when
  // there is neither a scheme nor a leading `/`.
  const schemeEnd = base.indexOf("://");
  let authorityStart;
  if (schemeEnd > 0 && /^[A-Za-z0-9+.-]+$/.test(base.slice(0, schemeEnd))) authorityStart = schemeEnd + 3;
  else if (base.startsWith("//")) authorityStart = 2;
  else if (!base.startsWith("/")) authorityStart = 0;
  let out = base;
  if (authorityStart !== undefined) {
    const rest = base.slice(authorityStart);
    const slash = rest.indexOf("/");
    const authority = slash < 0 ? rest : rest.slice(0, slash);
    const path = slash < 0 ? "" : rest.slice(slash);
    out = base.slice(0, authorityStart) + authority.slice(authority.lastIndexOf("@") + 1) + path;
  }
  if (question >= 0) out += `?${redactParams(beforeFragment.slice(question + 1))}`;
  if (hash >= 0) out += `#${redactParams(url.slice(hash + 1))}`;
  return redactSecrets(out);
}

/** Whether `url` is one the recorder was asked to follow. */
function follows(filter, url) {
  if (filter === undefined) return true;
  if (typeof filter === "string") return url.includes(filter);
  if (filter instanceof RegExp) return filter.test(url);
  return Boolean(filter(url));
}

function textOf(payload) {
  return typeof payload === "string" ? payload : new TextDecoder().decode(payload);
}

/**
 * Starts recording the WebSockets `page` opens from now on (those whose URL matches `options.url`:
 * a substring, a RegExp or a predicate; default: every one).
 */
export function recordAgentwire(page, options = {}) {
  const recording = new AgentwireRecording(options);
  page.on("websocket", (socket) => {
    if (!follows(options.url, socket.url())) return;
    recording.opened(socket.url());
    socket.on("framereceived", ({ payload }) => recording.frame("in", textOf(payload)));
    socket.on("framesent", ({ payload }) => recording.frame("out", textOf(payload)));
  });
  return recording;
}

/** What `recordAgentwire` records. */
export class AgentwireRecording {
  #userId;
  #url = "";
  #startedAt = new Date();
  #records = [];
  #received = [];

  constructor(options = {}) {
    this.#userId = options.userId;
  }

  /** @internal A socket opened. */
  opened(url) {
    if (this.#records.length === 0) {
      this.#url = url;
      this.#startedAt = new Date();
    }
    this.#records.push({ type: "open", t: new Date().toISOString() });
  }

  /** @internal A frame crossed a socket. */
  frame(dir, text) {
    this.#records.push({ type: "frame", dir, t: new Date().toISOString(), text });
    if (dir === "in") this.#received.push(text);
  }

  /** The frames received so far, in order, exactly as they arrived. */
  get received() {
    return [...this.#received];
  }

  /** The recording as agentwire JSONL (what `agentwire check` and the inspector read), tokens redacted. */
  toJSONL() {
    const header = {
      type: "agentwire.recording",
      version: 1,
      url: redactUrl(this.#url),
      ...(this.#userId === undefined ? {} : { user_id: this.#userId }),
      started_at: this.#startedAt.toISOString(),
    };
    const lines = [header];
    for (const record of this.#records) {
      lines.push(record.type === "frame" ? { ...record, text: redactSecrets(record.text) } : record);
    }
    return lines.map((line) => JSON.stringify(line)).join("\n") + "\n";
  }

  /** Writes the recording to `path`. */
  async save(path) {
    await writeFile(path, this.toJSONL());
  }

  /** The checker's flags on the frames received so far (as `agentwire check` reports them). */
  async check() {
    await init();
    return checkFrames(this.#received, this.#userId === undefined ? undefined : { userId: this.#userId });
  }

  /**
   * Throws when a flag is an `error` (`agentwire check` exits 1), listing them; returns every
   * flag otherwise. With `save`, the recording is written there first, to look at in the inspector.
   */
  async expectNoErrors(options = {}) {
    if (options.save !== undefined) await this.save(options.save);
    const flags = await this.check();
    const errors = flags.filter((flag) => flag.severity === "error");
    if (errors.length > 0) {
      const lines = errors.map((flag) => `  ${flag.rule}: ${flag.message}`);
      const saved = options.save === undefined ? "" : `\nrecording: ${options.save}`;
      throw new Error(`agentwire: ${errors.length} error flag(s) on ${this.#received.length} frames\n${lines.join("\n")}${saved}`);
    }
    return flags;
  }
}
