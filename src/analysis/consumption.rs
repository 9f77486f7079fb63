//! What a meter's readings imply was used, hour by hour. Pure functions over plain numbers:
//! the store feeds them readings and keeps what they return.

use std::collections::BTreeMap;

pub const HOUR_MS: i64 = 3_600_000;

/// One stored reading of a meter, as the consumption arithmetic needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Milliseconds since the Unix epoch.
    pub ts_ms: i64,
    /// In the resource's canonical unit.
    pub value: f64,
    /// For a delta meter: the start of the period its amount covers.
    pub period_start_ms: Option<i64>,
}

/// An amount used evenly over `[start_ms, end_ms)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub start_ms: i64,
    pub end_ms: i64,
    pub amount: f64,
}

pub fn floor_hour(ts_ms: i64) -> i64 {
    ts_ms.div_euclid(HOUR_MS) * HOUR_MS
}

pub fn ceil_hour(ts_ms: i64) -> i64 {
    floor_hour(ts_ms + HOUR_MS - 1)
}

/// What a counter used between consecutive readings (`samples` sorted by time).
///
/// A rise is consumption. A drop is a rollover when the register wraps at `register_max` and
/// the wrapped amount is under half the register (a meter cannot plausibly use more between
/// two readings); otherwise it is a reset or a replaced meter, counted from zero. Consumption
/// is never negative.
pub fn counter_intervals(samples: &[Sample], register_max: Option<f64>) -> Vec<Interval> {
    samples
        .windows(2)
        .map(|pair| {
            let (a, b) = (pair[0], pair[1]);
            Interval {
                start_ms: a.ts_ms,
                end_ms: b.ts_ms,
                amount: counter_step(a.value, b.value, register_max),
            }
        })
        .collect()
}

/// The amount a counter used from `before` to `after`.
pub fn counter_step(before: f64, after: f64, register_max: Option<f64>) -> f64 {
    if after >= before {
        return after - before;
    }
    match register_max {
        Some(max) if max - before + after <= max / 2.0 && before <= max => max - before + after,
        _ => after,
    }
}

/// The interval a delta reading's amount covers: its stated period, or else the hour it was
/// taken in.
pub fn delta_interval(sample: Sample) -> Interval {
    match sample.period_start_ms {
        Some(start) if start < sample.ts_ms => Interval {
            start_ms: start,
            end_ms: sample.ts_ms,
            amount: sample.value,
        },
        _ => {
            let hour = floor_hour(sample.ts_ms);
            Interval {
                start_ms: hour,
                end_ms: hour + HOUR_MS,
                amount: sample.value,
            }
        }
    }
}

/// Spread each interval's amount evenly over the hours it covers, pro rata to the time in
/// each, keeping only hours that start within `[window_start, window_end)`.
/// Returns hour start (ms) → amount; hours with nothing used are left out.
pub fn spread_hourly(
    intervals: &[Interval],
    window_start: i64,
    window_end: i64,
) -> BTreeMap<i64, f64> {
    let mut hours = BTreeMap::new();
    for interval in intervals {
        let length = (interval.end_ms - interval.start_ms) as f64;
        if length <= 0.0 || interval.amount == 0.0 {
            continue;
        }
        let mut hour = floor_hour(interval.start_ms).max(window_start);
        let last = interval.end_ms.min(window_end);
        while hour < last {
            let overlap = (interval.end_ms.min(hour + HOUR_MS) - interval.start_ms.max(hour)) as f64;
            if overlap > 0.0 {
                *hours.entry(hour).or_insert(0.0) += interval.amount * overlap / length;
            }
            hour += HOUR_MS;
        }
    }
    hours.retain(|_, amount| *amount != 0.0);
    hours
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_764_288_000_000; // 2025-11-28T00:00:00Z, on an hour

    fn s(ts_ms: i64, value: f64) -> Sample {
        Sample { ts_ms, value, period_start_ms: None }
    }

    #[test]
    fn a_counter_uses_the_difference_between_readings() {
        let i = counter_intervals(&[s(T0, 100.0), s(T0 + HOUR_MS, 102.5)], None);
        assert_eq!(i, vec![Interval { start_ms: T0, end_ms: T0 + HOUR_MS, amount: 2.5 }]);
    }

    #[test]
    fn a_drop_is_a_reset_counted_from_zero_never_negative() {
        assert_eq!(counter_step(5000.0, 3.0, None), 3.0);
        // With a register that wraps at 100 000, a drop from near the top to near zero is a
        // rollover: 99 998 → 100 000 is 2, then 0 → 5 is 5.
        assert_eq!(counter_step(99_998.0, 5.0, Some(100_000.0)), 7.0);
        // A drop from the middle of the register is a reset, even with a wrap configured.
        assert_eq!(counter_step(40_000.0, 5.0, Some(100_000.0)), 5.0);
    }

    #[test]
    fn an_amount_spreads_pro_rata_over_the_hours_it_covers() {
        // 3 units from 00:30 to 02:00: 1 in the first half hour, 2 in the second hour.
        let interval = Interval { start_ms: T0 + HOUR_MS / 2, end_ms: T0 + 2 * HOUR_MS, amount: 3.0 };
        let hours = spread_hourly(&[interval], i64::MIN / 2, i64::MAX / 2);
        assert_eq!(hours.len(), 2);
        assert!((hours[&T0] - 1.0).abs() < 1e-12);
        assert!((hours[&(T0 + HOUR_MS)] - 2.0).abs() < 1e-12);
    }

    #[test]
    fn spreading_keeps_only_the_window() {
        let interval = Interval { start_ms: T0, end_ms: T0 + 4 * HOUR_MS, amount: 4.0 };
        let hours = spread_hourly(&[interval], T0 + HOUR_MS, T0 + 3 * HOUR_MS);
        assert_eq!(hours.keys().copied().collect::<Vec<_>>(), vec![T0 + HOUR_MS, T0 + 2 * HOUR_MS]);
    }

    #[test]
    fn a_delta_without_a_period_lands_in_its_hour() {
        let i = delta_interval(s(T0 + 90_000, 1500.0));
        assert_eq!(i, Interval { start_ms: T0, end_ms: T0 + HOUR_MS, amount: 1500.0 });
    }

    #[test]
    fn hours_round_the_right_way_before_1970_too() {
        assert_eq!(floor_hour(-1), -HOUR_MS);
        assert_eq!(ceil_hour(1), HOUR_MS);
        assert_eq!(ceil_hour(HOUR_MS), HOUR_MS);
    }
}
