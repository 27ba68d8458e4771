//! Writes a large, realistic, clean manager stream for benchmarking `agentwire check`.
//!
//! ```sh
//! cargo run --release -p agentwire --example synthetic_stream -- recording 1000 > big.jsonl
//! cargo run --release -p agentwire --example synthetic_stream -- frames 100 > frames.txt
//! ```
//! The first argument is `frames` (one frame per line) or `recording` (an agentwire recording);
//! the second is the size in MB (default 100).
#![allow(clippy::print_stdout, clippy::print_stderr, missing_docs)]

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

use std::io::{BufWriter, Write};

use agentwire::Timestamp;
use agentwire::recording::{Direction, Header, Record, RecordingWriter};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let format = args.next().unwrap_or_else(|| "frames".to_owned());
    let megabytes: u64 = args.next().map(|n| n.parse()).transpose()?.unwrap_or(100);
    let limit = megabytes * 1_000_000;
    let mut stream = synthetic::Stream::new(7);
    let stdout = std::io::stdout().lock();
    let mut written = 0u64;
    let start = Timestamp::from_unix_micros(1_758_207_374_000_000);
    match format.as_str() {
        "frames" => {
            let mut out = BufWriter::new(stdout);
            while written < limit {
                let frame = stream.next_frame();
                written += frame.len() as u64 + 1;
                writeln!(out, "{frame}")?;
            }
            out.flush()?;
        }
        "recording" => {
            let header =
                Header { url: "ws://127.0.0.1:8080/ws".into(), user_id: None, started_at: start };
            let mut out = RecordingWriter::new(BufWriter::new(stdout), &header)?;
            let mut t = start;
            while written < limit {
                let text = stream.next_frame();
                written += text.len() as u64 + 60;
                t = t.add_micros(20_000);
                out.write(&Record::Frame { dir: Direction::In, t, text })?;
            }
            out.flush()?;
        }
        other => {
            return Err(format!("unknown format {other:?}: use `frames` or `recording`").into());
        }
    }
    Ok(())
}
