//! The TypeScript declarations of the JS API that wasm-bindgen cannot write itself: the generic
//! `on()` whose listener type follows the event type, the options objects, and `connect()`.
//! The data types (`AgentEvent`, `Flag`, `ConnectionState`, ...) are generated from the Rust
//! types by tsify.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const API: &str = r#"
/** Every canonical event type. */
export type EventType = AgentEvent["type"];

/** What a listener gets: the event, and its index among the frames received (0-based), as a flag's `frame` and `related_frames` name frames. */
export type Delivered<E extends AgentEvent = AgentEvent> = E & { frame: number };

/** The event whose `type` is `K`; every event for `"*"`. */
export type EventOf<K extends EventType | "*"> = Delivered<K extends "*" ? AgentEvent : Extract<AgentEvent, { type: K }>>;

/** Removes the listener it was returned for. */
export type Unsubscribe = () => void;

/**
 * What went wrong: `invalid_url`, `invalid_options` and `no_websocket` (no global `WebSocket` and
 * no `WebSocket` option) from `connect()`; `invalid_message`, `queue_full` and `closed` from sends;
 * `not_initialized` from anything called before `init()` has finished.
 */
export type ErrorCode =
  | "invalid_url"
  | "invalid_options"
  | "no_websocket"
  | "invalid_message"
  | "queue_full"
  | "closed"
  | "not_initialized";

/** An error a caller can branch on, by `code`. */
export interface AgentwireError extends Error {
  name: "AgentwireError";
  code: ErrorCode;
}

/** Whether `value` is an error agentwire threw (use it in `catch` to read `code`). */
export function isAgentwireError(value: unknown): value is AgentwireError;

/**
 * How to connect. Every field is optional; times are in milliseconds, any finite number ≥ 0
 * (beyond `Number.MAX_SAFE_INTEGER`, about 285,000 years, they mean the same: never).
 */
export interface ConnectOptions {
  /** The bearer token (a JWT). Sent as a subprotocol (see `subprotocol`), never in the URL. */
  token?: string;
  /**
   * How the token travels, one style per connection: `"jwt-auth"` (default) offers
   * `["jwt-auth", "jwt.<base64url(token)>"]`; `"env"` offers the October 2025 manager's
   * `["jwt.<env>.<token>"]` (raw JWT) and implies `handshake: "expect"`.
   */
  subprotocol?: "jwt-auth" | "env";
  /** The manager environment named by `subprotocol: "env"` (required with it). */
  env?: "development" | "local" | "staging" | "production";
  /**
   * The October 2025 handshake: `"auto"` (default) acknowledges a `handshake_response`
   * whenever it comes; `"expect"` also holds every send until the handshake is over (at most
   * `handshakeTimeoutMs`), as an October manager needs. Default `"expect"` with `subprotocol: "env"`.
   */
  handshake?: "auto" | "expect";
  /** With `handshake: "expect"`: how long to wait for `handshake_response` before using the connection without one (default 5000). */
  handshakeTimeoutMs?: number;
  /**
   * Gives a token: called before the first attempt when `token` is absent, and for a fresh
   * token when the server refuses the current one (one retry; then the state is `closed` with
   * `reason.kind === "auth_failed"`). A throw, a rejection or anything but a non-empty string is
   * a disconnect with cause `token_unavailable`: retried with backoff before the first
   * connection; on a refresh, `closed` with `auth_failed` and a message that says why
   * (`no fresh token: getToken failed: <its message>`).
   */
  getToken?: () => string | Promise<string>;
  /** The thread to send to by default (over the server's handshake thread). With it (or `threads`) the thread filter is on. An empty string is none. */
  threadId?: string;
  /** More threads whose events this client wants. */
  threads?: string[];
  /** Deliver only events of the client's threads (those above and those it sends to). Default: on when `threadId` or `threads` is given. Filtered events are counted in `stats.filtered` and still checked. */
  filterThreads?: boolean;
  /** The connection's user, for `cross-user-event`. Default: the token's `sub` claim. */
  userId?: string;
  /** Reconnect policy: full-jitter exponential backoff. */
  reconnect?: {
    /** The first retry's ceiling (default 500). */
    firstDelayMs?: number;
    /** The largest wait (default 30000). */
    maxDelayMs?: number;
    /** The smallest wait (default 50). */
    minDelayMs?: number;
    /** Retries before giving up (default: unlimited). */
    maxAttempts?: number;
    /** Uptime after which the attempt counter starts again (default 5000). */
    resetAfterMs?: number;
  };
  /** How often to ping while open (default 25000). */
  pingEveryMs?: number;
  /** Silence after which the connection is recycled (default 45000). */
  deadAfterMs?: number;
  /** How long a socket may take to open (default 10000). */
  connectTimeoutMs?: number;
  /** How long a silent new connection waits before the queue is flushed anyway (default 1000). */
  readyAfterMs?: number;
  /** Messages that may wait for the connection (default 100); a send beyond throws `queue_full`. */
  queueLimit?: number;
  /** The longest frame decoded, in bytes (a text frame's UTF-8; default 16777216, 16 MiB; from 4096 to 268435456). A longer frame is not copied into wasm: it raises a `malformed-frame` flag and the connection goes on. */
  maxFrameBytes?: number;
  /** Silence after which an active run is flagged `run-stalled` (default 30000). */
  stallAfterMs?: number;
  /** Resume from the last `seq` after a reconnect, when the server numbers frames (default true). */
  resume?: boolean;
  /** Deliver events flagged `duplicate-event` too (default false: flagged, counted in `stats.duplicates`, not delivered). */
  deliverDuplicates?: boolean;
  /** Closes the client when it aborts, as `close()` does (an already aborted signal closes it at once). */
  signal?: AbortSignal;
  /**
   * The `WebSocket` constructor to use (default: the global one). For Node before 22, which has
   * none: `import { WebSocket } from "ws"`. Without either, `connect()` throws `no_websocket`.
   */
  WebSocket?: new (url: string, protocols?: string | string[]) => unknown;
}

/** A message for `Client.send`: a plain object with a string `type`, sent as `JSON.stringify` writes it. */
export interface ClientMessageObject {
  type: string;
  [key: string]: unknown;
}

/** Options of a send. */
export interface SendOptions {
  /** The thread to send to (default: `threadId` from `connect()`; none lets the server create one). */
  threadId?: string;
}

/**
 * Opens a connection to the manager at `url`: `ws://` or `wss://`, or in a page a URL relative to
 * it (`"/ws"`; `http(s)` becomes `ws(s)`). Listeners registered right after this call see
 * everything, the first state change included.
 * @throws AgentwireError with code `invalid_url`, `invalid_options`, `no_websocket` or `not_initialized`;
 * an exception thrown by a getter of `options` itself, as it was thrown.
 */
export function connect(url: string, options?: ConnectOptions): Client;

export interface Client {
  /** Listens for events of one canonical type, or `"*"` for all. */
  on<K extends EventType | "*">(type: K, listener: (event: EventOf<K>) => void): Unsubscribe;
  /** Like `on`, for the first matching event only. */
  once<K extends EventType | "*">(type: K, listener: (event: EventOf<K>) => void): Unsubscribe;
  /** Removes every registration of `listener` for `type` (made with `on` or `once`). */
  off<K extends EventType | "*">(type: K, listener: (event: EventOf<K>) => void): void;
  /** Resolves when the connection is first open; rejects with an `AgentwireError` (`closed`) when it closes for good before. */
  readonly ready: Promise<void>;
  /** Listens for the live checker's flags. */
  onFlag(listener: (flag: Flag) => void): Unsubscribe;
  /** Listens for connection state changes. */
  onStateChange(listener: (state: ConnectionState) => void): Unsubscribe;
  /** Listens for sockets going away (code, reason, cause). */
  onDisconnect(listener: (disconnect: Disconnect) => void): Unsubscribe;
  /** Listens for the outcome of each resume after a reconnect. */
  onResume(listener: (outcome: ResumeOutcome) => void): Unsubscribe;
  /** Listens for the end of each connection's October 2025 handshake: `complete` or `acknowledged` with the server's `thread_id`, or `missing`. */
  onHandshake(listener: (outcome: HandshakeOutcome) => void): Unsubscribe;
  /**
   * Sends a chat message now, or once the connection is ready.
   * @throws AgentwireError with code `queue_full` or `closed` (`invalid_options` for bad options).
   */
  sendUserMessage(text: string, options?: SendOptions): void;
  /**
   * Starts an agent on a request now, or once the connection is ready.
   * @throws AgentwireError with code `queue_full` or `closed` (`invalid_options` for bad options).
   */
  startAgent(request: string, options?: SendOptions): void;
  /**
   * Sends a message the typed helpers do not cover, now or once the connection is ready (queued
   * like the others). Refused: anything but a plain object with a non-empty string `type`, more
   * than 1 MiB of JSON, and the session's own types (`ping`, `pong`, `heartbeat_ack`, `resume`,
   * `handshake_acknowledged`).
   * @throws AgentwireError with code `invalid_message`, `queue_full` or `closed`.
   */
  send(message: ClientMessageObject): void;
  /** Closes the connection for good (code 1000); listeners hear the final state, and the promise resolves once it is closed. Until then the client stays alive even when the app keeps no reference to it (its listeners keep hearing). */
  close(): Promise<void>;
  /** Closes the connection and releases the client's wasm memory; the client is unusable after. */
  free(): void;
  /** The connection state. */
  readonly state: ConnectionState;
  /** Counters: frames, reconnects, flags by rule, queue length, ... */
  readonly stats: Stats;
  /** The connection's user (the token's `sub`, or learned from the server). */
  readonly userId: string | undefined;
  /** The thread the server assigned in its last handshake (October 2025 manager); sends without a `threadId` of their own go there. */
  readonly threadId: string | undefined;
  /** Events from now on, for `for await`; ends when the connection closes for good. */
  events(): AsyncIterableIterator<Delivered>;
}
"#;

/// `checkFrames`, declared only in the Node module that has it (`node` feature).
#[cfg(feature = "node")]
#[wasm_bindgen(typescript_custom_section)]
const NODE_API: &str = r#"
/** Options of `checkFrames`. */
export interface CheckOptions {
  /** The user the frames were for, for `cross-user-event` (default: learned from the frames). */
  userId?: string;
}

/**
 * Checks a capture's frames as `agentwire check` does (offline: the end of the frames closes every
 * run): the flags, in the order they were raised. `agentwire check` fails when one is an `error`.
 * @throws AgentwireError with code `invalid_options` or `not_initialized`.
 */
export function checkFrames(frames: string[], options?: CheckOptions): Flag[];
"#;
