// Listener bookkeeping for agentwire's JS API.
//
// It lives in JS rather than Rust: an `on()` that returns a plain unsubscribe function, and an
// async iterator, are natural here, while in Rust each would need a closure handed to JS and
// either leaked (`Closure::forget`) or tracked in an exported handle object. The Rust side
// asks `wants(type)` before it builds an event, so frames nobody listens to cost no
// conversion, and each event is parsed once however many listeners it has.

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
    // A wrapper per registration: the same function registered twice is called twice and
    // each unsubscribe removes exactly its own registration.
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
        // One failing listener must not starve the others or break the connection: rethrow
        // on a fresh task, where it reaches the console and window.onerror.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }

  // An agent event: its typed fields as JSON text from Rust, parsed once and handed to every
  // listener, and the frame's own text, from which `raw` is parsed when it is first read.
  emitEvent(type, json, text) {
    const event = JSON.parse(json);
    lazyRaw(event, text);
    this.call(type, event);
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

  // While the connection is open the emitter, which wasm holds, holds the `Client` object: an
  // app that keeps only its listeners does not lose its connection to the garbage collector.
  hold(client) {
    this.held = client;
  }

  // The connection closed for good: iterators end after what they already hold, and the
  // `Client` object may be collected (its wasm memory is then freed).
  end() {
    this.held = null;
    this.isEnded = true;
    if (this.readySettle !== undefined && !this.isOpen) this.readySettle.reject(notOpened());
    if (this.closedResolve !== undefined) this.closedResolve();
    for (const iterator of this.iterators) iterator.finish();
    this.iterators.clear();
  }
}

// `event.raw`: an own, enumerable property (spread, `JSON.stringify` and `structuredClone` see
// it like any other) whose first read parses the frame's text and turns it into a plain value.
// One shared descriptor and a symbol-keyed text, not closures per event: defining an accessor
// from fresh closures costs several microseconds a frame, this a fraction of one.
const TEXT = Symbol("agentwire.frameText");
const settled = (event, value) => {
  Object.defineProperty(event, "raw", { value, enumerable: true, configurable: true, writable: true });
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
