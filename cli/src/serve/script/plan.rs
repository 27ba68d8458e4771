//! Planning a run (sans-IO): which sub-agents, thoughts and tool calls it has, whether a
//! sub-agent fails, the order of its events, each event's shape, and the delays before them at
//! speed 1. Everything about a run but its timing and its frames' text.

use rand::Rng;
use serde_json::Value;

use super::content::{
    FAILURES, Facts, INSTANCES, PLANNING, REGIONS, ROLES, Role, SUPERVISOR, SYNTHESIS, Tool,
    answer, round2, tool_data,
};
use super::draw::{pick, sample_indices, shuffled};
use super::sanitize::{cut, sanitize_parameters, sanitize_result};
use super::{RunSpec, Shapes};

/// How often an eligible event takes an enabled non-canonical shape.
const SHAPE_PROBABILITY: f64 = 0.3;
/// How often a run has a failing sub-agent.
const ERROR_PROBABILITY: f64 = 0.1;
/// How often two remaining tool calls run at once (same tool).
const CONCURRENT_PROBABILITY: f64 = 0.4;
/// The bridge cuts error text to this many characters.
const ERROR_CHARS: usize = 300;

/// Where an event's fields go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Wrap {
    /// Flat S3 (the canonical shape).
    Flat,
    /// S4 bridge, fields under `data`.
    Data,
    /// S4 bridge from before 2025-09-14, fields under `payload`.
    Payload,
}

impl Wrap {
    /// The wrapper key of a bridge shape.
    pub(super) fn key(self) -> &'static str {
        match self {
            Wrap::Flat | Wrap::Data => "data",
            Wrap::Payload => "payload",
        }
    }
}

/// One tool call of a run.
pub(super) struct Call {
    /// Which tool.
    pub(super) tool: Tool,
    /// The calling sub-agent.
    pub(super) agent: &'static str,
    /// Sanitised parameters.
    pub(super) parameters: Value,
    /// Sanitised results.
    pub(super) results: Value,
    /// Shape of its `tool_executing`.
    pub(super) exec_wrap: Wrap,
    /// Shape of its `tool_completed`.
    pub(super) done_wrap: Wrap,
    /// Index of its `tool_executing` step.
    pub(super) exec_step: usize,
}

/// One event of the plan, before timing.
pub(super) enum Step {
    /// An execution starts.
    Started {
        /// Its agent.
        agent: &'static str,
        /// Its task description.
        task: &'static str,
        /// Its shape.
        wrap: Wrap,
    },
    /// A thinking event.
    Thinking {
        /// The thinking agent.
        agent: &'static str,
        /// The reasoning sentence.
        reasoning: String,
        /// 1-based among the run's thinking events.
        step_number: u64,
        /// Sent as `"type":"reasoning"`.
        quirk: bool,
    },
    /// A tool call starts (index into the calls).
    Executing(usize),
    /// A tool call ends (index into the calls).
    Completed(usize),
    /// A sub-agent ends well.
    SubCompleted {
        /// The agent.
        agent: &'static str,
        /// Its summary.
        summary: &'static str,
        /// How many tool calls it made.
        tool_calls: usize,
        /// Index of its `agent_started` step.
        started: usize,
    },
    /// A sub-agent fails (emitter S3 shape, epoch timestamp).
    Error {
        /// The agent.
        agent: &'static str,
        /// The exception class.
        error_type: &'static str,
        /// The error text.
        error: String,
    },
    /// The supervisor answers.
    Answer {
        /// The answer text.
        final_response: String,
        /// The structured result.
        result: Value,
    },
}

/// A run being planned: steps with their delays at speed 1.
pub(super) struct Plan {
    /// The events, in order.
    pub(super) steps: Vec<Step>,
    /// Delay before each step, in milliseconds at speed 1.
    pub(super) delays: Vec<f64>,
    /// The tool calls.
    pub(super) calls: Vec<Call>,
}

impl Plan {
    /// Adds a step after `delay_ms` (at speed 1); returns its index.
    fn push(&mut self, delay_ms: f64, step: Step) -> usize {
        self.steps.push(step);
        self.delays.push(delay_ms);
        self.steps.len() - 1
    }
}

/// Decides everything about a run but its timing.
pub(super) fn plan_run<R: Rng + ?Sized>(rng: &mut R, spec: &RunSpec<'_>, shapes: &Shapes) -> Plan {
    let excerpt = excerpt(spec.request);
    let instance = pick(rng, &INSTANCES).copied().unwrap_or(("p4d.24xlarge", "aws", 32.77));
    let facts = Facts {
        monthly_spend: round2(rng.random_range(1_500.0..60_000.0)),
        savings_pct: rng.random_range(8..=38),
        gpu_util_pct: rng.random_range(18..=64),
        instance,
    };

    // Sub-agents: 1 to 3 of the roles, in pipeline order.
    let agent_count = rng.random_range(1..=3);
    let roles: Vec<&Role> = sample_indices(rng, ROLES.len(), agent_count)
        .iter()
        .filter_map(|i| ROLES.get(*i))
        .collect();

    // Thinking: 1 to 4. The first is the supervisor's plan; the others go to the supervisor's
    // plan, a sub-agent, or the supervisor's synthesis (slots 0, 1..=n, n + 1).
    let thinking_count = rng.random_range(1..=4);
    let mut slots = vec![0usize; roles.len() + 2];
    if let Some(first) = slots.first_mut() {
        *first = 1;
    }
    for _ in 1..thinking_count {
        let slot = rng.random_range(0..slots.len());
        if let Some(count) = slots.get_mut(slot) {
            *count += 1;
        }
    }

    // Tool calls: 0 to 3, as groups (one call, or two calls of one tool at once) per sub-agent.
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); roles.len()];
    let mut remaining = rng.random_range(0..=3usize);
    while remaining > 0 {
        let size = if remaining >= 2 && rng.random_bool(CONCURRENT_PROBABILITY) { 2 } else { 1 };
        let agent = rng.random_range(0..roles.len());
        if let Some(list) = groups.get_mut(agent) {
            list.push(size);
        }
        remaining -= size;
    }

    let failing = rng.random_bool(ERROR_PROBABILITY).then(|| rng.random_range(0..roles.len()));

    let mut plan = Plan { steps: Vec::new(), delays: Vec::new(), calls: Vec::new() };
    let mut thoughts =
        Thoughts { excerpt: &excerpt, step_number: 0, quirk: shapes.reasoning_quirk };

    let wrap = pick_wrap(rng, shapes);
    plan.push(
        rng.random_range(80.0..400.0),
        Step::Started { agent: SUPERVISOR, task: "Processing request", wrap },
    );
    let planning = shuffled(rng, &PLANNING);
    for nth in 0..slots.first().copied().unwrap_or(1) {
        thoughts.push(rng, &mut plan, SUPERVISOR, &planning, nth);
    }

    for (position, role) in roles.iter().enumerate() {
        let wrap = pick_wrap(rng, shapes);
        let started = plan.push(
            rng.random_range(150.0..600.0),
            Step::Started { agent: role.name, task: role.task, wrap },
        );
        let pool = shuffled(rng, role.thoughts);
        let mine = slots.get(position + 1).copied().unwrap_or(0);
        if mine > 0 {
            thoughts.push(rng, &mut plan, role.name, &pool, 0);
        }
        let mut tool_calls = 0;
        for size in groups.get(position).map(Vec::as_slice).unwrap_or_default() {
            let tool = pick(rng, role.tools).copied().unwrap_or(Tool::CostAnalyzer);
            let first = plan.calls.len();
            for offset in 0..*size {
                let delay = if offset == 0 {
                    rng.random_range(150.0..500.0)
                } else {
                    rng.random_range(10.0..80.0)
                };
                let variant = plan.calls.len();
                let call = make_call(rng, shapes, tool, role.name, variant, spec.request, &facts);
                plan.calls.push(call);
                let step = plan.push(delay, Step::Executing(variant));
                if let Some(call) = plan.calls.last_mut() {
                    call.exec_step = step;
                }
            }
            for offset in 0..*size {
                let delay = if offset == 0 {
                    rng.random_range(700.0..2_500.0)
                } else {
                    rng.random_range(30.0..400.0)
                };
                plan.push(delay, Step::Completed(first + offset));
            }
            tool_calls += size;
        }
        for nth in 1..mine {
            thoughts.push(rng, &mut plan, role.name, &pool, nth);
        }
        if failing == Some(position) {
            let (error_type, template) =
                pick(rng, &FAILURES).copied().unwrap_or(("TimeoutError", "Agent timed out"));
            let region = pick(rng, &REGIONS).copied().unwrap_or("us-east-1");
            let error = cut(&template.replace("{region}", region), ERROR_CHARS);
            plan.push(
                rng.random_range(300.0..1_500.0),
                Step::Error { agent: role.name, error_type, error },
            );
        } else {
            plan.push(
                rng.random_range(150.0..700.0),
                Step::SubCompleted { agent: role.name, summary: role.summary, tool_calls, started },
            );
        }
    }

    let synthesis = shuffled(rng, &SYNTHESIS);
    for nth in 0..slots.last().copied().unwrap_or(0) {
        thoughts.push(rng, &mut plan, SUPERVISOR, &synthesis, nth);
    }

    let failed = failing.and_then(|i| roles.get(i)).map(|role| role.name);
    let agents: Vec<&str> = roles.iter().map(|role| role.name).collect();
    let (final_response, result) = answer(rng, &excerpt, &facts, &agents, failed);
    plan.push(rng.random_range(300.0..1_200.0), Step::Answer { final_response, result });
    plan
}

/// Hands out a run's thinking events: distinct sentences, numbered steps.
struct Thoughts<'e> {
    /// The request excerpt sentences quote.
    excerpt: &'e str,
    /// The last step number given.
    step_number: u64,
    /// Whether the `"type":"reasoning"` quirk may be used.
    quirk: bool,
}

impl Thoughts<'_> {
    /// Adds one thinking event of `agent` with sentence `nth` of `pool` (wrapping around).
    fn push<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        plan: &mut Plan,
        agent: &'static str,
        pool: &[&str],
        nth: usize,
    ) {
        let template = match pool.len() {
            0 => "Working on \"{r}\"",
            len => pool.get(nth % len).copied().unwrap_or_default(),
        };
        self.step_number += 1;
        let quirk = self.quirk && rng.random_bool(SHAPE_PROBABILITY);
        plan.push(
            rng.random_range(400.0..1_500.0),
            Step::Thinking {
                agent,
                reasoning: template.replace("{r}", self.excerpt),
                step_number: self.step_number,
                quirk,
            },
        );
    }
}

/// One tool call with realistic, sanitised parameters and results. `variant` (the call's index in
/// the run) picks the region, period and account, so no two calls of a run look alike.
fn make_call<R: Rng + ?Sized>(
    rng: &mut R,
    shapes: &Shapes,
    tool: Tool,
    agent: &'static str,
    variant: usize,
    request: &str,
    facts: &Facts,
) -> Call {
    let (parameters, results) = tool_data(rng, tool, variant, request, facts);
    Call {
        tool,
        agent,
        parameters: sanitize_parameters(parameters),
        results: sanitize_result(results),
        exec_wrap: pick_wrap(rng, shapes),
        done_wrap: pick_wrap(rng, shapes),
        exec_step: 0,
    }
}

/// Picks the shape of one eligible event.
fn pick_wrap<R: Rng + ?Sized>(rng: &mut R, shapes: &Shapes) -> Wrap {
    if shapes.bridge && rng.random_bool(SHAPE_PROBABILITY) {
        Wrap::Data
    } else if shapes.payload_wrapper && rng.random_bool(SHAPE_PROBABILITY) {
        Wrap::Payload
    } else {
        Wrap::Flat
    }
}

/// The request on one line, at most 80 characters, for quoting in sentences.
pub(super) fn excerpt(request: &str) -> String {
    let line = request.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 80 {
        let mut kept: String = line.chars().take(77).collect();
        kept.push_str("...");
        kept
    } else {
        line
    }
}
