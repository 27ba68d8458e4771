// Type-level tests of the JS API's declarations (sdk/src/js/typescript.rs and the tsify
// session types): `on()` hands each listener the event type it subscribed to, options are
// checked, and state, stats and errors have their serialised shapes.

import init, { connect, isAgentwireError, resolveUrl } from "agentwire";
import { checkFrames } from "agentwire-node";
import wasmUrl from "agentwire/agentwire_bg.wasm";
import { recordAgentwire } from "agentwire/playwright";
import type { AgentwireRecording } from "agentwire/playwright";
import type {
  Flag,
  AgentwireError,
  Client,
  ConnectionState,
  ErrorCode,
  HandshakeOutcome,
  ResumeOutcome,
  Stats,
} from "agentwire";

export async function api(): Promise<void> {
  await init();
  const client: Client = connect("ws://127.0.0.1:8080/ws", {
    token: "a.b.c",
    getToken: async () => "a.b.c",
    threadId: "t1",
    reconnect: { firstDelayMs: 500, maxDelayMs: 30_000, maxAttempts: 10 },
    queueLimit: 100,
    signal: new AbortController().signal,
  });

  const unsubscribe: () => void = client.on("tool_completed", (event) => {
    const name: string | null = event.tool_name;
    const run: string | undefined = event.run_id;
    void name;
    void run;
  });
  unsubscribe();
  const thinking = (event: { reasoning: string | null }) => void event.reasoning;
  const stopOnce: () => void = client.once("agent_thinking", thinking);
  stopOnce();
  client.off("agent_thinking", thinking);
  // @ts-expect-error: once() takes an event type
  client.once("agent_finished_typo", () => {});
  const ready: Promise<void> = client.ready;
  void ready;
  // @ts-expect-error: an agent_started event has no tool_name
  client.on("agent_started", (event) => event.tool_name);
  // @ts-expect-error: not an event type
  client.on("agent_finished_typo", () => {});
  client.on("*", (event) => {
    if (event.type === "agent_thinking") {
      const reasoning: string | null = event.reasoning;
      void reasoning;
    }
  });

  client.onFlag((flag) => {
    const line: string = `${flag.severity} ${flag.rule}: ${flag.message}`;
    void line;
  });
  client.onStateChange((state: ConnectionState) => {
    if (state.state === "backing_off") {
      const retryAt: string = state.retry_at;
      const delay: number = state.delay_ms;
      void retryAt;
      void delay;
    }
    if (state.state === "closed" && state.reason.kind === "auth_failed") {
      const code: number | null = state.reason.code;
      void code;
    }
  });
  client.onResume((outcome: ResumeOutcome) => {
    if (outcome.outcome === "partial") {
      const first: number = outcome.missing.first;
      void first;
    } else if (outcome.outcome === "reset") {
      const restartedAt: number = outcome.server_last_seq;
      void restartedAt;
    }
  });
  client.onDisconnect((disconnect) => {
    const cause: "closed" | "connect_timeout" | "heartbeat_timeout" | "token_unavailable" = disconnect.cause;
    void cause;
  });

  try {
    client.sendUserMessage("hello", { threadId: "t2" });
    client.startAgent("analyse costs");
  } catch (error) {
    if (isAgentwireError(error)) {
      const code: ErrorCode = error.code;
      void code;
    }
    const cast: ErrorCode = (error as AgentwireError).code;
    void cast;
  }
  client.on("agent_started", (event) => {
    const frame: number = event.frame;
    void frame;
  });
  // @ts-expect-error: unknown send option
  client.sendUserMessage("hello", { thread: "t2" });
  // @ts-expect-error: unknown connect option
  connect("ws://x/ws", { tokne: "typo" });

  // The October 2025 manager: env-tagged subprotocol, its handshake, its thread.
  const october: Client = connect("ws://127.0.0.1:8080/ws", {
    token: "a.b.c",
    subprotocol: "env",
    env: "staging",
    handshake: "expect",
    handshakeTimeoutMs: 5_000,
  });
  october.onHandshake((outcome: HandshakeOutcome) => {
    if (outcome.outcome === "complete" || outcome.outcome === "acknowledged") {
      const thread: string | null = outcome.thread_id;
      void thread;
    }
    // @ts-expect-error: a missing handshake has no thread
    if (outcome.outcome === "missing") void outcome.thread_id;
  });
  const thread: string | undefined = october.threadId;
  void thread;
  october.onStateChange((state) => {
    const handshaking: boolean = state.state === "handshaking";
    void handshaking;
  });
  october.on("handshake_response", (event) => {
    const assigned: string | undefined = event.thread_id;
    const token: string | null = event.session_token;
    void assigned;
    void token;
  });
  october.on("agent_completed", (event) => {
    const agents: string[] | undefined = event.agents_involved;
    const valid: boolean | null | undefined = event.llm_validation?.is_valid;
    const retry: number | null | undefined = event.retry_info?.attempt_number;
    void agents;
    void valid;
    void retry;
  });
  october.on("cleanup_complete", (event) => {
    const total: number | null = event.total_cleanups;
    void total;
  });
  // @ts-expect-error: not a manager environment
  connect("ws://x/ws", { subprotocol: "env", env: "prod" });
  // @ts-expect-error: not a subprotocol style
  connect("ws://x/ws", { subprotocol: "bearer" });

  const stats: Stats = client.stats;
  const frames: number = stats.frames;
  const duplicates: number | undefined = stats.flags_by_rule["duplicate-event"];
  void frames;
  void duplicates;

  for await (const event of client.events()) {
    if (event.type === "agent_completed") break;
  }
  const closed: Promise<void> = client.close();
  await closed;
}

// The package entry's additions: a raw send, the WebSocket option, offline checking, the
// esbuild wasm URL, relative URLs, and the Playwright helper.
export async function additions(page: { on(event: "websocket", listener: (socket: { url(): string; on(event: "framereceived" | "framesent", listener: (frame: { payload: string | Uint8Array }) => void): unknown }) => void): unknown }): Promise<void> {
  await init({ module_or_path: wasmUrl });
  class FakeSocket {
    constructor(readonly url: string, readonly protocols?: string | string[]) {}
  }
  const client = connect(resolveUrl("/ws"), { WebSocket: FakeSocket });
  client.send({ type: "stop_agent", payload: { run_id: "r1" } });
  // @ts-expect-error: a message needs a type
  client.send({ payload: {} });
  // @ts-expect-error: the WebSocket option is a constructor
  connect("/ws", { WebSocket: "ws" });
  const codes: ErrorCode[] = ["no_websocket", "invalid_message", "not_initialized"];
  void codes;
  const flags: Flag[] = checkFrames(['{"type":"pong"}'], { userId: "u1" });
  void flags;
  // @ts-expect-error: browsers' module has no offline checker (it is in Node's)
  void (await import("agentwire")).checkFrames;
  const recording: AgentwireRecording = recordAgentwire(page, { url: /\/ws$/, userId: "u1" });
  const errors: Flag[] = await recording.expectNoErrors({ save: "target/run.jsonl" });
  const jsonl: string = recording.toJSONL();
  void errors;
  void jsonl;
}
