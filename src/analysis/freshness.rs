//! Whether a meter is reporting as often as it should: a meter silent for longer than its
//! `expected_interval` is late, and the figures it counts towards are incomplete.

use jiff::Timestamp;
use serde::Serialize;

use crate::domain::Meter;

/// How a meter stands against its expected interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// It reported within its expected interval, or it has none (amounts come when they come).
    Ok,
    /// Nothing has arrived for longer than its expected interval; `since` is when Xanh last
    /// received a reading from it.
    Late { since: Timestamp },
    /// Xanh has never received a reading from it.
    Never,
}

impl Freshness {
    /// The code used by the API and in `data-status`: `ok`, `late` or `never`.
    pub fn code(self) -> &'static str {
        match self {
            Freshness::Ok => "ok",
            Freshness::Late { .. } => "late",
            Freshness::Never => "never",
        }
    }

    /// Whether the figures this meter counts towards are missing some of its use.
    pub fn is_gap(self) -> bool {
        !matches!(self, Freshness::Ok)
    }
}

impl Serialize for Freshness {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

/// `meter`'s standing at `now`, given when Xanh last received a reading from it. A meter
/// silent for exactly its interval is still on time; one with no expected interval is never
/// late, only `Never` until its first reading.
pub fn freshness(meter: &Meter, last_seen: Option<Timestamp>, now: Timestamp) -> Freshness {
    let Some(seen) = last_seen else { return Freshness::Never };
    let Some(interval) = meter.expected_interval else { return Freshness::Ok };
    // A last_seen ahead of now (a clock step back) is not a gap.
    let silent = now.duration_since(seen);
    match jiff::SignedDuration::try_from(interval) {
        Ok(interval) if silent > interval => Freshness::Late { since: seen },
        _ => Freshness::Ok,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn meter(interval: Option<Duration>) -> Meter {
        Meter {
            name: "Công tơ điện Phòng A".into(), expected_interval: interval, ..Meter::test_counter("dien-a")
        }
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_meter_is_late_only_once_its_interval_has_passed() {
        let m = meter(Some(Duration::from_secs(15 * 60)));
        let seen = at("2026-11-28T00:05:00Z");
        assert_eq!(freshness(&m, Some(seen), at("2026-11-28T00:05:00Z")), Freshness::Ok);
        assert_eq!(
            freshness(&m, Some(seen), at("2026-11-28T00:20:00Z")),
            Freshness::Ok,
            "exactly the interval is on time"
        );
        assert_eq!(freshness(&m, Some(seen), at("2026-11-28T00:20:00.001Z")), Freshness::Late { since: seen });
        assert_eq!(freshness(&m, Some(seen), at("2026-12-28T00:00:00Z")).code(), "late");
    }

    #[test]
    fn a_meter_that_never_reported_is_never_whatever_its_interval() {
        assert_eq!(
            freshness(&meter(Some(Duration::from_secs(60))), None, at("2026-11-28T00:00:00Z")),
            Freshness::Never
        );
        assert_eq!(freshness(&meter(None), None, at("2026-11-28T00:00:00Z")), Freshness::Never);
        assert!(Freshness::Never.is_gap());
    }

    #[test]
    fn a_meter_without_an_interval_is_never_late_and_a_clock_step_back_is_no_gap() {
        let seen = at("2026-01-01T00:00:00Z");
        assert_eq!(freshness(&meter(None), Some(seen), at("2026-11-28T00:00:00Z")), Freshness::Ok);
        let m = meter(Some(Duration::from_secs(60)));
        assert_eq!(freshness(&m, Some(at("2026-11-28T01:00:00Z")), at("2026-11-28T00:00:00Z")), Freshness::Ok);
        assert!(!Freshness::Ok.is_gap());
    }
}
