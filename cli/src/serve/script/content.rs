//! What a run talks about: the sub-agents (their tasks, thoughts and summaries), the
//! supervisor's planning and closing thoughts, the tools and the data of their calls, why a
//! sub-agent fails, and the supervisor's answer. Tables and prose only; [`plan`](super::plan)
//! decides which of it a run uses.

use rand::Rng;
use serde_json::{Value, json};

use super::draw::sample_indices;

/// The name of the execution that wraps the sub-agents.
pub(super) const SUPERVISOR: &str = "supervisor";

/// A sub-agent the supervisor can call, in pipeline order.
pub(super) struct Role {
    /// `agent_name` on the wire.
    pub(super) name: &'static str,
    /// `task_description` of its `agent_started`.
    pub(super) task: &'static str,
    /// Tools it uses.
    pub(super) tools: &'static [Tool],
    /// Reasoning sentences; `{r}` is replaced by an excerpt of the request.
    pub(super) thoughts: &'static [&'static str],
    /// What its `agent_completed` reports.
    pub(super) summary: &'static str,
}

/// The sub-agents, in the order the supervisor calls them.
pub(super) const ROLES: [Role; 5] = [
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
pub(super) const PLANNING: [&str; 4] = [
    "Breaking down \"{r}\" into data collection, analysis and recommendation steps",
    "The user asks \"{r}\"; routing it to the agents that own cost and usage data",
    "Deciding which sub-agents are needed to answer \"{r}\"",
    "Checking what we already know about this account before fetching fresh data for \"{r}\"",
];

/// The supervisor's closing thoughts.
pub(super) const SYNTHESIS: [&str; 3] = [
    "Combining the sub-agents' findings into one answer for \"{r}\"",
    "Ranking the recommendations by estimated monthly savings and effort",
    "Double-checking the numbers before writing the final answer",
];

/// Why a sub-agent fails; `{region}` is replaced by a region.
pub(super) const FAILURES: [(&str, &str); 4] = [
    ("TimeoutError", "Upstream billing API timed out after 30s while fetching usage for {region}"),
    ("RateLimitError", "Rate limit exceeded (429) from the pricing API; retry budget exhausted"),
    (
        "DataUnavailableError",
        "Usage export for {region} is not available yet (last import 6 hours ago)",
    ),
    ("OutputParserException", "LLM response could not be parsed as JSON after 3 attempts"),
];

/// Recommendations the final answer picks from; `{instance}` is replaced by an instance type.
pub(super) const RECOMMENDATIONS: [&str; 5] = [
    "rightsize {instance} nodes that sit below 30% GPU utilisation",
    "stop dev and test GPU clusters outside working hours",
    "move batch training jobs to spot capacity with checkpointing",
    "cover the steady baseline with a 1-year reservation",
    "delete unattached volumes and snapshots older than 90 days",
];

/// Regions; a run's tool calls each use a different one, so no two calls look alike.
pub(super) const REGIONS: [&str; 4] = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"];
/// Billing periods, one per tool call of a run.
pub(super) const PERIODS: [&str; 4] =
    ["last_30_days", "month_to_date", "last_7_days", "last_90_days"];
/// Accounts, one per tool call of a run.
pub(super) const ACCOUNTS: [&str; 4] =
    ["acct-prod-ml", "acct-research", "acct-data-platform", "acct-staging"];
/// Report audiences, one per tool call of a run.
pub(super) const AUDIENCES: [&str; 4] = ["engineering", "finance", "leadership", "platform-ops"];
/// GPU instance types and their providers.
pub(super) const INSTANCES: [(&str, &str, f64); 4] = [
    ("p4d.24xlarge", "aws", 32.77),
    ("g5.12xlarge", "aws", 5.67),
    ("a2-highgpu-8g", "gcp", 29.39),
    ("Standard_NC24ads_A100_v4", "azure", 3.67),
];

/// The tools sub-agents call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tool {
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
    pub(super) fn name(self) -> &'static str {
        match self {
            Tool::CostAnalyzer => "cost_analyzer",
            Tool::UsageQuery => "usage_query",
            Tool::PricingLookup => "pricing_lookup",
            Tool::ForecastModel => "forecast_model",
            Tool::ReportBuilder => "report_builder",
        }
    }
}

/// Facts of the account a run talks about, so tool results and the answer agree.
pub(super) struct Facts {
    /// Spend over the last 30 days, in dollars.
    pub(super) monthly_spend: f64,
    /// Estimated savings, in percent.
    pub(super) savings_pct: u64,
    /// Average GPU utilisation, in percent.
    pub(super) gpu_util_pct: u64,
    /// The main GPU instance type, its provider and on-demand hourly price.
    pub(super) instance: (&'static str, &'static str, f64),
}

/// The parameters and results of one call of `tool`, before the bridge's sanitising. `variant`
/// (the call's index in the run) picks the region, period and account, so no two calls of a run
/// look alike; the parameters carry a secret for the sanitising to redact.
pub(super) fn tool_data<R: Rng + ?Sized>(
    rng: &mut R,
    tool: Tool,
    variant: usize,
    request: &str,
    facts: &Facts,
) -> (Value, Value) {
    let region = nth(&REGIONS, variant);
    let period = nth(&PERIODS, variant);
    let (instance, provider, hourly) = facts.instance;
    let secret = format!("sk-live-{:016x}{:08x}", rng.random::<u64>(), rng.random::<u32>());
    let share = rng.random_range(0.15..0.6);
    match tool {
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
    }
}

/// The supervisor's answer (mentioning the request) and its structured result.
pub(super) fn answer<R: Rng + ?Sized>(
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

/// Rounds to cents.
pub(super) fn round2(value: f64) -> f64 {
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

/// Item `index` of a fixed list, wrapping around.
fn nth<'a>(items: &[&'a str], index: usize) -> &'a str {
    if items.is_empty() { "" } else { items.get(index % items.len()).copied().unwrap_or_default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_are_whole_and_thousands_separated() {
        assert_eq!(dollars(1_234_567.4), "$1,234,567");
        assert_eq!(dollars(999.0), "$999");
    }
}
