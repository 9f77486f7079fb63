//! What a meter's readings imply was used, hour by hour. Pure functions over plain numbers:
//! the store feeds them readings and keeps what they return.

use std::collections::BTreeMap;

use super::Resource;

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
/// A rise is consumption. A drop is a rollover when the register wraps at `register_max`
/// (see [`looks_like_wrap`]); otherwise it is a reset or a replaced meter, counted from zero.
/// Consumption is never negative.
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

/// How near the top and the bottom of its register a counter must be for a drop to be a
/// rollover: within this share of `register_max`.
pub const NEAR_EDGE: f64 = 0.1;

/// Whether a drop from `before` to `after` looks like a register wrapping: the last reading
/// near the top of the register, the new one near zero. Anything else is a reset, a replaced
/// meter or a digit lost, never a wrap.
pub fn looks_like_wrap(before: f64, after: f64, register_max: Option<f64>) -> bool {
    register_max.is_some_and(|max| {
        after < before && before <= max && before >= max * (1.0 - NEAR_EDGE) && after <= max * NEAR_EDGE
    })
}

/// The amount a counter used from `before` to `after`: a rise, a wrap (see
/// [`looks_like_wrap`]) or else a reset counted from zero.
pub fn counter_step(before: f64, after: f64, register_max: Option<f64>) -> f64 {
    if after >= before {
        return after - before;
    }
    match register_max {
        Some(max) if looks_like_wrap(before, after, register_max) => max - before + after,
        _ => after,
    }
}

/// How many times its highest hourly use seen a meter may use in an hour before a step is
/// held: generous for a hot afternoon, far below a digit lost or a fabricated wrap.
pub const LEARNED_MULTIPLE: f64 = 10.0;

/// Hours of consumption a meter needs before its own history sets its limit.
pub const LEARNING_HOURS: u64 = 24;

/// The most a meter may plausibly use in an hour (canonical units), and where that comes
/// from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_hour: f64,
    pub source: RateSource,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateSource {
    /// The meter's `max_rate` in the config.
    Configured,
    /// [`LEARNED_MULTIPLE`] times the highest hourly use in the meter's history.
    Learned { highest_hourly: f64 },
    /// A meter without history yet: what no office meter of its resource can use.
    ResourceDefault,
}

impl RateLimit {
    /// The limit of a meter: its `max_rate` if configured, else learned from its history
    /// (`highest_hourly` over `hours` hours of consumption), else its resource's ceiling.
    pub fn for_meter(resource: Resource, max_rate: Option<f64>, highest_hourly: f64, hours: u64) -> RateLimit {
        if let Some(per_hour) = max_rate {
            return RateLimit { per_hour, source: RateSource::Configured };
        }
        if hours >= LEARNING_HOURS && highest_hourly > 0.0 {
            return RateLimit {
                per_hour: highest_hourly * LEARNED_MULTIPLE,
                source: RateSource::Learned { highest_hourly },
            };
        }
        RateLimit { per_hour: resource_ceiling(resource), source: RateSource::ResourceDefault }
    }
}

/// What no office meter of a resource uses in an hour, in its canonical unit: 2 MW of
/// electricity, 100 m³ of water, 40 reams of paper.
pub fn resource_ceiling(resource: Resource) -> f64 {
    match resource {
        Resource::Electricity => 2_000.0,
        Resource::Water => 100.0,
        Resource::Paper => 20_000.0,
    }
}

/// Why a counter's step is too unlikely to count without a person looking at it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Implausible {
    /// A drop that is neither a return to near zero (a reset) nor a wrap near the top of the
    /// register.
    LostDigit { before: f64, after: f64 },
    /// A value ten or a thousand times the last.
    UnitSlip { before: f64, after: f64, factor: f64 },
    /// More used over the elapsed time than the meter can use.
    TooFast { used: f64, hours: f64, limit: RateLimit, wrap: bool },
}

/// Why a counter's step from `before` to `after` is too unlikely to count without a person
/// looking at it, if it is. A drop counts unseen only as a return to near zero (a reset or a
/// restarting device) or as a wrap near the top of the register; a rise or a wrap only when
/// what it implies over the elapsed time (an hour at least, so that a register's resolution
/// does not look like a burst) is within `limit`.
pub fn implausible_step(
    before: Sample,
    after: Sample,
    register_max: Option<f64>,
    limit: RateLimit,
) -> Option<Implausible> {
    let hours = (after.ts_ms - before.ts_ms) as f64 / HOUR_MS as f64;
    let (a, b) = (before.value, after.value);
    let wrap = looks_like_wrap(a, b, register_max);
    if b < a && !wrap {
        return (b > a * 0.05).then_some(Implausible::LostDigit { before: a, after: b });
    }
    if a >= 10.0 {
        let ratio = b / a;
        for factor in [10.0, 1000.0] {
            if (ratio / factor - 1.0).abs() <= 0.05 {
                return Some(Implausible::UnitSlip { before: a, after: b, factor });
            }
        }
    }
    let used = counter_step(a, b, register_max);
    (used / hours.max(1.0) > limit.per_hour).then_some(Implausible::TooFast { used, hours, limit, wrap })
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
        // From 60 000 to 100 a wrap would be 40 100 in one step: a reset, counted as 100.
        assert_eq!(counter_step(60_000.0, 100.0, Some(100_000.0)), 100.0);
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

    fn limit(per_hour: f64) -> RateLimit {
        RateLimit { per_hour, source: RateSource::Configured }
    }

    #[test]
    fn unlikely_steps_are_held_and_ordinary_ones_pass() {
        let h = |i: i64| T0 + i * HOUR_MS;
        let step =
            |a: f64, b: f64, per_hour| implausible_step(s(h(0), a), s(h(1), b), Some(100_000.0), limit(per_hour));
        assert_eq!(step(1234.0, 1240.0, 50.0), None);
        assert!(matches!(step(1234.0, 12_340.0, 1e9), Some(Implausible::UnitSlip { factor: 10.0, .. })));
        assert!(matches!(step(1234.0, 1_234_000.0, 1e9), Some(Implausible::UnitSlip { factor: 1000.0, .. })));
        assert!(matches!(step(1234.0, 1300.0, 50.0), Some(Implausible::TooFast { wrap: false, .. })));
        assert!(matches!(step(12_345.0, 1234.5, 1e9), Some(Implausible::LostDigit { .. })));
        // A reset or a restart to near zero, and a rollover, are ordinary.
        assert_eq!(step(5000.0, 0.0, 50.0), None);
        assert_eq!(step(5000.0, 3.7, 50.0), None);
        assert_eq!(step(99_990.0, 5.0, 50.0), None);
    }

    #[test]
    fn a_dropped_digit_on_a_wrapping_register_is_held_not_counted_as_a_wrap() {
        // The building's main meter wraps at 1 000 000 kWh; 725 131 typed as 72 513 a day
        // later would be a wrap of 1 000 000 − 725 131 + 72 513 = 347 382 kWh. The last
        // reading is not near the top (900 000), so it is no wrap but a lost digit.
        let day = 24 * HOUR_MS;
        let why = implausible_step(s(T0, 725_131.0), s(T0 + day, 72_513.0), Some(1_000_000.0), limit(1e9));
        assert_eq!(why, Some(Implausible::LostDigit { before: 725_131.0, after: 72_513.0 }));
        // Counted by itself (a person accepted it), it is a reset, not 347 382.
        assert_eq!(counter_step(725_131.0, 72_513.0, Some(1_000_000.0)), 72_513.0);
    }

    #[test]
    fn a_wrap_near_the_edges_is_held_when_it_implies_more_than_the_meter_can_use() {
        // 999 000 → 5 000 wraps 6 000 kWh. In a day with a 200 kWh/h limit: 250 an hour, held.
        let max = Some(1_000_000.0);
        let day = 24 * HOUR_MS;
        let why = implausible_step(s(T0, 999_000.0), s(T0 + day, 5_000.0), max, limit(200.0));
        assert!(matches!(why, Some(Implausible::TooFast { wrap: true, used, .. }) if used == 6_000.0), "{why:?}");
        // In two days: 125 an hour, a real wrap.
        assert_eq!(implausible_step(s(T0, 999_000.0), s(T0 + 2 * day, 5_000.0), max, limit(200.0)), None);
        assert_eq!(counter_step(999_000.0, 5_000.0, max), 6_000.0);
    }

    #[test]
    fn a_register_resolution_step_within_an_hour_is_not_a_burst() {
        // A 1 kWh step a minute after the last reading is 1 kWh in (at least) an hour.
        let why = implausible_step(s(T0, 100.0), s(T0 + 60_000, 101.0), None, limit(5.0));
        assert_eq!(why, None);
    }

    #[test]
    fn every_meter_has_a_limit_configured_learned_or_from_its_resource() {
        let configured = RateLimit::for_meter(Resource::Water, Some(5.0), 0.4, 1000);
        assert_eq!(configured, RateLimit { per_hour: 5.0, source: RateSource::Configured });
        let learned = RateLimit::for_meter(Resource::Water, None, 0.4, 1000);
        assert_eq!(learned, RateLimit { per_hour: 4.0, source: RateSource::Learned { highest_hourly: 0.4 } });
        // Under a day of history the resource's ceiling holds.
        let new = RateLimit::for_meter(Resource::Water, None, 0.4, 3);
        assert_eq!(new, RateLimit { per_hour: 100.0, source: RateSource::ResourceDefault });
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
