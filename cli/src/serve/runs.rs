//! Simulated runs in progress: each is a task that sends its scripted frames (with their faults)
//! through the hub, and demo users start them on their own.

use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use super::script::{self, RunSpec};
use super::spelling;
use super::{DEMO_REQUESTS, Shared, faults, frames, now};

/// The most runs one user can have in progress; more `start_agent`s are refused.
const MAX_ACTIVE_RUNS: usize = 8;

/// A demo user's own activity: a new run every `run_every` seconds on average, forever.
pub(crate) async fn demo_traffic(shared: Arc<Shared>, user: String, index: usize, run_every: f64) {
    let mut rng = StdRng::seed_from_u64(
        shared.seed.wrapping_add(index as u64).wrapping_mul(0x2545_F491_4F6C_DD1D),
    );
    loop {
        let wait = run_every * rng.random_range(0.5..1.5);
        tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        let request =
            DEMO_REQUESTS.get(rng.random_range(0..DEMO_REQUESTS.len())).copied().unwrap_or("Help");
        let _ = start_run(&shared, &user, None, request.to_owned());
    }
}

/// The `drop` faults at the positions `at` accepts: each consumes the sequence number its frame
/// would have had (with `--seq`, so the client sees the gap) and is recorded.
fn lose_dropped_frames(
    shared: &Shared,
    user: &str,
    injected: &[faults::InjectedFault],
    at: impl Fn(usize) -> bool,
) {
    for fault in injected.iter().filter(|f| f.kind == faults::FaultKind::Drop && at(f.index)) {
        let _ = shared.hub.skip_seq(user);
        if let Some(truth) = &shared.truth {
            truth.fault(user, fault);
        }
    }
}

/// Counts a user's runs in progress, up to [`MAX_ACTIVE_RUNS`]; the count drops when this does.
struct ActiveRun {
    shared: Arc<Shared>,
    user: String,
}

impl ActiveRun {
    fn start(shared: &Arc<Shared>, user: &str) -> Option<ActiveRun> {
        let mut active = shared.active_runs.lock().ok()?;
        let count = active.entry(user.to_owned()).or_default();
        if *count >= MAX_ACTIVE_RUNS {
            return None;
        }
        *count += 1;
        Some(ActiveRun { shared: Arc::clone(shared), user: user.to_owned() })
    }
}

impl Drop for ActiveRun {
    fn drop(&mut self) {
        if let Ok(mut active) = self.shared.active_runs.lock() {
            if let Some(count) = active.get_mut(&self.user) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    active.remove(&self.user);
                }
            }
        }
    }
}

/// Sends one frame of a run to every connection of its user (and, for the `cross_user` fault, a
/// copy to another connected user), recording it in the truth file. Whether a copy leaked.
fn deliver_run_frame(shared: &Shared, user: &str, frame: &faults::Outgoing, pick: usize) -> bool {
    let sent = shared.hub.send_to_user(user, &frame.text);
    if let Some(truth) = &shared.truth {
        truth.frame(user, &sent, &frame.text, frame.fault);
        for connection in &sent.dropped {
            truth.too_slow(user, *connection);
        }
    }
    if !frame.also_to_other_user {
        return false;
    }
    let parsed = serde_json::from_str::<Value>(&frame.text).ok();
    let thread_id = parsed.as_ref().and_then(|v| v.get("thread_id")).and_then(Value::as_str);
    let Some(other) = shared.hub.other_user(user, thread_id, pick) else { return false };
    let leaked = shared.hub.send_to_user(&other, &frame.text);
    if let Some(truth) = &shared.truth {
        truth.leak(user, &other, &leaked, &frame.text);
        for connection in &leaked.dropped {
            truth.too_slow(&other, *connection);
        }
    }
    true
}

/// Starts a simulated run for `user`; its frames go to every connection of the user.
pub(crate) fn start_run(
    shared: &Arc<Shared>,
    user: &str,
    thread_id: Option<String>,
    request: String,
) -> Vec<Value> {
    let start = now();
    let thread_id = thread_id.unwrap_or_else(|| shared.mint_id("thread_ws", start));
    let run_id = shared.mint_id("run_ws", start);
    let request_id = shared.mint_id("ws_req", start);
    // Each run has its own generator, derived from the seed and the run's number, so a run's
    // content does not depend on how tasks interleave.
    let mut rng =
        StdRng::seed_from_u64(shared.seed ^ shared.next_id().wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let spec = RunSpec {
        user_id: user,
        thread_id: &thread_id,
        run_id: &run_id,
        request_id: &request_id,
        request: &request,
    };
    let mut script = script::script_run(&mut rng, &spec, &shared.shapes, start, shared.speed);
    if shared.shapes.october {
        // Drawn after the script, so runs without `--shapes oct` are what they always were.
        spelling::respell(&mut rng, &mut script);
    }
    let (outgoing, injected) =
        faults::apply_to_run(&mut rng, script, &shared.faults, shared.stall_after_ms);
    tracing::info!(user, run = %run_id, frames = outgoing.len(), faults = injected.len(), "run started");
    let drop_connection = rng.random_bool(shared.faults.rate(faults::FaultKind::DropConnection));
    let pick = rng.random_range(0..1024usize);
    // Drawn after every other choice of the run, so it changes none of them.
    let freeze_connection =
        rng.random_bool(shared.faults.rate(faults::FaultKind::FreezeConnection));
    let Some(active) = ActiveRun::start(shared, user) else {
        let message = format!("{MAX_ACTIVE_RUNS} runs are already in progress for this user");
        return vec![frames::error_message("AGENT_REQUEST_ERROR", &message, now())];
    };
    let shared = Arc::clone(shared);
    let user = user.to_owned();
    tokio::spawn(async move {
        let _active = active;
        // `drop_connection` and `freeze_connection` strike mid-run, after the middle frame; a run
        // that drew both only drops (a dropped connection can't also freeze).
        let drop_after = drop_connection.then_some(outgoing.len() / 2);
        let freeze_after = (freeze_connection && !drop_connection).then_some(outgoing.len() / 2);
        let total = outgoing.len();
        for (index, frame) in outgoing.iter().enumerate() {
            tokio::time::sleep(Duration::from_millis(frame.delay_ms)).await;
            lose_dropped_frames(&shared, &user, &injected, |at| at == index);
            let leaked = deliver_run_frame(&shared, &user, frame, pick);
            // Faults are recorded when they happen, not when planned: a leak needs another
            // connected user to happen at all.
            for fault in
                injected.iter().filter(|f| f.index == index && f.kind != faults::FaultKind::Drop)
            {
                if fault.kind == faults::FaultKind::CrossUser && !leaked {
                    continue;
                }
                if let Some(truth) = &shared.truth {
                    truth.fault(&user, fault);
                }
            }
            if drop_after == Some(index) {
                if let Some(connection) = shared.hub.drop_one_connection(&user, pick) {
                    if let Some(truth) = &shared.truth {
                        truth.connection_fault(
                            faults::FaultKind::DropConnection,
                            &user,
                            Some(connection),
                        );
                    }
                }
            }
            if freeze_after == Some(index) {
                if let Some(connection) = shared.hub.freeze_one_connection(&user, pick) {
                    if let Some(truth) = &shared.truth {
                        truth.connection_fault(
                            faults::FaultKind::FreezeConnection,
                            &user,
                            Some(connection),
                        );
                    }
                }
            }
        }
        lose_dropped_frames(&shared, &user, &injected, |at| at >= total);
        // October connections send their cleanup frames now; September ones ignore this.
        let (_, dropped) = shared.hub.end_run(&user, &run_id, &thread_id);
        if let Some(truth) = &shared.truth {
            for connection in dropped {
                truth.too_slow(&user, connection);
            }
        }
    });
    vec![]
}
