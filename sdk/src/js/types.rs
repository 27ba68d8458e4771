//! The TypeScript declarations of the types that serialise by hand, which tsify cannot derive:
//! JSON values (`JsonValue`, `JsonObject`, for the raw frame and for fields carried as sent) and
//! rule ids (`RuleId`). The Rust types that serialise this way name them with
//! `#[tsify(type = "...")]`; every other data type (`AgentEvent`, `EventKind`, `Context`, the
//! payloads, `Flag`, `Severity`, `Summary`, ...) is declared by `#[derive(Tsify)]` next to its
//! Rust definition.
//!
//! `RuleId` lists every [`Rule::id`](crate::Rule::id) in the order of
//! [`Rule::ALL`](crate::Rule::ALL); the native test `sdk/tests/ts/main.rs` fails when the two
//! differ.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** Any JSON value, as `JSON.parse` returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** A JSON object, as `JSON.parse` returns it. */
export type JsonObject = { [key: string]: JsonValue };

/** A checker rule's stable id (`Flag.rule`), like a lint name; in the order of docs/rules.md. */
export type RuleId =
  | "malformed-frame"
  | "unknown-type"
  | "missing-field"
  | "event-before-start"
  | "event-after-completion"
  | "tool-completed-without-executing"
  | "tool-never-completed"
  | "run-incomplete"
  | "run-stalled"
  | "slow-gap"
  | "missing-thinking"
  | "duplicate-event"
  | "timestamp-regression"
  | "cross-user-event"
  | "sequence-gap"
  | "sequence-regression";
"#;
