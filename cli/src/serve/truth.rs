//! The ground-truth file (`--truth FILE`): JSON Lines recording every run frame sent, to which
//! connections, and every fault injected, so tests can measure whether the checker flagged each
//! injected fault (recall) and nothing else (precision).
//!
//! Records (each with `t`, the server's time, ISO 8601):
//! * `{"record":"frame","user","connections":[ids],"seq","fault","text"}`: a run frame queued for
//!   every connection of its user (`fault` names the fault the frame carries out, if any). Queued,
//!   not proven sent: a connection that drops (or is dropped for being too slow) before writing
//!   it never sends it;
//! * `{"record":"leak","from_user","user","connections","seq","text"}`: the `cross_user` copy of
//!   a frame, delivered to another user;
//! * `{"record":"fault","fault","user","run_id","event_type","index","frame"}`: a fault injected
//!   into a run, written when it happens (a `cross_user` fault with no other user connected does
//!   not happen and is not written; `index` is the frame's position among the run's frames);
//! * `{"record":"fault","fault":"drop_connection"|"freeze_connection"|"refuse_connections","user","connection"}`:
//!   a connection-level fault, written when it happens (`user` is empty and `connection` null for
//!   `refuse_connections`). After a `freeze_connection` the frozen connection is in no later
//!   `frame` record's `connections`: nothing more is queued for it. Written when the fault is
//!   queued: an October connection still in its handshake carries it out after its ack, once it
//!   has sent `handshake_complete` and the frames queued for it before the fault (or never, when
//!   the handshake times out first);
//! * `{"record":"direct","user","connection","seq","text"}`: a frame a connection got for itself
//!   (`connection_established`, `pong`, `ack`, `heartbeat`, errors, replays and `resume_result`;
//!   `user` and `connection` are null for a refused authentication).
//!
//! * `{"record":"handshake","event","user","connection","thread_id"}`: a step of an October
//!   connection's handshake (§6), `event` being `response_sent`, `acknowledged`, `wrong_thread`
//!   (an ack naming another thread; `named` holds it), `complete_sent` or `timeout` (no ack in
//!   time; the connection is then closed with 1002). The handshake frames themselves are also
//!   `direct` records, as are the cleanup frames an October connection sends after each run.
//!
//! * `{"record":"closed","reason":"too_slow","user","connection","code":1013}`: a connection
//!   dropped for reading too slowly (its outbox of queued frames was full), written when it is
//!   dropped. The frames queued before are still written to it, then it is closed with 1013 and
//!   a reason.
//!
//! Each record is flushed as written, so a test can read the file while the server runs.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use serde_json::{Value, json};

use super::faults::{FaultKind, InjectedFault};
use super::hub::Sent;
use super::{frames, now};

/// The open truth file.
pub(crate) struct Truth {
    writer: Mutex<BufWriter<File>>,
}

impl Truth {
    /// Creates (or truncates) the file.
    pub(crate) fn create(path: &Path) -> std::io::Result<Truth> {
        Ok(Truth { writer: Mutex::new(BufWriter::new(File::create(path)?)) })
    }

    fn write(&self, mut record: Value) {
        if let Some(object) = record.as_object_mut() {
            object.insert("t".to_owned(), Value::from(frames::iso(now())));
        }
        let Ok(mut writer) = self.writer.lock() else { return };
        let written = writeln!(writer, "{record}").and_then(|()| writer.flush());
        if let Err(error) = written {
            tracing::warn!(%error, "can't write the truth file");
        }
    }

    /// A run frame sent to `user`'s connections.
    pub(crate) fn frame(&self, user: &str, sent: &Sent, text: &str, fault: Option<FaultKind>) {
        self.write(json!({
            "record": "frame",
            "user": user,
            "connections": sent.connections,
            "seq": sent.seq,
            "fault": fault,
            "text": text,
        }));
    }

    /// The `cross_user` copy of one of `from_user`'s frames, delivered to `user`.
    pub(crate) fn leak(&self, from_user: &str, user: &str, sent: &Sent, text: &str) {
        self.write(json!({
            "record": "leak",
            "from_user": from_user,
            "user": user,
            "connections": sent.connections,
            "seq": sent.seq,
            "text": text,
        }));
    }

    /// A fault injected into one of `user`'s runs.
    pub(crate) fn fault(&self, user: &str, fault: &InjectedFault) {
        self.write(json!({
            "record": "fault",
            "fault": fault.kind,
            "user": user,
            "run_id": fault.run_id,
            "event_type": fault.event_type,
            "index": fault.index,
            "frame": fault.frame,
        }));
    }

    /// A frame one connection got for itself.
    pub(crate) fn direct(
        &self,
        user: Option<&str>,
        connection: Option<u64>,
        seq: Option<u64>,
        text: &str,
    ) {
        self.write(json!({
            "record": "direct",
            "user": user,
            "connection": connection,
            "seq": seq,
            "text": text,
        }));
    }

    /// A step of an October handshake; `named` is the thread a wrong ack named.
    pub(crate) fn handshake(
        &self,
        event: HandshakeEvent,
        user: &str,
        connection: u64,
        thread_id: &str,
        named: Option<&str>,
    ) {
        let mut record = json!({
            "record": "handshake",
            "event": event.name(),
            "user": user,
            "connection": connection,
            "thread_id": thread_id,
        });
        if let (Some(object), Some(named)) = (record.as_object_mut(), named) {
            object.insert("named".to_owned(), Value::from(named));
        }
        self.write(record);
    }

    /// A connection dropped by the server for reading too slowly; it is closed with 1013.
    pub(crate) fn too_slow(&self, user: &str, connection: u64) {
        self.write(json!({
            "record": "closed",
            "reason": "too_slow",
            "user": user,
            "connection": connection,
            "code": 1013,
        }));
    }

    /// A connection-level fault (`user` is empty for `refuse_connections`).
    pub(crate) fn connection_fault(&self, kind: FaultKind, user: &str, connection: Option<u64>) {
        self.write(
            json!({"record": "fault", "fault": kind, "user": user, "connection": connection}),
        );
    }
}

/// A step of an October handshake, as the truth file names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HandshakeEvent {
    /// `handshake_response` was sent.
    ResponseSent,
    /// The client acknowledged with the right thread.
    Acknowledged,
    /// The client acknowledged naming another thread (or none).
    WrongThread,
    /// `handshake_complete` was sent.
    CompleteSent,
    /// No ack came in time; the connection is closed with 1002.
    Timeout,
}

impl HandshakeEvent {
    /// The record's `event` value.
    pub(crate) fn name(self) -> &'static str {
        match self {
            HandshakeEvent::ResponseSent => "response_sent",
            HandshakeEvent::Acknowledged => "acknowledged",
            HandshakeEvent::WrongThread => "wrong_thread",
            HandshakeEvent::CompleteSent => "complete_sent",
            HandshakeEvent::Timeout => "timeout",
        }
    }
}
