import type { Flag } from "./node.js";

/** The part of Playwright's `Page` the recorder uses (`page.on("websocket", ...)`). */
export interface PageLike {
  on(event: "websocket", listener: (socket: WebSocketLike) => void): unknown;
}

/** The part of Playwright's `WebSocket` the recorder uses. */
export interface WebSocketLike {
  url(): string;
  on(event: "framereceived" | "framesent", listener: (frame: { payload: string | Uint8Array }) => void): unknown;
}

/** Options of `recordAgentwire`. */
export interface RecordOptions {
  /** Which sockets to record: a substring of the URL, a RegExp, or a predicate (default: all). */
  url?: string | RegExp | ((url: string) => boolean);
  /** The connection's user, for `cross-user-event` and the recording's header (default: learned from the frames). */
  userId?: string;
}

/** Starts recording the WebSockets `page` opens from now on. */
export function recordAgentwire(page: PageLike, options?: RecordOptions): AgentwireRecording;

/** What `recordAgentwire` records. */
export class AgentwireRecording {
  constructor(options?: RecordOptions);
  /** The frames received so far, in order, exactly as they arrived. */
  readonly received: string[];
  /** The recording as agentwire JSONL (what `agentwire check` and the inspector read), tokens redacted. */
  toJSONL(): string;
  /** Writes the recording to `path`. */
  save(path: string): Promise<void>;
  /** The checker's flags on the frames received so far. */
  check(): Promise<Flag[]>;
  /** Rejects when a flag is an `error` (as `agentwire check` exits 1), listing them; resolves to every flag otherwise. With `save`, the recording is written there first. */
  expectNoErrors(options?: { save?: string }): Promise<Flag[]>;
}

/** `url` without credentials, as agentwire's recorder writes it. */
export function redactUrl(url: string): string;
/** `text` with every JWT-shaped token replaced by `[REDACTED-JWT]`. */
export function redactSecrets(text: string): string;
