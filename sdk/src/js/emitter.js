// Listener bookkeeping for agentwire's JS API (why it is JS: see `Emitter` in js/mod.rs).
// scripts/build-npm minifies it for the package, so comments here cost users nothing.

// A time's ISO text, `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`, as Rust's `Timestamp` writes it, for
// years 0000 to 9999 (Rust sends other times as text). By calendar arithmetic, not `Date`:
// `toISOString` cost about 0.4 µs an event, most of building one (TIME in
// json/description.rs). The last day's and second's texts are kept: a stream's events mostly
// share them.
const TWO = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, "0"));
let lastDay, lastDayText, lastSecond, lastSecondText;

function isoTime(seconds, micros) {
  const day = Math.floor(seconds / 86400);
  if (day !== lastDay) {
    // Howard Hinnant's `civil_from_days`.
    const z = day + 719468;
    const era = Math.floor(z / 146097);
    const doe = z - era * 146097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const m = mp < 10 ? mp + 3 : mp - 9;
    const y = yoe + era * 400 + (m < 3);
    lastDay = day;
    lastDayText = `${String(y).padStart(4, "0")}-${TWO[m]}-${TWO[doy - Math.floor((153 * mp + 2) / 5) + 1]}T`;
  }
  if (seconds !== lastSecond) {
    // Events come in bursts within one second: its text is made once.
    const second = seconds - day * 86400;
    const minute = Math.floor(second / 60);
    lastSecond = seconds;
    lastSecondText = `${lastDayText}${TWO[Math.floor(minute / 60)]}:${TWO[minute % 60]}:${TWO[second % 60]}`;
  }
  return micros === 0 ? `${lastSecondText}Z` : `${lastSecondText}.${String(micros).padStart(6, "0")}Z`;
}

// Event member names by index, each given once by Rust (`json::Description::new_keys`).
const KEYS = [];

export function addKey(key) {
  KEYS.push(key);
}

export class Emitter {
  constructor() {
    this.listeners = new Map();
    this.iterators = new Set();
  }

  // Whether anyone listens for events of type `type` (or for all events).
  wants(type) {
    return this.iterators.size > 0 || this.has(type) || this.has("*");
  }

  has(channel) {
    const set = this.listeners.get(channel);
    return set !== undefined && set.size > 0;
  }

  on(channel, listener) {
    if (typeof listener !== "function") {
      throw new TypeError(`agentwire: the listener for "${channel}" is not a function`);
    }
    let set = this.listeners.get(channel);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    // One entry per registration: each unsubscribe removes exactly its own.
    const entry = { listener };
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  // Like `on`, for the first matching value only.
  once(channel, listener) {
    if (typeof listener !== "function") {
      throw new TypeError(`agentwire: the listener for "${channel}" is not a function`);
    }
    const once = (value) => {
      unsubscribe();
      listener(value);
    };
    once.original = listener;
    const unsubscribe = this.on(channel, once);
    return unsubscribe;
  }

  // Removes every registration of `listener` for `channel` (made with `on` or `once`).
  off(channel, listener) {
    const set = this.listeners.get(channel);
    if (set === undefined) return;
    for (const entry of set) {
      if (entry.listener === listener || entry.listener.original === listener) set.delete(entry);
    }
  }

  // Closes `client` when `signal` aborts; the listener goes when the connection ends.
  abortOn(signal, client) {
    const close = () => {
      try {
        client.close();
      } catch {
        // Freed already: nothing left to close.
      }
    };
    if (signal.aborted) {
      queueMicrotask(close);
      return;
    }
    signal.addEventListener("abort", close, { once: true });
    this.unwatch = () => signal.removeEventListener("abort", close);
  }

  // The connection is open (state `open`): `ready` resolves.
  opened() {
    this.isOpen = true;
    if (this.readyPromise !== undefined) this.readySettle.resolve();
  }

  // Resolves when the connection is first open; rejects when it closes for good before.
  ready() {
    if (this.readyPromise === undefined) {
      if (this.isOpen) return Promise.resolve();
      if (this.isEnded) return Promise.reject(notOpened());
      this.readyPromise = new Promise((resolve, reject) => {
        this.readySettle = { resolve, reject };
      });
    }
    return this.readyPromise;
  }

  // Resolves when the connection has closed for good.
  closed() {
    if (this.isEnded) return Promise.resolve();
    if (this.closedPromise === undefined) {
      this.closedPromise = new Promise((resolve) => {
        this.closedResolve = resolve;
      });
    }
    return this.closedPromise;
  }

  call(channel, value) {
    const set = this.listeners.get(channel);
    if (set === undefined) return;
    for (const entry of set) {
      try {
        entry.listener(value);
      } catch (error) {
        // Rethrown on a fresh task: the other listeners still run.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }

  // An event, described by Rust, and the frame's text (json/description.rs): per member
  // [key, kind, a, b], the value a slice of the frame (kind 0; 1 to parse), a number (2),
  // null, false, true (3-5), a side value (6), a time (7) or a name from KEYS (8). `entries`
  // and `numbers` view wasm memory: read before any listener runs.
  emitEvent(entries, numbers, side, text) {
    const values = side === undefined ? undefined : JSON.parse(side);
    const event = {};
    for (let i = 0; i < entries.length; i += 4) {
      const a = entries[i + 2];
      let value;
      switch (entries[i + 1]) {
        case 0: value = text.slice(a, entries[i + 3]); break;
        case 1: value = JSON.parse(text.slice(a, entries[i + 3])); break;
        case 2: value = numbers[a]; break;
        case 3: value = null; break;
        case 4: value = false; break;
        case 5: value = true; break;
        case 7: value = isoTime(numbers[a], numbers[a + 1]); break;
        case 8: value = KEYS[a]; break;
        default: value = values[a];
      }
      event[KEYS[entries[i]]] = value;
    }
    lazyRaw(event, text);
    this.call(event.type, event);
    this.call("*", event);
    for (const iterator of this.iterators) iterator.push(event);
  }

  emit(channel, value) {
    this.call(channel, value);
  }

  // An async iterator over events from now on; it ends when the connection closes for good.
  iterator() {
    const queue = [];
    let head = 0;
    let waiting = null;
    let done = false;
    const sink = {
      push(event) {
        if (waiting !== null) {
          const resolve = waiting;
          waiting = null;
          resolve({ value: event, done: false });
        } else {
          queue.push(event);
        }
      },
      finish() {
        done = true;
        if (waiting !== null) {
          const resolve = waiting;
          waiting = null;
          resolve({ value: undefined, done: true });
        }
      },
    };
    this.iterators.add(sink);
    const emitter = this;
    return {
      next() {
        if (head < queue.length) {
          const value = queue[head];
          queue[head] = undefined;
          head += 1;
          if (head === queue.length) {
            queue.length = 0;
            head = 0;
          }
          return Promise.resolve({ value, done: false });
        }
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          waiting = resolve;
        });
      },
      return() {
        emitter.iterators.delete(sink);
        queue.length = 0;
        head = 0;
        sink.finish();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  // Keeps the `Client` object alive while the connection is open (see `connect`).
  hold(client) {
    this.held = client;
  }

  // Closed for good: iterators end, the `Client` object may be collected.
  end() {
    this.held = null;
    if (this.unwatch !== undefined) {
      this.unwatch();
      this.unwatch = undefined;
    }
    this.isEnded = true;
    if (this.readySettle !== undefined && !this.isOpen) this.readySettle.reject(notOpened());
    if (this.closedResolve !== undefined) this.closedResolve();
    for (const iterator of this.iterators) iterator.finish();
    this.iterators.clear();
  }
}

// `event.raw`: an own enumerable property, parsed on first read (see `event_json` in
// js/mod.rs for why one shared descriptor).
const TEXT = Symbol("agentwire.frameText");
// `Reflect.defineProperty`, which does not throw: an app may have frozen the event (Immer and
// Redux Toolkit freeze what they store), and then `raw` is parsed on each read instead.
const settled = (event, value) => {
  Reflect.defineProperty(event, "raw", { value, enumerable: true, configurable: true, writable: true });
  return value;
};
const RAW = {
  enumerable: true,
  configurable: true,
  get() {
    return settled(this, JSON.parse(this[TEXT]));
  },
  set(value) {
    settled(this, value);
  },
};
function lazyRaw(event, text) {
  event[TEXT] = text;
  Object.defineProperty(event, "raw", RAW);
}

function notOpened() {
  return agentwireError("closed", "agentwire: the connection closed for good before it opened");
}

// A JS Error with a `code` agentwire's callers can branch on.
export function agentwireError(code, message) {
  const error = new Error(message);
  error.name = "AgentwireError";
  error.code = code;
  return error;
}
