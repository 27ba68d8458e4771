//! Tests of the recording module: the JSONL format, redaction, and HAR in and out (they share
//! their fixtures, and the round trips cross the files).

use std::borrow::Cow;

use super::*;

const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJlX2J5dGVz";

fn at(secs: i64) -> Timestamp {
    Timestamp::from_unix_micros(1_758_207_374_000_000 + secs * 1_000_000)
}

fn header(url: &str) -> Header {
    Header { url: url.to_owned(), user_id: Some("u1".to_owned()), started_at: at(0) }
}

fn frame(dir: Direction, secs: i64, text: &str) -> Record {
    Record::Frame { dir, t: at(secs), text: text.to_owned() }
}

fn record_to_string(header: &Header, records: &[Record]) -> String {
    let mut writer = RecordingWriter::new(Vec::new(), header).unwrap();
    for record in records {
        writer.write(record).unwrap();
    }
    String::from_utf8(writer.into_inner()).unwrap()
}

fn read_all(text: &str) -> (Header, Vec<Result<Record, RecordingError>>) {
    let mut reader = RecordingReader::new(text.as_bytes()).unwrap();
    let records = reader.by_ref().collect();
    (reader.header().clone(), records)
}

fn har_messages(har: &str) -> (Vec<HarMessage>, HarSummary) {
    let mut messages = Vec::new();
    let summary = read_har_messages(har.as_bytes(), |message| messages.push(message)).unwrap();
    (messages, summary)
}

#[test]
fn writer_writes_the_documented_line_shapes() {
    let text = record_to_string(
        &header("ws://127.0.0.1:8080/ws"),
        &[
            Record::Open { t: at(0), protocol: None },
            frame(Direction::Out, 1, r#"{"type":"ping"}"#),
            Record::Close { t: at(2), code: 1006, reason: String::new(), clean: false },
            Record::Reconnect { t: at(2), attempt: 2, delay_ms: 1200 },
        ],
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            r#"{"type":"agentwire.recording","version":1,"url":"ws://127.0.0.1:8080/ws","user_id":"u1","started_at":"2025-09-18T14:56:14Z"}"#,
            r#"{"type":"open","t":"2025-09-18T14:56:14Z","protocol":null}"#,
            r#"{"type":"frame","dir":"out","t":"2025-09-18T14:56:15Z","text":"{\"type\":\"ping\"}"}"#,
            r#"{"type":"close","t":"2025-09-18T14:56:16Z","code":1006,"reason":"","clean":false}"#,
            r#"{"type":"reconnect","t":"2025-09-18T14:56:16Z","attempt":2,"delay_ms":1200}"#,
        ]
    );
}

#[test]
fn writer_never_writes_a_token_in_url_protocol_or_frames() {
    let text = record_to_string(
        &header("wss://alice:hunter2@example.com/ws?user=u1&Token=abc123&jwt=xyz789#x"),
        &[
            Record::Open { t: at(0), protocol: Some(format!("jwt-auth.{JWT}")) },
            Record::Open { t: at(0), protocol: Some("bearer.opaque-secret".to_owned()) },
            frame(Direction::Out, 1, &format!(r#"{{"type":"auth","token":"{JWT}"}}"#)),
            Record::Close { t: at(2), code: 4001, reason: format!("bad token {JWT}"), clean: true },
        ],
    );
    for secret in ["alice", "hunter2", "abc123", "xyz789", "opaque-secret", "eyJ", "c2lnbmF0"] {
        assert!(!text.contains(secret), "{secret} leaked into:\n{text}");
    }
    let (header, records) = read_all(&text);
    assert_eq!(header.url, "wss://example.com/ws?user=u1&Token=REDACTED&jwt=REDACTED#x");
    let records: Vec<Record> = records.into_iter().map(Result::unwrap).collect();
    assert_eq!(records[0], Record::Open { t: at(0), protocol: Some("jwt-auth.REDACTED".into()) });
    assert_eq!(records[1], Record::Open { t: at(0), protocol: Some("bearer.REDACTED".into()) });
    assert_eq!(records[2], frame(Direction::Out, 1, r#"{"type":"auth","token":"[REDACTED-JWT]"}"#));
}

#[test]
fn reader_streams_records_and_reports_line_numbers_of_bad_lines() {
    let good = record_to_string(&header("ws://h/ws"), &[frame(Direction::In, 1, "one")]);
    let text = format!(
        "\n{good}\n   \n{{not json\n{{\"type\":\"frame\",\"dir\":\"sideways\",\"t\":0,\"text\":\"\"}}\n\
         {{\"type\":\"annotation\",\"t\":0}}\n{{\"type\":\"agentwire.recording\",\"version\":1}}\r\n\
         {{\"type\":\"frame\",\"dir\":\"out\",\"t\":\"2025-09-18T14:56:16Z\",\"text\":\"two\"}}\r\n"
    );
    let (header, records) = read_all(&text);
    assert_eq!(header.url, "ws://h/ws");
    assert_eq!(records.len(), 6);
    assert!(matches!(records[0], Ok(Record::Frame { ref text, .. }) if text == "one"));
    assert!(matches!(records[1], Err(RecordingError::Json { line: 6, .. })), "{:?}", records[1]);
    assert!(matches!(records[2], Err(RecordingError::Json { line: 7, .. })), "{:?}", records[2]);
    assert!(
        matches!(records[3], Err(RecordingError::UnknownRecord { line: 8, ref kind }) if kind == "annotation")
    );
    assert!(matches!(records[4], Err(RecordingError::UnknownRecord { line: 9, .. })));
    assert_eq!(records[5].as_ref().unwrap(), &frame(Direction::Out, 2, "two"));
}

#[test]
fn reader_rejects_input_without_a_header() {
    for text in ["", "\n\n", "not json\n", "{\"type\":\"pong\"}\n", "[1,2]\n"] {
        let result = RecordingReader::new(text.as_bytes());
        assert!(matches!(result, Err(RecordingError::MissingHeader)), "{text:?}");
    }
    let bad_field = r#"{"type":"agentwire.recording","version":1,"url":"x","started_at":"nope"}"#;
    assert!(matches!(
        RecordingReader::new(format!("\n{bad_field}").as_bytes()),
        Err(RecordingError::Json { line: 2, .. })
    ));
}

#[test]
fn reader_rejects_a_newer_version_with_a_typed_error() {
    let text = r#"{"type":"agentwire.recording","version":2,"something":"new"}"#;
    let result = RecordingReader::new(text.as_bytes());
    assert!(matches!(
        result,
        Err(RecordingError::UnsupportedVersion { found: 2, supported: FORMAT_VERSION })
    ));
}

#[test]
fn reader_reports_invalid_utf8_and_goes_on() {
    let mut bytes = record_to_string(&header("ws://h/ws"), &[]).into_bytes();
    bytes.extend_from_slice(b"{\"type\":\"frame\",\"text\":\"\xff\"}\n");
    bytes.extend_from_slice(br#"{"type":"open","t":"2025-09-18T14:56:14Z"}"#);
    let records: Vec<_> = RecordingReader::new(bytes.as_slice()).unwrap().collect();
    assert!(matches!(records[0], Err(RecordingError::InvalidUtf8 { line: 2 })));
    assert_eq!(records[1].as_ref().unwrap(), &Record::Open { t: at(0), protocol: None });
}

#[test]
fn a_line_over_the_limit_is_an_error_read_in_bounded_memory_and_the_reader_goes_on() {
    let mut text = record_to_string(&header("ws://h/ws"), &[]);
    let long = "x".repeat(10_000);
    text.push_str(&format!(
        "{{\"type\":\"frame\",\"dir\":\"in\",\"t\":1,\"text\":\"{long}\"}}\r\n"
    ));
    text.push_str(r#"{"type":"open","t":"2025-09-18T14:56:14Z"}"#);
    let reader = RecordingReader::with_max_line(text.as_bytes(), 1024).unwrap();
    let records: Vec<_> = reader.collect();
    let length = 10_000 + r#"{"type":"frame","dir":"in","t":1,"text":""}"#.len() as u64;
    assert!(
        matches!(records[0], Err(RecordingError::LineTooLong { line: 2, length: l, limit: 1024 }) if l == length),
        "{:?}",
        records[0]
    );
    assert_eq!(records[1].as_ref().unwrap(), &Record::Open { t: at(0), protocol: None });
    // The default limit keeps it.
    let records: Vec<_> = RecordingReader::new(text.as_bytes()).unwrap().collect();
    assert!(matches!(records[0], Ok(Record::Frame { ref text, .. }) if text.len() == 10_000));
}

#[test]
fn har_with_two_log_keys_is_refused_as_ambiguous() {
    let text = r#"{"log": {"entries": []}, "log": {"entries": []}}"#;
    let result = read_har_messages(text.as_bytes(), |_| {});
    let message = result.err().map(|error| error.to_string()).unwrap_or_default();
    assert!(message.contains("two `log` keys"), "{message}");
}

#[test]
fn reader_skips_a_byte_order_mark_and_accepts_a_missing_protocol() {
    let text = "\u{feff}{\"type\":\"agentwire.recording\",\"version\":1,\"url\":\"ws://h\",\"started_at\":0}\n\
                {\"type\":\"open\",\"t\":1758207374}";
    let (header, records) = read_all(text);
    assert_eq!(header.user_id, None);
    assert_eq!(header.started_at, Timestamp::EPOCH);
    assert_eq!(records[0].as_ref().unwrap(), &Record::Open { t: at(0), protocol: None });
}

#[test]
fn redact_url_removes_userinfo_and_secret_query_values_only() {
    let cases = [
        ("ws://127.0.0.1:8080/ws", "ws://127.0.0.1:8080/ws"),
        ("ws://u:p@host/ws", "ws://host/ws"),
        ("ws://u:p@w@host:1/ws?x=1", "ws://host:1/ws?x=1"),
        ("wss://host/ws?token=abc&user=u1", "wss://host/ws?token=REDACTED&user=u1"),
        (
            "wss://host?ACCESS_TOKEN=a&api_key=b&key=c&keys=d",
            "wss://host?ACCESS_TOKEN=REDACTED&api_key=REDACTED&key=REDACTED&keys=d",
        ),
        (
            "ws://h/?auth%5Ftoken=a&ticket_id=b&auth_ticket=c&ticket=d&auth=e",
            "ws://h/?auth%5Ftoken=REDACTED&ticket_id=REDACTED&auth_ticket=REDACTED&ticket=REDACTED&auth=REDACTED",
        ),
        ("ws://h/ws?token=&token", "ws://h/ws?token=&token"),
        ("ws://h/ws#access_token=abc&state=1", "ws://h/ws#access_token=REDACTED&state=1"),
        ("u:p@host/ws?jwt=a=b", "host/ws?jwt=REDACTED"),
        ("/ws?token=a", "/ws?token=REDACTED"),
        ("//u@host/ws", "//host/ws"),
        (&format!("ws://h/ws/{JWT}/x"), "ws://h/ws/[REDACTED-JWT]/x"),
        ("", ""),
        ("ws://héllo@hôst/é?tökén=ü&token=ü", "ws://hôst/é?tökén=ü&token=REDACTED"),
    ];
    for (input, expected) in cases {
        let redacted = redact_url(input);
        assert_eq!(redacted, expected, "{input}");
        assert_eq!(redact_url(&redacted), redacted, "not idempotent: {input}");
    }
}

#[test]
fn redact_protocol_hides_tokens_after_known_prefixes() {
    assert_eq!(redact_protocol("jwt.abc"), "jwt.REDACTED");
    assert_eq!(redact_protocol("JWT-Auth.abc.def"), "JWT-Auth.REDACTED");
    assert_eq!(redact_protocol("staging-auth.x"), "staging-auth.REDACTED");
    assert_eq!(redact_protocol("jwt-auth, bearer.tok"), "jwt-auth, bearer.REDACTED");
    assert_eq!(redact_protocol("jwt-auth"), "jwt-auth");
    assert_eq!(redact_protocol("jwt."), "jwt.");
    assert_eq!(redact_protocol("graphql-ws"), "graphql-ws");
    assert_eq!(redact_protocol(&format!("custom.{JWT}")), "custom.[REDACTED-JWT]");
}

#[test]
fn redact_secrets_handles_multibyte_text_and_lookalikes() {
    let text = format!("日本語{JWT}🙂 done, then \\n{JWT}");
    assert_eq!(redact_secrets(&text), "日本語[REDACTED-JWT]🙂 done, then \\n[REDACTED-JWT]");
    let unsigned = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1MSJ9.";
    assert_eq!(redact_secrets(&format!("({unsigned})")), "([REDACTED-JWT])");
    let jwe = format!("{JWT}.aXY.dGFn end.");
    assert_eq!(redact_secrets(&jwe), "[REDACTED-JWT] end.");
    for lookalike in [
        "eyJhbGciOiJIUzI1NiJ9",
        "eyJhbGci.eyJzdWIi",
        "eyJhbGci.notapayload.sig",
        "eyJ.é.eyJ",
        "eyJhbGci .eyJzdWIi.sig",
        "version 1.2.3 and e.y.J",
        "ééé",
        "eyJ",
        "ey",
        "",
    ] {
        assert!(matches!(redact_secrets(lookalike), Cow::Borrowed(_)), "{lookalike}");
    }
    // Every prefix of a multibyte string with tokens in it: no panic, and as soon as the
    // prefix reaches a token's second dot the token is gone.
    let mixed = format!("é{JWT}ü.{JWT}€");
    for (end, _) in mixed.char_indices() {
        let prefix = &mixed[..end];
        let redacted = redact_secrets(prefix);
        assert!(!redacted.contains("eyJzdWIiOiJ1MSJ9."), "{prefix} -> {redacted}");
        assert!(!redacted.contains("c2ln"), "{prefix} -> {redacted}");
        assert_eq!(redact_secrets(&redacted), redacted);
    }
}

#[test]
fn redact_secrets_stays_fast_on_adversarial_input() {
    // Each of these would be quadratic for a scanner that restarts after every candidate.
    for text in [
        "eyJ".repeat(200_000),
        "eyJa.eyJb ".repeat(100_000),
        format!("{}x", "eyJa.".repeat(100_000)),
        "eyJa.eyJb".repeat(100_000),
    ] {
        let redacted = redact_secrets(&text);
        assert_eq!(redact_secrets(&redacted), redacted);
    }
    assert_eq!(redact_secrets(&"eyJa.".repeat(100_000)), "[REDACTED-JWT].");
}

#[test]
fn har_reader_streams_websocket_messages_and_skips_other_entries() {
    let har = r#"{
      "log": {
        "version": "1.2",
        "creator": {"name": "WebInspector", "version": "537.36"},
        "pages": [{"id": "page_1", "title": "x", "nested": [[[[{"entries": []}]]]]}],
        "entries": [
          {"request": {"url": "https://h/app.js"}, "response": {"status": 200}},
          {
            "_resourceType": "websocket",
            "request": {"url": "ws://h/ws"},
            "_webSocketMessages": [
              {"type": "send", "time": 1758207374.25, "opcode": 1, "data": "{\"type\":\"ping\"}"},
              {"type": "receive", "time": 1758207375, "opcode": 1, "data": "{\"type\":\"pong\"}"},
              {"type": "receive", "time": 1758207376.5, "opcode": 2, "data": "AAEC"},
              {"type": "weird", "time": 1, "data": "x"},
              {"type": "send", "time": null, "extra": {"deep": [1, 2]}},
              {"type": "send", "time": "2025-09-18T14:56:14Z", "data": "z"}
            ]
          },
          {"_webSocketMessages": null},
          {"_webSocketMessages": []}
        ]
      },
      "trailing": {"_webSocketMessages": [{"type": "send", "data": "not in an entry"}]}
    }"#;
    let (messages, summary) = har_messages(har);
    assert_eq!(summary, HarSummary { entries: 4, websocket_entries: 2, messages: 4, skipped: 2 });
    let texts: Vec<(usize, Direction, u8, &str)> =
        messages.iter().map(|m| (m.entry, m.dir, m.opcode, m.text.as_str())).collect();
    assert_eq!(
        texts,
        [
            (1, Direction::Out, 1, r#"{"type":"ping"}"#),
            (1, Direction::In, 1, r#"{"type":"pong"}"#),
            (1, Direction::In, 2, "AAEC"),
            (1, Direction::Out, 1, "z"),
        ]
    );
    assert_eq!(messages[0].t, Some(Timestamp::from_unix_micros(1_758_207_374_250_000)));
    assert_eq!(messages[1].t, Some(at(1)));
    assert_eq!(messages[3].t, Some(at(0)));
}

#[test]
fn har_reader_tells_not_har_from_broken_har() {
    let not_har = |text: &str| {
        matches!(read_har_messages(text.as_bytes(), |_| {}), Err(RecordingError::NotHar))
    };
    assert!(not_har(r#"{"entries": []}"#));
    assert!(not_har("[1, {\"log\": {}}]"));
    assert!(not_har("42"));
    let broken = |text: &str| {
        matches!(read_har_messages(text.as_bytes(), |_| {}), Err(RecordingError::Har(_)))
    };
    assert!(broken(""));
    assert!(broken(r#"{"log": 5}"#));
    assert!(broken(r#"{"log": {"entries": [{"_webSocketMessages": [{"data": 5}]}]}}"#));
    assert!(broken(r#"{"log": {"entries": []}} trailing"#));
    assert!(broken(r#"{"log": {"entries": [{"_webSocketMessages": [{"type": "send""#));
}

#[test]
fn har_reader_skips_deeply_nested_values_without_overflowing() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let har = format!(
        r#"{{"log": {{"pages": {deep}, "entries": [{{"x": {deep}, "_webSocketMessages": [{{"type": "send", "data": "ok", "y": {deep}}}]}}]}}}}"#
    );
    let (messages, summary) = har_messages(&har);
    assert_eq!(summary.messages, 1);
    assert_eq!(messages[0].text, "ok");
}

#[test]
fn har_round_trips_through_write_har() {
    let records = vec![
        frame(Direction::Out, 0, "before open"),
        Record::Open { t: at(1), protocol: Some("jwt.abc".to_owned()) },
        frame(Direction::Out, 2, &format!(r#"{{"token":"{JWT}"}}"#)),
        Record::Close { t: at(3), code: 1006, reason: String::new(), clean: false },
        Record::Reconnect { t: at(3), attempt: 1, delay_ms: 500 },
        Record::Open { t: at(4), protocol: None },
        Record::Frame {
            dir: Direction::In,
            t: Timestamp::from_unix_micros(1_758_207_378_123_457),
            text: "ünïcødé \"quoted\"\n".to_owned(),
        },
        Record::Open { t: at(5), protocol: None },
    ];
    let mut out = Vec::new();
    write_har(&mut out, &header("ws://u:p@h/ws?token=abc"), records).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("abc") && !text.contains("eyJ") && !text.contains("u:p"), "{text}");

    let document: serde_json::Value = serde_json::from_str(&text).unwrap();
    let log = &document["log"];
    assert_eq!(log["version"], "1.2");
    assert_eq!(log["creator"]["name"], "agentwire");
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[0]["request"]["url"], "ws://h/ws?token=REDACTED");
    assert_eq!(entries[0]["response"]["status"], 101);
    assert_eq!(entries[1]["startedDateTime"], "2025-09-18T14:56:15Z");
    assert_eq!(entries[1]["time"], 2000.0);
    assert_eq!(entries[2]["_resourceType"], "websocket");
    for entry in entries {
        for field in ["startedDateTime", "time", "request", "response", "cache", "timings"] {
            assert!(entry.get(field).is_some(), "entry lacks {field}");
        }
    }

    let (messages, summary) = har_messages(&text);
    assert_eq!(summary, HarSummary { entries: 4, websocket_entries: 4, messages: 3, skipped: 0 });
    let expected = [
        (0, Direction::Out, at(0), "before open".to_owned()),
        (1, Direction::Out, at(2), r#"{"token":"[REDACTED-JWT]"}"#.to_owned()),
        (
            2,
            Direction::In,
            Timestamp::from_unix_micros(1_758_207_378_123_457),
            "ünïcødé \"quoted\"\n".to_owned(),
        ),
    ];
    let got: Vec<_> =
        messages.into_iter().map(|m| (m.entry, m.dir, m.t.unwrap(), m.text)).collect();
    assert_eq!(got, expected);
}

#[test]
fn write_har_without_records_writes_an_empty_log() {
    let mut out = Vec::new();
    write_har(&mut out, &header("ws://h/ws"), Vec::new()).unwrap();
    let (messages, summary) = har_messages(std::str::from_utf8(&out).unwrap());
    assert!(messages.is_empty());
    assert_eq!(summary, HarSummary::default());
}

#[test]
fn a_frame_too_long_to_keep_is_recorded_by_its_length_and_checks_as_it_arrived() {
    let started = r#"{"type":"agent_started","run_id":"r1","agent_name":"a"}"#;
    let completed =
        r#"{"type":"agent_completed","run_id":"r1","agent_name":"a","final_response":"ok"}"#;
    let records = [
        frame(Direction::In, 1, started),
        Record::TooLong { dir: Direction::In, t: at(2), length: 20_000_000, limit: 16 << 20 },
        frame(Direction::In, 3, completed),
    ];
    let text = record_to_string(&header("ws://h/ws"), &records);
    assert!(
        text.contains(r#"{"type":"too_long","dir":"in","t":"2025-09-18T14:56:16Z","length":20000000,"limit":16777216}"#),
        "{text}"
    );
    let (_, read) = read_all(&text);
    assert_eq!(read.into_iter().collect::<Result<Vec<_>, _>>().unwrap(), records);

    // Checked as `agentwire check` checks a capture: the frame is malformed where it arrived,
    // with its length, and the frames after it keep their indexes.
    let mut checker = crate::Checker::new(crate::CheckerConfig::offline());
    let mut reader = CaptureReader::new(text.as_bytes(), MAX_LINE).unwrap();
    let mut outcomes = Vec::new();
    reader
        .stream(|item| {
            if let Some(received) = item.received() {
                outcomes.push(
                    received.check(&mut checker).map(|checked| checked.event.name().to_owned()),
                );
            }
        })
        .unwrap();
    checker.finish();
    let too_long = crate::DecodeError::TooLong { length: 20_000_000, limit: 16 << 20 };
    assert_eq!(
        outcomes,
        [Ok("agent_started".to_owned()), Err(too_long), Ok("agent_completed".to_owned())]
    );
    let mut flags = Vec::new();
    while let Some(flag) = checker.poll_flag() {
        flags.push((flag.rule, flag.frame));
    }
    assert!(flags.contains(&(crate::Rule::MalformedFrame, Some(1))), "{flags:?}");
    assert!(!flags.iter().any(|(rule, _)| *rule == crate::Rule::RunIncomplete), "{flags:?}");

    // A HAR file cannot say "not kept": an empty message holds its place.
    let mut har = Vec::new();
    write_har(&mut har, &header("ws://h/ws"), records.to_vec()).unwrap();
    let (messages, _) = har_messages(std::str::from_utf8(&har).unwrap());
    let texts: Vec<&str> = messages.iter().map(|message| message.text.as_str()).collect();
    assert_eq!(texts, [started, "", completed]);
}
