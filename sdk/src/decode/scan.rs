//! One pass over a frame's JSON that validates it, computes its content fingerprint and captures
//! only the fields the decoder reads, from the five body locations (root, `payload`, `data`,
//! `data.payload`, `metadata`).
//!
//! A purpose-built scanner rather than serde_json: the decoder reads a few dozen known keys and
//! hashes the rest, so it needs no tree, no visitor and no generic number parsing. Strings are
//! borrowed from the input unless they hold escapes; numbers are kept as their text and read
//! only when a lookup wants them (the fingerprint needs only their `f64` value, computed
//! directly for the common short integers); a JSON-typed field (`parameters`, `results`, ...)
//! is kept as its exact text. It accepts exactly RFC 8259 JSON, as serde_json does (the
//! serde_json-based scanner it replaced is kept as a test oracle, `oracle.rs`, and the two are
//! compared on arbitrary input by property tests), and it is total: any text gives a [`Scan`]
//! or a [`ScanError`], never a panic, and nesting deeper than [`MAX_DEPTH`] is refused before
//! it could exhaust the stack.

use std::borrow::Cow;

use super::body::{Captured, Field, Loc, Scan};
use super::{JsonKind, MAX_DEPTH};
use crate::fingerprint::{self, ArrayHasher, Entries, ObjectHasher};

/// Why a scan failed.
#[derive(Debug)]
pub(super) enum ScanError {
    /// Not JSON: what is wrong, and where (1-based line and column).
    Json { message: Cow<'static, str>, line: usize, column: usize },
    /// Valid JSON, but not an object.
    NotAnObject(JsonKind),
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// Scans `text` into `scan`: the captured fields and the fingerprint of its top-level object.
/// The caller owns the scan (on its stack): a `Scan` is about 850 bytes, mostly its capture
/// slots, and returned by value it was copied twice a frame. `scan` must be empty
/// ([`Scan::new`]); after an error it is partly filled and must not be read.
pub(super) fn scan<'de>(text: &'de str, scan: &mut Scan<'de>) -> Result<(), ScanError> {
    let mut scanner = Scanner::new(text, Entries::for_frame(), scan);
    match scanner.frame() {
        Ok(()) => Ok(()),
        Err(Stop::TooDeep) => Err(ScanError::TooDeep),
        Err(Stop::NotAnObject(kind)) => Err(ScanError::NotAnObject(kind)),
        Err(Stop::Invalid) => {
            let (message, offset) = scanner.failure;
            debug_assert!(!message.is_empty(), "a stop for invalid JSON without its message");
            let (line, column) = position(text, offset);
            Err(ScanError::Json { message: Cow::Borrowed(message), line, column })
        }
    }
}

/// A JSON string literal's value (`raw` is a whole literal, quotes included, as captured for
/// a JSON-typed field): borrowed when it has no escapes. `None` when it is not a valid literal.
pub(super) fn string_literal(raw: &str) -> Option<Cow<'_, str>> {
    let mut unused = Scan::unused();
    let mut scanner = Scanner::new(raw, Entries::default(), &mut unused);
    if scanner.peek() != Some(b'"') {
        return None;
    }
    let value = scanner.string().ok()?;
    (scanner.pos == raw.len()).then_some(value)
}

/// Whether the JSON string literal `literal` (quotes included) has the value `value`:
/// compared run by run and escape by escape, without building the value.
pub(crate) fn literal_has_value(literal: &str, value: &[u8]) -> bool {
    let mut unused = Scan::unused();
    let mut scanner = Scanner::new(literal, Entries::default(), &mut unused);
    if scanner.peek() != Some(b'"') {
        return false;
    }
    scanner.pos = 1;
    let mut matched = 0;
    let mut escaped = String::with_capacity(4);
    loop {
        let end = plain_run(scanner.bytes, scanner.pos);
        let run = scanner.bytes.get(scanner.pos..end).unwrap_or_default();
        let Some(expected) = value.get(matched..matched + run.len()) else { return false };
        if !crate::bytes::equal(expected, run) {
            return false;
        }
        matched += run.len();
        scanner.pos = end + 1;
        match scanner.bytes.get(end) {
            Some(b'"') => return scanner.pos == literal.len() && matched == value.len(),
            Some(b'\\') => {
                escaped.clear();
                let decoded = scanner.escape(&mut escaped).is_ok();
                let expected = value.get(matched..matched + escaped.len());
                if !decoded || expected != Some(escaped.as_bytes()) {
                    return false;
                }
                matched += escaped.len();
            }
            _ => return false,
        }
    }
}

/// The members of a JSON object whose text a scan already validated (a captured JSON-typed
/// field), in order: each key, unescaped, and its value's exact text. `None` when `raw` is not
/// a valid object. Values are walked without recursion, so any nesting is fine.
pub(crate) fn members(raw: &str) -> Option<Vec<(Cow<'_, str>, &str)>> {
    let mut members = Vec::new();
    container_items(raw, b'{', b'}', |scanner| {
        let key = scanner.member_key().ok()?;
        members.push((key, scanner.next_value_text()?));
        Some(())
    })?;
    Some(members)
}

/// The elements of a JSON array whose text a scan already validated: each value's exact text.
/// `None` when `raw` is not a valid array.
pub(crate) fn elements(raw: &str) -> Option<Vec<&str>> {
    let mut elements = Vec::new();
    container_items(raw, b'[', b']', |scanner| {
        elements.push(scanner.next_value_text()?);
        Some(())
    })?;
    Some(elements)
}

/// Walks the container `raw` (opened by `open`, closed by `close`, nothing after it), calling
/// `item` at the start of each item; `None` when it is not such a container or `item` fails.
fn container_items<'de>(
    raw: &'de str,
    open: u8,
    close: u8,
    mut item: impl FnMut(&mut Scanner<'de, '_>) -> Option<()>,
) -> Option<()> {
    let mut unused = Scan::unused();
    let mut scanner = Scanner::new(raw, Entries::default(), &mut unused);
    scanner.skip_whitespace();
    if scanner.peek() != Some(open) {
        return None;
    }
    scanner.pos += 1;
    scanner.skip_whitespace();
    if scanner.peek() == Some(close) {
        scanner.pos += 1;
    } else {
        loop {
            item(&mut scanner)?;
            scanner.skip_whitespace();
            match scanner.peek() {
                Some(b',') => scanner.pos += 1,
                Some(byte) if byte == close => {
                    scanner.pos += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    scanner.end().ok()
}

/// The 1-based line and column of byte `offset`, as parsers report them (columns count bytes).
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = text.as_bytes().get(..offset).unwrap_or(text.as_bytes());
    let line = 1 + before.iter().filter(|byte| **byte == b'\n').count();
    let column = before.iter().rev().take_while(|byte| **byte != b'\n').count();
    // A parser points at the offending character; at the end of the input, at the last one.
    (line, if offset < text.len() { column + 1 } else { column.max(1) })
}

/// Why the scanner stopped. Small (a byte or two), so that a `Result<u64, Stop>` is returned in
/// registers; what is wrong with invalid JSON, and where, is kept in [`Scanner::failure`].
#[derive(Clone, Copy)]
enum Stop {
    Invalid,
    NotAnObject(JsonKind),
    TooDeep,
}

/// How a value is visited.
#[derive(Clone, Copy)]
enum Mode {
    /// Hash only.
    Hash,
    /// Hash, and capture a scalar as this field at this location (objects and arrays only as
    /// their kind).
    Scalar(Loc, Field),
    /// Hash, and capture the raw text as this field at this location.
    Json(Loc, Field),
    /// Hash; an object is a body location whose fields are captured.
    Body(Loc),
}

/// The mode for the value of `key` inside the body location `loc`.
fn child_mode(loc: Loc, key: &str) -> Mode {
    match (loc.child(key), Field::from_key(key)) {
        (Some(child), _) => Mode::Body(child),
        (None, Some(field)) if field.is_json() => Mode::Json(loc, field),
        (None, Some(field)) => Mode::Scalar(loc, field),
        (None, None) => Mode::Hash,
    }
}

/// The text of a scanned string or key. `Cow`'s own `deref` is a call at `opt-level = "s"`
/// (about 2 % of the receive path in a Node CPU profile, on every key and string of every frame).
#[inline(always)]
#[allow(clippy::ptr_arg, reason = "what it takes is the `Cow`, to match on it")]
fn text_of<'a>(text: &'a Cow<'_, str>) -> &'a str {
    match text {
        Cow::Borrowed(text) => text,
        Cow::Owned(text) => text.as_str(),
    }
}

/// Bytes that end the fast run of a string: the quote, the backslash and control characters.
#[allow(
    clippy::indexing_slicing,
    reason = "const evaluation: an index out of bounds fails the build"
)]
const STRING_SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// The end of the run of plain string bytes (no quote, backslash or control character) that
/// starts at `pos`: eight bytes at a time (SWAR), the first special byte of a word found from
/// its mask, then the last few bytes one by one.
fn plain_run(bytes: &[u8], mut pos: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    /// The high bit of each byte of `word` that is zero. Exact up to the first such byte: a
    /// borrow can only mark bytes above a zero byte, never below one.
    fn zeros(word: u64) -> u64 {
        word.wrapping_sub(ONES) & !word & HIGHS
    }
    // `try_from` into an array is one load; `copy_from_slice` was a call to `memcpy` in wasm.
    while let Some(word) = bytes
        .get(pos..pos + 8)
        .and_then(|chunk| <[u8; 8]>::try_from(chunk).ok())
        .map(u64::from_le_bytes)
    {
        // A control character (< 0x20), or a byte equal to `"` or `\`. Bytes of 0x80 and above
        // (UTF-8) must not look like control characters: mask them out of the `< 0x20` test.
        // Each mask is exact up to its first marked byte, so their union's lowest marked byte
        // is the first special byte of the word (little-endian: the lowest is the first).
        let special = (word.wrapping_sub(ONES * 0x20) & !word & HIGHS)
            | zeros(word ^ (ONES * u64::from(b'"')))
            | zeros(word ^ (ONES * u64::from(b'\\')));
        if special != 0 {
            return pos + (special.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while bytes.get(pos).is_some_and(|byte| !is_special(*byte)) {
        pos += 1;
    }
    pos
}

/// Whether `byte` ends a string's fast run.
#[allow(clippy::indexing_slicing, reason = "a u8 always indexes a 256-entry table")]
fn is_special(byte: u8) -> bool {
    STRING_SPECIAL[usize::from(byte)]
}

struct Scanner<'de, 's> {
    text: &'de str,
    bytes: &'de [u8],
    pos: usize,
    scan: &'s mut Scan<'de>,
    /// The fingerprint's entries of the objects being scanned.
    entries: Entries,
    /// After [`Stop::Invalid`]: what is wrong and at which byte.
    failure: (&'static str, usize),
}

impl<'de, 's> Scanner<'de, 's> {
    /// A scanner at the start of `text`, hashing objects on `entries`, capturing into `scan`.
    fn new(text: &'de str, entries: Entries, scan: &'s mut Scan<'de>) -> Self {
        Scanner { text, bytes: text.as_bytes(), pos: 0, scan, entries, failure: ("", 0) }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// Invalid JSON: `message`, at the current byte.
    fn invalid<T>(&mut self, message: &'static str) -> Result<T, Stop> {
        self.invalid_at(message, self.pos)
    }

    /// Invalid JSON: `message`, at byte `offset`.
    #[cold]
    fn invalid_at<T>(&mut self, message: &'static str, offset: usize) -> Result<T, Stop> {
        self.failure = (message, offset);
        Err(Stop::Invalid)
    }

    /// The top-level value: an object, whose ignored keys stay out of the fingerprint, then
    /// nothing but whitespace.
    fn frame(&mut self) -> Result<(), Stop> {
        self.skip_whitespace();
        if self.peek() == Some(b'{') {
            self.object(Mode::Body(Loc::Root), 1)?;
        } else {
            // Walk it anyway, so invalid or too deep JSON is reported as such.
            let kind = match self.peek() {
                Some(b'[') => JsonKind::Array,
                Some(b'"') => JsonKind::String,
                Some(b't' | b'f') => JsonKind::Bool,
                Some(b'n') => JsonKind::Null,
                _ => JsonKind::Number,
            };
            self.value(Mode::Hash, 1)?;
            self.end()?;
            return Err(Stop::NotAnObject(kind));
        }
        self.end()
    }

    fn end(&mut self) -> Result<(), Stop> {
        self.skip_whitespace();
        if self.pos < self.bytes.len() {
            return self.invalid("trailing characters");
        }
        Ok(())
    }

    /// Any value at nesting `depth` (a container there is at that depth): its hash. What the
    /// mode asks for is captured into the scan here, so that only the hash is returned (in
    /// registers, where a captured value returned alongside it went through memory).
    fn value(&mut self, mode: Mode, depth: usize) -> Result<u64, Stop> {
        self.skip_whitespace();
        let start = self.pos;
        let (loc, field) = match mode {
            Mode::Json(loc, field) => {
                // A JSON-typed field is a value of its own: invalid JSON in it is reported as
                // such even when it also nests too deep (what a parser that skips the value
                // first says).
                return match self.value(Mode::Hash, depth) {
                    Err(Stop::TooDeep) => {
                        self.pos = start;
                        self.skip_value()?;
                        Err(Stop::TooDeep)
                    }
                    Ok(hash) => {
                        let raw = self.text.get(start..self.pos).unwrap_or_default();
                        self.scan.capture(loc, field, Captured::Raw(raw));
                        Ok(hash)
                    }
                    Err(stop) => Err(stop),
                };
            }
            Mode::Scalar(loc, field) => (loc, field),
            Mode::Hash | Mode::Body(_) => return self.uncaptured_value(mode, depth),
        };
        let (hash, captured) = match self.peek() {
            None => return self.invalid("EOF while parsing a value"),
            Some(b'{') => (self.object(Mode::Hash, depth)?, Captured::Composite(JsonKind::Object)),
            Some(b'[') => (self.array(depth)?, Captured::Composite(JsonKind::Array)),
            Some(b'"') => {
                let text = self.string()?;
                let hash = fingerprint::string_hash(text_of(&text));
                if super::VERBATIM && matches!(text, Cow::Owned(_)) {
                    self.scan.escaped_literal(self.text.get(start..self.pos).unwrap_or_default());
                }
                (hash, Captured::Str(text))
            }
            Some(b't') => {
                self.literal(b"true")?;
                (fingerprint::bool_hash(true), Captured::Bool(true))
            }
            Some(b'f') => {
                self.literal(b"false")?;
                (fingerprint::bool_hash(false), Captured::Bool(false))
            }
            Some(b'n') => {
                self.literal(b"null")?;
                (fingerprint::null_hash(), Captured::Null)
            }
            Some(b'-' | b'0'..=b'9') => {
                let (text, value) = self.number()?;
                (fingerprint::number_hash(value), Captured::Number(Cow::Borrowed(text)))
            }
            Some(_) => return self.invalid("expected value"),
        };
        self.scan.capture(loc, field, captured);
        Ok(hash)
    }

    /// A value that is hashed and not captured (an object in [`Mode::Body`] captures its own
    /// fields). Whitespace before it is already skipped. Its own dispatch rather than
    /// [`Scanner::value`]'s with the capture dropped: most values are not captured, and this
    /// way they build nothing.
    fn uncaptured_value(&mut self, mode: Mode, depth: usize) -> Result<u64, Stop> {
        match self.peek() {
            None => self.invalid("EOF while parsing a value"),
            Some(b'{') => self.object(mode, depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let text = self.string()?;
                Ok(fingerprint::string_hash(text_of(&text)))
            }
            Some(b't') => self.literal(b"true").map(|()| fingerprint::bool_hash(true)),
            Some(b'f') => self.literal(b"false").map(|()| fingerprint::bool_hash(false)),
            Some(b'n') => self.literal(b"null").map(|()| fingerprint::null_hash()),
            Some(b'-' | b'0'..=b'9') => {
                let (_, value) = self.number()?;
                Ok(fingerprint::number_hash(value))
            }
            Some(_) => self.invalid("expected value"),
        }
    }

    /// Validates one value of any nesting without recursion (an explicit stack of open
    /// containers), to tell invalid JSON from JSON that is only too deep.
    fn skip_value(&mut self) -> Result<(), Stop> {
        // For each open container: whether it is an object.
        let mut open: Vec<bool> = Vec::new();
        loop {
            // A value.
            self.skip_whitespace();
            match self.peek() {
                None => return self.invalid("EOF while parsing a value"),
                Some(b'{') => {
                    self.pos += 1;
                    self.skip_whitespace();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                    } else {
                        open.push(true);
                        self.member_key()?;
                        continue;
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    self.skip_whitespace();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                    } else {
                        open.push(false);
                        continue;
                    }
                }
                Some(b'"') => {
                    self.string()?;
                }
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                Some(b'-' | b'0'..=b'9') => {
                    self.number()?;
                }
                Some(_) => return self.invalid("expected value"),
            }
            // After a value: close containers, or go on with the next element.
            loop {
                let Some(&object) = open.last() else { return Ok(()) };
                self.skip_whitespace();
                match (self.peek(), object) {
                    (Some(b','), true) => {
                        self.pos += 1;
                        self.skip_whitespace();
                        if self.peek() == Some(b'}') {
                            return self.invalid("trailing comma");
                        }
                        self.member_key()?;
                        break;
                    }
                    (Some(b','), false) => {
                        self.pos += 1;
                        self.skip_whitespace();
                        if self.peek() == Some(b']') {
                            return self.invalid("trailing comma");
                        }
                        break;
                    }
                    (Some(b'}'), true) | (Some(b']'), false) => {
                        self.pos += 1;
                        open.pop();
                    }
                    (Some(_), true) => return self.invalid("expected `,` or `}`"),
                    (Some(_), false) => return self.invalid("expected `,` or `]`"),
                    (None, true) => return self.invalid("EOF while parsing an object"),
                    (None, false) => return self.invalid("EOF while parsing a list"),
                }
            }
        }
    }

    /// The exact text of the next value (validated, walked without recursion).
    fn next_value_text(&mut self) -> Option<&'de str> {
        self.skip_whitespace();
        let start = self.pos;
        self.skip_value().ok()?;
        self.text.get(start..self.pos)
    }

    /// An object member's key and colon, before its value: the key.
    #[inline(always)]
    fn member_key(&mut self) -> Result<Cow<'de, str>, Stop> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'"') => {}
            Some(_) => return self.invalid("key must be a string"),
            None => return self.invalid("EOF while parsing an object"),
        }
        let key = self.string()?;
        self.skip_whitespace();
        match self.peek() {
            Some(b':') => {
                self.pos += 1;
                Ok(key)
            }
            Some(_) => self.invalid("expected `:`"),
            None => self.invalid("EOF while parsing an object"),
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<(), Stop> {
        for expected in word {
            match self.peek() {
                Some(byte) if byte == *expected => self.pos += 1,
                Some(_) => return self.invalid("expected ident"),
                None => return self.invalid("EOF while parsing a value"),
            }
        }
        Ok(())
    }

    /// An object at nesting `depth`; in [`Mode::Body`] its known keys are captured.
    fn object(&mut self, mode: Mode, depth: usize) -> Result<u64, Stop> {
        if depth > MAX_DEPTH {
            return Err(Stop::TooDeep);
        }
        let loc = match mode {
            Mode::Body(loc) => Some(loc),
            _ => None,
        };
        let root = loc == Some(Loc::Root);
        self.pos += 1; // `{`
        let mut hasher = ObjectHasher::new(&self.entries);
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(self.finish_object(root, &hasher));
        }
        loop {
            self.skip_whitespace();
            if self.peek() == Some(b'}') {
                return self.invalid("trailing comma");
            }
            let key_text = self.member_key()?;
            let key = text_of(&key_text);
            let child = loc.map_or(Mode::Hash, |loc| child_mode(loc, key));
            if let Mode::Body(child) = child {
                // A repeated body key replaces the earlier body: the last one wins.
                self.scan.clear(child);
            }
            let hash = self.value(child, depth + 1)?;
            if !(root && fingerprint::is_ignored(key)) {
                hasher.push(&mut self.entries, key, hash);
            }
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                Some(_) => return self.invalid("expected `,` or `}`"),
                None => return self.invalid("EOF while parsing an object"),
            }
        }
        Ok(self.finish_object(root, &hasher))
    }

    /// An object's hash; the frame's object is also the scan's fingerprint.
    fn finish_object(&mut self, root: bool, hasher: &ObjectHasher) -> u64 {
        if root {
            self.scan.fingerprint = hasher.finish_frame(&mut self.entries);
            self.scan.fingerprint.0
        } else {
            hasher.finish(&mut self.entries)
        }
    }

    /// An array at nesting `depth`; its elements are hashed only.
    fn array(&mut self, depth: usize) -> Result<u64, Stop> {
        if depth > MAX_DEPTH {
            return Err(Stop::TooDeep);
        }
        self.pos += 1; // `[`
        let mut hasher = ArrayHasher::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(hasher.finish());
        }
        loop {
            self.skip_whitespace();
            if self.peek() == Some(b']') {
                return self.invalid("trailing comma");
            }
            let hash = self.value(Mode::Hash, depth + 1)?;
            hasher.push(hash);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(hasher.finish());
                }
                Some(_) => return self.invalid("expected `,` or `]`"),
                None => return self.invalid("EOF while parsing a list"),
            }
        }
    }

    /// A string at the opening quote: its value, borrowed when it has no escapes.
    #[inline(always)]
    fn string(&mut self) -> Result<Cow<'de, str>, Stop> {
        self.pos += 1; // `"`
        let start = self.pos;
        // The fast run: plain characters up to the closing quote, eight bytes at a time.
        let end = plain_run(self.bytes, start);
        if self.bytes.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return Ok(Cow::Borrowed(self.text.get(start..end).unwrap_or_default()));
        }
        self.pos = end;
        self.escaped_string(start)
    }

    /// The rest of a string whose plain run from `start` ended before `self.pos` at something
    /// other than the closing quote: an escape, a control character or the end of the text.
    #[inline(never)]
    fn escaped_string(&mut self, start: usize) -> Result<Cow<'de, str>, Stop> {
        match self.peek() {
            None => return self.invalid("EOF while parsing a string"),
            Some(b'\\') => {}
            Some(_) => {
                return self
                    .invalid("control character (\\u0000-\\u001F) found while parsing a string");
            }
        }
        // Escapes: build the value.
        let mut owned = String::with_capacity(self.pos - start + 16);
        owned.push_str(self.text.get(start..self.pos).unwrap_or_default());
        loop {
            let run = self.pos;
            self.pos = plain_run(self.bytes, self.pos);
            owned.push_str(self.text.get(run..self.pos).unwrap_or_default());
            match self.peek() {
                None => return self.invalid("EOF while parsing a string"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(owned));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut owned)?;
                }
                Some(_) => {
                    return self.invalid(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    );
                }
            }
        }
    }

    /// One escape, after its backslash.
    fn escape(&mut self, out: &mut String) -> Result<(), Stop> {
        let Some(byte) = self.peek() else {
            return self.invalid("EOF while parsing a string");
        };
        self.pos += 1;
        let decoded = match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => self.unicode_escape()?,
            _ => {
                self.pos -= 1;
                return self.invalid("invalid escape");
            }
        };
        out.push(decoded);
        Ok(())
    }

    /// The character of a `\u` escape (after `\u`), joining a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, Stop> {
        let first = self.hex4()?;
        match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return if self.pos + 2 > self.bytes.len() {
                        self.invalid("EOF while parsing a string")
                    } else {
                        self.invalid("unexpected end of hex escape")
                    };
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return self.invalid("lone leading surrogate in hex escape");
                }
                let code =
                    0x10000 + ((u32::from(first) - 0xD800) << 10) + (u32::from(second) - 0xDC00);
                char::from_u32(code).map_or_else(|| self.invalid("invalid unicode code point"), Ok)
            }
            0xDC00..=0xDFFF => self.invalid("lone leading surrogate in hex escape"),
            code => char::from_u32(u32::from(code))
                .map_or_else(|| self.invalid("invalid unicode code point"), Ok),
        }
    }

    fn hex4(&mut self) -> Result<u16, Stop> {
        let mut value: u16 = 0;
        for _ in 0..4 {
            let Some(byte) = self.peek() else {
                return self.invalid("EOF while parsing a string");
            };
            let digit = match byte {
                b'0'..=b'9' => byte - b'0',
                b'a'..=b'f' => byte - b'a' + 10,
                b'A'..=b'F' => byte - b'A' + 10,
                _ => return self.invalid("invalid escape"),
            };
            value = (value << 4) | u16::from(digit);
            self.pos += 1;
        }
        Ok(value)
    }

    /// One or more digits (a number's fraction or exponent).
    fn digits(&mut self) -> Result<(), Stop> {
        match self.peek() {
            Some(b'0'..=b'9') => {}
            Some(_) => return self.invalid("invalid number"),
            None => return self.invalid("EOF while parsing a value"),
        }
        while self.peek().is_some_and(|byte| byte.is_ascii_digit()) {
            self.pos += 1;
        }
        Ok(())
    }

    /// A number: its text and its value (JSON grammar; out of `f64` range is an error).
    fn number(&mut self) -> Result<(&'de str, f64), Stop> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        // Integer part: `0`, or a non-zero digit and more digits.
        let mut small: u64 = 0;
        let mut digits = 0usize;
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                digits = 1;
            }
            Some(b'1'..=b'9') => {
                while let Some(byte @ b'0'..=b'9') = self.peek() {
                    if digits < 19 {
                        small = small * 10 + u64::from(byte - b'0');
                    }
                    digits += 1;
                    self.pos += 1;
                }
            }
            Some(_) => return self.invalid("invalid number"),
            None => return self.invalid("EOF while parsing a value"),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.pos += 1;
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            integer = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.digits()?;
        }
        let text = self.text.get(start..self.pos).unwrap_or_default();
        // Integers up to 2^53 are exact as f64: no parsing needed (the common case).
        if integer && digits <= 15 {
            let magnitude = small as f64;
            return Ok((text, if negative { -magnitude } else { magnitude }));
        }
        match super::number::as_f64(text) {
            Some(value) => Ok((text, value)),
            None => self.invalid_at("number out of range", start),
        }
    }
}

#[cfg(test)]
mod tests;
