// Type-level tests of the declarations wasm-pack generates for the SDK's data types
// (agentwire.d.ts, from tsify and sdk/src/js/types.rs). Run by check.sh with `tsc --noEmit
// --strict`: every `@ts-expect-error` line must be an error, and nothing else may be.
//
// What they pin down: `AgentEvent` is a discriminated union on `type` that narrows to each
// event's own fields (the wire's snake_case names); payload fields the server left out are
// `null` (`T | null`), context fields it left out are absent (`field?: T`); flags, rule ids,
// severities and JSON values have their serialised shapes. serialised.ts holds real serde
// output, which must satisfy these types.

import type {
  AgentEvent,
  Context,
  Duration,
  DurationUnit,
  EventKind,
  FinalResponse,
  Flag,
  JsonObject,
  JsonValue,
  RawFrame,
  Rule,
  RuleId,
  Severity,
  Summary,
  Timestamp,
} from "agentwire";
import { events, flags, summary, types } from "./serialised";

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}
function assertNever(value: never): never {
  throw new Error(`unhandled event ${JSON.stringify(value)}`);
}

// --- The example of the API documentation ---------------------------------------------------

function onToolCompleted(e: AgentEvent): void {
  if (e.type === "tool_completed") {
    const tool: string | null = e.tool_name;
    const results: JsonValue = e.results;
    const run: string | undefined = e.run_id;
    const raw: JsonObject = e.raw;
    const duration: Duration | null = e.duration;
    if (duration !== null) {
      const value: number = duration.value;
      const unit: DurationUnit = duration.unit;
      void [value, unit];
    }
    void [tool, results, run, raw];
  }
  if (e.type === "agent_started") {
    // @ts-expect-error: agent_started has no tool_name.
    void e.tool_name;
  }
}

// --- Narrowing, for every event type (exhaustive: a new Rust variant fails here) ------------

function describe(e: AgentEvent): string {
  // Shared by every event.
  const wire: string = e.wire_type;
  const raw: RawFrame = e.raw;
  const context: Context = e;
  void [wire, raw, context];

  switch (e.type) {
    // Connection lifecycle and auth.
    case "connection_established": {
      const seq: boolean = e.seq_supported;
      const features: JsonValue = e.features;
      return `${e.connection_id ?? "?"} ${e.mode ?? "?"} ${seq} ${JSON.stringify(features)}`;
    }
    case "authentication_success":
      return e.client_id ?? "";
    case "authentication_error":
    case "error":
    case "connection_error":
    case "system_error": {
      const retry: boolean | null = e.retry_allowed;
      const details: JsonValue = e.details;
      void [retry, details];
      return `${e.code ?? ""} ${e.message ?? ""} ${e.severity ?? ""}`;
    }

    // The five critical agent events.
    case "agent_started":
      return `${e.task_description ?? ""} ${e.status ?? ""}`;
    case "agent_thinking": {
      const step: number | null = e.step_number;
      const progress: number | null = e.progress_percentage;
      void [step, progress];
      return e.reasoning ?? "";
    }
    case "tool_executing": {
      const parameters: JsonValue = e.parameters;
      void parameters;
      return `${e.tool_name ?? ""} ${e.execution_id ?? ""}`;
    }
    case "tool_completed": {
      const success: boolean | null = e.success;
      void success;
      return `${e.tool_name ?? ""} ${JSON.stringify(e.results)} ${e.duration?.value ?? 0}`;
    }
    case "agent_completed": {
      const answer: FinalResponse | null = e.final_response;
      const result: JsonValue = e.result;
      const duration: Duration | null = e.duration;
      void [answer, result, duration];
      return e.status ?? "";
    }

    // Other agent and run events.
    case "tool_error":
      return `${e.tool_name ?? ""} ${e.error ?? ""} ${e.execution_id ?? ""}`;
    case "agent_error":
      return `${e.error ?? ""} ${e.error_type ?? ""} ${e.status ?? ""}`;
    case "agent_death":
      return `${e.death_cause ?? ""} ${e.message ?? ""}`;
    case "agent_stopped":
    case "heartbeat_ack":
      return e.status ?? "";
    case "agent_response":
      return JSON.stringify(e.response);
    case "progress_update":
      return `${e.message ?? ""} ${JSON.stringify(e.progress)}`;
    case "subagent_started":
    case "subagent_completed": {
      const result: JsonValue = e.result;
      const duration: Duration | null = e.duration;
      void [result, duration];
      return `${e.subagent_name ?? ""} ${e.subagent_id ?? ""}`;
    }
    case "partial_result":
    case "final_report":
    case "stream_chunk":
      return JSON.stringify(e.content);

    // Thread frames.
    case "thread_created":
    case "thread_switched":
    case "thread_deleted":
      // @ts-expect-error: thread frames carry only the context.
      void e.messages;
      return e.thread_id ?? "";
    case "thread_data": {
      const messages: JsonValue[] = e.messages;
      return String(messages.length);
    }
    case "conversation_history":
    case "agent_context":
    case "example_message_response":
      return JSON.stringify(e.raw);

    // Heartbeat and acknowledgement frames.
    case "heartbeat":
      return `${e.connection_id ?? ""} ${JSON.stringify(e.stats)}`;
    case "ping":
    case "pong":
      return e.user_id ?? "";
    case "ack":
      return `${e.received_type ?? ""} ${e.status ?? ""}`;
    case "system_message":
      return `${e.status ?? ""} ${e.event ?? ""} ${e.message ?? ""}`;
    case "resume_result": {
      const complete: boolean = e.complete;
      return `${e.from_seq ?? ""}..${e.to_seq ?? ""} ${complete}`;
    }

    // The October 2025 manager (protocol §6).
    case "handshake_response":
      return `${e.thread_id ?? ""} ${e.message ?? ""} ${e.session_token === null}`;
    case "handshake_complete":
      // @ts-expect-error: handshake_complete carries only the context.
      void e.message;
      return e.thread_id ?? "";
    case "cleanup_started":
      return e.connection_id ?? "";
    case "cleanup_duration_estimate": {
      const seconds: number | null = e.estimated_seconds;
      return String(seconds);
    }
    case "cleanup_complete":
      return `${e.cleanup_status ?? ""} ${e.successful_cleanups ?? 0}/${e.total_cleanups ?? 0}`;
    case "backend_log": {
      const messages: JsonValue[] = e.messages;
      return `${messages.length} of ${e.total_count ?? "?"} ${JSON.stringify(e.sink_stats)}`;
    }
    case "agent_timeout_warning":
      return `${e.agent_name ?? ""} ${e.remaining_seconds ?? ""}s of ${e.total_timeout_seconds ?? ""}s (${e.warning_threshold_percent ?? ""}%, ${e.elapsed_seconds ?? ""}s)`;
    case "agent_timeout_failure": {
      const attempt: number | null | undefined = e.retry_info?.attempt_number;
      return `${e.agent_name ?? ""} ${e.final_status ?? ""} ${e.error ?? ""} ${e.elapsed_seconds ?? ""}/${e.timeout_seconds ?? ""} ${attempt ?? ""}`;
    }

    // A type outside the vocabulary: the wire's type is in `wire_type`.
    case "unknown":
      // @ts-expect-error: an unknown event has no typed payload.
      void e.tool_name;
      return e.wire_type;

    default:
      return assertNever(e);
  }
}

// --- Negative checks --------------------------------------------------------------------------

function negatives(e: AgentEvent): void {
  // @ts-expect-error: without narrowing, tool_name is not on every event.
  void e.tool_name;
  // @ts-expect-error: "reasoning" is a wire alias, never a canonical type.
  if (e.type === "reasoning") return;
  if (e.type === "tool_completed") {
    // @ts-expect-error: a payload field the server left out is null.
    const tool: string = e.tool_name;
    // @ts-expect-error: a context field the server left out is absent.
    const run: string = e.run_id;
    // @ts-expect-error: a duration is `{ value, unit }`, not std's `{ secs, nanos }`.
    void e.duration?.secs;
    void [tool, run];
  }
}

// Object literals: excess and missing keys are errors too.
export const literals: AgentEvent[] = [
  { type: "pong", wire_type: "pong", raw: { type: "pong" } },
  {
    type: "tool_executing",
    tool_name: "cost_analyzer",
    parameters: { region: "eu" },
    execution_id: null,
    run_id: "r1",
    timestamp: "2025-09-18T14:56:14Z",
    wire_type: "tool_call",
    raw: {},
  },
  {
    type: "pong",
    wire_type: "pong",
    raw: {},
    // @ts-expect-error: pong has no tool_name.
    tool_name: "x",
  },
  {
    type: "ping",
    wire_type: "ping",
    raw: {},
    // @ts-expect-error: context fields are left out when absent, never null.
    run_id: null,
  },
  // @ts-expect-error: agent_started's payload fields are always present (null when absent).
  { type: "agent_started", wire_type: "agent_started", raw: {} },
  // @ts-expect-error: raw is the frame as a JSON object, not its text.
  { type: "ping", wire_type: "ping", raw: "{}" },
];

// --- The other data types ---------------------------------------------------------------------

assertType<Equal<AgentEvent["type"], EventKind["type"]>>();
assertType<Equal<Extract<AgentEvent, { type: "tool_completed" }>["tool_name"], string | null>>();
assertType<Equal<Context["seq"], number | undefined>>();
assertType<Equal<Timestamp, string>>();
assertType<Equal<Severity, "info" | "warning" | "error">>();
assertType<Equal<Rule, RuleId>>();
assertType<Equal<Flag["rule"], RuleId>>();
assertType<Equal<Flag["frame"], number | null>>();
assertType<Equal<Flag["run_id"], string | null>>();
assertType<Equal<Flag["related_frames"], number[]>>();
assertType<Equal<Summary["flags_by_rule"], Partial<Record<RuleId, number>>>>();

const rule: RuleId = "missing-thinking";
// @ts-expect-error: rule ids are kebab-case.
const badRule: RuleId = "missing_thinking";
// @ts-expect-error: severities are lower-case.
const badSeverity: Severity = "Error";
// @ts-expect-error: a summary counts only rules, by id.
const badSummary: Summary["flags_by_rule"] = { "not-a-rule": 1 };
void [rule, badRule, badSeverity, badSummary];

// --- Real serde output (serialised.ts) --------------------------------------------------------

// The samples cover every declared event type, and nothing else.
assertType<Equal<(typeof types)[number], AgentEvent["type"]>>();
export const described: string[] = events.map((e) => describe(e));
export const flagged: RuleId[] = flags.map((flag) => flag.rule);
export const counted: number = Object.values(summary.flags_by_rule).reduce((a, b) => a + b, 0);
export { onToolCompleted, negatives };
