//! Scale: 20 users at 100 frames/s for 60 s (120,000 realistic frames through real SDK
//! sessions) with a filter on and a cap that evicts all along. Asserts counts and memory
//! bounds, not timing (timing is for the browser benchmark).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests fail by panicking")]

#[path = "../../sdk/benches/support/synthetic.rs"]
mod synthetic;

use agentwire::{Session, SessionConfig, Timestamp};
use agentwire_inspector::state::{Action, Filter, MAX_ITEMS_PER_RUN, MAX_RUNS_PER_LANE, State};

const USERS: usize = 20;
const RATE: i64 = 100;
const SECONDS: i64 = 60;
const CAP: usize = 2000;
const START: i64 = 1_758_207_374_000_000;

#[test]
fn twenty_users_at_100_frames_per_second_for_a_minute_stay_within_the_cap() {
    let mut state = State::with_cap(CAP);
    state.apply(Action::SetFilter(Filter { text: "cost".into(), ..Filter::default() }));
    let users: Vec<String> = (0..USERS).map(|n| format!("user-{n:02}")).collect();
    let mut streams: Vec<synthetic::Stream> =
        (0..USERS).map(|n| synthetic::Stream::new(n as u64 + 1)).collect();
    let mut sessions: Vec<Session> = (0..USERS)
        .map(|n| {
            let config = SessionConfig { deliver_duplicates: true, ..SessionConfig::default() };
            let mut session = Session::new(config, n as u64);
            session.connect(Timestamp::from_unix_micros(START));
            session.handle_open(Timestamp::from_unix_micros(START));
            session
        })
        .collect();
    let mut max_kept = 0;

    // One frame per user every 10 ms, a clock tick every second.
    for tick in 0..RATE * SECONDS {
        let now = Timestamp::from_unix_micros(START + tick * 1_000_000 / RATE);
        for (n, session) in sessions.iter_mut().enumerate() {
            session.handle_text(now, &streams[n].next_frame());
            while let Some(event) = session.poll_event() {
                state.apply(Action::Session { user: users[n].clone(), at: now, event });
            }
            while session.poll_command().is_some() {}
        }
        if tick % RATE == 0 {
            state.apply(Action::Tick(now));
            max_kept = max_kept.max(state.kept_frames());
        }
    }
    state.apply(Action::Tick(Timestamp::from_unix_micros(START + SECONDS * 1_000_000)));

    // Nothing dropped, everything beyond the cap evicted and counted.
    let now = state.now().unwrap();
    let per_user = usize::try_from(RATE * SECONDS).unwrap();
    for lane in state.lanes() {
        assert_eq!(lane.frames_received(), per_user as u64, "{}", lane.user());
        assert_eq!(lane.rows().len(), CAP);
        assert_eq!(lane.evicted_frames(), (per_user - CAP) as u64);
        assert!((lane.frames_per_second(now) - 100.0).abs() < 1e-9, "{}", lane.user());
        assert!(lane.flags().len() <= CAP);
        assert!(lane.runs().len() <= MAX_RUNS_PER_LANE);
        assert!(lane.runs().iter().all(|run| run.thinking().len() <= MAX_ITEMS_PER_RUN));
        assert!(lane.lifecycle().len() <= 2);
    }
    assert_eq!(state.kept_frames(), USERS * CAP);
    assert!(max_kept <= USERS * CAP);

    // The filtered view, kept up incrementally under eviction, equals a fresh rebuild.
    let incremental: Vec<u64> = state.visible_rows(0..usize::MAX).map(|row| row.seq()).collect();
    assert!(!incremental.is_empty() && incremental.len() < USERS * CAP);
    assert_eq!(incremental.len(), state.filtered_len());
    assert!(incremental.windows(2).all(|pair| pair[0] < pair[1]));
    state.apply(Action::SetFilter(Filter::default()));
    assert_eq!(state.filtered_len(), USERS * CAP);
    state.apply(Action::SetFilter(Filter { text: "cost".into(), ..Filter::default() }));
    let rebuilt: Vec<u64> = state.visible_rows(0..usize::MAX).map(|row| row.seq()).collect();
    assert_eq!(incremental, rebuilt);

    // A window from the middle, as a virtualised list reads it.
    let middle = state.filtered_len() / 2;
    assert_eq!(state.visible_rows(middle..middle + 40).count(), 40);
}
