//! The flags of one `agentwire check`, held in bounded memory whatever the input.
//!
//! Every flag is counted. The text report shows the first [`SAMPLE_PER_RULE`] flags of each
//! rule, grouped by run in the order of each run's first flag (a map from run to group, so
//! grouping stays linear in the number of flags), and says how many more there were. For
//! `--json` every flag is written as JSON text when it is raised, into a buffer that moves to
//! an anonymous temporary file past [`JSON_BUFFER`] bytes; the report is written once the
//! input has been read, so an input that turns out unreadable half-way (exit status 2) prints
//! no partial JSON.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use agentwire::check::Place;
use agentwire::{Flag, Rule, Severity};
use serde::Serialize;

/// How many flags of one rule the text report shows; the others are counted.
pub(crate) const SAMPLE_PER_RULE: u64 = 100;

/// The `--json` flags are kept in memory up to this many bytes, then in a temporary file.
const JSON_BUFFER: usize = 8 << 20;

/// Where a group of the text report's flags sits ([`Flag::place`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Section {
    /// A run, by its id.
    Run(String),
    /// The connection's anonymous run.
    AnonymousRun,
    /// The connection as a whole.
    Connection,
}

impl From<Place<'_>> for Section {
    fn from(place: Place<'_>) -> Self {
        match place {
            Place::Run(id) => Section::Run(id.to_owned()),
            Place::AnonymousRun => Section::AnonymousRun,
            Place::Connection => Section::Connection,
        }
    }
}

/// The flags of one section, as the text report shows them.
pub(crate) type Group = (Section, Vec<Flag>);

/// One flag in the `--json` output (docs/rules.md, "`agentwire check`").
#[derive(Serialize)]
struct JsonFlag<'a> {
    rule: &'static str,
    severity: &'static str,
    frame: Option<u64>,
    run_id: Option<&'a str>,
    message: &'a str,
}

/// Every flag counted, a bounded sample kept, and, when asked, all of them as JSON text.
#[derive(Debug, Default)]
pub(crate) struct Flags {
    counts: BTreeMap<Rule, u64>,
    groups: Vec<Group>,
    group_of_section: HashMap<Section, usize>,
    json: Option<JsonFlags>,
}

/// The `--json` output's flags, as comma-separated JSON objects.
#[derive(Debug, Default)]
struct JsonFlags {
    buffer: Vec<u8>,
    spill: Option<File>,
}

impl Flags {
    /// No flags yet; with `json`, every flag is also kept as JSON text for [`Flags::write_json`].
    pub(crate) fn new(json: bool) -> Self {
        Flags { json: json.then(JsonFlags::default), ..Flags::default() }
    }

    /// Takes one flag.
    ///
    /// # Errors
    /// When the JSON text must move to a temporary file and that file can't be written.
    pub(crate) fn push(&mut self, flag: Flag) -> io::Result<()> {
        let count = self.counts.entry(flag.rule).or_insert(0);
        *count += 1;
        if let Some(json) = &mut self.json {
            json.push(&flag)?;
        }
        if *count <= SAMPLE_PER_RULE {
            let section = Section::from(flag.place());
            let index = *self.group_of_section.entry(section.clone()).or_insert_with(|| {
                self.groups.push((section, Vec::new()));
                self.groups.len() - 1
            });
            if let Some((_, members)) = self.groups.get_mut(index) {
                members.push(flag);
            }
        }
        Ok(())
    }

    /// The flags the text report shows, grouped by where they sit (a run, the anonymous run, the
    /// connection) in the order of each group's first flag.
    pub(crate) fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// How many flags each rule raised, in the order of docs/rules.md.
    pub(crate) fn counts(&self) -> &BTreeMap<Rule, u64> {
        &self.counts
    }

    /// How many flags of `severity` were raised.
    pub(crate) fn count_of(&self, severity: Severity) -> u64 {
        self.counts.iter().filter(|(rule, _)| rule.severity() == severity).map(|(_, n)| n).sum()
    }

    /// How many flags were raised in all.
    pub(crate) fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// How many flags of `rule` the text report leaves out.
    pub(crate) fn omitted(&self, rule: Rule) -> u64 {
        self.counts.get(&rule).map_or(0, |count| count.saturating_sub(SAMPLE_PER_RULE))
    }

    /// Writes every flag, in the order raised, as the elements of a JSON array (without the
    /// brackets). Writes nothing unless the flags were created with `json`.
    ///
    /// # Errors
    /// When `out` or the temporary file fails.
    pub(crate) fn write_json(&mut self, out: &mut impl Write) -> io::Result<()> {
        let Some(json) = &mut self.json else { return Ok(()) };
        if let Some(spill) = &mut json.spill {
            spill.seek(SeekFrom::Start(0))?;
            io::copy(spill, out)?;
        }
        out.write_all(&json.buffer)
    }
}

impl JsonFlags {
    fn push(&mut self, flag: &Flag) -> io::Result<()> {
        let empty = self.buffer.is_empty() && self.spill.is_none();
        if !empty {
            self.buffer.push(b',');
        }
        let record = JsonFlag {
            rule: flag.rule.id(),
            severity: flag.severity.as_str(),
            frame: flag.frame,
            run_id: flag.run_id.as_deref(),
            message: &flag.message,
        };
        serde_json::to_writer(&mut self.buffer, &record).map_err(io::Error::other)?;
        if self.buffer.len() >= JSON_BUFFER {
            let spill = match &mut self.spill {
                Some(spill) => spill,
                None => self.spill.insert(anonymous_file()?),
            };
            spill.write_all(&self.buffer)?;
            self.buffer.clear();
        }
        Ok(())
    }
}

/// A temporary file that is gone from the directory as soon as it exists (removed at once;
/// the open handle keeps its data until dropped), in the system's temporary directory.
fn anonymous_file() -> io::Result<File> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    loop {
        let name = format!(
            "agentwire-check-{}-{}.json",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        match File::options().read(true).write(true).create_new(true).open(&path) {
            Ok(file) => {
                std::fs::remove_file(&path)?;
                return Ok(file);
            }
            // Left behind by an earlier process with the same id: try the next name.
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(rule: Rule, run: Option<&str>, message: &str) -> Flag {
        Flag {
            rule,
            severity: rule.severity(),
            frame: Some(1),
            related_frames: vec![],
            run_id: run.map(str::to_owned),
            message: message.to_owned(),
        }
    }

    #[test]
    fn every_flag_is_counted_but_only_a_sample_per_rule_is_kept() {
        let mut flags = Flags::new(false);
        for i in 0..250 {
            flags.push(flag(Rule::MalformedFrame, None, "m")).unwrap();
            if i < 3 {
                flags.push(flag(Rule::DuplicateEvent, Some("r1"), "d")).unwrap();
            }
        }
        assert_eq!(flags.total(), 253);
        assert_eq!(flags.count_of(Severity::Error), 250);
        assert_eq!(flags.count_of(Severity::Warning), 3);
        assert_eq!(flags.omitted(Rule::MalformedFrame), 150);
        assert_eq!(flags.omitted(Rule::DuplicateEvent), 0);
        let kept: Vec<(&Section, usize)> =
            flags.groups().iter().map(|(section, members)| (section, members.len())).collect();
        assert_eq!(kept, [(&Section::Connection, 100), (&Section::Run("r1".into()), 3)]);
    }

    #[test]
    fn run_flags_without_a_run_go_to_the_anonymous_run_and_others_to_the_connection() {
        let mut flags = Flags::new(false);
        flags.push(flag(Rule::EventBeforeStart, None, "before")).unwrap();
        flags.push(flag(Rule::SequenceGap, None, "gap")).unwrap();
        flags.push(flag(Rule::CrossUserEvent, None, "leak")).unwrap();
        flags.push(flag(Rule::CrossUserEvent, Some("r1"), "leak")).unwrap();
        flags.push(flag(Rule::MissingThinking, None, "no thinking")).unwrap();
        let sections: Vec<(&Section, usize)> =
            flags.groups().iter().map(|(section, members)| (section, members.len())).collect();
        assert_eq!(
            sections,
            [
                (&Section::AnonymousRun, 2),
                (&Section::Connection, 2),
                (&Section::Run("r1".into()), 1)
            ]
        );
    }

    #[test]
    fn json_flags_move_to_a_file_past_the_buffer_and_come_back_in_order() {
        let mut flags = Flags::new(true);
        let message = "x".repeat(4096);
        let total = 2 * JSON_BUFFER / message.len() + 7;
        for i in 0..total {
            flags.push(flag(Rule::MalformedFrame, None, &format!("{i} {message}"))).unwrap();
        }
        assert!(flags.json.as_ref().is_some_and(|json| json.spill.is_some()), "spilled");
        let mut out = b"[".to_vec();
        flags.write_json(&mut out).unwrap();
        out.push(b']');
        let parsed: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
        assert_eq!(parsed.len(), total);
        for (i, value) in parsed.iter().enumerate() {
            let text = value["message"].as_str().unwrap();
            assert!(text.starts_with(&format!("{i} ")), "flag {i} out of order");
        }
    }
}
