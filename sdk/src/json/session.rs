//! What the session tells the application, as JSON: states, disconnects, resume and handshake
//! outcomes, counters and flags, in the shape of their `Serialize` derives.

use super::{Members, Object, WriteJson};
use crate::check::{Flag, Rule, Severity};
use crate::encode::ClientMessage;
use crate::session::{
    ClosedReason, ConnectionState, Disconnect, DisconnectCause, HandshakeOutcome, ResumeOutcome,
    SeqRange, Stats,
};

impl WriteJson for ConnectionState {
    fn write_json(&self, out: &mut String) {
        let mut object = Object::open(out);
        object.field("state", self.name());
        match self {
            ConnectionState::Connecting { attempt } => {
                object.field("attempt", attempt);
            }
            ConnectionState::BackingOff { attempt, retry_at, delay_ms } => {
                object
                    .field("attempt", attempt)
                    .field("retry_at", retry_at)
                    .field("delay_ms", delay_ms);
            }
            ConnectionState::Closed { reason, unsent } => {
                object.field("reason", reason).field("unsent", unsent);
            }
            ConnectionState::Idle | ConnectionState::Handshaking | ConnectionState::Open => {}
        }
        object.close();
    }
}

impl WriteJson for ClosedReason {
    fn write_json(&self, out: &mut String) {
        let mut object = Object::open(out);
        match self {
            ClosedReason::Client => {
                object.field("kind", "client");
            }
            ClosedReason::AuthFailed { code, message } => {
                object.field("kind", "auth_failed").field("code", code).field("message", message);
            }
            ClosedReason::GaveUp { attempts } => {
                object.field("kind", "gave_up").field("attempts", attempts);
            }
        }
        object.close();
    }
}

impl WriteJson for ClientMessage {
    fn write_json(&self, out: &mut String) {
        if let ClientMessage::Custom(message) = self {
            // Valid JSON text (checked when it was made), written as given.
            out.push_str(message.as_str());
            return;
        }
        let mut object = Object::open(out);
        object.field("type", self.wire_type());
        match self {
            ClientMessage::UserMessage { content, thread_id } => {
                object.field("content", content).field("thread_id", thread_id);
            }
            ClientMessage::StartAgent { user_request, thread_id } => {
                object.field("user_request", user_request).field("thread_id", thread_id);
            }
            ClientMessage::Resume { last_seq } => {
                object.field("last_seq", last_seq);
            }
            ClientMessage::HandshakeAcknowledged { thread_id } => {
                object.field("thread_id", thread_id);
            }
            ClientMessage::Ping
            | ClientMessage::Pong
            | ClientMessage::HeartbeatAck
            | ClientMessage::Custom(_) => {}
        }
        object.close();
    }
}

impl WriteJson for Stats {
    fn write_json(&self, out: &mut String) {
        let mut object = Object::open(out);
        object
            .field("frames", &self.frames)
            .field("bytes", &self.bytes)
            .field("events", &self.events)
            .field("filtered", &self.filtered)
            .field("duplicates", &self.duplicates)
            .field("decode_errors", &self.decode_errors)
            .field("reconnects", &self.reconnects)
            .field("sent", &self.sent)
            .field("queued", &self.queued)
            .field("flags", &self.flags)
            .field(
                "flags_by_rule",
                &Members(|rules| {
                    for (rule, count) in self.flags_by_rule.iter() {
                        rules.field(rule.id(), &count);
                    }
                }),
            )
            .field("last_seq", &self.last_seq)
            .field("last_frame_at", &self.last_frame_at);
        object.close();
    }
}

impl WriteJson for Disconnect {
    fn write_json(&self, out: &mut String) {
        let mut object = Object::open(out);
        object
            .field("code", &self.code)
            .field("reason", &self.reason)
            .field("was_clean", &self.was_clean)
            .field(
                "cause",
                match self.cause {
                    DisconnectCause::Closed => "closed",
                    DisconnectCause::ConnectTimeout => "connect_timeout",
                    DisconnectCause::HeartbeatTimeout => "heartbeat_timeout",
                    DisconnectCause::TokenUnavailable => "token_unavailable",
                },
            );
        object.close();
    }
}

impl WriteJson for SeqRange {
    fn write_json(&self, out: &mut String) {
        let mut object = Object::open(out);
        object.field("first", &self.first).field("last", &self.last);
        object.close();
    }
}

impl WriteJson for ResumeOutcome {
    fn write_json(&self, out: &mut String) {
        let mut object = Object::open(out);
        match self {
            ResumeOutcome::Recovered { last_seq, replayed } => {
                object
                    .field("outcome", "recovered")
                    .field("last_seq", last_seq)
                    .field("replayed", replayed);
            }
            ResumeOutcome::Partial { last_seq, replayed, missing } => {
                object
                    .field("outcome", "partial")
                    .field("last_seq", last_seq)
                    .field("replayed", replayed)
                    .field("missing", missing);
            }
            ResumeOutcome::Unrecoverable { last_seq, missing } => {
                object
                    .field("outcome", "unrecoverable")
                    .field("last_seq", last_seq)
                    .field("missing", missing);
            }
            ResumeOutcome::Reset { last_seq, server_last_seq } => {
                object
                    .field("outcome", "reset")
                    .field("last_seq", last_seq)
                    .field("server_last_seq", server_last_seq);
            }
        }
        object.close();
    }
}

impl WriteJson for HandshakeOutcome {
    fn write_json(&self, out: &mut String) {
        let mut object = Object::open(out);
        match self {
            HandshakeOutcome::Complete { thread_id } => {
                object.field("outcome", "complete").field("thread_id", thread_id);
            }
            HandshakeOutcome::Acknowledged { thread_id } => {
                object.field("outcome", "acknowledged").field("thread_id", thread_id);
            }
            HandshakeOutcome::Missing => {
                object.field("outcome", "missing");
            }
        }
        object.close();
    }
}

impl WriteJson for Rule {
    fn write_json(&self, out: &mut String) {
        self.id().write_json(out);
    }
}

impl WriteJson for Severity {
    fn write_json(&self, out: &mut String) {
        self.as_str().write_json(out);
    }
}

impl WriteJson for Flag {
    fn write_json(&self, out: &mut String) {
        let mut object = Object::open(out);
        object
            .field("rule", &self.rule)
            .field("severity", &self.severity)
            .field("frame", &self.frame)
            .field("related_frames", &self.related_frames)
            .field("run_id", &self.run_id)
            .field("message", &self.message);
        object.close();
    }
}
