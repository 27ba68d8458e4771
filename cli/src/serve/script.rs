//! Realistic agent runs for the simulated manager, as timed frames (sans-IO).
//!
//! [`script_run`] turns one user request into the frames the manager sends for it
//! (docs/protocol.md §2, §4): a `supervisor` execution wrapping one to three
//! sub-agent executions, each an `agent_started`/`agent_completed` pair under the same `run_id`;
//! one to four `agent_thinking` events; zero to three tool calls (sometimes two calls of one tool
//! at once); and, in about one run in ten, a sub-agent that ends with `agent_error` while the
//! supervisor still answers. Each frame comes with the delay to wait after the previous one, and
//! its timestamp is the run's start plus the delays so far.
//!
//! The canonical shape is the flat S3 one. [`Shapes`] mixes in the other shapes the manager
//! really sends: the S4 bridge `data` wrapper, the old `payload` wrapper, and the emitter's
//! `"type":"reasoning"` quirk. Parameters are sanitised as the bridge does (secret-named keys
//! become `"[REDACTED]"`, strings are cut to 200 characters plus `...`).
//!
//! Randomness and time are arguments: the same generator state and start give the same run, and
//! a clean run raises no checker flag at all.

use agentwire::Timestamp;
use rand::Rng;
use serde_json::{Map, Value, json};

/// What a run answers: who asked, where, and what.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunSpec<'a> {
    /// The connection's user; every frame carries it.
    pub(crate) user_id: &'a str,
    /// The thread the request belongs to.
    pub(crate) thread_id: &'a str,
    /// The run's id, shared by every execution and tool call of the run.
    pub(crate) run_id: &'a str,
    /// The request id S3 frames carry.
    pub(crate) request_id: &'a str,
    /// The user's request text.
    pub(crate) request: &'a str,
}

/// Which non-canonical frame shapes to mix in. The default (all off) sends only flat S3 frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Shapes {
    /// Send some `agent_started`, `tool_executing` and `tool_completed` events in the S4 bridge
    /// shape (`data` wrapper, `tool_name`/`results` at the root).
    pub(crate) bridge: bool,
    /// Send some of those events in the bridge shape from before 2025-09-14 (`payload` wrapper).
    pub(crate) payload_wrapper: bool,
    /// Send some thinking events as `"type":"reasoning"` (the emitter's quirk).
    pub(crate) reasoning_quirk: bool,
    /// Respell some events with the October 2025 field names (applied by
    /// [`spelling::respell`](super::spelling::respell) after [`script_run`]).
    pub(crate) october: bool,
}

/// One frame of a scripted run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ScriptedFrame {
    /// Milliseconds to wait after the previous frame (after the run's start for the first one).
    pub(crate) delay_ms: u64,
    /// The frame, ready to be sent as text.
    pub(crate) frame: Value,
}

/// The slowest and fastest accepted speeds.
const SPEED_RANGE: (f64, f64) = (0.01, 10_000.0);
/// How often an eligible event takes an enabled non-canonical shape.
const SHAPE_PROBABILITY: f64 = 0.3;
/// How often a run has a failing sub-agent.
const ERROR_PROBABILITY: f64 = 0.1;
/// How often two remaining tool calls run at once (same tool).
const CONCURRENT_PROBABILITY: f64 = 0.4;
/// A run's total duration at speed 1 is brought into this range (milliseconds).
const TOTAL_MS: (f64, f64) = (3_000.0, 8_000.0);
/// The bridge cuts parameter strings to this many characters (then adds `...`).
const PARAMETER_CHARS: usize = 200;
/// The bridge cuts result strings to this many characters (then adds `...`).
const RESULT_CHARS: usize = 500;
/// The bridge keeps this many list items in results (then adds `...(truncated)`).
const RESULT_ITEMS: usize = 10;
/// The bridge cuts error text to this many characters.
const ERROR_CHARS: usize = 300;
/// Parameter keys containing one of these are redacted (the bridge's `_sanitize_parameters`).
const SECRET_WORDS: [&str; 7] =
    ["password", "secret", "key", "token", "api_key", "auth", "credential"];
/// The name of the execution that wraps the sub-agents.
const SUPERVISOR: &str = "supervisor";

/// A sub-agent the supervisor can call, in pipeline order.
struct Role {
    /// `agent_name` on the wire.
    name: &'static str,
    /// `task_description` of its `agent_started`.
    task: &'static str,
    /// Tools it uses.
    tools: &'static [Tool],
    /// Reasoning sentences; `{r}` is replaced by an excerpt of the request.
    thoughts: &'static [&'static str],
    /// What its `agent_completed` reports.
    summary: &'static str,
}

/// The sub-agents, in the order the supervisor calls them.
const ROLES: [Role; 5] = [
    Role {
        name: "triage_agent",
        task: "Classify the request and choose a plan",
        tools: &[Tool::CostAnalyzer, Tool::UsageQuery],
        thoughts: &[
            "Classifying \"{r}\" as a cost-optimisation question with a usage component",
            "Identifying the accounts, services and time range that \"{r}\" refers to",
            "No explicit time range in the request; defaulting to the last 30 days",
        ],
        summary: "Request classified as cost optimisation; plan: collect usage, price alternatives, report",
    },
    Role {
        name: "data_helper",
        task: "Collect cost and usage data",
        tools: &[Tool::UsageQuery, Tool::CostAnalyzer],
        thoughts: &[
            "Pulling the last 30 days of billing and usage data for the affected services",
            "Joining GPU utilisation metrics with the billing export to find idle capacity",
            "Checking that the usage export covers the whole period before trusting the totals",
        ],
        summary: "Billing and utilisation data collected and joined by service and region",
    },
    Role {
        name: "optimization_agent",
        task: "Find savings opportunities",
        tools: &[Tool::PricingLookup, Tool::ForecastModel, Tool::CostAnalyzer],
        thoughts: &[
            "Comparing on-demand, spot and reserved prices for the instance families in use",
            "Estimating savings from rightsizing under-utilised GPU instances",
            "Weighing a 1-year commitment against the forecast usage trend",
        ],
        summary: "Savings opportunities ranked by monthly impact and effort",
    },
    Role {
        name: "actions_agent",
        task: "Draft concrete actions",
        tools: &[Tool::PricingLookup, Tool::ForecastModel],
        thoughts: &[
            "Turning the top savings opportunities for \"{r}\" into ordered, concrete actions",
            "Checking which recommendations can be applied without downtime",
        ],
        summary: "Action plan drafted, ordered by savings and risk",
    },
    Role {
        name: "reporting_agent",
        task: "Write up the findings",
        tools: &[Tool::ReportBuilder],
        thoughts: &[
            "Structuring the report: summary, cost breakdown, recommendations, next steps",
            "Summarising the findings for \"{r}\" in plain language",
        ],
        summary: "Report written with summary, breakdown and recommendations",
    },
];

/// The supervisor's planning thoughts.
const PLANNING: [&str; 4] = [
    "Breaking down \"{r}\" into data collection, analysis and recommendation steps",
    "The user asks \"{r}\"; routing it to the agents that own cost and usage data",
    "Deciding which sub-agents are needed to answer \"{r}\"",
    "Checking what we already know about this account before fetching fresh data for \"{r}\"",
];

/// The supervisor's closing thoughts.
const SYNTHESIS: [&str; 3] = [
    "Combining the sub-agents' findings into one answer for \"{r}\"",
    "Ranking the recommendations by estimated monthly savings and effort",
    "Double-checking the numbers before writing the final answer",
];

/// Why a sub-agent fails; `{region}` is replaced by a region.
const FAILURES: [(&str, &str); 4] = [
    ("TimeoutError", "Upstream billing API timed out after 30s while fetching usage for {region}"),
    ("RateLimitError", "Rate limit exceeded (429) from the pricing API; retry budget exhausted"),
    (
        "DataUnavailableError",
        "Usage export for {region} is not available yet (last import 6 hours ago)",
    ),
    ("OutputParserException", "LLM response could not be parsed as JSON after 3 attempts"),
];

/// Recommendations the final answer picks from; `{instance}` is replaced by an instance type.
const RECOMMENDATIONS: [&str; 5] = [
    "rightsize {instance} nodes that sit below 30% GPU utilisation",
    "stop dev and test GPU clusters outside working hours",
    "move batch training jobs to spot capacity with checkpointing",
    "cover the steady baseline with a 1-year reservation",
    "delete unattached volumes and snapshots older than 90 days",
];

/// Regions; a run's tool calls each use a different one, so no two calls look alike.
const REGIONS: [&str; 4] = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"];
/// Billing periods, one per tool call of a run.
const PERIODS: [&str; 4] = ["last_30_days", "month_to_date", "last_7_days", "last_90_days"];
/// Accounts, one per tool call of a run.
const ACCOUNTS: [&str; 4] = ["acct-prod-ml", "acct-research", "acct-data-platform", "acct-staging"];
/// Report audiences, one per tool call of a run.
const AUDIENCES: [&str; 4] = ["engineering", "finance", "leadership", "platform-ops"];
/// GPU instance types and their providers.
const INSTANCES: [(&str, &str, f64); 4] = [
    ("p4d.24xlarge", "aws", 32.77),
    ("g5.12xlarge", "aws", 5.67),
    ("a2-highgpu-8g", "gcp", 29.39),
    ("Standard_NC24ads_A100_v4", "azure", 3.67),
];

/// The tools sub-agents call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tool {
    /// Spend by service over a period.
    CostAnalyzer,
    /// SQL over the usage export.
    UsageQuery,
    /// Prices of an instance type.
    PricingLookup,
    /// Spend forecast.
    ForecastModel,
    /// Writes the report.
    ReportBuilder,
}

impl Tool {
    /// `tool_name` on the wire.
    fn name(self) -> &'static str {
        match self {
            Tool::CostAnalyzer => "cost_analyzer",
            Tool::UsageQuery => "usage_query",
            Tool::PricingLookup => "pricing_lookup",
            Tool::ForecastModel => "forecast_model",
            Tool::ReportBuilder => "report_builder",
        }
    }
}

/// Where an event's fields go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wrap {
    /// Flat S3 (the canonical shape).
    Flat,
    /// S4 bridge, fields under `data`.
    Data,
    /// S4 bridge from before 2025-09-14, fields under `payload`.
    Payload,
}

impl Wrap {
    /// The wrapper key of a bridge shape.
    fn key(self) -> &'static str {
        match self {
            Wrap::Flat | Wrap::Data => "data",
            Wrap::Payload => "payload",
        }
    }
}

/// Facts of the account a run talks about, so tool results and the answer agree.
struct Facts {
    /// Spend over the last 30 days, in dollars.
    monthly_spend: f64,
    /// Estimated savings, in percent.
    savings_pct: u64,
    /// Average GPU utilisation, in percent.
    gpu_util_pct: u64,
    /// The main GPU instance type, its provider and on-demand hourly price.
    instance: (&'static str, &'static str, f64),
}

/// One tool call of a run.
struct Call {
    /// Which tool.
    tool: Tool,
    /// The calling sub-agent.
    agent: &'static str,
    /// Sanitised parameters.
    parameters: Value,
    /// Sanitised results.
    results: Value,
    /// Shape of its `tool_executing`.
    exec_wrap: Wrap,
    /// Shape of its `tool_completed`.
    done_wrap: Wrap,
    /// Index of its `tool_executing` step.
    exec_step: usize,
}

/// One event of the plan, before timing.
enum Step {
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
struct Plan {
    /// The events, in order.
    steps: Vec<Step>,
    /// Delay before each step, in milliseconds at speed 1.
    delays: Vec<f64>,
    /// The tool calls.
    calls: Vec<Call>,
}

impl Plan {
    /// Adds a step after `delay_ms` (at speed 1); returns its index.
    fn push(&mut self, delay_ms: f64, step: Step) -> usize {
        self.steps.push(step);
        self.delays.push(delay_ms);
        self.steps.len() - 1
    }
}

/// Scripts one run: the frames the manager sends for `spec.request`, starting at `start`, with
/// delays divided by `speed` (clamped to 0.01..=10000; 1 takes about 3 to 8 seconds).
pub(crate) fn script_run(
    rng: &mut impl Rng,
    spec: &RunSpec<'_>,
    shapes: &Shapes,
    start: Timestamp,
    speed: f64,
) -> Vec<ScriptedFrame> {
    let plan = plan_run(rng, spec, shapes);
    let total: f64 = plan.delays.iter().sum();
    let factor = if total < TOTAL_MS.0 {
        rng.random_range(TOTAL_MS.0..TOTAL_MS.0 + 1_000.0) / total
    } else if total > TOTAL_MS.1 {
        rng.random_range(TOTAL_MS.1 - 1_000.0..TOTAL_MS.1) / total
    } else {
        1.0
    };
    let speed = clamp_speed(speed);

    // Timestamps keep microseconds; delays are whole milliseconds whose running sum is the
    // timestamps' offset from `start`, truncated to the millisecond.
    let mut cumulative_us = 0u64;
    let mut timing: Vec<(u64, Timestamp)> = Vec::with_capacity(plan.delays.len());
    for delay in &plan.delays {
        let before_ms = cumulative_us / 1000;
        cumulative_us += (delay * factor * 1000.0 / speed).round().max(0.0) as u64;
        let at = start.add_micros(i64::try_from(cumulative_us).unwrap_or(i64::MAX));
        timing.push((cumulative_us / 1000 - before_ms, at));
    }

    let render = Render { spec, plan: &plan, timing: &timing };
    plan.steps
        .iter()
        .zip(&timing)
        .enumerate()
        .map(|(index, (step, (delay_ms, at)))| ScriptedFrame {
            delay_ms: *delay_ms,
            frame: render.frame(index, step, *at),
        })
        .collect()
}

/// `speed` within the accepted range; not-a-number counts as 1.
fn clamp_speed(speed: f64) -> f64 {
    if speed.is_nan() { 1.0 } else { speed.clamp(SPEED_RANGE.0, SPEED_RANGE.1) }
}

/// Decides everything about a run but its timing.
fn plan_run<R: Rng + ?Sized>(rng: &mut R, spec: &RunSpec<'_>, shapes: &Shapes) -> Plan {
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
    let region = nth(&REGIONS, variant);
    let period = nth(&PERIODS, variant);
    let (instance, provider, hourly) = facts.instance;
    let secret = format!("sk-live-{:016x}{:08x}", rng.random::<u64>(), rng.random::<u32>());
    let share = rng.random_range(0.15..0.6);
    let (parameters, results) = match tool {
        Tool::CostAnalyzer => {
            let total = round2(facts.monthly_spend * share);
            (
                json!({
                    "account_id": nth(&ACCOUNTS, variant),
                    "period": period,
                    "region": region,
                    "group_by": "service",
                    "question": request,
                    "api_key": secret,
                }),
                json!({
                    "account_id": nth(&ACCOUNTS, variant),
                    "period": period,
                    "total_cost_usd": total,
                    "top_services": [
                        {"service": "GPU compute", "cost_usd": round2(total * 0.71)},
                        {"service": "Object storage", "cost_usd": round2(total * 0.17)},
                        {"service": "Data transfer", "cost_usd": round2(total * 0.12)},
                    ],
                    "savings_pct": facts.savings_pct,
                }),
            )
        }
        Tool::UsageQuery => {
            let rows = rng.random_range(120..4_000u64);
            let gpu_hours = round2(rng.random_range(300.0..9_000.0));
            (
                json!({
                    "query": format!(
                        "SELECT service, region, SUM(cost_usd) AS cost, SUM(gpu_hours) AS gpu_hours, AVG(gpu_utilization) AS util FROM billing_export JOIN gpu_metrics USING (resource_id) WHERE region = '{region}' AND usage_date >= CURRENT_DATE - INTERVAL '30 days' GROUP BY service, region ORDER BY cost DESC -- {request}"
                    ),
                    "region": region,
                    "period": period,
                    "limit": 500,
                    "auth_token": secret,
                }),
                json!({
                    "region": region,
                    "rows": rows,
                    "gpu_hours": gpu_hours,
                    "avg_gpu_utilization_pct": facts.gpu_util_pct,
                    "idle_gpu_hours": round2(gpu_hours * (100 - facts.gpu_util_pct) as f64 / 100.0),
                }),
            )
        }
        Tool::PricingLookup => {
            let spot = rng.random_range(0.25..0.45);
            (
                json!({
                    "provider": provider,
                    "instance_type": instance,
                    "region": region,
                    "pricing_models": ["on_demand", "spot", "reserved_1y"],
                    "api_key": secret,
                }),
                json!({
                    "instance_type": instance,
                    "region": region,
                    "on_demand_hourly_usd": hourly,
                    "spot_hourly_usd": round2(hourly * spot),
                    "reserved_1y_hourly_usd": round2(hourly * 0.62),
                    "currency": "USD",
                }),
            )
        }
        Tool::ForecastModel => {
            let horizon = 30 * (variant as u64 % 3 + 1);
            let trend = round2(rng.random_range(-6.0..18.0));
            let forecast =
                round2(facts.monthly_spend * horizon as f64 / 30.0 * (1.0 + trend / 100.0));
            (
                json!({
                    "series": "daily_cost_usd",
                    "horizon_days": horizon,
                    "model": "prophet",
                    "region": region,
                    "client_secret": secret,
                }),
                json!({
                    "horizon_days": horizon,
                    "region": region,
                    "forecast_usd": forecast,
                    "trend_pct": trend,
                    "confidence_interval": [round2(forecast * 0.9), round2(forecast * 1.1)],
                }),
            )
        }
        Tool::ReportBuilder => {
            let report = format!("rpt_{:08x}{variant}", rng.random::<u32>());
            (
                json!({
                    "title": format!("Cost review: {request}"),
                    "audience": nth(&AUDIENCES, variant),
                    "format": "markdown",
                    "sections": ["summary", "cost_breakdown", "recommendations", "next_steps"],
                    "include_charts": rng.random_bool(0.5),
                    "access_token": secret,
                }),
                json!({
                    "report_id": report,
                    "audience": nth(&AUDIENCES, variant),
                    "format": "markdown",
                    "pages": rng.random_range(2..=9u64),
                    "sections": ["summary", "cost_breakdown", "recommendations", "next_steps"],
                }),
            )
        }
    };
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

/// The supervisor's answer (mentioning the request) and its structured result.
fn answer<R: Rng + ?Sized>(
    rng: &mut R,
    excerpt: &str,
    facts: &Facts,
    agents: &[&str],
    failed: Option<&str>,
) -> (String, Value) {
    let (instance, _, _) = facts.instance;
    let recommendations: Vec<String> = sample_indices(rng, RECOMMENDATIONS.len(), 2)
        .iter()
        .filter_map(|i| RECOMMENDATIONS.get(*i))
        .map(|text| text.replace("{instance}", instance))
        .collect();
    let saved = round2(facts.monthly_spend * facts.savings_pct as f64 / 100.0);
    let mut text = format!(
        "For \"{excerpt}\": you spent {} over the last 30 days. The biggest lever is {instance} capacity at {}% average GPU utilisation; acting on it could cut costs by about {}% ({} a month). Next steps: {}.",
        dollars(facts.monthly_spend),
        facts.gpu_util_pct,
        facts.savings_pct,
        dollars(saved),
        recommendations.join("; then "),
    );
    if let Some(agent) = failed {
        text.push_str(&format!(
            " Note: {agent} could not finish, so part of this answer rests on incomplete data."
        ));
    }
    let result = json!({
        "total_cost_usd": facts.monthly_spend,
        "estimated_savings_pct": facts.savings_pct,
        "estimated_monthly_savings_usd": saved,
        "recommendations": recommendations,
        "agents": agents,
        "partial": failed.is_some(),
    });
    (text, result)
}

/// Renders planned steps into frames.
struct Render<'a> {
    /// The run.
    spec: &'a RunSpec<'a>,
    /// The plan.
    plan: &'a Plan,
    /// Each step's delay and timestamp.
    timing: &'a [(u64, Timestamp)],
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
    fn frame(&self, index: usize, step: &Step, at: Timestamp) -> Value {
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

/// The bridge's parameter sanitising: secret-named keys become `"[REDACTED]"`, strings are cut
/// to 200 characters plus `...`; nested objects and lists alike.
fn sanitize_parameters(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .map(|(key, value)| {
                    let lower = key.to_lowercase();
                    if SECRET_WORDS.iter().any(|word| lower.contains(word)) {
                        (key, json!("[REDACTED]"))
                    } else {
                        (key, sanitize_parameters(value))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(sanitize_parameters).collect()),
        Value::String(text) => Value::String(cut(&text, PARAMETER_CHARS)),
        other => other,
    }
}

/// The bridge's result sanitising: strings cut to 500 characters plus `...`, lists to 10 items
/// plus `"...(truncated)"`.
fn sanitize_result(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object.into_iter().map(|(key, value)| (key, sanitize_result(value))).collect(),
        ),
        Value::Array(items) => {
            let long = items.len() > RESULT_ITEMS;
            let mut kept: Vec<Value> =
                items.into_iter().take(RESULT_ITEMS).map(sanitize_result).collect();
            if long {
                kept.push(json!("...(truncated)"));
            }
            Value::Array(kept)
        }
        Value::String(text) => Value::String(cut(&text, RESULT_CHARS)),
        other => other,
    }
}

/// `text` cut to `max` characters plus `...` when longer (Python slicing: by code point).
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        let mut kept: String = text.chars().take(max).collect();
        kept.push_str("...");
        kept
    } else {
        text.to_owned()
    }
}

/// The request on one line, at most 80 characters, for quoting in sentences.
fn excerpt(request: &str) -> String {
    let line = request.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 80 {
        let mut kept: String = line.chars().take(77).collect();
        kept.push_str("...");
        kept
    } else {
        line
    }
}

/// Python's `datetime.isoformat()` of an aware UTC datetime: microseconds when non-zero, and
/// `+00:00`.
fn iso(at: Timestamp) -> String {
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

/// Rounds to cents.
fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// `$12,345` (whole dollars, thousands separated).
fn dollars(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    format!("${out}")
}

/// A uniformly chosen item; `None` for an empty list.
fn pick<'a, R: Rng + ?Sized, T>(rng: &mut R, items: &'a [T]) -> Option<&'a T> {
    if items.is_empty() { None } else { items.get(rng.random_range(0..items.len())) }
}

/// Item `index` of a fixed list, wrapping around.
fn nth<'a>(items: &[&'a str], index: usize) -> &'a str {
    if items.is_empty() { "" } else { items.get(index % items.len()).copied().unwrap_or_default() }
}

/// The items of `items` in random order.
fn shuffled<'a, R: Rng + ?Sized>(rng: &mut R, items: &[&'a str]) -> Vec<&'a str> {
    let mut out = items.to_vec();
    for i in (1..out.len()).rev() {
        let j = rng.random_range(0..=i);
        out.swap(i, j);
    }
    out
}

/// `k` distinct indices below `n`, in increasing order (all of them when `k >= n`).
fn sample_indices<R: Rng + ?Sized>(rng: &mut R, n: usize, k: usize) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..n).collect();
    let k = k.min(n);
    for i in 0..k {
        let j = rng.random_range(i..n);
        indices.swap(i, j);
    }
    indices.truncate(k);
    indices.sort_unstable();
    indices
}

#[cfg(test)]
mod tests {
    use agentwire::{Checker, CheckerConfig};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    const USER: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    const START_US: i64 = 1_758_207_374_123_456;
    const SEEDS: u64 = 500;

    fn all_shapes() -> Vec<Shapes> {
        (0..8)
            .map(|bits| Shapes {
                bridge: bits & 1 != 0,
                payload_wrapper: bits & 2 != 0,
                reasoning_quirk: bits & 4 != 0,
                october: false,
            })
            .collect()
    }

    fn request_for(seed: u64) -> String {
        match seed % 4 {
            0 => "Cut my GPU spend".to_owned(),
            1 => "Why did our AWS bill jump 40% last month?".to_owned(),
            2 => "Réduire les coûts GPU — où est le gaspillage? ".repeat(12),
            _ => format!("Analyse costs for team {seed}\nand suggest savings"),
        }
    }

    fn run_with(seed: u64, shapes: Shapes, speed: f64) -> Vec<ScriptedFrame> {
        let request = request_for(seed);
        let run_id = format!("run_ws_{seed}");
        let spec = RunSpec {
            user_id: USER,
            thread_id: "thread_ws_1758207374_1_ab12cd34",
            run_id: &run_id,
            request_id: "ws_req_1758207374_2_ef56ab78",
            request: &request,
        };
        let mut rng = StdRng::seed_from_u64(seed);
        script_run(&mut rng, &spec, &shapes, Timestamp::from_unix_micros(START_US), speed)
    }

    fn run(seed: u64) -> Vec<ScriptedFrame> {
        run_with(seed, Shapes::default(), 1.0)
    }

    /// The event name after the `reasoning` alias.
    fn kind(frame: &Value) -> &str {
        match frame["type"].as_str().unwrap() {
            "reasoning" => "agent_thinking",
            other => other,
        }
    }

    fn count(frames: &[ScriptedFrame], name: &str) -> usize {
        frames.iter().filter(|f| kind(&f.frame) == name).count()
    }

    fn flags_of(frames: &[ScriptedFrame]) -> Vec<String> {
        let mut checker = Checker::new(CheckerConfig::offline().with_user(USER));
        for frame in frames {
            let _ = checker.handle_text(&frame.frame.to_string(), None);
        }
        checker.finish();
        let mut flags = Vec::new();
        while let Some(flag) = checker.poll_flag() {
            flags.push(format!("{} {}: {}", flag.severity, flag.rule.id(), flag.message));
        }
        flags
    }

    fn timestamp_of(frame: &Value) -> Timestamp {
        match &frame["timestamp"] {
            Value::String(text) => Timestamp::parse(text).unwrap(),
            Value::Number(number) => {
                Timestamp::from_epoch_number(number.as_f64().unwrap()).unwrap()
            }
            other => panic!("no timestamp: {other}"),
        }
    }

    fn total_delay(frames: &[ScriptedFrame]) -> u64 {
        frames.iter().map(|f| f.delay_ms).sum()
    }

    #[test]
    fn clean_runs_raise_no_flag_for_any_shape_mix() {
        for shapes in all_shapes() {
            for seed in 0..SEEDS {
                let frames = run_with(seed, shapes, 1.0);
                let flags = flags_of(&frames);
                assert!(flags.is_empty(), "seed {seed}, {shapes:?}: {flags:#?}\n{frames:#?}");
            }
        }
    }

    #[test]
    fn the_checker_does_notice_a_broken_run() {
        // Guards the clean-run tests: the same harness flags a run missing its last frame.
        let mut frames = run(1);
        frames.pop();
        let flags = flags_of(&frames);
        assert!(flags.iter().any(|flag| flag.contains("run-incomplete")), "{flags:?}");
    }

    #[test]
    fn runs_at_top_speed_are_still_clean_and_all_frames_distinct() {
        for shapes in [
            Shapes::default(),
            Shapes { bridge: true, payload_wrapper: true, reasoning_quirk: true, october: false },
        ] {
            for seed in 0..SEEDS {
                let frames = run_with(seed, shapes, 10_000.0);
                assert!(flags_of(&frames).is_empty(), "seed {seed}");
                for (i, a) in frames.iter().enumerate() {
                    for b in frames.iter().skip(i + 1) {
                        assert_ne!(a.frame, b.frame, "seed {seed}: a frame repeats");
                    }
                }
            }
        }
    }

    #[test]
    fn one_connection_carrying_many_runs_stays_clean() {
        let mut all = Vec::new();
        for seed in 0..50 {
            all.extend(run_with(
                seed,
                Shapes {
                    bridge: true,
                    payload_wrapper: true,
                    reasoning_quirk: true,
                    october: false,
                },
                3.0,
            ));
        }
        assert!(flags_of(&all).is_empty());
    }

    #[test]
    fn runs_hold_one_to_three_sub_agents_one_to_four_thoughts_and_up_to_three_tool_calls() {
        let (mut agents_seen, mut thoughts_seen, mut tools_seen) = ([0; 4], [0; 5], [0; 4]);
        for seed in 0..SEEDS {
            let frames = run(seed);
            let started = count(&frames, "agent_started");
            let ended = count(&frames, "agent_completed") + count(&frames, "agent_error");
            assert_eq!(started, ended, "seed {seed}");
            let sub_agents = started - 1;
            assert!((1..=3).contains(&sub_agents), "seed {seed}: {sub_agents} sub-agents");
            let thinking = count(&frames, "agent_thinking");
            assert!((1..=4).contains(&thinking), "seed {seed}: {thinking} thinking");
            let calls = count(&frames, "tool_executing");
            assert!(calls <= 3, "seed {seed}: {calls} tool calls");
            assert_eq!(calls, count(&frames, "tool_completed"));
            agents_seen[sub_agents] += 1;
            thoughts_seen[thinking] += 1;
            tools_seen[calls] += 1;

            let first = &frames.first().unwrap().frame;
            assert_eq!(kind(first), "agent_started");
            assert_eq!(first["agent_name"], "supervisor");
            let last = &frames.last().unwrap().frame;
            assert_eq!(kind(last), "agent_completed");
            assert_eq!(last["agent_name"], "supervisor");
            assert_eq!(last["status"], "completed");
            let answer = last["final_response"].as_str().unwrap();
            assert!(answer.contains(&excerpt(&request_for(seed))), "seed {seed}: {answer}");
            // Sub-agents run one after another inside the supervisor.
            let mut open: Vec<String> = Vec::new();
            for frame in &frames {
                let name = frame.frame["agent_name"].as_str().unwrap().to_owned();
                match kind(&frame.frame) {
                    "agent_started" => {
                        assert!(open.len() <= 1, "seed {seed}: sub-agents overlap");
                        open.push(name);
                    }
                    "agent_completed" | "agent_error" => assert_eq!(open.pop(), Some(name)),
                    _ => {}
                }
            }
            assert!(open.is_empty());
        }
        assert!(agents_seen[1..].iter().all(|n| *n > 0), "{agents_seen:?}");
        assert!(thoughts_seen[1..].iter().all(|n| *n > 0), "{thoughts_seen:?}");
        assert!(tools_seen.iter().all(|n| *n > 0), "{tools_seen:?}");
    }

    #[test]
    fn some_runs_call_one_tool_twice_at_once() {
        let concurrent = (0..SEEDS)
            .filter(|seed| {
                let frames = run(*seed);
                frames.windows(4).any(|w| {
                    let kinds: Vec<&str> = w.iter().map(|f| kind(&f.frame)).collect();
                    kinds
                        == ["tool_executing", "tool_executing", "tool_completed", "tool_completed"]
                        && w.iter().all(|f| f.frame["tool_name"] == w[0].frame["tool_name"])
                })
            })
            .count();
        assert!(concurrent > 20, "{concurrent} runs with concurrent calls");
    }

    #[test]
    fn about_one_run_in_ten_has_a_failing_sub_agent_and_the_supervisor_still_answers() {
        let mut failing = 0;
        for seed in 0..SEEDS {
            let frames = run(seed);
            let Some(at) = frames.iter().position(|f| kind(&f.frame) == "agent_error") else {
                continue;
            };
            failing += 1;
            assert_eq!(count(&frames, "agent_error"), 1);
            let error = &frames[at].frame;
            assert!(error["timestamp"].is_f64(), "the emitter's agent_error has an epoch float");
            assert_eq!(error["status"], "error");
            assert_eq!(error["critical"], true);
            assert!(error["error"].as_str().unwrap().chars().count() <= 303);
            assert_ne!(error["agent_name"], "supervisor");
            for key in ["user_id", "thread_id", "run_id"] {
                assert!(error[key].is_string());
            }
            let before = &frames[..at];
            assert_eq!(count(before, "tool_executing"), count(before, "tool_completed"));
            let last = &frames.last().unwrap().frame;
            assert_eq!(last["agent_name"], "supervisor");
            assert_eq!(last["status"], "completed");
            assert!(last["final_response"].as_str().unwrap().contains("could not finish"));
        }
        assert!((15..=100).contains(&failing), "{failing} failing runs in {SEEDS}");
    }

    #[test]
    fn same_seed_gives_the_same_run_and_other_seeds_differ() {
        let shapes =
            Shapes { bridge: true, payload_wrapper: true, reasoning_quirk: true, october: false };
        for seed in 0..50 {
            assert_eq!(run_with(seed, shapes, 1.0), run_with(seed, shapes, 1.0));
            assert_ne!(run_with(seed, shapes, 1.0), run_with(seed + 1000, shapes, 1.0));
        }
    }

    #[test]
    fn a_run_takes_three_to_eight_seconds_at_speed_one() {
        for seed in 0..SEEDS {
            let frames = run(seed);
            let total = total_delay(&frames);
            assert!((2_990..=8_010).contains(&total), "seed {seed}: {total} ms");
            assert!(frames.iter().all(|f| f.delay_ms <= 4_000), "seed {seed}");
        }
    }

    #[test]
    fn speed_divides_the_delays() {
        for seed in 0..100 {
            let slow = run_with(seed, Shapes::default(), 1.0);
            let fast = run_with(seed, Shapes::default(), 10.0);
            assert_eq!(slow.len(), fast.len());
            let (slow, fast) = (total_delay(&slow) as f64, total_delay(&fast) as f64);
            assert!((fast - slow / 10.0).abs() <= 2.0, "seed {seed}: {slow} vs {fast}");
            let instant = total_delay(&run_with(seed, Shapes::default(), 10_000.0));
            assert!(instant <= 1, "seed {seed}: {instant}");
        }
    }

    #[test]
    fn out_of_range_speeds_are_clamped() {
        let top = total_delay(&run_with(7, Shapes::default(), 10_000.0));
        for speed in [f64::INFINITY, 1e9] {
            assert_eq!(total_delay(&run_with(7, Shapes::default(), speed)), top);
        }
        let bottom = total_delay(&run_with(7, Shapes::default(), 0.01));
        for speed in [0.0, -3.0, f64::NEG_INFINITY, 0.001] {
            assert_eq!(total_delay(&run_with(7, Shapes::default(), speed)), bottom);
        }
        assert_eq!(run_with(7, Shapes::default(), f64::NAN), run_with(7, Shapes::default(), 1.0));
    }

    #[test]
    fn timestamps_are_the_start_plus_the_delays_so_far() {
        for speed in [1.0, 10.0, 0.5, 10_000.0] {
            for seed in 0..100 {
                let shapes = Shapes {
                    bridge: true,
                    payload_wrapper: true,
                    reasoning_quirk: true,
                    october: false,
                };
                let mut elapsed_ms = 0i64;
                for frame in run_with(seed, shapes, speed) {
                    elapsed_ms += frame.delay_ms as i64;
                    let offset = timestamp_of(&frame.frame)
                        .micros_since(Timestamp::from_unix_micros(START_US));
                    let drift = offset - elapsed_ms * 1000;
                    // Epoch floats lose a little precision; ISO keeps microseconds.
                    assert!(
                        (-2..1002).contains(&drift),
                        "seed {seed}, speed {speed}: drift {drift} us"
                    );
                }
            }
        }
    }

    #[test]
    fn iso_timestamps_look_like_python_isoformat() {
        for seed in 0..100 {
            for frame in run(seed) {
                if let Value::String(text) = &frame.frame["timestamp"] {
                    assert!(text.ends_with("+00:00"), "{text}");
                    assert!(text.starts_with("2025-09-18T"), "{text}");
                }
            }
        }
        assert_eq!(iso(Timestamp::from_unix_micros(START_US)), "2025-09-18T14:56:14.123456+00:00");
        assert_eq!(
            iso(Timestamp::from_unix_micros(1_758_207_374_000_000)),
            "2025-09-18T14:56:14+00:00"
        );
    }

    #[test]
    fn canonical_frames_carry_the_s3_fields() {
        for seed in 0..100 {
            for frame in run(seed) {
                let frame = frame.frame;
                assert_eq!(frame["critical"], true);
                assert_eq!(frame["user_id"], USER);
                assert_eq!(frame["thread_id"], "thread_ws_1758207374_1_ab12cd34");
                assert_eq!(frame["run_id"], format!("run_ws_{seed}"));
                assert_eq!(frame["request_id"], "ws_req_1758207374_2_ef56ab78");
                assert_eq!(frame["metadata"]["user_tier"], "free");
                assert_eq!(frame["metadata"]["is_priority_queue"], false);
                assert!(frame.get("data").is_none() && frame.get("payload").is_none());
                assert_ne!(frame["type"], "reasoning");
                match kind(&frame) {
                    "tool_executing" => {
                        assert_eq!(frame["tool_args"], frame["parameters"]);
                        assert!(frame["execution_id"].is_null());
                    }
                    "tool_completed" => {
                        assert!(frame["results"].is_object());
                        assert_eq!(frame["metadata"]["result"], frame["results"]);
                        assert!(frame["execution_time"].is_number());
                        assert_eq!(frame["duration"], frame["execution_time"]);
                    }
                    "agent_thinking" => assert!(!frame["reasoning"].as_str().unwrap().is_empty()),
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn enabled_shapes_appear_and_disabled_ones_never_do() {
        for shapes in all_shapes() {
            let (mut data, mut payload, mut reasoning) = (0, 0, 0);
            for seed in 0..SEEDS {
                for frame in run_with(seed, shapes, 1.0) {
                    let frame = frame.frame;
                    if frame.get("data").is_some() {
                        data += 1;
                        assert!(frame.get("critical").is_none() && frame["agent_name"].is_string());
                        match kind(&frame) {
                            "agent_started" => assert_eq!(frame["data"]["status"], "started"),
                            "tool_executing" => {
                                assert!(frame["tool_name"].is_string());
                                assert!(frame["data"]["parameters"].is_object());
                            }
                            "tool_completed" => {
                                assert!(frame["results"].is_object());
                                assert_eq!(frame["data"]["result"], frame["results"]);
                                assert!(frame["data"]["execution_time_ms"].is_u64());
                            }
                            other => panic!("{other} in the bridge shape"),
                        }
                    }
                    if frame.get("payload").is_some() {
                        payload += 1;
                        assert!(frame.get("data").is_none());
                    }
                    if frame["type"] == "reasoning" {
                        reasoning += 1;
                        assert!(frame["reasoning"].is_string());
                    }
                }
            }
            assert_eq!(data > 0, shapes.bridge, "{shapes:?}: {data} data-wrapped frames");
            assert_eq!(
                payload > 0,
                shapes.payload_wrapper,
                "{shapes:?}: {payload} payload-wrapped"
            );
            assert_eq!(reasoning > 0, shapes.reasoning_quirk, "{shapes:?}: {reasoning} reasoning");
        }
    }

    #[test]
    fn parameters_are_redacted_and_cut_like_the_bridge() {
        let (mut redacted, mut cut_strings) = (0, 0);
        for seed in 0..SEEDS {
            for frame in run_with(
                seed,
                Shapes {
                    bridge: true,
                    payload_wrapper: true,
                    reasoning_quirk: false,
                    october: false,
                },
                1.0,
            ) {
                let text = frame.frame.to_string();
                assert!(!text.contains("sk-live-"), "seed {seed}: a secret leaked: {text}");
                if kind(&frame.frame) != "tool_executing" {
                    continue;
                }
                let body = ["data", "payload"]
                    .iter()
                    .find_map(|k| frame.frame.get(*k))
                    .unwrap_or(&frame.frame);
                let parameters = body["parameters"].as_object().unwrap();
                for (key, value) in parameters {
                    let lower = key.to_lowercase();
                    if SECRET_WORDS.iter().any(|w| lower.contains(w)) {
                        assert_eq!(value, "[REDACTED]");
                        redacted += 1;
                    } else if let Some(text) = value.as_str() {
                        let chars = text.chars().count();
                        assert!(chars <= 203, "{key}: {chars} chars");
                        if chars == 203 && text.ends_with("...") {
                            cut_strings += 1;
                        }
                    }
                }
            }
        }
        assert!(redacted > 100, "{redacted} redacted keys");
        assert!(cut_strings > 10, "{cut_strings} cut strings");
    }

    #[test]
    fn thinking_is_about_the_request() {
        let mut quoting = 0;
        for seed in 0..SEEDS {
            let request = excerpt(&request_for(seed));
            for frame in run(seed) {
                if kind(&frame.frame) == "agent_thinking"
                    && frame.frame["reasoning"].as_str().unwrap().contains(&request)
                {
                    quoting += 1;
                }
            }
        }
        assert!(quoting > SEEDS / 2, "{quoting} thinking events quote the request");
    }

    #[test]
    fn sanitizers_follow_the_bridge_limits() {
        let long = "x".repeat(600);
        let cleaned =
            sanitize_parameters(json!({"Auth_Header": "abc", "password": 1, "q": long, "n": 3}));
        assert_eq!(cleaned["Auth_Header"], "[REDACTED]");
        assert_eq!(cleaned["password"], "[REDACTED]");
        assert_eq!(cleaned["q"].as_str().unwrap().len(), 203);
        assert_eq!(cleaned["n"], 3);
        let results = sanitize_result(json!({"rows": (0..15).collect::<Vec<_>>(), "text": long}));
        assert_eq!(results["rows"].as_array().unwrap().len(), 11);
        assert_eq!(results["rows"][10], "...(truncated)");
        assert_eq!(results["text"].as_str().unwrap().len(), 503);
        assert_eq!(cut("héllo", 2), "hé...");
        assert_eq!(dollars(1_234_567.4), "$1,234,567");
        assert_eq!(dollars(999.0), "$999");
    }
}
