//! Typed lookups over a scanned frame: the first string, id, number, boolean, JSON value,
//! timestamp or duration under a field (or its synonyms), searched through the body locations
//! in lookup order (root, `payload`, `data`, `data.payload`, `metadata`).

use std::borrow::Cow;

use super::body::{Captured, Field, Loc, Scan};
use crate::event::{Duration, DurationUnit, JsonText};
use crate::timestamp::Timestamp;

/// Typed lookups over the scanned body locations, in lookup order.
impl Scan<'_> {
    /// The first string value under any of `fields`. Other JSON types are skipped.
    pub(super) fn text(&self, fields: &[Field]) -> Option<String> {
        fields.iter().find_map(|field| {
            Loc::ORDER.iter().find_map(|loc| {
                self.at(*loc, *field)?.as_str().filter(|text| !text.is_empty()).map(Cow::into_owned)
            })
        })
    }

    /// The first value of `field` in lookup order that `convert` accepts: present values of
    /// the wrong type are skipped, as [`Scan::text`] skips non-strings.
    pub(super) fn first<T>(
        &self,
        field: Field,
        convert: impl Fn(&Captured<'_>) -> Option<T>,
    ) -> Option<T> {
        Loc::ORDER.iter().find_map(|loc| {
            self.at(*loc, field).filter(|value| value.is_present()).and_then(&convert)
        })
    }

    /// An identifier: a non-empty string, or a number (database ids) as its decimal text.
    pub(super) fn id(&self, field: Field) -> Option<String> {
        self.first(field, |value| match value.as_str() {
            Some(text) => Some(text.into_owned()),
            None => value.number_id(),
        })
    }

    /// The first value under `fields` that is a non-negative integer.
    pub(super) fn unsigned(&self, fields: &[Field]) -> Option<u64> {
        fields.iter().find_map(|field| self.first(*field, |value| value.as_u64()))
    }

    /// The first value under `fields` that is a number.
    pub(super) fn number(&self, fields: &[Field]) -> Option<f64> {
        fields.iter().find_map(|field| self.first(*field, |value| value.as_f64()))
    }

    /// The first value under `fields` that is a boolean.
    pub(super) fn boolean(&self, fields: &[Field]) -> Option<bool> {
        fields.iter().find_map(|field| self.first(*field, |value| value.as_bool()))
    }

    /// The first present value under `fields`, as JSON text (parsed only on demand).
    pub(super) fn json(&self, fields: &[Field]) -> Option<JsonText> {
        fields.iter().find_map(|field| self.get(*field)?.to_json_text())
    }

    /// The first parseable `timestamp` in lookup order.
    pub(super) fn timestamp(&self) -> Option<Timestamp> {
        Loc::ORDER.iter().find_map(|loc| {
            let value = self.at(*loc, Field::Timestamp)?;
            match value.as_str() {
                Some(text) => Timestamp::parse(&text),
                None => value.as_f64().and_then(Timestamp::from_epoch_number),
            }
        })
    }

    /// A duration from the first present synonym; names ending in `_ms` are milliseconds.
    pub(super) fn duration(&self) -> Option<Duration> {
        const SYNONYMS: [(Field, DurationUnit); 4] = [
            (Field::ExecutionTimeMs, DurationUnit::Milliseconds),
            (Field::DurationMs, DurationUnit::Milliseconds),
            (Field::Duration, DurationUnit::Unspecified),
            (Field::ExecutionTime, DurationUnit::Unspecified),
        ];
        SYNONYMS.iter().find_map(|(field, unit)| {
            let value = self.first(*field, |value| value.as_f64())?;
            Some(Duration { value, unit: *unit })
        })
    }
}
