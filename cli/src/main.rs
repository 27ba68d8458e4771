//! `agentwire`: the command line of agentwire.
//!
//! * `agentwire check FILE` judges a recorded stream of agent events with the run checker of the
//!   `agentwire` crate (the rules of docs/rules.md) and prints a report;
//! * `agentwire rules` lists the checker's rules.
//!
//! This file only parses the arguments, dispatches, and maps the outcome to an exit status:
//! the work is in [`check`], [`report`] and [`rules`].

mod check;
mod flags;
mod report;
mod rules;
mod serve;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::builder::NonEmptyStringValueParser;
use clap::{Args, Parser, Subcommand};

/// Exit status when no flag is an error.
const EXIT_OK: u8 = 0;
/// Exit status when at least one flag is an error.
const EXIT_ERRORS: u8 = 1;
/// Exit status when the input can't be read (also clap's status for a usage error).
const EXIT_UNREADABLE: u8 = 2;

const CHECK_LONG_ABOUT: &str = "\
Check the recorded frames of ONE WebSocket connection against the run checker's rules and print a \
report. The checker never stops at the first problem: it flags, then carries on.

The input format is detected from the content, not from the file name:
  * HAR file: one JSON object with a `log` key (pretty-printed or not), as Chrome and Firefox \
export it. The received text messages (`receive`, opcode 1) of every entry's \
`_webSocketMessages` are checked, in file order; sent and binary messages and non-WebSocket \
entries are ignored.
  * agentwire recording: JSON Lines whose first line is a header with \
`\"type\":\"agentwire.recording\"`, as the SDK and the inspector export it. Received frames \
(`\"dir\":\"in\"`) are checked; sent frames and open, close and reconnect records are not. When \
--user is not given, the header's `user_id` is the connection's user.
  * anything else: a frames file, one frame's text per line exactly as received. Empty and \
whitespace-only lines are skipped; any other line is a frame, and a line that is not an event \
(not JSON, not UTF-8, no `type`) is a `malformed-frame` flag, not a failure to read.

Time comes from the frames' own timestamps, never from the machine's clock, so a file always \
gives the same report. The file is streamed and memory stays bounded whatever it holds: a line \
longer than --max-frame-bytes is skipped as a `malformed-frame`, the readable report shows the \
first 100 flags of each rule and counts every flag (--json lists them all).

Flags are grouped by where they sit: a run, the connection's anonymous run (agent events \
without ids), or the connection (each rule's scope).

Run `agentwire rules` to list every rule id, its severity, its scope and what it means.";

const CHECK_AFTER_LONG_HELP: &str = "\
Exit status:
  0  no flag is an error (warnings and info may have been raised)
  1  at least one flag is an error
  2  the input can't be checked: missing file, I/O error, binary data, no frames at all (an empty \
capture passes nothing), a HAR that is not valid JSON or has two `log` keys, a recording line \
that is not a valid record (the line number is printed on stderr), or bad arguments

Examples:
  agentwire check session.har
  agentwire check frames.txt --user 7c9e6679-7425-40de-944b-e07fc1f90ae7 --stall-after 45
  agentwire check recording.jsonl --json | jq '.flags[] | select(.severity == \"error\")'";

/// Check recordings of AI-agent WebSocket streams against the agentwire run rules, and run a
/// simulated manager to develop against.
#[derive(Debug, Parser)]
#[command(name = "agentwire", version, propagate_version = true)]
#[command(after_help = "Run `agentwire help check` for the input formats and exit statuses, and \
                         `agentwire rules` for the rule ids.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a frames file, an agentwire recording or a HAR file; exit 1 when an error is flagged.
    #[command(long_about = CHECK_LONG_ABOUT, after_long_help = CHECK_AFTER_LONG_HELP)]
    Check(CheckArgs),
    /// List every rule of the checker: id, severity, scope and what it means.
    #[command(
        long_about = "List every rule of the checker: its stable id (the name used in reports and \
                      in `check --json`), its severity (error, warning or info), its scope (a run, \
                      or the connection: where `check` reports its flags) and when it fires."
    )]
    Rules(RulesArgs),
    /// Run a simulated manager: the real manager's WebSocket protocol at /ws, realistic agent
    /// runs, and the inspector page at /.
    #[command(
        long_about = "Run a simulated manager on 127.0.0.1: the real manager's WebSocket protocol \
                      at /ws (JWT subprotocol auth, connection_established, ping/pong, heartbeats, \
                      acks, error frames), realistic agent runs for `user_message` and \
                      `start_agent`, each delivered to every connection of its user and never to \
                      another, and the inspector page at /. In dev mode (the default on loopback) \
                      GET /dev/token?user=ID mints a token for any user.\n\n\
                      An option given twice takes its last value (scripts/serve passes defaults \
                      that yours override).\n\n\
                      Logs go to stderr; RUST_LOG=debug shows more. Stop with Ctrl-C.",
        args_override_self = true
    )]
    Serve(Box<serve::ServeArgs>),
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The file to check: frames (one per line), an agentwire recording, or a HAR file.
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// The connection's user id; events for any other user are `cross-user-event` errors.
    ///
    /// Without it, the user comes from a recording's header, or is learned from the first `pong`
    /// or `ack` frame naming one (events before that are not judged for cross-user leaks).
    #[arg(long, value_name = "ID", value_parser = NonEmptyStringValueParser::new())]
    user: Option<String>,

    /// Silence, in seconds, after which an active run is `run-stalled` [default: 30].
    ///
    /// A gap longer than this between two events of an active run is `run-stalled` (a warning);
    /// a gap over 15 s but within this limit is `slow-gap` (info). Fractions are allowed (2.5);
    /// the value must be greater than 0.
    #[arg(long, value_name = "SECS", value_parser = parse_stall_after, allow_negative_numbers = true)]
    stall_after: Option<Duration>,

    /// Print one JSON object instead of the readable report:
    /// {"frames", "events", "runs", "flags": [{"rule", "severity", "frame", "run_id", "message"}]}.
    ///
    /// `frame` is the 0-based index of the frame that triggered the flag (null at the end of the
    /// stream); `run_id` is the run's id (or thread id), null outside any run. Flags are listed in
    /// the order they were raised.
    #[arg(long)]
    json: bool,

    /// The longest frame (a line of a frames file or a recording) that is read, in bytes.
    ///
    /// A longer line is read to its end without being kept (memory stays bounded whatever the
    /// input) and is a `malformed-frame` flag.
    #[arg(long, value_name = "BYTES", default_value_t = agentwire::recording::MAX_LINE,
          value_parser = clap::value_parser!(usize))]
    max_frame_bytes: usize,
}

#[derive(Debug, Args)]
struct RulesArgs {
    /// Print a JSON array of {"id", "severity", "scope", "description"} instead of aligned text.
    #[arg(long)]
    json: bool,
}

/// Why a `--stall-after` value was refused.
#[derive(Debug, thiserror::Error)]
enum StallAfterError {
    /// Not a decimal number.
    #[error("`{0}` is not a number of seconds")]
    NotANumber(String),
    /// Zero, negative, infinite or NaN.
    #[error("the stall deadline must be a number of seconds greater than 0")]
    NotPositive,
    /// Too large for a `Duration`.
    #[error("`{0}` seconds is too long")]
    TooLong(String),
}

/// `--stall-after SECS`: a finite number of seconds greater than 0.
fn parse_stall_after(text: &str) -> Result<Duration, StallAfterError> {
    let seconds: f64 =
        text.trim().parse().map_err(|_| StallAfterError::NotANumber(text.to_owned()))?;
    if !seconds.is_finite() || seconds <= 0.0 {
        return Err(StallAfterError::NotPositive);
    }
    let duration = Duration::try_from_secs_f64(seconds)
        .map_err(|_| StallAfterError::TooLong(text.to_owned()))?;
    if duration.is_zero() {
        return Err(StallAfterError::NotPositive);
    }
    Ok(duration)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = match cli.command {
        Command::Check(args) => run_check(args),
        Command::Rules(args) => run_rules(&args),
        Command::Serve(args) => run_serve(*args),
    };
    ExitCode::from(status)
}

fn run_check(args: CheckArgs) -> u8 {
    let options = check::CheckOptions {
        path: args.file,
        user: args.user,
        stall_after: args.stall_after,
        json: args.json,
        max_frame_bytes: args.max_frame_bytes,
    };
    let mut outcome = match check::run(&options) {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("agentwire check: {error}");
            return EXIT_UNREADABLE;
        }
    };
    if let Some(notes) = report::notes(&outcome) {
        eprintln!("agentwire check: {notes}");
    }
    let status = if outcome.has_errors() { EXIT_ERRORS } else { EXIT_OK };
    if args.json {
        // Streamed: with many flags the JSON is far larger than the text report.
        let mut stdout = io::BufWriter::new(io::stdout().lock());
        let written = report::write_json(&mut outcome, &mut stdout).and_then(|()| stdout.flush());
        return finish_output(written, status);
    }
    write_stdout(&report::render_text(&outcome), status)
}

fn run_rules(args: &RulesArgs) -> u8 {
    let rendered = if args.json { rules::render_json() } else { Ok(rules::render_text()) };
    match rendered {
        Ok(text) => write_stdout(&text, EXIT_OK),
        Err(error) => {
            eprintln!("agentwire rules: {error}");
            EXIT_UNREADABLE
        }
    }
}

fn run_serve(args: serve::ServeArgs) -> u8 {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(io::stderr).init();
    match serve::run(args) {
        Ok(()) => EXIT_OK,
        Err(error) => {
            eprintln!("agentwire serve: {error}");
            EXIT_UNREADABLE
        }
    }
}

/// Writes the output and gives back `status`. A closed pipe (`agentwire check x | head`) is not
/// an error; any other write failure is reported and exits 2.
fn write_stdout(text: &str, status: u8) -> u8 {
    let mut stdout = io::stdout().lock();
    finish_output(stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()), status)
}

/// `status` after writing the output, or 2 when writing failed (a closed pipe is not a failure).
fn finish_output(written: io::Result<()>, status: u8) -> u8 {
    match written {
        Ok(()) => status,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => status,
        Err(error) => {
            eprintln!("agentwire: can't write the output: {error}");
            EXIT_UNREADABLE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn stall_after_accepts_positive_seconds_only() {
        assert_eq!(parse_stall_after("45").unwrap(), Duration::from_secs(45));
        assert_eq!(parse_stall_after("2.5").unwrap(), Duration::from_millis(2500));
        for bad in ["0", "-1", "0.0", "NaN", "inf", "abc", "", "1e400", "1e-12"] {
            assert!(parse_stall_after(bad).is_err(), "{bad} was accepted");
        }
    }
}
