//! Recordings and HAR files round-trip through the public API, and no token survives the trip.

use std::io::{BufReader, Cursor};

use agentwire::recording::{
    Direction, FORMAT_TYPE, FORMAT_VERSION, HarMessage, Header, Record, RecordingError,
    RecordingReader, RecordingWriter, read_har_messages, redact_secrets, redact_url, write_har,
};
use agentwire::timestamp::Timestamp;
use proptest::prelude::*;

const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTQyIn0.\
                   SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

fn at_micros(micros: i64) -> Timestamp {
    Timestamp::from_unix_micros(1_758_207_374_000_000 + micros)
}

/// A realistic session: connect, auth, a run, a drop, a reconnect, more frames.
fn session() -> (Header, Vec<Record>) {
    let header = Header {
        url: format!("wss://user:pw@manager.example.com/ws?user_id=u-42&access_token={JWT}"),
        user_id: Some("u-42".to_owned()),
        started_at: at_micros(0),
    };
    let frames_in = [
        r#"{"type":"connection_established","data":{"user_id":"u-4...","features":{"seq":true}}}"#,
        r#"{"type":"agent_started","run_id":"r1","user_id":"u-42","timestamp":"2025-09-18T14:56:14.500+00:00"}"#,
        r#"{"type":"agent_thinking","run_id":"r1","reasoning":"Looking at costs… 💸 «ok»"}"#,
        "not json at all, but still a frame\twith a tab",
        "",
    ];
    let mut records = vec![
        Record::Open { t: at_micros(10_000), protocol: Some(format!("jwt.{JWT}")) },
        Record::Frame {
            dir: Direction::Out,
            t: at_micros(11_000),
            text: format!(r#"{{"type":"auth","token":"{JWT}"}}"#),
        },
    ];
    for (i, text) in frames_in.iter().enumerate() {
        records.push(Record::Frame {
            dir: Direction::In,
            t: at_micros(20_000 + i as i64 * 123_457),
            text: (*text).to_owned(),
        });
    }
    records.extend([
        Record::Close { t: at_micros(2_000_000), code: 1006, reason: String::new(), clean: false },
        Record::Reconnect { t: at_micros(2_000_001), attempt: 1, delay_ms: 1_200 },
        Record::Open { t: at_micros(3_200_000), protocol: Some("jwt-auth".to_owned()) },
        Record::Frame {
            dir: Direction::Out,
            t: at_micros(3_200_500),
            text: r#"{"type":"resume","payload":{"last_seq":3}}"#.to_owned(),
        },
        Record::Close {
            t: at_micros(9_000_000),
            code: 1000,
            reason: "bye".to_owned(),
            clean: true,
        },
    ]);
    (header, records)
}

/// What the writer should turn a record into.
fn redacted(record: &Record) -> Record {
    match record {
        Record::Frame { dir, t, text } => {
            Record::Frame { dir: *dir, t: *t, text: redact_secrets(text).into_owned() }
        }
        Record::Open { t, protocol: Some(protocol) } if protocol.starts_with("jwt.") => {
            Record::Open { t: *t, protocol: Some("jwt.REDACTED".to_owned()) }
        }
        other => other.clone(),
    }
}

fn try_write_recording(header: &Header, records: &[Record]) -> Result<Vec<u8>, RecordingError> {
    let mut writer = RecordingWriter::new(Vec::new(), header)?;
    for record in records {
        writer.write(record)?;
    }
    Ok(writer.into_inner())
}

#[cfg(test)]
fn write_recording(header: &Header, records: &[Record]) -> Vec<u8> {
    try_write_recording(header, records).expect("writing to a Vec succeeds")
}

#[test]
fn recording_round_trips_every_record_with_tokens_redacted() {
    let (header, records) = session();
    let bytes = write_recording(&header, &records);
    let text = String::from_utf8(bytes.clone()).expect("recordings are UTF-8");
    assert!(!text.contains("eyJ") && !text.contains("pw@"), "a token leaked:\n{text}");
    assert!(text.starts_with(&format!(r#"{{"type":"{FORMAT_TYPE}","version":{FORMAT_VERSION},"#)));
    assert_eq!(text.lines().count(), records.len() + 1);

    let mut reader = RecordingReader::new(BufReader::new(Cursor::new(bytes))).expect("header");
    assert_eq!(
        reader.header(),
        &Header {
            url: "wss://manager.example.com/ws?user_id=u-42&access_token=REDACTED".to_owned(),
            user_id: Some("u-42".to_owned()),
            started_at: at_micros(0),
        }
    );
    let read: Vec<Record> =
        reader.by_ref().collect::<Result<_, _>>().expect("every line reads back");
    let expected: Vec<Record> = records.iter().map(redacted).collect();
    assert_eq!(read, expected);
    assert_eq!(reader.line_number(), records.len() + 1);
}

#[test]
fn a_recording_read_and_written_again_is_byte_identical() {
    let (header, records) = session();
    let first = write_recording(&header, &records);
    let mut reader = RecordingReader::new(first.as_slice()).expect("header");
    let header_again = reader.header().clone();
    let records_again: Vec<Record> = reader.by_ref().collect::<Result<_, _>>().expect("records");
    let second = write_recording(&header_again, &records_again);
    assert_eq!(String::from_utf8_lossy(&first), String::from_utf8_lossy(&second));
}

#[test]
fn recording_goes_through_har_and_back_with_the_same_frames() {
    let (header, records) = session();
    let mut har = Vec::new();
    write_har(&mut har, &header, records.clone()).expect("HAR is written");
    let har_text = String::from_utf8(har.clone()).expect("HAR is UTF-8");
    assert!(!har_text.contains("eyJ") && !har_text.contains("pw@"), "a token leaked");

    let mut messages: Vec<HarMessage> = Vec::new();
    let summary =
        read_har_messages(har.as_slice(), |message| messages.push(message)).expect("HAR reads");
    assert_eq!(summary.entries, 2, "one entry per open");
    assert_eq!(summary.websocket_entries, 2);
    assert_eq!(summary.messages, messages.len());

    let expected: Vec<(usize, Direction, Option<Timestamp>, String)> = records
        .iter()
        .scan(None::<usize>, |entry, record| {
            if let Record::Open { .. } = record {
                *entry = Some(entry.map_or(0, |e| e + 1));
            }
            Some((entry.unwrap_or(0), redacted(record)))
        })
        .filter_map(|(entry, record)| match record {
            Record::Frame { dir, t, text } => Some((entry, dir, Some(t), text)),
            _ => None,
        })
        .collect();
    let got: Vec<_> = messages.into_iter().map(|m| (m.entry, m.dir, m.t, m.text)).collect();
    assert_eq!(got, expected);
}

#[test]
fn reader_keeps_going_after_bad_lines_and_says_where_they_are() {
    let (header, records) = session();
    let mut bytes = write_recording(&header, &records[..2]);
    bytes.extend_from_slice(b"\n{\"type\":\"bookmark\",\"t\":0,\"label\":\"x\"}\n");
    bytes.extend_from_slice(b"{\"type\":\"close\",\"t\":0}\n");
    bytes.extend_from_slice(&write_recording(&header, &records[2..3])[..]);
    let results: Vec<_> = RecordingReader::new(bytes.as_slice()).expect("header").collect();
    assert_eq!(results.len(), 6);
    assert!(results[0].is_ok() && results[1].is_ok());
    assert!(matches!(
        &results[2],
        Err(RecordingError::UnknownRecord { line: 5, kind }) if kind == "bookmark"
    ));
    assert!(matches!(results[3], Err(RecordingError::Json { line: 6, .. })));
    // The second recording's header, appended: reported, not taken as a record.
    assert!(
        matches!(&results[4], Err(RecordingError::UnknownRecord { line: 7, kind }) if kind == FORMAT_TYPE)
    );
    assert_eq!(results[5].as_ref().ok(), Some(&redacted(&records[2])));
}

#[test]
fn a_frames_file_and_a_har_file_are_not_recordings() {
    let frames = "{\"type\":\"pong\",\"data\":{\"user_id\":\"u1\"}}\n{\"type\":\"ack\"}\n";
    assert!(matches!(RecordingReader::new(frames.as_bytes()), Err(RecordingError::MissingHeader)));
    let har = r#"{"log":{"version":"1.2","entries":[]}}"#;
    assert!(matches!(RecordingReader::new(har.as_bytes()), Err(RecordingError::MissingHeader)));
    let (header, records) = session();
    let recording = write_recording(&header, &records);
    assert!(matches!(read_har_messages(recording.as_slice(), |_| {}), Err(RecordingError::NotHar)));
}

#[test]
fn har_reader_copes_with_a_large_file_one_message_at_a_time() {
    let entry = |i: usize| {
        format!(
            r#"{{"_resourceType":"websocket","request":{{"url":"ws://h/{i}"}},"_webSocketMessages":[{{"type":"receive","time":1758207374.{i:03},"opcode":1,"data":"{{\"type\":\"pong\",\"i\":{i}}}"}}]}}"#
        )
    };
    let entries: Vec<String> = (0..2_000).map(entry).collect();
    let har = format!(r#"{{"log":{{"entries":[{}]}}}}"#, entries.join(","));
    let mut count = 0;
    let mut last_entry = 0;
    let summary = read_har_messages(har.as_bytes(), |message| {
        count += 1;
        last_entry = message.entry;
        assert_eq!(message.text, format!(r#"{{"type":"pong","i":{}}}"#, message.entry));
    })
    .expect("HAR reads");
    assert_eq!(
        (summary.entries, summary.websocket_entries, summary.messages),
        (2_000, 2_000, 2_000)
    );
    assert_eq!((count, last_entry), (2_000, 1_999));
}

proptest! {
    #[test]
    fn redaction_never_panics_and_is_idempotent(text in "(eyJ|[a-zA-Z0-9_-]{0,4}|\\.|é|🙂|\\\\n| |%5F|@|\\?|&|=|token|#){0,40}") {
        let once = redact_secrets(&text).into_owned();
        prop_assert_eq!(redact_secrets(&once).into_owned(), once.clone());
        let url = redact_url(&text);
        prop_assert_eq!(redact_url(&url), url);
    }

    #[test]
    fn a_jwt_anywhere_in_any_text_is_redacted(
        prefix in "\\PC{0,20}",
        suffix in "\\PC{0,20}",
        header in "[A-Za-z0-9_-]{4,30}",
        payload in "[A-Za-z0-9_-]{4,30}",
        signature in "[A-Za-z0-9_-]{0,30}",
    ) {
        let payload = format!("eyJ{payload}");
        let token = format!("eyJ{header}.{payload}.{signature}");
        let text = format!("{prefix}{token}{suffix}");
        let redacted = redact_secrets(&text);
        prop_assert!(!redacted.contains(&payload), "{} -> {}", text, redacted);
        prop_assert!(redacted.contains("[REDACTED-JWT]"));
    }

    #[test]
    fn any_frame_text_round_trips_through_a_recording(texts in proptest::collection::vec("\\PC*", 0..8)) {
        let header = Header { url: "ws://h/ws".to_owned(), user_id: None, started_at: at_micros(0) };
        let records: Vec<Record> = texts
            .iter()
            .enumerate()
            .map(|(i, text)| Record::Frame { dir: Direction::In, t: at_micros(i as i64), text: text.clone() })
            .collect();
        let bytes = write_recording(&header, &records);
        let read: Vec<Record> = RecordingReader::new(bytes.as_slice())
            .expect("header")
            .collect::<Result<_, _>>()
            .expect("records");
        let expected: Vec<Record> = records.iter().map(redacted).collect();
        prop_assert_eq!(read, expected);
    }
}
