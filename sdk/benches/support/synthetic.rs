//! A deterministic, realistic mixed manager stream for benchmarks: S3 agent events (most
//! frames), some S4 bridge frames and `reasoning` quirks, heartbeats and pongs; frames of about
//! 200 B to 2 KB. Shared by the decode benchmark and the `synthetic_stream` example (which writes
//! large recordings for `agentwire check`).
#![allow(
    clippy::indexing_slicing,
    reason = "benchmark data generator: indices are bounded by construction"
)]

use std::fmt::Write as _;

/// A tiny deterministic generator (xorshift64*), so every run of a benchmark sees the same frames.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const WORDS: &[&str] = &[
    "analysing",
    "instance",
    "pricing",
    "across",
    "regions",
    "comparing",
    "reserved",
    "spot",
    "capacity",
    "for",
    "the",
    "GPU",
    "fleet",
    "utilisation",
    "is",
    "below",
    "forecast",
    "so",
    "rightsizing",
    "could",
    "save",
    "about",
    "thirty",
    "percent",
    "per",
    "month",
    "checking",
    "commitments",
    "and",
    "historical",
    "usage",
    "before",
    "recommending",
    "changes",
];
const TOOLS: &[&str] =
    &["cost_analyzer", "usage_forecaster", "db_query", "pricing_lookup", "report_builder"];
const AGENTS: &[&str] = &["triage", "data_helper", "optimizer", "reporter"];

fn sentence(rng: &mut Rng, min_len: usize, max_len: usize) -> String {
    let target = min_len + rng.below((max_len - min_len) as u64) as usize;
    let mut text = String::with_capacity(target + 16);
    while text.len() < target {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    text
}

fn iso(micros: i64) -> String {
    // 2025-09-18T14:56:14 + offset; formatted by hand to keep the generator dependency-free.
    let total = 1_758_207_374_000_000 + micros;
    let secs = total / 1_000_000;
    let frac = total % 1_000_000;
    let day_secs = secs % 86_400;
    format!(
        "2025-09-{:02}T{:02}:{:02}:{:02}.{frac:06}+00:00",
        18 + (secs - 1_758_153_600) / 86_400,
        day_secs / 3600,
        (day_secs % 3600) / 60,
        day_secs % 60
    )
}

/// Generates frames of many clean runs until `count` frames have been produced.
pub(crate) struct Stream {
    rng: Rng,
    clock: i64,
    run: u64,
    pending: std::collections::VecDeque<String>,
}

impl Stream {
    pub(crate) fn new(seed: u64) -> Self {
        Stream { rng: Rng::new(seed), clock: 0, run: 0, pending: Default::default() }
    }

    fn tick(&mut self) -> String {
        self.clock += 150_000 + self.rng.below(400_000) as i64;
        iso(self.clock)
    }

    fn s3(&mut self, kind: &str, run: &str, agent: &str, body: &str) -> String {
        let ts = self.tick();
        format!(
            r#"{{"timestamp":"{ts}","critical":true,"type":"{kind}","agent_name":"{agent}",{body}"user_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","thread_id":"thread_ws_{run}","run_id":"run_ws_{run}","request_id":"ws_req_{run}","metadata":{{"user_tier":"free","is_priority_queue":false}}}}"#
        )
    }

    fn bridge(&mut self, kind: &str, run: &str, agent: &str, root: &str, data: &str) -> String {
        let ts = self.tick();
        format!(
            r#"{{"type":"{kind}","run_id":"run_ws_{run}","user_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","agent_name":"{agent}",{root}"timestamp":"{ts}","data":{{{data}}}}}"#
        )
    }

    fn results(&mut self) -> String {
        let rows = 1 + self.rng.below(12);
        let mut text = String::from("{");
        for row in 0..rows {
            let _ = write!(
                text,
                r#""item_{row}":{{"region":"eu-west-{}","monthly_cost":{}.{:02},"note":"{}"}},"#,
                self.rng.below(4),
                self.rng.below(90_000),
                self.rng.below(100),
                sentence(&mut self.rng, 10, 60)
            );
        }
        text.push_str(r#""savings_pct":31}"#);
        text
    }

    fn queue_run(&mut self) {
        self.run += 1;
        let run = format!("{}_{}", 1_758_207_374_000 + self.run, self.run);
        let mut frames = Vec::new();
        let bridge = self.rng.below(5) == 0;
        let agents: Vec<&str> = std::iter::once("supervisor")
            .chain((0..1 + self.rng.below(3)).map(|i| AGENTS[i as usize]))
            .collect();
        for agent in &agents {
            frames.push(if bridge {
                self.bridge("agent_started", &run, agent, "", r#""status":"started","context":{"status":"starting","phase":"initialization"},"message":"has started processing your request""#)
            } else {
                self.s3("agent_started", &run, agent, r#""task_description":"Processing request","status":"started","#)
            });
            for _ in 0..1 + self.rng.below(3) {
                let thought = sentence(&mut self.rng, 80, 1400);
                let kind = if self.rng.below(8) == 0 { "reasoning" } else { "agent_thinking" };
                frames.push(self.s3(
                    kind,
                    &run,
                    agent,
                    &format!(r#""reasoning":"{thought}","step_number":2,"#),
                ));
            }
            for _ in 0..self.rng.below(3) {
                let tool = TOOLS[self.rng.below(TOOLS.len() as u64) as usize];
                let params = format!(
                    r#"{{"region":"eu-west-1","api_key":"[REDACTED]","query":"{}"}}"#,
                    sentence(&mut self.rng, 10, 120)
                );
                frames.push(self.s3("tool_executing", &run, agent, &format!(r#""tool_name":"{tool}","tool_args":{params},"parameters":{params},"execution_id":null,"status":"executing","#)));
                let results = self.results();
                frames.push(if bridge {
                    self.bridge("tool_completed", &run, agent, &format!(r#""tool_name":"{tool}","results":{results},"#), r#""execution_time_ms":812,"status":"completed""#)
                } else {
                    self.s3("tool_completed", &run, agent, &format!(r#""tool_name":"{tool}","results":{results},"execution_time":0.81,"duration":0.81,"success":true,"execution_id":null,"#))
                });
            }
            if *agent != "supervisor" {
                frames.push(self.s3(
                    "agent_completed",
                    &run,
                    agent,
                    r#""status":"completed","final_response":"Task completed","#,
                ));
            }
        }
        let answer = sentence(&mut self.rng, 100, 600);
        frames.push(self.s3(
            "agent_completed",
            &run,
            "supervisor",
            &format!(r#""status":"completed","final_response":"{answer}","#),
        ));
        for (index, frame) in frames.into_iter().enumerate() {
            if index % 7 == 3 {
                let ts = self.tick();
                self.pending.push_back(format!(
                    r#"{{"type":"heartbeat","data":{{"connection_id":"main_3fa9c2d1","timestamp":"{ts}","stats":{{"messages_processed":{index},"agent_events_processed":{index}}}}},"timestamp":1758207374.5,"server_id":null,"correlation_id":null}}"#
                ));
            }
            self.pending.push_back(frame);
        }
    }

    /// The next frame of the stream.
    pub(crate) fn next_frame(&mut self) -> String {
        loop {
            if let Some(frame) = self.pending.pop_front() {
                return frame;
            }
            self.queue_run();
        }
    }
}
