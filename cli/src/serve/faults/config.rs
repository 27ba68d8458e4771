//! Fault configuration: the kinds of fault, how often each happens ([`FaultRates`]: the
//! `none`, `mild` and `chaos` presets and `--fault KIND=RATE` overrides), and the typed errors
//! of a bad value.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One kind of fault the simulated manager can inject.
///
/// Names are snake_case on the wire (truth file) and on the command line; the command line also
/// accepts the kebab-case spelling (`duplicate-attempt`).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub(crate) enum FaultKind {
    /// An event is never sent.
    Drop,
    /// An event is sent twice, identical.
    Duplicate,
    /// An event is resent with `"attempt": 2` (a manager retry).
    #[value(alias = "duplicate-attempt")]
    DuplicateAttempt,
    /// Two adjacent events are swapped.
    Reorder,
    /// One event is held back past the stall deadline: its delay and the timestamps of it and
    /// every later frame of the run move by `stall_after + 2 s`.
    Delay,
    /// One event's timestamp is moved 5 s backwards; nothing else changes.
    #[value(alias = "skew-timestamp")]
    SkewTimestamp,
    /// A copy of one event is also delivered to another user (a user-isolation breach).
    #[value(alias = "cross-user")]
    CrossUser,
    /// A malformed frame (the event's JSON text cut in half) is sent in the event's place.
    Malformed,
    /// A connection is dropped abruptly (applied by the server).
    #[value(alias = "drop-connection")]
    DropConnection,
    /// A connection goes silent but stays open, half-open (applied by the server): nothing more
    /// is sent on it and what it receives is ignored.
    #[value(alias = "freeze-connection")]
    FreezeConnection,
    /// New connections are refused with 503 before the upgrade for a while (applied by the
    /// server).
    #[value(alias = "refuse-connections")]
    RefuseConnections,
}

impl FaultKind {
    /// Every kind, per-run ones first.
    pub(crate) const ALL: [FaultKind; 11] = [
        FaultKind::Drop,
        FaultKind::Duplicate,
        FaultKind::DuplicateAttempt,
        FaultKind::Reorder,
        FaultKind::Delay,
        FaultKind::SkewTimestamp,
        FaultKind::CrossUser,
        FaultKind::Malformed,
        FaultKind::DropConnection,
        FaultKind::FreezeConnection,
        FaultKind::RefuseConnections,
    ];

    /// The kinds [`apply_to_run`](super::apply_to_run) injects.
    #[cfg(test)]
    pub(crate) const PER_RUN: [FaultKind; 8] = [
        FaultKind::Drop,
        FaultKind::Duplicate,
        FaultKind::DuplicateAttempt,
        FaultKind::Reorder,
        FaultKind::Delay,
        FaultKind::SkewTimestamp,
        FaultKind::CrossUser,
        FaultKind::Malformed,
    ];

    /// The snake_case name (as in the truth file and on the command line).
    pub(crate) fn name(self) -> &'static str {
        match self {
            FaultKind::Drop => "drop",
            FaultKind::Duplicate => "duplicate",
            FaultKind::DuplicateAttempt => "duplicate_attempt",
            FaultKind::Reorder => "reorder",
            FaultKind::Delay => "delay",
            FaultKind::SkewTimestamp => "skew_timestamp",
            FaultKind::CrossUser => "cross_user",
            FaultKind::Malformed => "malformed",
            FaultKind::DropConnection => "drop_connection",
            FaultKind::FreezeConnection => "freeze_connection",
            FaultKind::RefuseConnections => "refuse_connections",
        }
    }

    /// Whether [`apply_to_run`](super::apply_to_run) injects this kind (the others are the
    /// server's).
    #[cfg(test)]
    pub(crate) fn is_per_run(self) -> bool {
        !matches!(
            self,
            FaultKind::DropConnection | FaultKind::FreezeConnection | FaultKind::RefuseConnections
        )
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultKind {
    type Err = FaultConfigError;

    /// A kind by name: snake_case or kebab-case, any letter case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        <FaultKind as clap::ValueEnum>::from_str(text, true)
            .map_err(|_| FaultConfigError::UnknownKind(text.to_owned()))
    }
}

/// A bad `--fault`/`--faults` value.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub(crate) enum FaultConfigError {
    /// The text has no `=`.
    #[error("`{0}` is not KIND=RATE (for example drop=0.05)")]
    MissingRate(String),
    /// The kind is not one of [`FaultKind::ALL`].
    #[error(
        "unknown fault kind `{0}` (expected drop, duplicate, duplicate_attempt, reorder, delay, skew_timestamp, cross_user, malformed, drop_connection, freeze_connection or refuse_connections)"
    )]
    UnknownKind(String),
    /// The rate is not a number.
    #[error("fault rate `{0}` is not a number")]
    InvalidRate(String),
    /// The rate is not a probability.
    #[error("fault rate {0} is outside 0 to 1")]
    OutOfRange(f64),
    /// The preset does not exist.
    #[error("unknown fault preset `{0}` (expected none, mild or chaos)")]
    UnknownPreset(String),
}

/// One `--fault KIND=RATE` override.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct FaultSetting {
    /// The fault.
    pub(crate) kind: FaultKind,
    /// Its rate, in 0..=1 (units: see [`FaultRates`]).
    pub(crate) rate: f64,
}

impl FromStr for FaultSetting {
    type Err = FaultConfigError;

    /// `KIND=RATE`, for example `drop=0.05` or `duplicate-attempt=1`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let Some((kind, rate)) = text.split_once('=') else {
            return Err(FaultConfigError::MissingRate(text.to_owned()));
        };
        let kind = kind.parse::<FaultKind>()?;
        let rate_text = rate.trim();
        let rate = rate_text
            .parse::<f64>()
            .map_err(|_| FaultConfigError::InvalidRate(rate_text.to_owned()))?;
        if !(0.0..=1.0).contains(&rate) {
            return Err(FaultConfigError::OutOfRange(rate));
        }
        Ok(FaultSetting { kind, rate })
    }
}

/// How often each fault happens. All zero (the default) injects nothing.
///
/// Units:
/// * per-run kinds (`drop` to `malformed`): the probability that a given run gets that fault.
///   A run that gets it has exactly one event affected (one adjacent pair for `reorder`); kinds
///   are drawn independently, so a run may get several kinds at once.
/// * `drop_connection`: per run the server delivers, the probability that it drops one of that
///   user's connections abruptly (no close frame) while the run is being delivered.
/// * `freeze_connection`: per run the server delivers, the probability that it freezes one of
///   that user's connections while the run is being delivered: the connection stays open but the
///   server never sends on it again and ignores what it receives. A run that also draws
///   `drop_connection` only drops.
/// * `refuse_connections`: per connection attempt, the probability that the server starts
///   refusing new connections (HTTP 503 before the upgrade) for a while, from that attempt on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub(crate) struct FaultRates {
    /// [`FaultKind::Drop`], per run.
    pub(crate) drop: f64,
    /// [`FaultKind::Duplicate`], per run.
    pub(crate) duplicate: f64,
    /// [`FaultKind::DuplicateAttempt`], per run.
    pub(crate) duplicate_attempt: f64,
    /// [`FaultKind::Reorder`], per run.
    pub(crate) reorder: f64,
    /// [`FaultKind::Delay`], per run.
    pub(crate) delay: f64,
    /// [`FaultKind::SkewTimestamp`], per run.
    pub(crate) skew_timestamp: f64,
    /// [`FaultKind::CrossUser`], per run.
    pub(crate) cross_user: f64,
    /// [`FaultKind::Malformed`], per run.
    pub(crate) malformed: f64,
    /// [`FaultKind::DropConnection`], per run delivered.
    pub(crate) drop_connection: f64,
    /// [`FaultKind::FreezeConnection`], per run delivered.
    pub(crate) freeze_connection: f64,
    /// [`FaultKind::RefuseConnections`], per connection attempt.
    pub(crate) refuse_connections: f64,
}

impl FaultRates {
    /// The preset names, for help texts.
    #[cfg(test)]
    pub(crate) const PRESETS: [&'static str; 3] = ["none", "mild", "chaos"];

    /// No faults at all.
    pub(crate) fn none() -> Self {
        FaultRates::default()
    }

    /// Every per-run kind at `per_run`, and the connection kinds at their own rates.
    fn uniform(
        per_run: f64,
        drop_connection: f64,
        freeze_connection: f64,
        refuse_connections: f64,
    ) -> Self {
        FaultRates {
            drop: per_run,
            duplicate: per_run,
            duplicate_attempt: per_run,
            reorder: per_run,
            delay: per_run,
            skew_timestamp: per_run,
            cross_user: per_run,
            malformed: per_run,
            drop_connection,
            freeze_connection,
            refuse_connections,
        }
    }

    /// A named preset: `none` (no faults), `mild` (each per-run kind in 3% of runs, a dropped
    /// connection in 1% of runs, a refusal window on 0.5% of connection attempts, no frozen
    /// connection: a demo where most runs are clean, and none waits for a client to notice a
    /// silent connection) or `chaos` (25% per kind, a dropped connection in 10% of runs, a frozen
    /// one in 5%, a refusal window on 5% of attempts: something in most runs).
    /// Names are case-insensitive.
    pub(crate) fn preset(name: &str) -> Option<FaultRates> {
        match name.trim().to_ascii_lowercase().as_str() {
            "none" => Some(FaultRates::none()),
            "mild" => Some(FaultRates::uniform(0.03, 0.01, 0.0, 0.005)),
            "chaos" => Some(FaultRates::uniform(0.25, 0.1, 0.05, 0.05)),
            _ => None,
        }
    }

    /// The name of the preset these rates are, or `custom`.
    pub(crate) fn preset_name(&self) -> &'static str {
        ["none", "mild", "chaos"]
            .into_iter()
            .find(|name| FaultRates::preset(name).as_ref() == Some(self))
            .unwrap_or("custom")
    }

    /// Every fault kind with a non-zero rate, with its rate (what `GET /dev/info` lists).
    pub(crate) fn active(&self) -> Vec<(String, f64)> {
        FaultKind::ALL
            .iter()
            .filter(|kind| probability(self.rate(**kind)) > 0.0)
            .map(|kind| (kind.to_string(), self.rate(*kind)))
            .collect()
    }

    /// [`FaultRates::preset`] with a typed error, for clap's `value_parser`.
    ///
    /// # Errors
    /// [`FaultConfigError::UnknownPreset`] for a name that is not a preset.
    pub(crate) fn parse_preset(name: &str) -> Result<FaultRates, FaultConfigError> {
        FaultRates::preset(name).ok_or_else(|| FaultConfigError::UnknownPreset(name.to_owned()))
    }

    /// The rate of one kind.
    pub(crate) fn rate(&self, kind: FaultKind) -> f64 {
        match kind {
            FaultKind::Drop => self.drop,
            FaultKind::Duplicate => self.duplicate,
            FaultKind::DuplicateAttempt => self.duplicate_attempt,
            FaultKind::Reorder => self.reorder,
            FaultKind::Delay => self.delay,
            FaultKind::SkewTimestamp => self.skew_timestamp,
            FaultKind::CrossUser => self.cross_user,
            FaultKind::Malformed => self.malformed,
            FaultKind::DropConnection => self.drop_connection,
            FaultKind::FreezeConnection => self.freeze_connection,
            FaultKind::RefuseConnections => self.refuse_connections,
        }
    }

    /// Sets the rate of one kind (brought into 0..=1; not-a-number counts as 0).
    pub(crate) fn set(&mut self, kind: FaultKind, rate: f64) {
        let rate = probability(rate);
        let slot = match kind {
            FaultKind::Drop => &mut self.drop,
            FaultKind::Duplicate => &mut self.duplicate,
            FaultKind::DuplicateAttempt => &mut self.duplicate_attempt,
            FaultKind::Reorder => &mut self.reorder,
            FaultKind::Delay => &mut self.delay,
            FaultKind::SkewTimestamp => &mut self.skew_timestamp,
            FaultKind::CrossUser => &mut self.cross_user,
            FaultKind::Malformed => &mut self.malformed,
            FaultKind::DropConnection => &mut self.drop_connection,
            FaultKind::FreezeConnection => &mut self.freeze_connection,
            FaultKind::RefuseConnections => &mut self.refuse_connections,
        };
        *slot = rate;
    }

    /// These rates with the overrides applied, in order (a later one for a kind wins).
    pub(crate) fn with_overrides<'a>(
        mut self,
        overrides: impl IntoIterator<Item = &'a FaultSetting>,
    ) -> Self {
        for setting in overrides {
            self.set(setting.kind, setting.rate);
        }
        self
    }

    /// Whether no fault of any kind can happen.
    pub(crate) fn is_none(&self) -> bool {
        FaultKind::ALL.iter().all(|kind| probability(self.rate(*kind)) <= 0.0)
    }
}

/// `rate` as a probability: clamped to 0..=1, not-a-number as 0.
pub(super) fn probability(rate: f64) -> f64 {
    if rate.is_nan() { 0.0 } else { rate.clamp(0.0, 1.0) }
}

#[cfg(test)]
mod tests {
    use super::super::InjectedFault;
    use super::*;

    #[test]
    fn presets_parse_and_scale_from_none_to_chaos() {
        let none = FaultRates::preset("none").unwrap();
        let mild = FaultRates::preset("mild").unwrap();
        let chaos = FaultRates::preset(" Chaos ").unwrap();
        assert_eq!(none, FaultRates::default());
        assert!(none.is_none() && !mild.is_none());
        for kind in FaultKind::ALL {
            assert_eq!(none.rate(kind), 0.0);
            assert!(chaos.rate(kind) <= 1.0);
            if kind == FaultKind::FreezeConnection {
                // A frozen connection stalls a demo until the client's heartbeat gives up on it.
                assert_eq!(mild.rate(kind), 0.0);
                assert!(chaos.rate(kind) > 0.0);
                continue;
            }
            assert!(mild.rate(kind) > 0.0 && mild.rate(kind) < chaos.rate(kind), "{kind}");
            if kind.is_per_run() {
                assert_eq!(mild.rate(kind), 0.03);
            } else {
                assert!(mild.rate(kind) < 0.03, "connection faults are rarer: {kind}");
            }
        }
        for kind in FaultKind::ALL.into_iter().filter(|kind| !kind.is_per_run()) {
            assert!(chaos.rate(kind) < chaos.drop, "connection faults are rarer: {kind}");
        }
        for name in FaultRates::PRESETS {
            assert_eq!(FaultRates::parse_preset(name), Ok(FaultRates::preset(name).unwrap()));
        }
        assert_eq!(FaultRates::preset("wild"), None);
        assert_eq!(
            FaultRates::parse_preset("wild"),
            Err(FaultConfigError::UnknownPreset("wild".into()))
        );
    }

    #[test]
    fn fault_overrides_parse_and_apply_over_a_preset() {
        let parse = |text: &str| text.parse::<FaultSetting>();
        assert_eq!(parse("drop=0.5"), Ok(FaultSetting { kind: FaultKind::Drop, rate: 0.5 }));
        assert_eq!(
            parse(" duplicate-attempt = 1 "),
            Ok(FaultSetting { kind: FaultKind::DuplicateAttempt, rate: 1.0 })
        );
        assert_eq!(
            parse("SKEW_TIMESTAMP=0"),
            Ok(FaultSetting { kind: FaultKind::SkewTimestamp, rate: 0.0 })
        );
        assert_eq!(
            parse("refuse_connections=1e-3"),
            Ok(FaultSetting { kind: FaultKind::RefuseConnections, rate: 0.001 })
        );
        assert_eq!(
            parse("freeze-connection=1"),
            Ok(FaultSetting { kind: FaultKind::FreezeConnection, rate: 1.0 })
        );
        assert_eq!(
            parse("Freeze_Connection=0.05"),
            Ok(FaultSetting { kind: FaultKind::FreezeConnection, rate: 0.05 })
        );
        for kind in FaultKind::ALL {
            assert_eq!(parse(&format!("{kind}=0.25")).map(|s| s.kind), Ok(kind));
            assert_eq!(kind.name().parse::<FaultKind>(), Ok(kind));
        }

        let mild = FaultRates::preset("mild").unwrap();
        let settings = [parse("drop=0.5").unwrap(), parse("cross-user=0").unwrap()];
        let rates = mild.with_overrides(&settings);
        assert_eq!(rates.drop, 0.5);
        assert_eq!(rates.cross_user, 0.0);
        assert_eq!(rates.malformed, mild.malformed);
        let frozen = mild.with_overrides(&[parse("freeze_connection=1").unwrap()]);
        assert_eq!(frozen.freeze_connection, 1.0);
        assert_eq!(frozen.rate(FaultKind::FreezeConnection), 1.0);
        assert_eq!(frozen.drop_connection, mild.drop_connection);
        assert!(
            !FaultRates::none().with_overrides(&[parse("freeze_connection=1").unwrap()]).is_none()
        );
    }

    #[test]
    fn bad_fault_overrides_are_rejected_with_typed_errors() {
        let parse = |text: &str| text.parse::<FaultSetting>();
        assert_eq!(parse("drop"), Err(FaultConfigError::MissingRate("drop".into())));
        assert_eq!(parse(""), Err(FaultConfigError::MissingRate(String::new())));
        assert_eq!(parse("teleport=0.1"), Err(FaultConfigError::UnknownKind("teleport".into())));
        assert_eq!(parse("=0.1"), Err(FaultConfigError::UnknownKind(String::new())));
        assert_eq!(parse("drop=often"), Err(FaultConfigError::InvalidRate("often".into())));
        assert_eq!(parse("drop="), Err(FaultConfigError::InvalidRate(String::new())));
        assert_eq!(parse("drop=1.5"), Err(FaultConfigError::OutOfRange(1.5)));
        assert_eq!(parse("drop=-0.1"), Err(FaultConfigError::OutOfRange(-0.1)));
        assert!(matches!(parse("drop=NaN"), Err(FaultConfigError::OutOfRange(r)) if r.is_nan()));
        assert!(matches!(parse("drop=inf"), Err(FaultConfigError::OutOfRange(_))));
        let message = parse("teleport=0.1").unwrap_err().to_string();
        assert!(message.contains("teleport") && message.contains("skew_timestamp"), "{message}");
        assert!(message.contains("freeze_connection"), "{message}");
    }

    #[test]
    fn kinds_have_stable_snake_case_names_everywhere() {
        use clap::ValueEnum;
        for kind in FaultKind::ALL {
            let wire = serde_json::to_value(kind).unwrap();
            assert_eq!(wire, kind.name());
            assert_eq!(serde_json::from_value::<FaultKind>(wire).unwrap(), kind);
            let cli = kind.to_possible_value().unwrap();
            assert_eq!(cli.get_name(), kind.name());
            assert_eq!(kind.is_per_run(), FaultKind::PER_RUN.contains(&kind));
        }
        assert_eq!(FaultKind::value_variants().len(), FaultKind::ALL.len());
        let fault = InjectedFault {
            kind: FaultKind::DuplicateAttempt,
            run_id: "run_ws_1".into(),
            event_type: "agent_thinking".into(),
            index: 3,
            frame: serde_json::json!({"type": "reasoning"}),
        };
        assert_eq!(
            serde_json::to_value(&fault).unwrap(),
            serde_json::json!({
                "kind": "duplicate_attempt", "run_id": "run_ws_1", "event_type": "agent_thinking",
                "index": 3, "frame": {"type": "reasoning"}
            })
        );
    }
}
