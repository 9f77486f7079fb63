//! Payload formats, one file each. A format turns one message into values in the meter's own
//! unit; the validator converts and checks them. Adding a format is a new file and one line
//! in [`decoder_for`].

mod generic;

use jiff::Timestamp;

use crate::domain::Format;

/// One value read from a message, still in the unit the meter reports in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawValue {
    pub value: f64,
    /// The time the device stamped, if it did; otherwise the time of receipt is used.
    pub ts: Option<Timestamp>,
    /// For delta meters: the start of the period the amount covers.
    pub period_start: Option<Timestamp>,
}

/// Why a payload could not be decoded, in words that tell the sender what to send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

pub trait PayloadDecoder: Send + Sync {
    fn decode(&self, payload: &[u8]) -> Result<Vec<RawValue>, DecodeError>;
}

/// The decoder for a configured format.
pub fn decoder_for(format: Format) -> &'static dyn PayloadDecoder {
    match format {
        Format::Generic => &generic::Generic,
    }
}
