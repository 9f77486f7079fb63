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
    without_glitches(samples)
        .windows(2)
        .map(|pair| {
            let (a, b) = (pair[0], pair[1]);
            Interval { start_ms: a.ts_ms, end_ms: b.ts_ms, amount: counter_step(a.value, b.value, register_max) }
        })
        .collect()
}

/// How many later readings may bring a counter back before a drop counts as a reset.
pub const GLITCH_LOOKAHEAD: usize = 3;

/// Leave out the readings a restarting device sends for a moment: a drop (to zero, or to
/// garbage) that one of the next few readings undoes by returning to the old total. Counted
/// as a reset, such a drop would count the whole register twice, the failure users of other
/// tools meet most. A real reset goes on from near zero and is kept. The readings stay
/// stored; they only do not count.
pub fn without_glitches(samples: &[Sample]) -> Vec<Sample> {
    let mut kept: Vec<Sample> = Vec::with_capacity(samples.len());
    for (i, sample) in samples.iter().enumerate() {
        if let Some(last) = kept.last() {
            let undone = || samples[i + 1..].iter().take(GLITCH_LOOKAHEAD).any(|later| later.value >= last.value);
            if sample.value < last.value && undone() {
                continue;
            }
        }
        kept.push(*sample);
    }
    kept
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

/// Why a counter's step from `before` to `after` is too unlikely to count without a person
/// looking at it, if it is: a rise faster than the meter's `max_rate` (canonical units an
/// hour), a value ten or a thousand times the last (a unit slip), or a drop that is neither a
/// return to near zero (a reset or a restarting device) nor a rollover (a digit lost).
pub fn implausible_step(
    before: Sample,
    after: Sample,
    register_max: Option<f64>,
    max_rate: Option<f64>,
) -> Option<String> {
    let hours = (after.ts_ms - before.ts_ms) as f64 / HOUR_MS as f64;
    let (a, b) = (before.value, after.value);
    let is_rollover = b < a && register_max.is_some_and(|max| max - a + b <= max / 2.0 && a <= max);
    if b < a && !is_rollover {
        return (b > a * 0.05).then(|| {
            format!("the register drops from {a} to {b}: neither a return to near zero (a reset) nor a rollover; a lost digit?")
        });
    }
    if a >= 10.0 {
        let ratio = b / a;
        for slip in [10.0, 1000.0] {
            if (ratio / slip - 1.0).abs() <= 0.05 {
                return Some(format!("the register jumps from {a} to {b}, ×{slip}: a unit slip?"));
            }
        }
    }
    let used = counter_step(a, b, register_max);
    match max_rate {
        Some(max) if hours > 0.0 && used / hours > max => Some(format!(
            "{used} used in {:.2} h is {:.1} an hour, above the meter's max_rate of {max}",
            hours,
            used / hours
        )),
        _ => None,
    }
}

/// The interval a delta reading's amount covers: its stated period, or else the hour it was
/// taken in.
pub fn delta_interval(sample: Sample) -> Interval {
    match sample.period_start_ms {
        Some(start) if start < sample.ts_ms => Interval { start_ms: start, end_ms: sample.ts_ms, amount: sample.value },
        _ => {
            let hour = floor_hour(sample.ts_ms);
            Interval { start_ms: hour, end_ms: hour + HOUR_MS, amount: sample.value }
        }
    }
}

/// Spread each interval's amount evenly over the hours it covers, pro rata to the time in
/// each, keeping only hours that start within `[window_start, window_end)`.
/// Returns hour start (ms) → amount; hours with nothing used are left out.
pub fn spread_hourly(intervals: &[Interval], window_start: i64, window_end: i64) -> BTreeMap<i64, f64> {
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
                // The share first: amount × overlap could overflow where the result does not.
                *hours.entry(hour).or_insert(0.0) += interval.amount * (overlap / length);
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
    fn a_device_restarting_at_zero_is_a_glitch_not_a_reset() {
        let h = |i: i64| T0 + i * HOUR_MS;
        // 5 000 → 0 (restart) → 5 002: 2 kWh used, not 5 002.
        let restart = [s(h(0), 5000.0), s(h(1), 0.0), s(h(2), 5002.0)];
        let total: f64 = counter_intervals(&restart, None).iter().map(|i| i.amount).sum();
        assert_eq!(total, 2.0);
        // Garbage for two readings, then back.
        let garbage = [s(h(0), 5000.0), s(h(1), 3.7), s(h(2), 0.0), s(h(3), 5001.0)];
        let total: f64 = counter_intervals(&garbage, None).iter().map(|i| i.amount).sum();
        assert_eq!(total, 1.0);
        // A real reset goes on from near zero: 5 000 → 0 → 1 → 2 is 2.
        let reset = [s(h(0), 5000.0), s(h(1), 0.0), s(h(2), 1.0), s(h(3), 2.0)];
        let total: f64 = counter_intervals(&reset, None).iter().map(|i| i.amount).sum();
        assert_eq!(total, 2.0);
        // The interval over a glitch runs from the last good reading to the next one.
        let intervals = counter_intervals(&restart, None);
        assert_eq!((intervals[0].start_ms, intervals[0].end_ms), (h(0), h(2)));
    }

    #[test]
    fn unlikely_steps_are_held_and_ordinary_ones_pass() {
        let h = |i: i64| T0 + i * HOUR_MS;
        let step = |a: f64, b: f64, max_rate| implausible_step(s(h(0), a), s(h(1), b), Some(100_000.0), max_rate);
        assert_eq!(step(1234.0, 1240.0, Some(50.0)), None);
        assert!(step(1234.0, 12_340.0, None).unwrap().contains("×10"));
        assert!(step(1234.0, 1_234_000.0, None).unwrap().contains("×1000"));
        assert!(step(1234.0, 1300.0, Some(50.0)).unwrap().contains("max_rate"));
        assert!(step(12_345.0, 1234.5, None).unwrap().contains("lost digit"));
        // A reset or a restart to near zero, and a rollover, are ordinary.
        assert_eq!(step(5000.0, 0.0, None), None);
        assert_eq!(step(5000.0, 3.7, None), None);
        assert_eq!(step(99_990.0, 5.0, Some(50.0)), None);
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
