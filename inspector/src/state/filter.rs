//! What the stream and flag lists show: filters by user, run, event type, severity and rule,
//! and a free-text search.

use agentwire::{Rule, Severity};

use super::flags::FlagEntry;
use super::lanes::Lane;
use super::stream::StreamRow;

/// A filter for the stream and the flags list. Every field that is set must match; the default
/// shows everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this user's frames and flags.
    pub user: Option<String>,
    /// Only this run's (its run id, or thread id).
    pub run: Option<String>,
    /// Only frames of this type (canonical, like `agent_thinking`, or as sent, like
    /// `reasoning`), and the flags they raised.
    pub event_type: Option<String>,
    /// Only flags at least this severe, and the frames they point at.
    pub severity: Option<Severity>,
    /// Only flags of this rule, and the frames they point at.
    pub rule: Option<Rule>,
    /// Free text, case-insensitive: frames whose type, run, user, text or flag sentences
    /// contain it, and flags whose rule id, run, user or sentence contain it. Blank matches all.
    pub text: String,
}

impl Filter {
    /// Whether the filter shows everything.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.user.is_none()
            && self.run.is_none()
            && self.event_type.is_none()
            && self.severity.is_none()
            && self.rule.is_none()
            && self.text.trim().is_empty()
    }

    /// Whether everything this filter shows, `previous` showed too (so the current view can be
    /// narrowed instead of rebuilt: typing more characters into the search).
    pub(crate) fn narrows(&self, previous: &Filter) -> bool {
        fn same_or_wider<T: PartialEq>(previous: &Option<T>, now: &Option<T>) -> bool {
            previous.is_none() || previous == now
        }
        same_or_wider(&previous.user, &self.user)
            && same_or_wider(&previous.run, &self.run)
            && same_or_wider(&previous.event_type, &self.event_type)
            && same_or_wider(&previous.rule, &self.rule)
            && match (previous.severity, self.severity) {
                (None, _) => true,
                (Some(previous), Some(now)) => now >= previous,
                (Some(_), None) => false,
            }
            && Needle::new(&self.text).text.contains(&Needle::new(&previous.text).text)
    }
}

/// A lower-cased search text, ready to be looked for.
#[derive(Clone, Debug, Default)]
struct Needle {
    /// Lower-cased and trimmed; empty matches everything.
    text: String,
}

impl Needle {
    fn new(text: &str) -> Self {
        Needle { text: text.trim().to_lowercase() }
    }

    fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Whether `haystack` contains the needle, ignoring case. ASCII needles (the usual case)
    /// are compared byte by byte without allocating.
    fn found_in(&self, haystack: &str) -> bool {
        let needle = self.text.as_bytes();
        if needle.is_empty() {
            return true;
        }
        if self.text.is_ascii() {
            contains_ascii_ignore_case(haystack.as_bytes(), needle)
        } else {
            haystack.to_lowercase().contains(&self.text)
        }
    }
}

/// Whether `haystack` contains the lower-case ASCII `needle`, ignoring ASCII case: a scan for
/// the needle's first byte, then a comparison of the rest where it matches.
fn contains_ascii_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else { return true };
    let upper = first.to_ascii_uppercase();
    let Some(last_start) = haystack.len().checked_sub(needle.len()) else { return false };
    let starts = haystack.get(..=last_start).unwrap_or_default();
    starts.iter().enumerate().any(|(at, &byte)| {
        (byte == first || byte == upper)
            && haystack
                .get(at + 1..at + needle.len())
                .is_some_and(|tail| tail.eq_ignore_ascii_case(rest))
    })
}

/// A filter prepared for matching many rows.
#[derive(Clone, Debug, Default)]
pub(crate) struct Matcher {
    filter: Filter,
    needle: Needle,
}

impl Matcher {
    pub(crate) fn new(filter: Filter) -> Self {
        let needle = Needle::new(&filter.text);
        Matcher { filter, needle }
    }

    pub(crate) fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Whether the filter shows every row and every flag.
    pub(crate) fn is_empty(&self) -> bool {
        self.filter.is_empty()
    }

    /// Whether the stream shows this row of `lane`.
    pub(crate) fn row(&self, lane: &Lane, row: &StreamRow) -> bool {
        let filter = &self.filter;
        if filter.user.as_deref().is_some_and(|user| user != row.user()) {
            return false;
        }
        if filter.run.as_deref().is_some_and(|run| Some(run) != row.run()) {
            return false;
        }
        if filter
            .event_type
            .as_deref()
            .is_some_and(|kind| kind != row.kind() && kind != row.wire_type())
        {
            return false;
        }
        if filter.severity.is_some_and(|severity| row.worst().is_none_or(|worst| worst < severity))
        {
            return false;
        }
        let flags = || row.flags().iter().filter_map(|id| lane.flag(*id));
        if filter.rule.is_some_and(|rule| !flags().any(|entry| entry.flag.rule == rule)) {
            return false;
        }
        self.needle.is_empty()
            || self.needle.found_in(row.kind())
            || self.needle.found_in(row.wire_type())
            || row.run().is_some_and(|run| self.needle.found_in(run))
            || self.needle.found_in(row.user())
            || row.raw().is_some_and(|raw| self.needle.found_in(raw))
            || flags().any(|entry| self.needle.found_in(&entry.flag.message))
    }

    /// Whether the flags list shows this flag.
    pub(crate) fn flag(&self, entry: &FlagEntry) -> bool {
        let filter = &self.filter;
        let flag = &entry.flag;
        if filter.user.as_deref().is_some_and(|user| user != entry.user()) {
            return false;
        }
        if filter.run.as_deref().is_some_and(|run| Some(run) != flag.run_id.as_deref()) {
            return false;
        }
        if filter.event_type.as_deref().is_some_and(|kind| Some(kind) != entry.kind()) {
            return false;
        }
        if filter.severity.is_some_and(|severity| flag.severity < severity) {
            return false;
        }
        if filter.rule.is_some_and(|rule| flag.rule != rule) {
            return false;
        }
        self.needle.is_empty()
            || self.needle.found_in(flag.rule.id())
            || flag.run_id.as_deref().is_some_and(|run| self.needle.found_in(run))
            || self.needle.found_in(entry.user())
            || self.needle.found_in(&flag.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_ignores_case_for_ascii_and_unicode_needles() {
        assert!(Needle::new("  Tool_EXEC ").found_in(r#"{"type":"tool_executing"}"#));
        assert!(!Needle::new("tool_x").found_in("tool_executing"));
        assert!(Needle::new("ÉTÉ").found_in("un été chaud"));
        assert!(Needle::new("").found_in(""));
        assert!(Needle::new("ab").found_in("xAB"));
        assert!(!Needle::new("abc").found_in("ab"));
        assert!(Needle::new("a").found_in("A"));
    }

    #[test]
    fn a_longer_search_or_a_new_field_narrows_the_filter() {
        let base = Filter { text: "tool".into(), ..Filter::default() };
        let longer = Filter { text: "TOOL_C".into(), ..Filter::default() };
        let other = Filter { text: "agent".into(), ..Filter::default() };
        let by_user = Filter { user: Some("u1".into()), ..base.clone() };
        assert!(longer.narrows(&base));
        assert!(by_user.narrows(&base));
        assert!(!other.narrows(&base));
        assert!(!base.narrows(&by_user));
        let errors = Filter { severity: Some(Severity::Error), ..Filter::default() };
        let warnings = Filter { severity: Some(Severity::Warning), ..Filter::default() };
        assert!(errors.narrows(&warnings));
        assert!(!warnings.narrows(&errors));
        assert!(
            Filter::default().is_empty()
                && Filter { text: " ".into(), ..Filter::default() }.is_empty()
        );
        assert!(!base.is_empty());
    }
}
