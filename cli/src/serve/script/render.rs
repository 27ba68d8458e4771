//! Rendering a planned run: each step as the frame the manager sends, flat S3 or in a bridge
//! shape, with its timestamp in the emitter's format.

use agentwire::Timestamp;
use serde_json::{Map, Value, json};

use super::RunSpec;
use super::content::SUPERVISOR;
use super::plan::{Plan, Step, Wrap};

/// Renders planned steps into frames.
pub(super) struct Render<'a> {
    /// The run.
    pub(super) spec: &'a RunSpec<'a>,
    /// The plan.
    pub(super) plan: &'a Plan,
    /// Each step's delay and timestamp.
    pub(super) timing: &'a [(u64, Timestamp)],
}

impl Render<'_> {
    /// The timestamp of step `index` (the run's first when out of range).
    fn at(&self, index: usize) -> Timestamp {
        self.timing
            .get(index)
            .or_else(|| self.timing.first())
            .map_or(Timestamp::EPOCH, |(_, at)| *at)
    }

    /// The frame of one step.
    pub(super) fn frame(&self, index: usize, step: &Step, at: Timestamp) -> Value {
        let total_steps = self.plan.steps.len().max(1) as u64;
        match step {
            Step::Started { agent, task, wrap } => match wrap {
                Wrap::Flat => self.flat(
                    "agent_started",
                    at,
                    json!({"agent_name": agent, "task_description": task, "status": "started"}),
                    Map::new(),
                ),
                Wrap::Data | Wrap::Payload => self.bridge(
                    "agent_started",
                    *wrap,
                    at,
                    agent,
                    Map::new(),
                    json!({
                        "status": "started",
                        "context": {"status": "starting", "phase": "initialization", "task": task},
                        "message": format!("{agent} has started processing your request"),
                    }),
                ),
            },
            Step::Thinking { agent, reasoning, step_number, quirk } => {
                let progress = (index as u64 * 100) / total_steps;
                let mut frame = self.flat(
                    "agent_thinking",
                    at,
                    json!({
                        "reasoning": reasoning,
                        "agent_name": agent,
                        "step_number": step_number,
                        "progress_percentage": progress,
                    }),
                    Map::new(),
                );
                if *quirk {
                    // The emitter spreads its data (with `"type":"reasoning"`) after the type.
                    if let Some(object) = frame.as_object_mut() {
                        object.insert("type".into(), json!("reasoning"));
                    }
                }
                frame
            }
            Step::Executing(call) => self.executing(*call, at),
            Step::Completed(call) => self.completed(*call, at),
            Step::SubCompleted { agent, summary, tool_calls, started } => {
                let elapsed = at.micros_since(self.at(*started)) / 1000;
                let mut metadata = Map::new();
                metadata.insert(
                    "result".into(),
                    json!({"agent": agent, "summary": summary, "tool_calls": tool_calls}),
                );
                metadata.insert("execution_time_ms".into(), json!(elapsed));
                self.flat(
                    "agent_completed",
                    at,
                    json!({"status": "completed", "final_response": "Task completed", "agent_name": agent}),
                    metadata,
                )
            }
            Step::Error { agent, error_type, error } => {
                let mut frame = self.flat(
                    "agent_error",
                    at,
                    json!({
                        "error": error,
                        "error_type": error_type,
                        "status": "error",
                        "agent_name": agent,
                    }),
                    Map::new(),
                );
                // The emitter's agent_error carries an epoch float, not ISO (§2).
                if let Some(object) = frame.as_object_mut() {
                    object.insert("timestamp".into(), json!(epoch_seconds(at)));
                }
                frame
            }
            Step::Answer { final_response, result } => {
                let elapsed = at.micros_since(self.at(0)) / 1000;
                self.flat(
                    "agent_completed",
                    at,
                    json!({
                        "status": "completed",
                        "final_response": final_response,
                        "result": result,
                        "execution_time_ms": elapsed,
                        "agent_name": SUPERVISOR,
                    }),
                    Map::new(),
                )
            }
        }
    }

    /// A `tool_executing` frame.
    fn executing(&self, index: usize, at: Timestamp) -> Value {
        let Some(call) = self.plan.calls.get(index) else { return Value::Null };
        let tool = call.tool.name();
        match call.exec_wrap {
            Wrap::Flat => self.flat(
                "tool_executing",
                at,
                json!({
                    "tool_name": tool,
                    "tool_args": call.parameters,
                    "parameters": call.parameters,
                    "execution_id": null,
                    "agent_name": call.agent,
                    "status": "executing",
                }),
                Map::new(),
            ),
            wrap => {
                let mut root = Map::new();
                root.insert("tool_name".into(), json!(tool));
                self.bridge(
                    "tool_executing",
                    wrap,
                    at,
                    call.agent,
                    root,
                    json!({
                        "parameters": call.parameters,
                        "status": "executing",
                        "message": format!("{} is using {tool}", call.agent),
                    }),
                )
            }
        }
    }

    /// A `tool_completed` frame, with the call's duration from the timestamps.
    fn completed(&self, index: usize, at: Timestamp) -> Value {
        let Some(call) = self.plan.calls.get(index) else { return Value::Null };
        let tool = call.tool.name();
        let elapsed_us = at.micros_since(self.at(call.exec_step)).max(0);
        match call.done_wrap {
            Wrap::Flat => {
                let seconds = (elapsed_us as f64 / 1_000.0).round() / 1_000.0;
                let mut metadata = Map::new();
                metadata.insert("result".into(), call.results.clone());
                self.flat(
                    "tool_completed",
                    at,
                    json!({
                        "tool_name": tool,
                        "results": call.results,
                        "execution_time": seconds,
                        "duration": seconds,
                        "success": true,
                        "execution_id": null,
                        "agent_name": call.agent,
                    }),
                    metadata,
                )
            }
            wrap => {
                let mut root = Map::new();
                root.insert("tool_name".into(), json!(tool));
                root.insert("results".into(), call.results.clone());
                self.bridge(
                    "tool_completed",
                    wrap,
                    at,
                    call.agent,
                    root,
                    json!({
                        "result": call.results,
                        "execution_time_ms": elapsed_us / 1000,
                        "status": "completed",
                        "message": format!("{} completed {tool}", call.agent),
                    }),
                )
            }
        }
    }

    /// A flat S3 frame: `timestamp`, `critical`, `type`, the event's `fields`, the ids, and
    /// `metadata` (the manager's two keys plus `extra`).
    fn flat(&self, kind: &str, at: Timestamp, fields: Value, extra: Map<String, Value>) -> Value {
        let mut object = Map::new();
        object.insert("timestamp".into(), json!(iso(at)));
        object.insert("critical".into(), json!(true));
        object.insert("type".into(), json!(kind));
        if let Value::Object(fields) = fields {
            object.extend(fields);
        }
        object.insert("user_id".into(), json!(self.spec.user_id));
        object.insert("thread_id".into(), json!(self.spec.thread_id));
        object.insert("run_id".into(), json!(self.spec.run_id));
        object.insert("request_id".into(), json!(self.spec.request_id));
        let mut metadata = Map::new();
        metadata.insert("user_tier".into(), json!("free"));
        metadata.insert("is_priority_queue".into(), json!(false));
        metadata.extend(extra);
        object.insert("metadata".into(), Value::Object(metadata));
        Value::Object(object)
    }

    /// An S4 bridge frame: ids and `agent_name` at the root, `root` fields, and `body` under the
    /// wrapper key.
    fn bridge(
        &self,
        kind: &str,
        wrap: Wrap,
        at: Timestamp,
        agent: &str,
        root: Map<String, Value>,
        body: Value,
    ) -> Value {
        let mut object = Map::new();
        object.insert("type".into(), json!(kind));
        object.insert("run_id".into(), json!(self.spec.run_id));
        object.insert("user_id".into(), json!(self.spec.user_id));
        object.insert("thread_id".into(), json!(self.spec.thread_id));
        object.insert("agent_name".into(), json!(agent));
        object.insert("timestamp".into(), json!(iso(at)));
        object.extend(root);
        object.insert(wrap.key().into(), body);
        Value::Object(object)
    }
}

/// Python's `datetime.isoformat()` of an aware UTC datetime: microseconds when non-zero, and
/// `+00:00`.
pub(super) fn iso(at: Timestamp) -> String {
    let text = at.to_string();
    match text.strip_suffix('Z') {
        Some(base) => format!("{base}+00:00"),
        None => text,
    }
}

/// Python's `time.time()`: epoch seconds as a float.
fn epoch_seconds(at: Timestamp) -> f64 {
    at.as_unix_micros() as f64 / 1e6
}
