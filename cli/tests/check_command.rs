//! `agentwire check` and `agentwire rules`, run as a user would: the real binary on fixture
//! files (tests/fixtures/) and on generated temporary files.
//!
//! The fixtures hold one connection's stream in the manager's S3 shape:
//! * `clean_run.frames`: a supervisor run with a sub-agent, heartbeats and a pong; no flag.
//! * `faulty_run.frames`: a dropped tool_completed (frame 4's call never completes), a retried
//!   agent_thinking (frame 6 duplicates frame 5), a truncated line (frame 7), another user's
//!   event (frame 8, a run never started here), and a second run with a 17.2 s gap (frame 13).
//! * `faulty_run.recording.jsonl` and `faulty_run.har`: the same received frames, with sent
//!   frames, open/close/reconnect records (HAR: a second WebSocket entry, a binary message, a
//!   script entry) around them.
//! * `stalled_run.frames`: a clean run with a 20 s gap inside a tool call.

// Helpers outside `#[test]` functions are test code too: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::panic, reason = "test helpers")]

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// The user of the fixture streams.
const USER: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
/// Run ids in the faulty stream.
const RUN_A: &str = "run_ws_1758207374102_1_5f3a9c21";
const RUN_LEAKED: &str = "run_ws_1758207366551_2_9e0b7d44";
const RUN_B: &str = "run_ws_1758207391877_3_c2d4e6f8";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures").join(name)
}

fn agentwire<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_agentwire")).args(args).output().expect("run agentwire")
}

fn check(file: &Path, extra: &[&str]) -> Output {
    let mut args = vec![std::ffi::OsString::from("check"), file.as_os_str().to_owned()];
    args.extend(extra.iter().map(std::ffi::OsString::from));
    agentwire(args)
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

fn status(output: &Output) -> i32 {
    output.status.code().expect("exit code")
}

/// `check FILE --json ...`: the exit code and the parsed object.
fn check_json(file: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    let output = check(file, &args);
    let text = stdout(&output);
    assert_eq!(text.lines().count(), 1, "one JSON line expected: {text}");
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (status(&output), value)
}

/// `(rule, frame, run_id)` of every flag, in order.
fn flag_keys(report: &Value) -> Vec<(String, Option<u64>, Option<String>)> {
    report["flags"]
        .as_array()
        .expect("flags array")
        .iter()
        .map(|flag| {
            (
                flag["rule"].as_str().expect("rule").to_owned(),
                flag["frame"].as_u64(),
                flag["run_id"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn key(rule: &str, frame: Option<u64>, run: Option<&str>) -> (String, Option<u64>, Option<String>) {
    (rule.to_owned(), frame, run.map(str::to_owned))
}

/// A file in the temporary directory, deleted when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = format!(
            "agentwire-cli-{}-{}-{name}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        TempFile(std::env::temp_dir().join(unique))
    }

    fn with_contents(name: &str, contents: &[u8]) -> Self {
        let file = TempFile::new(name);
        std::fs::write(&file.0, contents).expect("write temp file");
        file
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn clean_frames_file_passes_with_exit_0_and_no_flags() {
    let output = check(&fixture("clean_run.frames"), &[]);
    let text = stdout(&output);
    assert_eq!(status(&output), 0, "{text}");
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(
        header.ends_with("clean_run.frames: frames file, 13 frames, 13 events, 1 run"),
        "{header}"
    );
    assert!(text.contains(&format!("user: {USER} (learned from a pong or ack frame)")), "{text}");
    assert!(text.contains("\nno flags\n"), "{text}");
    assert!(!text.contains("counts per rule"), "{text}");
    assert_eq!(text.lines().last(), Some("OK: no errors"));
    assert!(output.stderr.is_empty(), "{}", stderr(&output));
}

#[test]
fn clean_frames_file_as_json_has_counts_and_no_flags() {
    let (code, report) = check_json(&fixture("clean_run.frames"), &[]);
    assert_eq!(code, 0);
    assert_eq!(report, serde_json::json!({"frames": 13, "events": 13, "runs": 1, "flags": []}));
}

#[test]
fn faulty_frames_file_fails_with_exit_1_and_groups_flags_by_run() {
    let output = check(&fixture("faulty_run.frames"), &[]);
    let text = stdout(&output);
    assert_eq!(status(&output), 1, "{text}");
    assert!(text.lines().next().unwrap().ends_with(": frames file, 16 frames, 15 events, 3 runs"));

    // Groups in the order of their first flag; flags outside any run under "connection".
    let groups: Vec<&str> =
        text.lines().filter(|line| line.starts_with("run ") || *line == "connection").collect();
    assert_eq!(
        groups,
        [
            format!("run {RUN_A}").as_str(),
            "connection",
            format!("run {RUN_LEAKED}").as_str(),
            format!("run {RUN_B}").as_str()
        ]
    );

    // Each flag line: severity, rule, frame, message, in aligned columns, under its run.
    let section = |title: &str| -> Vec<String> {
        text.split("\n\n")
            .find(|block| block.starts_with(&format!("{title}\n")))
            .unwrap_or_else(|| panic!("no section {title}: {text}"))
            .lines()
            .skip(1)
            .map(str::to_owned)
            .collect()
    };
    let run_a = section(&format!("run {RUN_A}"));
    assert_eq!(run_a.len(), 2, "{run_a:?}");
    assert!(
        run_a[0].starts_with(
            "  warning  duplicate-event       frame 6   agent_thinking (frame 6) repeats frame 5"
        ),
        "{}",
        run_a[0]
    );
    assert!(run_a[1].starts_with("  error    tool-never-completed  frame 9   tool_executing `cost_analyzer` (frame 4) was never completed"), "{}", run_a[1]);
    let connection = section("connection");
    assert_eq!(connection.len(), 1);
    assert!(
        connection[0]
            .starts_with("  error    malformed-frame       frame 7   frame 7 is not an event"),
        "{}",
        connection[0]
    );
    let leaked = section(&format!("run {RUN_LEAKED}"));
    assert_eq!(leaked.len(), 1);
    assert!(leaked[0].starts_with("  error    event-before-start    frame 8   "), "{}", leaked[0]);
    let run_b = section(&format!("run {RUN_B}"));
    assert_eq!(run_b.len(), 1);
    assert!(run_b[0].starts_with("  info     slow-gap              frame 13  "), "{}", run_b[0]);

    // Counts per rule: errors first, then warnings, then info.
    assert_eq!(
        section("counts per rule"),
        [
            "  malformed-frame       error    1",
            "  event-before-start    error    1",
            "  tool-never-completed  error    1",
            "  duplicate-event       warning  1",
            "  slow-gap              info     1",
        ]
    );
    assert_eq!(text.lines().last(), Some("FAIL: 3 errors, 1 warning, 1 info"));
}

#[test]
fn json_output_has_exactly_the_documented_keys_in_raised_order() {
    let (code, report) = check_json(&fixture("faulty_run.frames"), &["--user", USER]);
    assert_eq!(code, 1);
    let object = report.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["events", "flags", "frames", "runs"]);
    assert_eq!(
        (report["frames"].as_u64(), report["events"].as_u64(), report["runs"].as_u64()),
        (Some(16), Some(15), Some(3))
    );
    for flag in report["flags"].as_array().unwrap() {
        let mut keys: Vec<&str> = flag.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["frame", "message", "rule", "run_id", "severity"]);
        assert!(matches!(flag["severity"].as_str(), Some("error" | "warning" | "info")), "{flag}");
        assert!(!flag["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(
        flag_keys(&report),
        [
            key("duplicate-event", Some(6), Some(RUN_A)),
            key("malformed-frame", Some(7), None),
            key("cross-user-event", Some(8), Some(RUN_LEAKED)),
            key("event-before-start", Some(8), Some(RUN_LEAKED)),
            key("tool-never-completed", Some(9), Some(RUN_A)),
            key("slow-gap", Some(13), Some(RUN_B)),
        ]
    );
    assert_eq!(report["flags"][2]["severity"], "error");
    assert_eq!(report["flags"][5]["severity"], "info");
}

#[test]
fn end_of_stream_flags_have_a_null_frame() {
    let file = TempFile::with_contents(
        "unfinished.frames",
        br#"{"type":"agent_started","user_id":"u1","thread_id":"t1","run_id":"r1","agent_name":"supervisor","timestamp":"2025-09-18T14:56:15+00:00"}
{"type":"agent_thinking","reasoning":"Still going","run_id":"r1","timestamp":"2025-09-18T14:56:16+00:00"}
"#,
    );
    let (code, report) = check_json(&file.0, &[]);
    assert_eq!(code, 1);
    assert_eq!(flag_keys(&report), [key("run-incomplete", None, Some("r1"))]);
    let text = stdout(&check(&file.0, &[]));
    assert!(text.contains("  error    run-incomplete  end  run `r1` never finished"), "{text}");
}

#[test]
fn user_option_enables_cross_user_detection() {
    let (_, without) = check_json(&fixture("faulty_run.frames"), &[]);
    assert!(!flag_keys(&without).iter().any(|(rule, ..)| rule == "cross-user-event"));

    let output = check(&fixture("faulty_run.frames"), &["--user", USER]);
    let text = stdout(&output);
    assert_eq!(status(&output), 1);
    assert!(text.contains(&format!("user: {USER} (from --user)")), "{text}");
    assert!(text.contains("  error    cross-user-event      frame 8   agent_thinking `pricing_agent` (frame 8) is for user `b41d2e07-93c1-4f55-8a2e-0d6c9f1e7a33`"), "{text}");
    assert_eq!(text.lines().last(), Some("FAIL: 4 errors, 1 warning, 1 info"));

    // The right user is no breach at all.
    let (_, with_own_user) = check_json(
        &fixture("faulty_run.frames"),
        &["--user", "b41d2e07-93c1-4f55-8a2e-0d6c9f1e7a33"],
    );
    let cross: Vec<_> = flag_keys(&with_own_user)
        .into_iter()
        .filter(|(rule, ..)| rule == "cross-user-event")
        .map(|(_, frame, _)| frame)
        .collect();
    // Seen from the other user's connection, every event of this user's runs leaks instead.
    assert!(!cross.contains(&Some(8)), "{cross:?}");
    assert!(cross.contains(&Some(2)), "{cross:?}");
}

#[test]
fn recording_and_har_give_the_same_report_as_the_frames_file() {
    let frames = check_json(&fixture("faulty_run.frames"), &["--user", USER]);
    let recording = check_json(&fixture("faulty_run.recording.jsonl"), &["--user", USER]);
    let har = check_json(&fixture("faulty_run.har"), &["--user", USER]);
    assert_eq!(recording, frames);
    assert_eq!(har, frames);

    // Without a user, the HAR file (which names none) matches the frames file too.
    assert_eq!(
        check_json(&fixture("faulty_run.har"), &[]),
        check_json(&fixture("faulty_run.frames"), &[])
    );
}

#[test]
fn the_inspectors_golden_report_is_what_check_says_about_its_fixture() {
    // The inspector's browser test imports faulty_run.recording.jsonl and compares its flags with
    // this file; it must stay exactly `agentwire check --json`'s report.
    let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../inspector/tests/fixtures/faulty_run.check.json");
    let golden: Value = serde_json::from_str(&std::fs::read_to_string(&golden).unwrap()).unwrap();
    let (code, report) = check_json(&fixture("faulty_run.recording.jsonl"), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        report, golden,
        "regenerate with: agentwire check --json cli/tests/fixtures/faulty_run.recording.jsonl > inspector/tests/fixtures/faulty_run.check.json"
    );
}

#[test]
fn recording_and_har_reports_name_their_format() {
    let text = stdout(&check(&fixture("faulty_run.recording.jsonl"), &[]));
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with(": agentwire recording, 16 frames, 15 events, 3 runs"),
        "{text}"
    );
    let text = stdout(&check(&fixture("faulty_run.har"), &[]));
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with(": HAR (2 WebSocket entries), 16 frames, 15 events, 3 runs"),
        "{text}"
    );
}

#[test]
fn recording_header_user_is_the_connection_user_without_the_option() {
    let output = check(&fixture("faulty_run.recording.jsonl"), &[]);
    let text = stdout(&output);
    assert!(text.contains(&format!("user: {USER} (from the recording header)")), "{text}");
    let (_, report) = check_json(&fixture("faulty_run.recording.jsonl"), &[]);
    assert!(flag_keys(&report).contains(&key("cross-user-event", Some(8), Some(RUN_LEAKED))));
    // --user wins over the header.
    let (_, report) = check_json(
        &fixture("faulty_run.recording.jsonl"),
        &["--user", "b41d2e07-93c1-4f55-8a2e-0d6c9f1e7a33"],
    );
    assert!(!flag_keys(&report).contains(&key("cross-user-event", Some(8), Some(RUN_LEAKED))));
}

#[test]
fn stall_after_turns_a_slow_gap_into_a_stall() {
    let stalled = fixture("stalled_run.frames");
    let run = "run_ws_1758207720050_1_77aa0b3e";

    let output = check(&stalled, &[]);
    assert_eq!(status(&output), 0);
    assert_eq!(stdout(&output).lines().last(), Some("OK: no errors (1 info)"));
    assert_eq!(flag_keys(&check_json(&stalled, &[]).1), [key("slow-gap", Some(5), Some(run))]);

    let output = check(&stalled, &["--stall-after", "10"]);
    let text = stdout(&output);
    assert_eq!(status(&output), 0, "run-stalled is a warning");
    assert!(text.contains("  warning  run-stalled  frame 5  run `run_ws_1758207720050_1_77aa0b3e` had no event for 20 s between frame 3 and tool_completed `billing_export` (frame 5) (stall limit 10 s)"), "{text}");
    assert_eq!(text.lines().last(), Some("OK: no errors (1 warning)"));

    assert_eq!(
        flag_keys(&check_json(&stalled, &["--stall-after", "19.5"]).1),
        [key("run-stalled", Some(5), Some(run))]
    );
    // A gap of exactly stall_after is neither: stalls need a longer gap, slow gaps a shorter one.
    assert_eq!(flag_keys(&check_json(&stalled, &["--stall-after", "20"]).1), []);
    assert_eq!(
        flag_keys(&check_json(&stalled, &["--stall-after", "45"]).1),
        [key("slow-gap", Some(5), Some(run))]
    );
}

#[test]
fn stall_after_must_be_a_positive_number_of_seconds() {
    for bad in ["0", "-3", "-0.5", "abc", "inf", "NaN", ""] {
        let output = check(&fixture("clean_run.frames"), &["--stall-after", bad]);
        assert_eq!(status(&output), 2, "{bad}");
        assert!(stderr(&output).contains("--stall-after"), "{bad}: {}", stderr(&output));
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn missing_file_exits_2_with_a_message() {
    let missing = fixture("no_such_file.frames");
    for extra in [&[][..], &["--json"][..]] {
        let output = check(&missing, extra);
        assert_eq!(status(&output), 2);
        assert!(output.stdout.is_empty());
        let message = stderr(&output);
        assert!(
            message.contains("can't open") && message.contains("no_such_file.frames"),
            "{message}"
        );
    }
}

#[test]
fn a_directory_is_not_readable_input() {
    let output = check(&fixture(""), &[]);
    assert_eq!(status(&output), 2, "{}", stdout(&output));
    assert!(stderr(&output).contains("fixtures"), "{}", stderr(&output));
}

#[test]
fn corrupt_recording_line_exits_2_naming_the_line() {
    let output = check(&fixture("corrupt_line.recording.jsonl"), &[]);
    assert_eq!(status(&output), 2);
    assert!(output.stdout.is_empty(), "{}", stdout(&output));
    let message = stderr(&output);
    assert!(
        message.contains("corrupt_line.recording.jsonl: line 5, column 70: invalid record: EOF"),
        "{message}"
    );
    assert!(!message.contains("line 1"), "only the recording's own line is named: {message}");
}

#[test]
fn unknown_record_types_are_skipped_with_a_note() {
    let recording = std::fs::read_to_string(fixture("faulty_run.recording.jsonl")).unwrap();
    let mut lines: Vec<&str> = recording.lines().collect();
    lines.insert(
        3,
        r#"{"type":"annotation","t":"2025-09-18T14:56:14.500Z","text":"user clicked Send"}"#,
    );
    let file =
        TempFile::with_contents("annotated.recording.jsonl", (lines.join("\n") + "\n").as_bytes());
    let output = check(&file.0, &["--json"]);
    assert_eq!(status(&output), 1);
    assert!(
        stderr(&output)
            .contains("skipped 1 record of unknown type (first: line 4, type \"annotation\")"),
        "{}",
        stderr(&output)
    );
    let (_, report) = check_json(&file.0, &[]);
    assert_eq!(report, check_json(&fixture("faulty_run.recording.jsonl"), &[]).1);
}

#[test]
fn truncated_har_exits_2() {
    let output = check(&fixture("truncated.har"), &[]);
    assert_eq!(status(&output), 2);
    assert!(output.stdout.is_empty());
    assert!(stderr(&output).contains("truncated.har: invalid HAR"), "{}", stderr(&output));
}

#[test]
fn har_like_file_that_is_not_json_is_checked_as_frames() {
    // JavaScript object syntax, not JSON: it has no JSON `log` key, so by the detection rules
    // it is a frames file, and every non-blank line is a malformed frame (exit 1, not 2).
    let (code, report) = check_json(&fixture("not_json_har_like.har"), &[]);
    assert_eq!(code, 1);
    assert_eq!(report["frames"], 7);
    assert_eq!(report["events"], 0);
    let rules: Vec<String> = flag_keys(&report).into_iter().map(|(rule, ..)| rule).collect();
    assert_eq!(rules, vec!["malformed-frame"; 7]);
    let text = stdout(&check(&fixture("not_json_har_like.har"), &[]));
    assert!(
        text.lines().next().unwrap().ends_with(": frames file, 7 frames, 0 events, 0 runs"),
        "{text}"
    );
}

#[test]
fn malformed_lines_of_a_frames_file_are_flags_not_read_errors() {
    let mut contents = Vec::new();
    contents.extend_from_slice(b"\xEF\xBB\xBF{\"type\":\"heartbeat\",\"data\":{}}\r\n");
    contents.extend_from_slice(b"   \n\t\n");
    contents.extend_from_slice(b"{\"type\":\"pong\",\"data\":{\"text\":\"\xFF\xFE\"}}\n");
    contents.extend_from_slice(b"[1,2,3]\n");
    contents.extend_from_slice(b"{\"no_type\":true}\n");
    contents.extend_from_slice(b"{\"type\":\"heartbeat\",\"data\":{}}");
    let file = TempFile::with_contents("mixed.frames", &contents);
    let (code, report) = check_json(&file.0, &[]);
    assert_eq!(code, 1);
    assert_eq!((report["frames"].as_u64(), report["events"].as_u64()), (Some(5), Some(2)));
    assert_eq!(
        flag_keys(&report),
        [
            key("malformed-frame", Some(1), None),
            key("malformed-frame", Some(2), None),
            key("malformed-frame", Some(3), None),
        ]
    );
}

#[cfg(unix)]
#[test]
fn input_can_be_a_pipe_that_cannot_be_rewound() {
    use std::process::Stdio;
    for name in ["faulty_run.frames", "faulty_run.recording.jsonl", "faulty_run.har"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_agentwire"))
            .args(["check", "/dev/stdin", "--json", "--user", USER])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The fixtures fit in a pipe's buffer, so writing all of it first can't block.
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&std::fs::read(fixture(name)).unwrap()).unwrap();
        drop(stdin);
        let output = child.wait_with_output().unwrap();
        assert_eq!(status(&output), 1, "{name}: {}", stderr(&output));
        let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
        assert_eq!(
            report,
            check_json(&fixture("faulty_run.frames"), &["--user", USER]).1,
            "{name}"
        );
    }
}

#[test]
fn a_capture_with_no_frames_exits_2_instead_of_passing() {
    let header = r#"{"type":"agentwire.recording","version":1,"url":"ws://h/ws","started_at":0}"#;
    for (name, contents, format) in [
        ("empty.frames", "", "frames file"),
        ("blank.frames", "\n  \n\t\n", "frames file"),
        ("header-only.jsonl", header, "agentwire recording"),
        ("no-messages.har", r#"{"log":{"entries":[{"request":{}}]}}"#, "HAR"),
    ] {
        let file = TempFile::with_contents(name, contents.as_bytes());
        let output = check(&file.0, &[]);
        assert_eq!(status(&output), 2, "{name}");
        assert!(stdout(&output).is_empty(), "{name}: no report");
        let message = stderr(&output);
        assert!(
            message.contains(&format!("no frames: the {format} holds no received frame")),
            "{name}: {message}"
        );
    }
}

#[test]
fn binary_input_exits_2_instead_of_reading_one_endless_line() {
    let file = TempFile::with_contents("zeros.bin", &vec![0u8; 100_000]);
    let output = check(&file.0, &[]);
    assert_eq!(status(&output), 2);
    assert!(
        stderr(&output).contains("binary data (a NUL byte at offset 0)"),
        "{}",
        stderr(&output)
    );
}

#[cfg(unix)]
#[test]
fn dev_zero_is_refused_as_binary_without_reading_it_all() {
    let output = check(Path::new("/dev/zero"), &[]);
    assert_eq!(status(&output), 2);
    assert!(stderr(&output).contains("binary data"), "{}", stderr(&output));
}

#[test]
fn a_frame_over_the_length_limit_is_a_malformed_frame_and_checking_goes_on() {
    let long = format!("{{\"type\":\"heartbeat\",\"data\":{{\"pad\":\"{}\"}}}}", "x".repeat(5_000));
    let contents =
        format!("{{\"type\":\"pong\"}}\n{long}\r\n{{\"type\":\"heartbeat\",\"data\":{{}}}}\n");
    let file = TempFile::with_contents("long.frames", contents.as_bytes());
    let (code, report) = check_json(&file.0, &["--max-frame-bytes", "1000"]);
    assert_eq!(code, 1);
    assert_eq!((report["frames"].as_u64(), report["events"].as_u64()), (Some(3), Some(2)));
    assert_eq!(flag_keys(&report), [key("malformed-frame", Some(1), None)]);
    let message = report["flags"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("{} bytes, longer than the 1000-byte limit", long.len())),
        "{message}"
    );
    // Within the default limit (16 MiB) the same line is a frame like any other.
    let (code, _) = check_json(&file.0, &[]);
    assert_eq!(code, 0);

    // In a recording, an over-long record line is the same flag, and the reader goes on.
    let header = r#"{"type":"agentwire.recording","version":1,"url":"ws://h/ws","started_at":0}"#;
    let record =
        |text: &str| serde_json::json!({"type":"frame","dir":"in","t":1,"text":text}).to_string();
    let recording = format!(
        "{header}\n{}\n{}\n{}\n",
        record(r#"{"type":"pong"}"#),
        record(&long),
        record(r#"{"type":"pong"}"#)
    );
    let file = TempFile::with_contents("long.jsonl", recording.as_bytes());
    let (code, report) = check_json(&file.0, &["--max-frame-bytes", "1000"]);
    assert_eq!(code, 1);
    assert_eq!(report["frames"].as_u64(), Some(3));
    assert_eq!(flag_keys(&report), [key("malformed-frame", Some(1), None)]);
}

#[test]
fn a_har_with_two_log_keys_is_refused_as_ambiguous() {
    let file =
        TempFile::with_contents("two-logs.har", br#"{"log":{"entries":[]},"log":{"entries":[]}}"#);
    let output = check(&file.0, &[]);
    assert_eq!(status(&output), 2);
    assert!(stderr(&output).contains("two `log` keys"), "{}", stderr(&output));
}

/// 40,000 runs that each raise a flag: the text report shows the first 100 flags of the rule
/// and counts the rest (grouping is linear: a map from run to group, not a search per flag),
/// and `--json` lists every one, in order. The 160,000-run timing is in BENCHMARKS.md.
#[test]
fn many_flagged_runs_show_a_sample_in_text_and_every_flag_in_json() {
    let runs = 40_000;
    let mut contents = String::with_capacity(runs * 80);
    for run in 0..runs {
        contents.push_str(&format!(
            "{{\"type\":\"agent_thinking\",\"run_id\":\"r{run}\",\"reasoning\":\"x\"}}\n"
        ));
    }
    let file = TempFile::with_contents("many.frames", contents.as_bytes());
    let output = check(&file.0, &[]);
    let text = stdout(&output);
    let shown = text.lines().filter(|line| line.contains("event-before-start  frame")).count();
    assert_eq!(shown, 100, "{}", text.lines().take(8).collect::<Vec<_>>().join("\n"));
    assert!(
        text.contains(&format!(
            "not shown (the first 100 flags of each rule are): {} event-before-start",
            runs - 100
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("event-before-start  warning  {runs}"))
            || text.contains(&format!("event-before-start  error    {runs}")),
        "{text}"
    );
    let (_, report) = check_json(&file.0, &[]);
    let flags = report["flags"].as_array().cloned().unwrap_or_default();
    assert_eq!(flags.len(), runs);
    for (index, flag) in flags.iter().enumerate().step_by(997) {
        assert_eq!(flag["run_id"].as_str(), Some(format!("r{index}").as_str()));
    }
}

#[test]
fn run_flags_of_events_without_ids_are_reported_under_the_anonymous_run() {
    let frames = concat!(
        r#"{"type":"agent_thinking","reasoning":"no run named"}"#,
        "\n",
        "{not json\n",
        r#"{"type":"tool_completed","tool_name":"db","results":{}}"#,
        "\n",
    );
    let file = TempFile::with_contents("anonymous.frames", frames.as_bytes());
    let text = stdout(&check(&file.0, &[]));
    let sections: Vec<&str> = text.lines().filter(|line| !line.starts_with(' ')).collect();
    let sections: Vec<&str> = sections
        .into_iter()
        .filter(|line| ["anonymous run", "connection"].contains(line))
        .collect();
    assert_eq!(sections, ["anonymous run", "connection"], "{text}");
    let anonymous = text.split("anonymous run\n").nth(1).unwrap().split("\n\n").next().unwrap();
    assert_eq!(anonymous.matches("event-before-start").count(), 2, "{text}");
}

#[test]
fn rules_json_lists_all_16_rule_ids() {
    let output = agentwire(["rules", "--json"]);
    assert_eq!(status(&output), 0);
    let rules: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let rules = rules.as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|rule| rule["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "malformed-frame",
            "unknown-type",
            "missing-field",
            "event-before-start",
            "event-after-completion",
            "tool-completed-without-executing",
            "tool-never-completed",
            "run-incomplete",
            "run-stalled",
            "slow-gap",
            "missing-thinking",
            "duplicate-event",
            "timestamp-regression",
            "cross-user-event",
            "sequence-gap",
            "sequence-regression",
        ]
    );
    for rule in rules {
        let mut keys: Vec<&str> = rule.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["description", "id", "scope", "severity"]);
        assert!(!rule["description"].as_str().unwrap().is_empty());
    }
    let severity = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap()["severity"].clone();
    let scope = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap()["scope"].clone();
    assert_eq!(
        (scope("missing-thinking"), scope("sequence-gap")),
        ("run".into(), "connection".into())
    );
    assert_eq!(severity("cross-user-event"), "error");
    assert_eq!(severity("duplicate-event"), "warning");
    assert_eq!(severity("slow-gap"), "info");
}

#[test]
fn rules_text_has_one_aligned_line_per_rule() {
    let output = agentwire(["rules"]);
    assert_eq!(status(&output), 0);
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 16);
    let columns: Vec<usize> = lines
        .iter()
        .map(|line| {
            line.find("  error  ")
                .or_else(|| line.find("  warning  "))
                .or_else(|| line.find("  info  "))
                .unwrap()
        })
        .collect();
    assert!(columns.iter().all(|column| *column == columns[0]), "{text}");
    assert!(lines[6].starts_with("tool-never-completed  "), "{}", lines[6]);
    assert!(lines[6].contains("  error    run         A run stopped being active"), "{}", lines[6]);
}

#[test]
fn help_explains_formats_options_exit_codes_and_rules() {
    let top = stdout(&agentwire(["--help"]));
    for needle in ["check", "rules", "agentwire help check"] {
        assert!(top.contains(needle), "--help lacks {needle}: {top}");
    }
    let output = agentwire(["check", "--help"]);
    assert_eq!(status(&output), 0);
    let help = stdout(&output);
    for needle in [
        "HAR file: one JSON object with a `log` key",
        "agentwire.recording",
        "frames file, one frame's text per line",
        "--user <ID>",
        "--stall-after <SECS>",
        "--json",
        "Exit status:",
        "0  no flag is an error",
        "1  at least one flag is an error",
        "2  the input can't be checked",
        "no frames at all",
        "--max-frame-bytes <BYTES>",
        "agentwire rules",
    ] {
        assert!(help.contains(needle), "check --help lacks {needle:?}: {help}");
    }
    let rules_help = stdout(&agentwire(["rules", "--help"]));
    assert!(rules_help.contains("--json"), "{rules_help}");
}

#[test]
fn check_without_a_file_is_a_usage_error() {
    let output = agentwire(["check"]);
    assert_eq!(status(&output), 2);
    assert!(stderr(&output).contains("<FILE>"), "{}", stderr(&output));
}

/// One clean run in the S3 shape: a supervisor, thinking, one tool call, completion, and a
/// heartbeat; six frames within 2.9 seconds. The hour of the day moves with `n`.
fn write_clean_run(out: &mut impl Write, n: u64) -> std::io::Result<()> {
    let start = n * 3; // seconds since midnight; 3 s per run keeps every run on one day
    let at = |offset_ms: u64| {
        let ms = start * 1000 + offset_ms;
        format!(
            "2025-09-18T{:02}:{:02}:{:02}.{:03}000+00:00",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        )
    };
    let ids = format!(
        r#""user_id":"{USER}","thread_id":"thread_ws_bulk_{n}","run_id":"run_ws_bulk_{n}","metadata":{{"user_tier":"free","is_priority_queue":false}}"#
    );
    writeln!(
        out,
        r#"{{"timestamp":"{}","critical":true,"type":"agent_started","agent_name":"supervisor","task_description":"Processing request","status":"started",{ids}}}"#,
        at(0)
    )?;
    writeln!(
        out,
        r#"{{"timestamp":"{}","critical":true,"type":"agent_thinking","reasoning":"Looking up the cost report for request {n}","step_number":1,"agent_name":"supervisor",{ids}}}"#,
        at(300)
    )?;
    writeln!(
        out,
        r#"{{"timestamp":"{}","critical":true,"type":"tool_executing","tool_name":"cost_analyzer","tool_args":{{"window_days":30}},"parameters":{{"window_days":30}},"execution_id":null,"status":"executing",{ids}}}"#,
        at(800)
    )?;
    writeln!(
        out,
        r#"{{"type":"heartbeat","data":{{"connection_id":"main_3fa9c2d1","timestamp":"{}","stats":{{"messages_processed":{n},"agent_events_processed":{n}}}}},"server_id":null,"correlation_id":null}}"#,
        at(1500)
    )?;
    writeln!(
        out,
        r#"{{"timestamp":"{}","critical":true,"type":"tool_completed","tool_name":"cost_analyzer","results":{{"savings_pct":{}}},"execution_time":1.4,"duration":1.4,"success":true,"execution_id":null,{ids}}}"#,
        at(2200),
        n % 50
    )?;
    writeln!(
        out,
        r#"{{"timestamp":"{}","critical":true,"type":"agent_completed","status":"completed","final_response":"Report {n} is ready","agent_name":"supervisor",{ids}}}"#,
        at(2900)
    )?;
    Ok(())
}

#[test]
fn large_frames_file_is_streamed_and_counted() {
    const TARGET_BYTES: u64 = 50 * 1024 * 1024;
    let file = TempFile::new("large.frames");
    let mut runs = 0u64;
    {
        let mut out = BufWriter::new(std::fs::File::create(&file.0).unwrap());
        let mut written = 0u64;
        let mut buffer = Vec::with_capacity(4096);
        while written < TARGET_BYTES {
            buffer.clear();
            write_clean_run(&mut buffer, runs).unwrap();
            out.write_all(&buffer).unwrap();
            written += buffer.len() as u64;
            runs += 1;
        }
        out.flush().unwrap();
    }
    assert!(runs * 3 < 86_400, "the generator keeps every run on one day ({runs} runs)");
    let size = std::fs::metadata(&file.0).unwrap().len();
    assert!(size >= TARGET_BYTES, "{size}");

    let (code, report) = check_json(&file.0, &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        report,
        serde_json::json!({"frames": runs * 6, "events": runs * 6, "runs": runs, "flags": []})
    );
}
