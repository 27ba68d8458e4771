//! The output of `agentwire check`: a readable report, or one JSON object (`--json`).
//!
//! The readable report is plain text, no colours:
//!
//! ```text
//! faulty.frames: frames file, 16 frames, 15 events, 3 runs
//!
//! run run_ws_1758207374102_1_5f3a9c21
//!   warning  duplicate-event       frame 6  agent_thinking (frame 6) repeats frame 5 ...
//!   error    tool-never-completed  frame 9  tool_executing `cost_analyzer` (frame 4) was never ...
//!
//! connection
//!   error    malformed-frame       frame 7  frame 7 is not an event: ...
//!
//! counts per rule
//!   malformed-frame       error    1
//!   tool-never-completed  error    1
//!   duplicate-event       warning  1
//!
//! FAIL: 2 errors, 1 warning
//! ```

use std::borrow::Cow;
use std::cmp::Reverse;
use std::io::{self, Write};

use agentwire::{Flag, Rule, Severity};

use crate::check::{Outcome, UserSource};
use crate::flags::{Flags, SAMPLE_PER_RULE, Section};

/// The width of the severity column (`warning`).
const SEVERITY_WIDTH: usize = 7;

/// Why an output could not be produced (`agentwire rules --json`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReportError {
    /// The JSON encoder failed. Does not happen with the types rendered here; kept so that
    /// rendering never needs to panic.
    #[error("could not encode the JSON output: {0}")]
    Json(#[from] serde_json::Error),
}

/// Writes the `--json` output: one JSON object on one line, `{"frames", "events", "runs",
/// "flags": [...]}` (the keys of docs/rules.md), flags in the order raised.
///
/// # Errors
/// When `out` (or the flags' temporary file) fails.
pub(crate) fn write_json(outcome: &mut Outcome, out: &mut impl Write) -> io::Result<()> {
    let summary = &outcome.summary;
    write!(
        out,
        "{{\"frames\":{},\"events\":{},\"runs\":{},\"flags\":[",
        summary.frames, summary.events, summary.runs
    )?;
    outcome.flags.write_json(out)?;
    out.write_all(b"]}\n")
}

/// The readable report: a header, the flags grouped by where they sit (a run, the anonymous
/// run, the connection: docs/rules.md, "Scopes"; the first [`SAMPLE_PER_RULE`] of
/// each rule), what was left out, the counts per rule, the verdict.
pub(crate) fn render_text(outcome: &Outcome) -> String {
    let mut out = header(outcome);
    let flags = &outcome.flags;
    let shown = || flags.groups().iter().flat_map(|(_, members)| members);

    let rule_width = shown().map(|flag| flag.rule.id().len()).max().unwrap_or_default();
    let frame_width = shown().map(|flag| frame_label(flag).len()).max().unwrap_or_default();

    if flags.total() == 0 {
        out.push_str("\nno flags\n");
    }
    for (section, members) in flags.groups() {
        match section {
            Section::Run(run) => out.push_str(&format!("\nrun {}\n", printable(run))),
            Section::AnonymousRun => out.push_str("\nanonymous run\n"),
            Section::Connection => out.push_str("\nconnection\n"),
        }
        for flag in members {
            out.push_str(&format!(
                "  {:<SEVERITY_WIDTH$}  {:<rule_width$}  {:<frame_width$}  {}\n",
                flag.severity.as_str(),
                flag.rule.id(),
                frame_label(flag),
                printable(&flag.message),
            ));
        }
    }
    let omitted: Vec<String> = flags
        .counts()
        .keys()
        .filter(|rule| flags.omitted(**rule) > 0)
        .map(|rule| format!("{} {}", flags.omitted(*rule), rule.id()))
        .collect();
    if !omitted.is_empty() {
        out.push_str(&format!(
            "\nnot shown (the first {SAMPLE_PER_RULE} flags of each rule are): {}; --json lists every flag\n",
            omitted.join(", ")
        ));
    }

    let counts = counts_per_rule(flags);
    if !counts.is_empty() {
        out.push_str("\ncounts per rule\n");
        for (rule, count) in &counts {
            out.push_str(&format!(
                "  {:<rule_width$}  {:<SEVERITY_WIDTH$}  {count}\n",
                rule.id(),
                rule.severity().as_str(),
            ));
        }
    }

    out.push('\n');
    out.push_str(&verdict(flags));
    out.push('\n');
    out
}

/// Notes for stderr that neither output format has room for.
pub(crate) fn notes(outcome: &Outcome) -> Option<String> {
    let skipped = &outcome.skipped_records;
    let (line, kind) = skipped.first.as_ref()?;
    Some(format!(
        "note: {}: skipped {} of unknown type (first: line {line}, type {:?}); a newer agentwire may understand them",
        outcome.path.display(),
        plural(skipped.count, "record", "records"),
        printable(kind),
    ))
}

/// `faulty.har: HAR (2 WebSocket entries), 16 frames, 15 events, 3 runs`, then the user line.
fn header(outcome: &Outcome) -> String {
    let summary = &outcome.summary;
    let format = match outcome.websocket_entries {
        Some(entries) => format!(
            "{} ({})",
            outcome.format.describe(),
            plural(entries as u64, "WebSocket entry", "WebSocket entries")
        ),
        None => outcome.format.describe().to_owned(),
    };
    let mut out = format!(
        "{}: {format}, {}, {}, {}\n",
        printable(&outcome.path.display().to_string()),
        plural(summary.frames, "frame", "frames"),
        plural(summary.events, "event", "events"),
        plural(summary.runs, "run", "runs"),
    );
    if let Some((user, source)) = &outcome.user {
        let source = match source {
            UserSource::Option => "from --user",
            UserSource::RecordingHeader => "from the recording header",
            UserSource::Learned => "learned from a pong or ack frame",
        };
        out.push_str(&format!("user: {} ({source})\n", printable(user)));
    }
    out
}

/// `frame 12`, or `end` for a flag raised at the end of the stream.
fn frame_label(flag: &Flag) -> String {
    match flag.frame {
        Some(frame) => format!("frame {frame}"),
        None => "end".to_owned(),
    }
}

/// How many flags each rule raised: errors first, then warnings, then info; within a
/// severity, in the order of docs/rules.md.
fn counts_per_rule(flags: &Flags) -> Vec<(Rule, u64)> {
    let mut counts: Vec<(Rule, u64)> =
        flags.counts().iter().map(|(rule, count)| (*rule, *count)).collect();
    counts.sort_by_key(|(rule, _)| (Reverse(rule.severity()), *rule));
    counts
}

/// `FAIL: 3 errors, 2 warnings, 1 info`, or `OK: no errors (1 warning)`.
fn verdict(flags: &Flags) -> String {
    let (errors, warnings, infos) = (
        flags.count_of(Severity::Error),
        flags.count_of(Severity::Warning),
        flags.count_of(Severity::Info),
    );
    let mut others = Vec::new();
    if warnings > 0 {
        others.push(plural(warnings, "warning", "warnings"));
    }
    if infos > 0 {
        others.push(plural(infos, "info", "info"));
    }
    if errors > 0 {
        let mut parts = vec![plural(errors, "error", "errors")];
        parts.extend(others);
        format!("FAIL: {}", parts.join(", "))
    } else if others.is_empty() {
        "OK: no errors".to_owned()
    } else {
        format!("OK: no errors ({})", others.join(", "))
    }
}

fn plural(count: u64, one: &str, many: &str) -> String {
    if count == 1 { format!("1 {one}") } else { format!("{count} {many}") }
}

/// The text with control characters escaped, so that a hostile frame can't move the cursor
/// or recolour the terminal through a message (`unknown-type` quotes the frame's `type`).
fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Format, SkippedRecords};
    use agentwire::Summary;
    use std::path::PathBuf;

    fn flag(rule: Rule, frame: Option<u64>, run: Option<&str>, message: &str) -> Flag {
        Flag {
            rule,
            severity: rule.severity(),
            frame,
            related_frames: vec![],
            run_id: run.map(str::to_owned),
            message: message.to_owned(),
        }
    }

    fn log(list: &[Flag]) -> Flags {
        let mut flags = Flags::new(true);
        for flag in list {
            flags.push(flag.clone()).unwrap();
        }
        flags
    }

    fn outcome(flags: Vec<Flag>) -> Outcome {
        Outcome {
            path: PathBuf::from("s.frames"),
            format: Format::Frames,
            summary: Summary { frames: 12, events: 11, runs: 2, ..Summary::default() },
            flags: log(&flags),
            user: None,
            websocket_entries: None,
            skipped_records: SkippedRecords::default(),
        }
    }

    #[test]
    fn verdict_counts_each_severity() {
        let verdict = |list: &[Flag]| verdict(&log(list));
        assert_eq!(verdict(&[]), "OK: no errors");
        let warning = flag(Rule::DuplicateEvent, Some(1), None, "d");
        let info = flag(Rule::SlowGap, Some(2), None, "s");
        let error = flag(Rule::MalformedFrame, Some(3), None, "m");
        assert_eq!(verdict(std::slice::from_ref(&warning)), "OK: no errors (1 warning)");
        assert_eq!(
            verdict(&[warning.clone(), warning.clone(), info.clone()]),
            "OK: no errors (2 warnings, 1 info)"
        );
        assert_eq!(verdict(std::slice::from_ref(&error)), "FAIL: 1 error");
        assert_eq!(
            verdict(&[error.clone(), error, warning.clone(), warning, info.clone(), info]),
            "FAIL: 2 errors, 2 warnings, 2 info"
        );
    }

    #[test]
    fn text_report_groups_by_run_in_order_of_first_flag_and_aligns_columns() {
        let text = render_text(&outcome(vec![
            flag(Rule::DuplicateEvent, Some(6), Some("r1"), "dup"),
            flag(Rule::MalformedFrame, Some(7), None, "bad"),
            flag(Rule::ToolNeverCompleted, Some(12), Some("r1"), "tool"),
            flag(Rule::RunIncomplete, None, Some("r2"), "open"),
        ]));
        let expected = "\
s.frames: frames file, 12 frames, 11 events, 2 runs

run r1
  warning  duplicate-event       frame 6   dup
  error    tool-never-completed  frame 12  tool

connection
  error    malformed-frame       frame 7   bad

run r2
  error    run-incomplete        end       open

counts per rule
  malformed-frame       error    1
  tool-never-completed  error    1
  run-incomplete        error    1
  duplicate-event       warning  1

FAIL: 3 errors, 1 warning
";
        assert_eq!(text, expected);
    }

    #[test]
    fn text_report_escapes_control_characters() {
        let text = render_text(&outcome(vec![flag(
            Rule::UnknownType,
            Some(0),
            Some("r\u{1b}[2J"),
            "type `\u{1b}[31mred\n`",
        )]));
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains("type `\\u{1b}[31mred\\n`"), "{text}");
    }

    #[test]
    fn json_report_has_exactly_the_documented_keys() {
        let mut out = Vec::new();
        write_json(&mut outcome(vec![flag(Rule::RunIncomplete, None, Some("r2"), "m")]), &mut out)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"frames\":12,\"events\":11,\"runs\":2,\"flags\":[{\"rule\":\"run-incomplete\",\
             \"severity\":\"error\",\"frame\":null,\"run_id\":\"r2\",\"message\":\"m\"}]}\n"
        );
    }
}
