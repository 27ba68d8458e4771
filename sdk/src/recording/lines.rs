//! Lines read in bounded memory: a capture's line may be as long as its writer made it, and a
//! reader that keeps whatever it is given can be made to hold gigabytes by one line.

use std::io::{self, BufRead};

/// The longest line (a frame of a frames file, a record of a recording) that readers keep by
/// default: 16 MiB, without its line ending. The manager's frames are far smaller; the limit
/// only bounds what one hostile or broken line can cost.
pub const MAX_LINE: usize = 16 << 20;

/// What [`read_line`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Line {
    /// The end of the input: nothing was read.
    End,
    /// A line, in the buffer, without its `\n` or `\r\n` ending.
    Complete,
    /// A line longer than the limit: read to its end, not kept (the buffer is empty).
    TooLong {
        /// Its length in bytes, without its line ending.
        length: u64,
    },
}

/// Reads one line into `line` (cleared first), without its `\n` or `\r\n` ending, keeping at
/// most `limit` bytes: a longer line is consumed to its end without being kept, and reported
/// with its length. Memory stays within `limit` plus the reader's own buffer, however long
/// the line.
///
/// # Errors
/// The reader's I/O errors (`Interrupted` is retried).
pub fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>, limit: usize) -> io::Result<Line> {
    line.clear();
    let mut length: u64 = 0;
    let mut kept = true;
    let mut any = false;
    // The last two bytes read: the line's ending, when it is not kept.
    let mut last = [0u8; 2];
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            break;
        }
        any = true;
        let (chunk, ended) = match available.iter().position(|byte| *byte == b'\n') {
            Some(newline) => (available.get(..=newline).unwrap_or(available), true),
            None => (available, false),
        };
        let taken = chunk.len();
        length += taken as u64;
        last = match chunk {
            [.., a, b] => [*a, *b],
            [b] => [last[1], *b],
            [] => last,
        };
        // Room for the limit and a `\r\n`, which is not part of the line.
        if kept && line.len() + taken <= limit.saturating_add(2) {
            line.extend_from_slice(chunk);
        } else if kept {
            kept = false;
            line.clear();
        }
        reader.consume(taken);
        if ended {
            break;
        }
    }
    if !any {
        return Ok(Line::End);
    }
    let ending = |text: &[u8]| {
        if text.ends_with(b"\r\n") { 2 } else { usize::from(text.ends_with(b"\n")) }
    };
    if kept {
        let content = line.len() - ending(line);
        line.truncate(content);
        if content <= limit {
            return Ok(Line::Complete);
        }
        line.clear();
        return Ok(Line::TooLong { length: content as u64 });
    }
    Ok(Line::TooLong { length: length - ending(&last) as u64 })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::{BufReader, Read};

    use super::*;

    fn lines(input: &[u8], limit: usize, capacity: usize) -> Vec<(Line, Vec<u8>)> {
        let mut reader = BufReader::with_capacity(capacity, input);
        let mut line = Vec::new();
        let mut out = Vec::new();
        loop {
            let read = read_line(&mut reader, &mut line, limit).unwrap();
            if read == Line::End {
                return out;
            }
            out.push((read, line.clone()));
        }
    }

    #[test]
    fn lines_within_the_limit_are_kept_without_their_endings() {
        for capacity in [1, 3, 64] {
            let read = lines(b"ab\r\ncde\n\nlast", 5, capacity);
            let expected = [
                (Line::Complete, b"ab".to_vec()),
                (Line::Complete, b"cde".to_vec()),
                (Line::Complete, Vec::new()),
                (Line::Complete, b"last".to_vec()),
            ];
            assert_eq!(read, expected, "buffer {capacity}");
        }
    }

    #[test]
    fn a_longer_line_is_skipped_whole_and_the_next_one_read() {
        for capacity in [1, 4, 64] {
            let read = lines(b"123456\nok\n12345\r\n1234567", 5, capacity);
            let expected = [
                (Line::TooLong { length: 6 }, Vec::new()),
                (Line::Complete, b"ok".to_vec()),
                (Line::Complete, b"12345".to_vec()),
                (Line::TooLong { length: 7 }, Vec::new()),
            ];
            assert_eq!(read, expected, "buffer {capacity}");
        }
    }

    #[test]
    fn memory_stays_bounded_on_an_endless_line() {
        let mut endless = io::repeat(b'x').take(64 << 20);
        let mut reader = BufReader::with_capacity(8192, &mut endless);
        let mut line = Vec::new();
        let read = read_line(&mut reader, &mut line, 1 << 20).unwrap();
        assert_eq!(read, Line::TooLong { length: 64 << 20 });
        assert!(line.capacity() <= (1 << 20) + 8192 * 2, "{}", line.capacity());
    }
}
