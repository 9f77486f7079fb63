//! What ingest hands to the store: a reading to keep, or input it refused, with the reason.
//! Nothing is dropped: a refused message is kept with its raw topic and payload.

use std::fmt;

use jiff::Timestamp;
use serde::Serialize;

use super::{MeterId, Reading, Source};

/// Where and when a piece of input arrived, kept with whatever it became.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub source: Source,
    pub received_at: Timestamp,
    /// The MQTT topic, for messages from the broker.
    pub topic: Option<String>,
    pub payload: Vec<u8>,
    /// Who sent it over the web (a form or the API) and with what rights; `None` for
    /// devices and imports.
    pub sender: Option<super::Sender>,
}

/// Why input was not stored as a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// No configured meter publishes on this topic.
    UnknownTopic,
    /// The message names a meter that is not configured.
    UnknownMeter,
    /// The payload is not in the meter's format.
    Undecodable,
    /// The value is NaN or infinite.
    NonFinite,
    /// A meter's value or an amount cannot be below zero.
    Negative,
    /// Stamped further ahead than the allowed clock skew.
    FutureTimestamp,
    /// Stamped before the oldest time the office accepts.
    TooOld,
    /// The meter already has a different value at exactly this time.
    ConflictingDuplicate,
    /// An unlikely jump (a unit slip, a rate above the meter's maximum), kept out of the
    /// figures until a person accepts or rejects it.
    HeldForReview,
    /// An issue slip names a resource or an item the config does not list.
    UnknownSupply,
    /// The meter was retired before the reading's time.
    MeterRetired,
}

impl RejectReason {
    pub fn code(self) -> &'static str {
        match self {
            RejectReason::UnknownTopic => "unknown_topic",
            RejectReason::UnknownMeter => "unknown_meter",
            RejectReason::Undecodable => "undecodable",
            RejectReason::NonFinite => "non_finite",
            RejectReason::Negative => "negative",
            RejectReason::FutureTimestamp => "future_timestamp",
            RejectReason::TooOld => "too_old",
            RejectReason::ConflictingDuplicate => "conflicting_duplicate",
            RejectReason::HeldForReview => "held_for_review",
            RejectReason::UnknownSupply => "unknown_supply",
            RejectReason::MeterRetired => "meter_retired",
        }
    }

    pub fn parse(code: &str) -> Option<RejectReason> {
        [
            RejectReason::UnknownTopic,
            RejectReason::UnknownMeter,
            RejectReason::Undecodable,
            RejectReason::NonFinite,
            RejectReason::Negative,
            RejectReason::FutureTimestamp,
            RejectReason::TooOld,
            RejectReason::ConflictingDuplicate,
            RejectReason::HeldForReview,
            RejectReason::UnknownSupply,
            RejectReason::MeterRetired,
        ]
        .into_iter()
        .find(|r| r.code() == code)
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Input that was refused, kept for the people who must fix its sender or the config.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub origin: Origin,
    pub meter: Option<MeterId>,
    pub reason: RejectReason,
    /// A sentence a person can act on.
    pub detail: String,
}

impl Rejection {
    /// How much of a payload too large for any sender is kept: enough to tell which sender
    /// to fix.
    pub const KEPT_PAYLOAD_BYTES: usize = 4096;
    /// How much of a detail is kept.
    pub const DETAIL_CHARS: usize = 1000;
}

/// One decoded and validated piece of input, ready for the store.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Reading(Reading, Origin),
    Rejected(Rejection),
}
