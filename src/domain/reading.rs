//! A reading: one value from one meter at one time.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::MeterId;

/// Where a reading came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Mqtt,
    Manual,
    Api,
    Import,
    /// Stored first by another Xanh instance of the same shared subscription, which sent it
    /// on (`entered_by` names that instance's client id).
    Peer,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Mqtt => "mqtt",
            Source::Manual => "manual",
            Source::Api => "api",
            Source::Import => "import",
            Source::Peer => "peer",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        match s {
            "mqtt" => Some(Source::Mqtt),
            "manual" => Some(Source::Manual),
            "api" => Some(Source::Api),
            "import" => Some(Source::Import),
            "peer" => Some(Source::Peer),
            _ => None,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated reading in the meter's canonical unit. Only the ingest validator builds one,
/// so a stored value is always finite, non-negative and converted.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub meter: MeterId,
    pub ts: Timestamp,
    /// The device sent no time, so `ts` is when the reading arrived.
    pub ts_assumed: bool,
    pub value: f64,
    /// For a `delta` meter: the start of the period the amount covers (a bill from 15/10).
    pub period_start: Option<Timestamp>,
    pub source: Source,
    /// Who entered it, for manual entry and the API.
    pub entered_by: Option<String>,
    /// What a bill charged for this amount, in VND, when it was entered from a bill.
    pub cost_vnd: Option<f64>,
}

impl Reading {
    /// No meter reads more than this in its canonical unit; beyond it a value is a fault, and
    /// sums of such values could overflow.
    pub const MAX_VALUE: f64 = 1e12;
}
