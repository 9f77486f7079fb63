//! The write path: a batch of readings and rejections checked against each meter's latest
//! readings, stored, held for review or rejected, with the consumption it implies.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::{Inner, MeterRule, audit_in, lock};
use crate::domain::consumption::{
    GLITCH_LOOKAHEAD, Implausible, RateLimit, RateSource, Sample, counter_intervals, delta_interval, implausible_step,
    spread_hourly, without_glitches,
};
use crate::domain::period::local_rfc3339;
use crate::domain::{Incoming, MeterId, MeterKind, Origin, RejectReason, Rejection};
use crate::locale::{self, Lang};
use crate::store::{AuditLine, Outcome, Review, Reviewed, StoreError, WriteReport, from_ms, ms};

/// What a batch being written needs to know of each meter, read once a batch: its last few
/// stored readings (oldest first) and how much it may plausibly use in an hour.
#[derive(Default)]
pub(super) struct Latest {
    tails: HashMap<MeterId, Vec<Sample>>,
    limits: HashMap<MeterId, RateLimit>,
    /// For a meter with late readings in the batch, the readings just before the last of them.
    late: HashMap<MeterId, LateChain>,
}

/// The last few readings up to a late one (oldest first) and the time of the first stored
/// reading after them (none: the batch's own readings only): a backlog replayed in order
/// sends late readings one after the other, and each follows the one before without a query.
struct LateChain {
    chain: Vec<Sample>,
    until: Option<i64>,
}

impl LateChain {
    /// Whether a reading at `ts` comes right after the chain, no stored reading in between.
    fn continued_by(&self, ts: i64) -> bool {
        self.chain.last().is_some_and(|last| last.ts_ms < ts) && self.until.is_none_or(|until| ts < until)
    }
}

impl Latest {
    /// Keep the meter's last readings up to date with one just stored.
    fn stored(&mut self, meter: &MeterId, sample: Sample) {
        let keep = |chain: &mut Vec<Sample>| {
            chain.push(sample);
            if chain.len() > GLITCH_LOOKAHEAD + 1 {
                chain.remove(0);
            }
        };
        if let Some(tail) = self.tails.get_mut(meter)
            && tail.last().is_none_or(|last| last.ts_ms < sample.ts_ms)
        {
            keep(tail);
        } else if let Some(late) = self.late.get_mut(meter) {
            if late.continued_by(sample.ts_ms) {
                keep(&mut late.chain);
            } else {
                // Stored among the readings the chain holds: ask the store again next time.
                self.late.remove(meter);
            }
        }
    }
}

/// How long a meter's learned limit is used before its history is asked again.
const RELEARN_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// Whether a reading's step from the one before is checked for plausibility: always, except
/// for a held reading a person has accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Plausibility {
    Check,
    Accepted,
}

impl Inner {
    pub(super) fn write(
        &self,
        batch: Vec<Incoming>,
        audit: Option<AuditLine<WriteReport>>,
    ) -> Result<WriteReport, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let report = self.write_in(&tx, batch, Plausibility::Check)?;
        audit_in(&tx, audit, &report)?;
        let changes = self.report_changes(&tx)?;
        tx.commit()?;
        self.committed(changes);
        Ok(report)
    }

    pub(super) fn reprocess(
        &self,
        retried: Vec<(i64, Vec<Incoming>)>,
        audit: Option<AuditLine<WriteReport>>,
    ) -> Result<WriteReport, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = ms(Timestamp::now());
        let mut mark = tx.prepare_cached("UPDATE rejected SET reprocessed_at = ?1 WHERE id = ?2")?;
        let mut batch = Vec::new();
        for (id, items) in retried {
            mark.execute(params![now, id])?;
            batch.extend(items);
        }
        drop(mark);
        let report = self.write_in(&tx, batch, Plausibility::Check)?;
        audit_in(&tx, audit, &report)?;
        let changes = self.report_changes(&tx)?;
        tx.commit()?;
        self.committed(changes);
        Ok(report)
    }

    pub(super) fn write_in(
        &self,
        tx: &Transaction<'_>,
        batch: Vec<Incoming>,
        plausibility: Plausibility,
    ) -> Result<WriteReport, StoreError> {
        let mut report = WriteReport { outcomes: Vec::with_capacity(batch.len()), ..WriteReport::default() };
        let mut latest = Latest::default();
        // Newly stored samples per meter, and the latest receive time among them.
        let mut fresh: BTreeMap<MeterId, (Vec<Sample>, i64)> = BTreeMap::new();
        for item in batch {
            let outcome = match item {
                Incoming::Reading(reading, origin) => {
                    let sample = Sample {
                        ts_ms: ms(reading.ts),
                        value: reading.value,
                        period_start_ms: reading.period_start.map(ms),
                    };
                    if let Some(held) = self.held(tx, &reading, sample, &origin, plausibility, &mut latest)? {
                        insert_rejection(tx, &held)?;
                        report.rejected += 1;
                        report.outcomes.push(Outcome::Rejected { reason: held.reason, detail: held.detail });
                        continue;
                    }
                    let mut sample = sample;
                    let mut inserted = insert_reading(tx, &reading, sample, &origin)?;
                    if !inserted && reading.ts_assumed {
                        // The device sent no time, so readings that arrived in the same
                        // millisecond (a backlog delivered at once) take the next free one
                        // instead of clashing; a counter's repeated value is still one reading.
                        let counter = self.rule(&reading.meter).kind == MeterKind::Counter;
                        for _ in 0..1000 {
                            if counter && conflicting(tx, &reading.meter, sample, origin.clone(), &self.tz)?.is_none() {
                                break;
                            }
                            sample.ts_ms += 1;
                            inserted = insert_reading(tx, &reading, sample, &origin)?;
                            if inserted {
                                break;
                            }
                        }
                    }
                    if inserted {
                        latest.stored(&reading.meter, sample);
                        let entry = fresh.entry(reading.meter).or_insert((Vec::new(), i64::MIN));
                        entry.0.push(sample);
                        entry.1 = entry.1.max(ms(origin.received_at));
                        Outcome::Stored
                    } else if let Some(conflict) = conflicting(tx, &reading.meter, sample, origin, &self.tz)? {
                        insert_rejection(tx, &conflict)?;
                        Outcome::Rejected { reason: conflict.reason, detail: conflict.detail }
                    } else {
                        Outcome::Duplicate
                    }
                }
                Incoming::Rejected(rejection) => {
                    insert_rejection(tx, &rejection)?;
                    Outcome::Rejected { reason: rejection.reason, detail: rejection.detail }
                }
            };
            match outcome {
                Outcome::Stored => report.stored += 1,
                Outcome::Duplicate => report.duplicates += 1,
                Outcome::Rejected { .. } => report.rejected += 1,
            }
            report.outcomes.push(outcome);
        }
        for (meter, (mut samples, received_at)) in fresh {
            samples.sort_by_key(|s| s.ts_ms);
            self.apply(tx, &meter, &samples, received_at)?;
        }
        Ok(report)
    }

    /// The rejection that holds a counter reading for review, if its step from the reading
    /// before is too unlikely to count unseen.
    pub(super) fn held(
        &self,
        tx: &Transaction<'_>,
        reading: &crate::domain::Reading,
        sample: Sample,
        origin: &Origin,
        plausibility: Plausibility,
        latest: &mut Latest,
    ) -> Result<Option<Rejection>, rusqlite::Error> {
        let rule = self.rule(&reading.meter);
        if plausibility == Plausibility::Accepted || rule.kind != MeterKind::Counter {
            return Ok(None);
        }
        let Some(before) = self.previous(tx, &reading.meter, sample, latest)? else {
            return Ok(None);
        };
        let limit = match latest.limits.get(&reading.meter) {
            Some(limit) => *limit,
            None => {
                let limit = self.rate_limit(tx, &reading.meter)?;
                latest.limits.insert(reading.meter.clone(), limit);
                limit
            }
        };
        Ok(implausible_step(before, sample, rule.register_max, limit).map(|why| Rejection {
            origin: origin.clone(),
            meter: Some(reading.meter.clone()),
            reason: RejectReason::HeldForReview,
            detail: format!(
                "giữ lại chờ xem xét: {} (từ {} đến {})",
                describe(&why, rule.resource.map_or("", |r| locale::unit(r, Lang::Vi))),
                local_rfc3339(from_ms(before.ts_ms), &self.tz),
                local_rfc3339(reading.ts, &self.tz)
            ),
        }))
    }

    /// How much a meter may plausibly use in an hour: its `max_rate`, else a multiple of the
    /// highest hourly use in its history, else its resource's ceiling.
    fn rate_limit(&self, tx: &Transaction<'_>, meter: &MeterId) -> Result<RateLimit, rusqlite::Error> {
        let rule = self.rule(meter);
        let Some(resource) = rule.resource else {
            // A meter not configured has no resource to bound it; its readings are kept.
            return Ok(RateLimit { per_hour: f64::INFINITY, source: RateSource::ResourceDefault });
        };
        if rule.max_rate.is_some() {
            return Ok(RateLimit::for_meter(resource, rule.max_rate, 0.0, 0));
        }
        // A limit learned from a long history moves slowly: asked again once an hour, it
        // costs ingest nothing (the query reads every hour of the meter's history).
        if let Some((limit, learned_at)) = lock(&self.learned_limits).get(meter)
            && learned_at.elapsed() < RELEARN_AFTER
        {
            return Ok(*limit);
        }
        let (highest, hours): (Option<f64>, i64) = tx
            .prepare_cached("SELECT max(amount), count(*) FROM consumption_hourly WHERE meter = ?1")?
            .query_row([meter.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let limit = RateLimit::for_meter(resource, None, highest.unwrap_or(0.0), hours.max(0) as u64);
        if matches!(limit.source, RateSource::Learned { .. }) {
            lock(&self.learned_limits).insert(meter.clone(), (limit, std::time::Instant::now()));
        }
        Ok(limit)
    }

    /// The stored reading a new one at `ts` follows, glitches left out: a device that came
    /// back from a restart is compared with its total before the restart, not with the zero
    /// it sent meanwhile. Readings mostly arrive in order, so the meter's last few readings
    /// (read once a batch, then kept up to date) answer without a query.
    pub(super) fn previous(
        &self,
        tx: &Transaction<'_>,
        meter: &MeterId,
        sample: Sample,
        latest: &mut Latest,
    ) -> Result<Option<Sample>, rusqlite::Error> {
        let context = GLITCH_LOOKAHEAD + 1;
        if !latest.tails.contains_key(meter) {
            let tail = self.readings_before(tx, meter, i64::MAX, context)?;
            latest.tails.insert(meter.clone(), tail);
        }
        let mut chain = match (latest.tails.get(meter), latest.late.get(meter)) {
            (Some(tail), _) if tail.last().is_none_or(|last| last.ts_ms < sample.ts_ms) => tail.clone(),
            (_, Some(late)) if late.continued_by(sample.ts_ms) => late.chain.clone(),
            _ => {
                let late = self.late_chain(tx, meter, sample.ts_ms, context)?;
                let chain = late.chain.clone();
                latest.late.insert(meter.clone(), late);
                chain
            }
        };
        chain.push(sample);
        let kept = without_glitches(&chain);
        Ok(kept.iter().rev().find(|s| s.ts_ms < sample.ts_ms).copied())
    }

    /// Up to `count` stored readings just before `ts` (oldest first) and the time of the first
    /// one after it, in one statement: a late reading alone in its batch asks this once.
    fn late_chain(
        &self,
        tx: &Transaction<'_>,
        meter: &MeterId,
        ts: i64,
        count: usize,
    ) -> Result<LateChain, rusqlite::Error> {
        let mut chain = Vec::with_capacity(count);
        let mut until = None;
        let mut statement = tx.prepare_cached(
            "SELECT ts, value FROM (SELECT ts, value FROM readings WHERE meter = ?1 AND ts < ?2 ORDER BY ts DESC LIMIT ?3)
             UNION ALL
             SELECT ts, value FROM (SELECT ts, value FROM readings WHERE meter = ?1 AND ts > ?2 ORDER BY ts LIMIT 1)",
        )?;
        let mut rows = statement.query(params![meter.as_str(), ts, count as i64])?;
        while let Some(row) = rows.next()? {
            let sample = Sample { ts_ms: row.get(0)?, value: row.get(1)?, period_start_ms: None };
            if sample.ts_ms > ts {
                until = Some(sample.ts_ms);
            } else {
                chain.push(sample);
            }
        }
        chain.sort_by_key(|s| s.ts_ms);
        Ok(LateChain { chain, until })
    }

    /// Record a person's decision on a held item; an accepted one is stored as it is.
    /// `Ok(None)`: no item with that id is waiting for review.
    pub(super) fn review(
        &self,
        items: Vec<(i64, Vec<Incoming>)>,
        review: &Review,
        audit: Option<AuditLine<Reviewed>>,
    ) -> Result<Reviewed, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // A held reading may be accepted or rejected; a conflicting duplicate only dismissed
        // (the stored reading is corrected instead).
        let decidable: &[RejectReason] = if review.accept {
            &[RejectReason::HeldForReview]
        } else {
            &[RejectReason::HeldForReview, RejectReason::ConflictingDuplicate]
        };
        let now = ms(Timestamp::now());
        let mut decided = Vec::new();
        let mut accepted = Vec::new();
        for (id, readings) in items {
            let reason: Option<String> = tx
                .query_row(
                    "SELECT reason FROM rejected WHERE id = ?1 AND reprocessed_at IS NULL AND review_decision IS NULL",
                    params![id],
                    |r| r.get(0),
                )
                .optional()?;
            if !reason.is_some_and(|reason| decidable.iter().any(|d| d.code() == reason)) {
                continue;
            }
            if review.accept {
                tx.execute("UPDATE rejected SET reprocessed_at = ?2 WHERE id = ?1", params![id, now])?;
                accepted.extend(readings);
            }
            tx.execute(
                "UPDATE rejected SET review_decision = ?2, reviewed_by = ?3, review_reason = ?4 WHERE id = ?1",
                params![id, if review.accept { "accepted" } else { "rejected" }, review.by, review.reason],
            )?;
            decided.push(id);
        }
        if decided.is_empty() {
            return Ok(Reviewed::default());
        }
        let report = if accepted.is_empty() {
            WriteReport::default()
        } else {
            self.write_in(&tx, accepted, Plausibility::Accepted)?
        };
        let reviewed = Reviewed { decided, report };
        audit_in(&tx, audit, &reviewed)?;
        let changes = self.report_changes(&tx)?;
        tx.commit()?;
        self.committed(changes);
        Ok(reviewed)
    }

    /// Bring consumption and status up to date with a meter's newly stored samples.
    pub(super) fn apply(
        &self,
        tx: &Transaction<'_>,
        meter: &MeterId,
        samples: &[Sample],
        received_at: i64,
    ) -> Result<(), rusqlite::Error> {
        let Some(last) = samples.last() else {
            return Ok(());
        };
        let prior: Option<(i64, f64)> = tx
            .prepare_cached("SELECT last_ts, last_value FROM meter_status WHERE meter = ?1")?
            .query_row([meter.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let rule = self.rule(meter);
        match rule.kind {
            MeterKind::Delta => {
                // Each amount stands alone, so a late one simply adds to its hours.
                let intervals: Vec<_> = samples.iter().copied().map(delta_interval).collect();
                self.add_hours(tx, meter, &spread_hourly(&intervals, i64::MIN / 2, i64::MAX / 2))?;
            }
            MeterKind::Counter => {
                // Late readings that only split a stored interval add their difference to
                // the hours as they stand; readings after the newest stored one add as in
                // order; then the hours around the other late ones are rebuilt from the
                // readings, whatever the others added there.
                let late = prior.map_or(0, |(last_ts, _)| samples.partition_point(|s| s.ts_ms < last_ts));
                let (late, in_order) = samples.split_at(late);
                let rebuild = self.add_late_by_difference(tx, meter, late, samples)?;
                self.append_counter(tx, meter, rule, in_order)?;
                if !rebuild.is_empty() {
                    self.recompute_counter_around(tx, meter, rule, &rebuild)?;
                }
            }
        }
        let (last_ts, last_value) = match prior {
            Some((ts, value)) if ts > last.ts_ms => (ts, value),
            _ => (last.ts_ms, last.value),
        };
        tx.prepare_cached(
            "INSERT INTO meter_status (meter, last_ts, last_value, last_received_at, readings)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (meter) DO UPDATE SET
                 last_ts = excluded.last_ts,
                 last_value = excluded.last_value,
                 last_received_at = max(last_received_at, excluded.last_received_at),
                 readings = readings + excluded.readings",
        )?
        .execute(params![meter.as_str(), last_ts, last_value, received_at, samples.len() as i64])?;
        Ok(())
    }

    /// Add a counter's new samples (oldest first), all later than its stored readings.
    fn append_counter(
        &self,
        tx: &Transaction<'_>,
        meter: &MeterId,
        rule: MeterRule,
        samples: &[Sample],
    ) -> Result<(), rusqlite::Error> {
        let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
            return Ok(());
        };
        // The last few stored readings: a drop among them may turn out to be a glitch that
        // the new readings undo. One more than the lookahead: the drop may sit that far back.
        let mut chain = self.readings_before(tx, meter, first.ts_ms, GLITCH_LOOKAHEAD + 1)?;
        let stored = chain.len();
        chain.extend_from_slice(samples);
        if chain.windows(2).any(|pair| pair[1].value < pair[0].value) {
            self.recompute_counter(tx, meter, rule, chain[0].ts_ms, last.ts_ms)
        } else {
            // The common case, readings in order: only the new intervals add.
            let tail = &chain[stored.saturating_sub(1)..];
            let intervals = counter_intervals(tail, rule.register_max);
            self.add_hours(tx, meter, &spread_hourly(&intervals, i64::MIN / 2, i64::MAX / 2))
        }
    }
}

/// Insert a reading unless the meter already has one at that time; whether it went in.
pub(super) fn insert_reading(
    tx: &Transaction<'_>,
    reading: &crate::domain::Reading,
    sample: Sample,
    origin: &Origin,
) -> Result<bool, rusqlite::Error> {
    let inserted = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO readings
             (meter, ts, value, period_start, source, entered_by, received_at, cost_vnd)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            reading.meter.as_str(),
            sample.ts_ms,
            sample.value,
            sample.period_start_ms,
            reading.source.as_str(),
            reading.entered_by,
            ms(origin.received_at),
            reading.cost_vnd,
        ])?;
    Ok(inserted == 1)
}

/// If the store holds a different value for this meter and time, the rejection to keep.
pub(super) fn conflicting(
    tx: &Transaction<'_>,
    meter: &MeterId,
    sample: Sample,
    origin: Origin,
    tz: &jiff::tz::TimeZone,
) -> Result<Option<Rejection>, rusqlite::Error> {
    let (value, period_start): (f64, Option<i64>) = tx
        .prepare_cached("SELECT value, period_start FROM readings WHERE meter = ?1 AND ts = ?2")?
        .query_row(params![meter.as_str(), sample.ts_ms], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let same_value = (value - sample.value).abs() <= 1e-9 * value.abs().max(1.0);
    if same_value && period_start == sample.period_start_ms {
        return Ok(None);
    }
    Ok(Some(Rejection {
        origin,
        meter: Some(meter.clone()),
        reason: RejectReason::ConflictingDuplicate,
        detail: format!(
            "công tơ {meter} đã có giá trị {} lúc {}; giá trị khác ({}) cùng thời điểm không được lưu: nếu giá trị mới đúng, hãy đính chính số liệu đã lưu, rồi bỏ qua mục này",
            exact(value),
            local_rfc3339(from_ms(sample.ts_ms), tz),
            exact(sample.value)
        ),
    }))
}

pub(super) fn insert_rejection(tx: &Transaction<'_>, rejection: &Rejection) -> Result<(), rusqlite::Error> {
    let origin = &rejection.origin;
    tx.prepare_cached(
        "INSERT INTO rejected (received_at, source, topic, payload, meter, reason, detail, sender)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        ms(origin.received_at),
        origin.source.as_str(),
        origin.topic,
        origin.payload,
        rejection.meter.as_ref().map(MeterId::as_str),
        rejection.reason.code(),
        cut_detail(&rejection.detail),
        origin.sender.as_ref().and_then(|sender| serde_json::to_string(sender).ok()),
    ])?;
    Ok(())
}

/// A detail as kept: its first [`Rejection::DETAIL_CHARS`] characters, so that junk sent
/// as a value or a time cannot make the list of rejected input huge.
fn cut_detail(detail: &str) -> std::borrow::Cow<'_, str> {
    match detail.char_indices().nth(Rejection::DETAIL_CHARS) {
        Some((end, _)) => format!("{}… (cắt bớt)", &detail[..end]).into(),
        None => detail.into(),
    }
}

/// Why a step was held, in Vietnamese, with the figures a reviewer checks by hand.
fn describe(why: &Implausible, unit: &str) -> String {
    let n = |value: f64| exact(value);
    let q = |value: f64| format!("{} {unit}", exact(value)).trim_end().to_owned();
    match *why {
        Implausible::LostDigit { before, after } => format!(
            "chỉ số giảm từ {} xuống {}: không về gần 0 (đặt lại hoặc thay công tơ), cũng không quay vòng từ gần đỉnh thanh ghi; có thể nhập thiếu một chữ số",
            n(before),
            n(after)
        ),
        Implausible::UnitSlip { before, after, factor } => {
            format!("chỉ số tăng từ {} lên {}, gấp {} lần: có thể nhầm đơn vị", n(before), n(after), n(factor))
        }
        Implausible::TooFast { used, hours, limit, wrap } => {
            let limit_text = match limit.source {
                RateSource::Configured => format!("{} một giờ (max_rate của công tơ)", q(limit.per_hour)),
                RateSource::Learned { highest_hourly } => format!(
                    "{} một giờ (gấp {} lần mức cao nhất đã ghi trong một giờ, {}; đặt max_rate để thay đổi)",
                    q(limit.per_hour),
                    n(crate::domain::consumption::LEARNED_MULTIPLE),
                    q(highest_hourly)
                ),
                RateSource::ResourceDefault => format!(
                    "{} một giờ (mức trần khi công tơ chưa có lịch sử; đặt max_rate để thay đổi)",
                    q(limit.per_hour)
                ),
            };
            format!(
                "{} {} trong {} giờ, tức {} một giờ, vượt giới hạn {}",
                if wrap { "nếu là quay vòng thanh ghi thì đã dùng" } else { "đã dùng" },
                q(used),
                locale::number(hours, 2, Lang::Vi),
                q(used / hours.max(1.0)),
                limit_text
            )
        }
    }
}

/// A register value in Vietnamese notation with the decimals it has (to three): 725.131 or
/// 72,513.
fn exact(value: f64) -> String {
    let text = locale::number(value, 3, Lang::Vi);
    match text.split_once(',') {
        Some((whole, fraction)) => match fraction.trim_end_matches('0') {
            "" => whole.to_owned(),
            kept => format!("{whole},{kept}"),
        },
        None => text,
    }
}
