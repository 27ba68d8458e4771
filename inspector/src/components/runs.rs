//! The selected user's runs as timelines: executions (agent, start, end, status), tool calls as
//! bars from tool_executing to tool_completed with their durations, thinking steps as ticks,
//! flags where they were raised, and the connection's lifecycle (disconnects, retries, resumes,
//! unrecoverable gaps) on the same axis, so a missing event can be told apart from a dropped
//! connection.

use agentwire::{Severity, Timestamp};
use yew::prelude::*;

use crate::format;
use crate::state::{ExecutionStatus, FlagId, Run, ToolStatus};
use crate::store::Store;

/// The most runs drawn (newest first); the rest are counted.
const MAX_SHOWN: usize = 40;

/// Properties of [`RunTimelines`].
#[derive(Properties, PartialEq)]
pub struct RunTimelinesProps {
    /// The state.
    pub store: Store,
    /// The user whose runs to show.
    pub user: Option<String>,
    /// A frame on a timeline was clicked.
    pub on_frame: Callback<u64>,
    /// A flag on a timeline was clicked.
    pub on_flag: Callback<FlagId>,
}

/// See the [module documentation](self).
#[function_component(RunTimelines)]
pub fn run_timelines(props: &RunTimelinesProps) -> Html {
    let state = props.store.state();
    let Some(lane) = props.user.as_deref().and_then(|user| state.lane_by_user(user)) else {
        return html! {
            <section class="runs"><p class="empty">{ "Select a user on the left to see their runs." }</p></section>
        };
    };
    let now = state.now();
    let runs = lane.runs();
    let total = runs.len();
    let shown = runs.iter().rev().take(MAX_SHOWN).map(|run| timeline(run, now, props));
    html! {
        <section class="runs" aria-label="Runs">
            <div class="runs-head">
                <h2>{ format!("Runs of {}", lane.user()) }</h2>
                <span class="muted">{ format!("{total} runs{}", if total > MAX_SHOWN { format!(", newest {MAX_SHOWN} shown") } else { String::new() }) }</span>
                if runs.evicted() > 0 {
                    <span class="muted">{ format!(" · {} older runs evicted", runs.evicted()) }</span>
                }
                <span class="legend">
                    <i class="lg exec" />{ "execution" }<i class="lg tool" />{ "tool call" }<i class="lg think" />{ "thinking" }
                    <i class="lg flag" />{ "flag" }<i class="lg conn" />{ "connection" }
                </span>
            </div>
            if total == 0 {
                <p class="empty">{ "No runs yet." }</p>
            }
            <div class="run-list">{ for shown }</div>
        </section>
    }
}

/// Where on the axis, in percent.
struct Axis {
    start: Timestamp,
    span: f64,
}

impl Axis {
    fn at(&self, at: Timestamp) -> f64 {
        (at.micros_since(self.start) as f64 / self.span * 100.0).clamp(0.0, 100.0)
    }

    fn bar(&self, from: Timestamp, to: Timestamp) -> String {
        let left = self.at(from);
        let width = (self.at(to) - left).max(0.6);
        format!("left:{left:.3}%;width:{width:.3}%")
    }
}

/// Bars in rows so that overlapping ones (a supervisor and the agents it calls, parallel tool
/// calls) sit one under the other: each bar goes to the first row free at its start.
fn pack(bars: impl Iterator<Item = (Timestamp, Timestamp, Html)>) -> Vec<Vec<Html>> {
    let mut rows: Vec<(Timestamp, Vec<Html>)> = Vec::new();
    for (from, to, bar) in bars {
        match rows.iter_mut().find(|(end, _)| *end <= from) {
            Some((end, row)) => {
                *end = to;
                row.push(bar);
            }
            None => rows.push((to, vec![bar])),
        }
    }
    rows.into_iter().map(|(_, row)| row).collect()
}

fn timeline(run: &Run, now: Option<Timestamp>, props: &RunTimelinesProps) -> Html {
    let end =
        if run.is_open() { now.unwrap_or(run.last_at()).max(run.last_at()) } else { run.last_at() };
    let end = run
        .connection()
        .iter()
        .map(|m| m.at)
        .chain(run.flags().iter().map(|f| f.at))
        .fold(end, Timestamp::max);
    let axis =
        Axis { start: run.first_at(), span: (end.micros_since(run.first_at()).max(1_000)) as f64 };
    let label = run.id().unwrap_or("(no run id)").to_owned();
    let errors = run.flags().iter().filter(|f| f.severity == Severity::Error).count();

    let executions = run.executions().iter().map(|execution| {
        let from = execution.start.at;
        let to = execution.end.map_or(end, |mark| mark.at);
        let (status, class) = match &execution.status {
            ExecutionStatus::Open => ("running".to_owned(), "open"),
            ExecutionStatus::Completed => ("completed".to_owned(), "ok"),
            ExecutionStatus::Error { error } => (format!("error: {}", error.as_deref().unwrap_or("?")), "failed"),
            ExecutionStatus::Death { cause } => (format!("died: {}", cause.as_deref().unwrap_or("?")), "failed"),
            ExecutionStatus::TimedOut { error } => (format!("timed out: {}", error.as_deref().unwrap_or("?")), "failed"),
        };
        let agent = execution.agent.clone().unwrap_or_else(|| "agent".to_owned());
        let seq = execution.start.seq;
        let onclick = props.on_frame.reform(move |_: MouseEvent| seq);
        let took = execution.end.map(|mark| format::duration(mark.at.micros_since(execution.start.at))).unwrap_or_default();
        let bar = html! {
            <div class={classes!("bar", "exec", class)} style={axis.bar(execution.start.at, to)} {onclick}
                title={format!("{agent}: {status} {took}")}>{ format!("{agent} {took}") }</div>
        };
        (from, to, bar)
    });
    let tools = run.tools().iter().map(|tool| {
        let from = tool.start.at;
        let to = tool.end.map_or(end, |mark| mark.at);
        let class = match &tool.status {
            ToolStatus::Open => "open",
            ToolStatus::Completed => "ok",
            _ => "failed",
        };
        let name = tool.tool_name.clone().unwrap_or_else(|| "tool".to_owned());
        let took = tool.duration_micros().map(format::duration).unwrap_or_else(|| "no completion".to_owned());
        let seq = tool.start.seq;
        let onclick = props.on_frame.reform(move |_: MouseEvent| seq);
        let bar = html! {
            <div class={classes!("bar", "tool", class)} style={axis.bar(tool.start.at, to)} {onclick}
                title={format!("{name}: {took}")}>{ format!("{name} {took}") }</div>
        };
        (from, to, bar)
    });
    let thinking = run.thinking().iter().map(|step| {
        let seq = step.mark.seq;
        let onclick = props.on_frame.reform(move |_: MouseEvent| seq);
        html! { <i class="tick think" style={format!("left:{:.3}%", axis.at(step.mark.at))} {onclick} title={step.text.clone()} /> }
    });
    let flags = run.flags().iter().map(|mark| {
        let id = mark.id;
        let onclick = props.on_flag.reform(move |_: MouseEvent| id);
        html! {
            <i class={classes!("tick", "flag", format::severity(mark.severity))} style={format!("left:{:.3}%", axis.at(mark.at))}
                {onclick} title={mark.rule.id()} />
        }
    });
    // Each connection marker is a line on the track and a note under it.
    let (connection, connection_notes): (Vec<Html>, Vec<Html>) = run
        .connection()
        .iter()
        .map(|marker| {
            let (text, class) = format::lifecycle(&marker.lifecycle);
            let line = html! { <i class={classes!("conn-line", class)} style={format!("left:{:.3}%", axis.at(marker.at))} title={text.clone()} /> };
            let note = html! { <li class={classes!("conn-note", class)}>{ format!("{} {text}", format::time_of_day(marker.at)) }</li> };
            (line, note)
        })
        .unzip();
    html! {
        <article class={classes!("run", run.is_open().then_some("live"), (errors > 0).then_some("has-errors"))}>
            <header>
                <span class="run-id" title={label.clone()}>{ label }</span>
                <span class="muted">{ format!("{} · {} events · {}", format::time_of_day(run.first_at()), run.events(), format::duration(run.last_at().micros_since(run.first_at()))) }</span>
                <span class={classes!("run-state", if run.is_open() { "open" } else { "done" })}>{ if run.is_open() { "in progress" } else { "finished" } }</span>
                if !run.flags().is_empty() {
                    <span class="run-flags">{ format!("{} flags", run.flags().len()) }</span>
                }
            </header>
            <div class="track">
                { for pack(executions).into_iter().map(|row| html! { <div class="lane-row">{ for row }</div> }) }
                { for pack(tools).into_iter().map(|row| html! { <div class="lane-row">{ for row }</div> }) }
                <div class="lane-row ticks">{ for thinking }{ for flags }</div>
                { for connection }
            </div>
            if !run.connection().is_empty() {
                <ul class="conn-notes">{ for connection_notes }</ul>
            }
        </article>
    }
}
