//! One conformance suite for the store: every scenario is written once against the `Store`
//! trait and runs against every backend. The embedded SQLite store always runs. The InfluxDB 2
//! backend runs the same scenarios against a real InfluxDB 2, which cannot be installed on the
//! machines Xanh is built on, so those tests are ignored unless asked for:
//!
//! ```sh
//! XANH_TEST_INFLUXDB_URL=http://127.0.0.1:8086 XANH_TEST_INFLUXDB_TOKEN=… \
//! XANH_TEST_INFLUXDB_ORG=xanh XANH_TEST_INFLUXDB_BUCKET=xanh-test \
//!   cargo test --test api store_conformance:: -- --include-ignored
//! ```
//!
//! Each InfluxDB test tags its points with an office id of its own, so runs never see each
//! other's points in a shared bucket.
//!
//! The figures are worked out by hand in the comments. Times are local (Asia/Ho_Chi_Minh,
//! +07:00), because that is how the office reads them and where a day begins.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use jiff::Timestamp;
use tempfile::TempDir;
use xanh::config::Config;
use xanh::domain::TimeRange;
use xanh::domain::{
    Correction, DocumentCount, Incoming, Month, Origin, Reading, RejectReason, Rejection, Resource, Source,
};
use xanh::store::{InfluxStore, PlanEdit, PlanValue, Resolution, Review, SqliteStore, Store};

/// The office every scenario uses: a counter, a counter whose register wraps and whose
/// jumps are checked, and a delta meter.
const OFFICE: &str = r#"
[office]
name = "Văn phòng kiểm tra kho dữ liệu"
timezone = "Asia/Ho_Chi_Minh"

[[departments]]
id = "phong-a"
name = "Phòng A"
headcount = 10
area_m2 = 100.0

[[meters]]
id = "dien-a"
name = "Công tơ điện Phòng A"
resource = "electricity"
department = "phong-a"
kind = "counter"
unit = "kWh"

[[meters]]
id = "nuoc-tong"
name = "Đồng hồ nước tổng"
resource = "water"
kind = "counter"
unit = "m3"
register_max = 10000
max_rate = 5

[[meters]]
id = "giay-a"
name = "Giấy cấp phát Phòng A"
resource = "paper"
department = "phong-a"
kind = "delta"
unit = "sheet"
"#;

/// A store under test, with what its backend needs before written data can be read back.
struct Harness {
    store: Arc<dyn Store>,
    /// Waits until what was written can be read (the InfluxDB backend's outbox has drained),
    /// and checks that what was read came from where it should.
    settle: Box<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>,
    _dir: TempDir,
}

impl Harness {
    async fn write(&self, batch: Vec<Incoming>) -> xanh::store::WriteReport {
        let report = self.store.write(batch).await.expect("the store takes the batch");
        (self.settle)().await;
        report
    }

    /// `(local start, amount)` of a meter's consumption rows in the local range, in order.
    async fn consumption(&self, meter: &str, from: &str, to: &str, resolution: Resolution) -> Vec<(String, f64)> {
        let range = TimeRange::new(local(from), local(to)).unwrap();
        let mut rows = self.store.consumption(vec![meter.parse().unwrap()], range, resolution).await.unwrap();
        // Also where a backend checks how the read was answered.
        (self.settle)().await;
        rows.sort_by_key(|(start, _)| *start);
        rows.into_iter()
            .map(|(start, amount)| {
                let at = Timestamp::from_millisecond(start)
                    .unwrap()
                    .to_zoned(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap());
                (at.strftime("%Y-%m-%d %H:%M").to_string(), amount)
            })
            .collect()
    }
}

fn config(store: &std::path::Path) -> Config {
    let text = format!("{OFFICE}\n[store]\npath = \"{}\"\n", store.display());
    Config::parse("conformance.toml", &text, &|_| None).expect("the conformance config is valid")
}

/// A moment in the office's time zone, written `2026-11-02 07:30`.
fn local(text: &str) -> Timestamp {
    let civil: jiff::civil::DateTime = text.parse().unwrap();
    civil.to_zoned(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap()).unwrap().timestamp()
}

fn origin() -> Origin {
    Origin { source: Source::Api, received_at: Timestamp::now(), topic: None, payload: b"{}".to_vec(), sender: None }
}

fn reading(meter: &str, at: &str, value: f64) -> Incoming {
    Incoming::Reading(
        Reading {
            meter: meter.parse().unwrap(),
            ts: local(at),
            ts_assumed: false,
            value,
            period_start: None,
            source: Source::Api,
            entered_by: Some("kiem.tra".into()),
            cost_vnd: None,
        },
        origin(),
    )
}

/// An amount a delta meter counted over `[from, to)`.
fn amount(meter: &str, from: &str, to: &str, value: f64) -> Incoming {
    match reading(meter, to, value) {
        Incoming::Reading(mut reading, origin) => {
            reading.period_start = Some(local(from));
            Incoming::Reading(reading, origin)
        }
        Incoming::Rejected(_) => unreachable!("reading() builds a reading"),
    }
}

fn assert_rows(actual: Vec<(String, f64)>, expected: &[(&str, f64)]) {
    let close = actual.len() == expected.len()
        && actual.iter().zip(expected).all(|((at, a), (want_at, want))| at == want_at && (a - want).abs() < 1e-9);
    assert!(close, "consumption rows\n  actual:   {actual:?}\n  expected: {expected:?}");
}

async fn counter_readings_are_spread_over_hours_and_local_days(h: Harness) {
    // 07:00 → 100, 07:30 → 101, 08:30 → 104 kWh. [07:00, 07:30] used 1 kWh, all in hour 07;
    // [07:30, 08:30] used 3 kWh, half in hour 07 and half in hour 08: 2.5 and 1.5.
    let report = h
        .write(vec![
            reading("dien-a", "2026-11-02 07:00", 100.0),
            reading("dien-a", "2026-11-02 07:30", 101.0),
            reading("dien-a", "2026-11-02 08:30", 104.0),
        ])
        .await;
    assert_eq!((report.stored, report.duplicates, report.rejected), (3, 0, 0));
    let hours = h.consumption("dien-a", "2026-11-02 00:00", "2026-11-03 00:00", Resolution::Hour).await;
    assert_rows(hours, &[("2026-11-02 07:00", 2.5), ("2026-11-02 08:00", 1.5)]);
    let days = h.consumption("dien-a", "2026-11-01 00:00", "2026-11-04 00:00", Resolution::Day).await;
    assert_rows(days, &[("2026-11-02 00:00", 4.0)]);

    let status = h.store.meter_status().await.unwrap();
    let meter = status.iter().find(|s| s.meter.as_str() == "dien-a").expect("dien-a has a status");
    assert_eq!((meter.last_ts, meter.last_value, meter.readings), (Some(local("2026-11-02 08:30")), Some(104.0), 3));
}

async fn days_begin_at_local_midnight(h: Harness) {
    // 23:30 → 10 kWh, 00:30 the next day → 12 kWh: 1 kWh on each local day. A UTC day would
    // put both halves on the same day (local midnight is 17:00 UTC).
    h.write(vec![reading("dien-a", "2026-11-02 23:30", 10.0), reading("dien-a", "2026-11-03 00:30", 12.0)]).await;
    let days = h.consumption("dien-a", "2026-11-01 00:00", "2026-11-05 00:00", Resolution::Day).await;
    assert_rows(days, &[("2026-11-02 00:00", 1.0), ("2026-11-03 00:00", 1.0)]);
    // A range that starts at local midnight of the 3rd sees only its own half.
    let third = h.consumption("dien-a", "2026-11-03 00:00", "2026-11-04 00:00", Resolution::Day).await;
    assert_rows(third, &[("2026-11-03 00:00", 1.0)]);
}

async fn a_reading_sent_twice_is_stored_once_and_a_different_value_is_rejected(h: Harness) {
    h.write(vec![reading("dien-a", "2026-11-02 07:00", 100.0), reading("dien-a", "2026-11-02 08:00", 102.0)]).await;
    let again = h.write(vec![reading("dien-a", "2026-11-02 08:00", 102.0)]).await;
    assert_eq!((again.stored, again.duplicates, again.rejected), (0, 1, 0));
    let conflicting = h.write(vec![reading("dien-a", "2026-11-02 08:00", 150.0)]).await;
    assert_eq!((conflicting.stored, conflicting.duplicates, conflicting.rejected), (0, 0, 1));

    let hours = h.consumption("dien-a", "2026-11-02 00:00", "2026-11-03 00:00", Resolution::Hour).await;
    assert_rows(hours, &[("2026-11-02 07:00", 2.0)]);
    let (rejected, total) = h.store.rejected(10).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(rejected[0].reason, RejectReason::ConflictingDuplicate.code());
    assert_eq!(rejected[0].meter.as_deref(), Some("dien-a"));
}

async fn two_time_ranges_arriving_interleaved_give_the_figures_of_time_order(h: Harness) {
    // A gateway replays the 2nd of November (a backlog) while the 3rd arrives live: a reading
    // every 15 minutes, 1 kWh apart, so every hour used 4 kWh, and each day has a restart
    // glitch (a 0 the next reading undoes) that counts nothing.
    let start = local("2026-11-02 00:00");
    let at = |minutes: i64| {
        let civil = (start + jiff::SignedDuration::from_mins(minutes))
            .to_zoned(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap())
            .datetime();
        civil.strftime("%Y-%m-%d %H:%M").to_string()
    };
    let day = |first: i64| -> Vec<Incoming> {
        let mut readings: Vec<_> =
            (first..first + 96).map(|k| reading("dien-a", &at(15 * k), 1000.0 + k as f64)).collect();
        readings.insert(49, reading("dien-a", &at(15 * (first + 48) + 5), 0.0));
        readings
    };
    let (backlog, live) = (day(0), day(96));
    let mut mixed = Vec::new();
    for (old, new) in backlog.into_iter().zip(live) {
        mixed.push(old);
        mixed.push(new);
    }
    let mut stored = 0;
    for batch in mixed.chunks(6) {
        stored += h.write(batch.to_vec()).await.stored;
    }
    assert_eq!(stored, 194);

    let hours = h.consumption("dien-a", "2026-11-02 00:00", "2026-11-04 00:00", Resolution::Hour).await;
    let expected: Vec<(String, f64)> =
        (0..48).map(|hour| (at(60 * hour), if hour == 47 { 3.0 } else { 4.0 })).collect();
    let expected: Vec<(&str, f64)> = expected.iter().map(|(at, amount)| (at.as_str(), *amount)).collect();
    assert_rows(hours, &expected);
    let days = h.consumption("dien-a", "2026-11-01 00:00", "2026-11-05 00:00", Resolution::Day).await;
    assert_rows(days, &[("2026-11-02 00:00", 96.0), ("2026-11-03 00:00", 95.0)]);
}

async fn late_readings_of_one_meter_with_stored_readings_between_them_count_once(h: Harness) {
    // The live end of the 2nd of November is stored first, with two readings missing (07:30
    // and 02:30); then one batch brings them from a backlog, a restart's 0 among them (which
    // the stored 05:15 undoes). A reading every 15 minutes, 1 kWh apart: every hour used 4.
    let at = |k: i64| {
        let civil = (local("2026-11-02 00:00") + jiff::SignedDuration::from_mins(15 * k))
            .to_zoned(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap())
            .datetime();
        civil.strftime("%Y-%m-%d %H:%M").to_string()
    };
    let live: Vec<_> =
        (0..=40).filter(|k| ![10, 30].contains(k)).map(|k| reading("dien-a", &at(k), 1000.0 + k as f64)).collect();
    assert_eq!(h.write(live).await.stored, 39);
    let backlog = vec![
        reading("dien-a", &at(10), 1010.0),
        reading("dien-a", "2026-11-02 05:05", 0.0),
        reading("dien-a", &at(30), 1030.0),
    ];
    let report = h.write(backlog).await;
    assert_eq!((report.stored, report.rejected), (3, 0));

    let hours = h.consumption("dien-a", "2026-11-02 00:00", "2026-11-03 00:00", Resolution::Hour).await;
    let expected: Vec<(String, f64)> = (0..10).map(|hour| (at(4 * hour), 4.0)).collect();
    let expected: Vec<(&str, f64)> = expected.iter().map(|(at, amount)| (at.as_str(), *amount)).collect();
    assert_rows(hours, &expected);
    let days = h.consumption("dien-a", "2026-11-01 00:00", "2026-11-04 00:00", Resolution::Day).await;
    assert_rows(days, &[("2026-11-02 00:00", 40.0)]);
}

async fn a_correction_changes_the_hours_the_reading_touched(h: Harness) {
    h.write(vec![
        reading("dien-a", "2026-11-02 07:00", 100.0),
        reading("dien-a", "2026-11-02 07:30", 101.0),
        reading("dien-a", "2026-11-02 08:30", 104.0),
    ])
    .await;
    // 101 → 102: [07:00, 07:30] used 2, [07:30, 08:30] used 2 (1 + 1): hour 07 3, hour 08 1.
    let fix = Correction::new(
        "dien-a".parse().unwrap(),
        local("2026-11-02 07:30"),
        Some(102.0),
        "Chị Lan",
        "ghi nhầm chỉ số khi đọc",
    )
    .unwrap();
    let record = h.store.correct(fix, None).await.unwrap().expect("the reading exists");
    assert_eq!((record.old_value, record.new_value), (101.0, Some(102.0)));
    (h.settle)().await;
    let hours = h.consumption("dien-a", "2026-11-02 00:00", "2026-11-03 00:00", Resolution::Hour).await;
    assert_rows(hours, &[("2026-11-02 07:00", 3.0), ("2026-11-02 08:00", 1.0)]);

    // Removing 08:30 leaves only [07:00, 07:30]: hour 08 has no consumption at all.
    let remove = Correction::new(
        "dien-a".parse().unwrap(),
        local("2026-11-02 08:30"),
        None,
        "Chị Lan",
        "công tơ báo lỗi hôm đó",
    )
    .unwrap();
    h.store.correct(remove, None).await.unwrap().expect("the reading exists");
    (h.settle)().await;
    let hours = h.consumption("dien-a", "2026-11-02 00:00", "2026-11-03 00:00", Resolution::Hour).await;
    assert_rows(hours, &[("2026-11-02 07:00", 2.0)]);
    let days = h.consumption("dien-a", "2026-11-02 00:00", "2026-11-03 00:00", Resolution::Day).await;
    assert_rows(days, &[("2026-11-02 00:00", 2.0)]);

    let corrections = h.store.corrections(Some("dien-a".parse().unwrap()), 10).await.unwrap();
    assert_eq!(corrections.len(), 2, "both corrections are kept");
    assert_eq!(corrections[0].new_value, None, "newest first");
    let day = |from: &str, to: &str| TimeRange::new(local(from), local(to)).unwrap();
    let count = h.store.corrections_count(day("2026-11-02 00:00", "2026-11-03 00:00")).await.unwrap();
    assert_eq!(count, 2, "both corrected readings fall on 2 November");
    let count = h.store.corrections_count(day("2026-11-02 08:00", "2026-11-03 00:00")).await.unwrap();
    assert_eq!(count, 1, "only the reading at 08:30 falls after 08:00");
    let missing = Correction::new(
        "dien-a".parse().unwrap(),
        local("2026-11-02 09:00"),
        Some(1.0),
        "Chị Lan",
        "thử sửa một chỉ số không có",
    )
    .unwrap();
    assert!(h.store.correct(missing, None).await.unwrap().is_none(), "no reading at that time");
}

async fn a_delta_amount_is_spread_over_its_period(h: Harness) {
    // 1 000 sheets issued over [07:00, 09:00): 500 in each hour.
    h.write(vec![amount("giay-a", "2026-11-02 07:00", "2026-11-02 09:00", 1000.0)]).await;
    let hours = h.consumption("giay-a", "2026-11-02 00:00", "2026-11-03 00:00", Resolution::Hour).await;
    assert_rows(hours, &[("2026-11-02 07:00", 500.0), ("2026-11-02 08:00", 500.0)]);
}

async fn a_register_that_wraps_counts_across_the_wrap(h: Harness) {
    // 9 999 → 1 m³ on a register that wraps at 10 000: 2 m³ used, not a reset.
    h.write(vec![reading("nuoc-tong", "2026-11-02 07:00", 9999.0), reading("nuoc-tong", "2026-11-02 08:00", 1.0)])
        .await;
    let hours = h.consumption("nuoc-tong", "2026-11-02 00:00", "2026-11-03 00:00", Resolution::Hour).await;
    assert_rows(hours, &[("2026-11-02 07:00", 2.0)]);
}

async fn an_unlikely_jump_waits_for_review_and_counts_once_accepted(h: Harness) {
    // max_rate is 5 m³ an hour: 100 → 160 in an hour is held, not counted.
    let report = h
        .write(vec![reading("nuoc-tong", "2026-11-02 07:00", 100.0), reading("nuoc-tong", "2026-11-02 08:00", 160.0)])
        .await;
    assert_eq!((report.stored, report.rejected), (1, 1));
    let hours = h.consumption("nuoc-tong", "2026-11-02 00:00", "2026-11-03 00:00", Resolution::Hour).await;
    assert_rows(hours, &[]);
    let (held, _) = h.store.rejected(10).await.unwrap();
    assert_eq!(held[0].reason, RejectReason::HeldForReview.code());
    // Ranges are whole hours: the hour before now to the hour after it.
    let hour = jiff::SignedDuration::from_hours(1);
    let around_now = TimeRange::new(Timestamp::now() - hour, Timestamp::now() + hour).unwrap();
    assert_eq!(h.store.held_count(around_now).await.unwrap(), 1, "received just now");
    let day_before = TimeRange::new(around_now.from() - hour * 24, around_now.from()).unwrap();
    assert_eq!(h.store.held_count(day_before).await.unwrap(), 0, "nothing was received the day before");

    let review = Review { accept: true, by: "Anh Minh".into(), reason: "rò rỉ đã kiểm tra".into() };
    let accepted = vec![reading("nuoc-tong", "2026-11-02 08:00", 160.0)];
    let reviewed = h.store.review(vec![(held[0].id, accepted)], review, None).await.unwrap();
    assert_eq!(reviewed.decided, vec![held[0].id], "the item waits for review");
    assert_eq!(reviewed.report.stored, 1);
    (h.settle)().await;
    let hours = h.consumption("nuoc-tong", "2026-11-02 00:00", "2026-11-03 00:00", Resolution::Hour).await;
    assert_rows(hours, &[("2026-11-02 07:00", 60.0)]);
    let (waiting, total) = h.store.rejected(10).await.unwrap();
    assert_eq!((waiting.len(), total), (0, 0), "a decided item no longer waits");
    assert_eq!(h.store.held_count(around_now).await.unwrap(), 0, "a decided item is no longer counted as held");
}

async fn refused_input_is_kept_with_its_reason_and_can_be_retried(h: Harness) {
    let refused = Incoming::Rejected(Rejection {
        origin: Origin {
            source: Source::Mqtt,
            received_at: Timestamp::now(),
            topic: Some("xanh/la/reading".into()),
            payload: b"{\"value\": 5}".to_vec(),
            sender: None,
        },
        meter: None,
        reason: RejectReason::UnknownTopic,
        detail: "không có công tơ nào gửi trên chủ đề này".into(),
    });
    let report = h.write(vec![refused]).await;
    assert_eq!(report.rejected, 1);
    let (rejected, total) = h.store.rejected(10).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(
        (rejected[0].topic.as_deref(), rejected[0].payload.as_str()),
        (Some("xanh/la/reading"), "{\"value\": 5}")
    );

    // After the config is fixed, the retried item becomes a reading and leaves the list.
    let retry = h.store.rejected_for_retry(0, 10).await.unwrap();
    assert_eq!(retry.len(), 1);
    let report =
        h.store.reprocess(vec![(retry[0].id, vec![reading("dien-a", "2026-11-02 07:00", 5.0)])]).await.unwrap();
    assert_eq!(report.stored, 1);
    (h.settle)().await;
    let (_, total) = h.store.rejected(10).await.unwrap();
    assert_eq!(total, 0);
    let listed = h.store.readings("dien-a".parse().unwrap(), 0, i64::MAX, 10).await.unwrap();
    assert_eq!(listed.iter().map(|r| r.value).collect::<Vec<_>>(), vec![5.0]);
}

async fn documents_and_plan_edits_are_kept(h: Harness) {
    let count = DocumentCount {
        department: "phong-a".parse().unwrap(),
        month: Month::parse("2026-11").unwrap(),
        electronic: 48,
        paper: 2,
    };
    h.store.set_documents(count.clone(), "Chị Lan".into(), None).await.unwrap();
    let kept = h.store.documents(Month::parse("2026-11").unwrap(), Month::parse("2026-12").unwrap()).await.unwrap();
    assert_eq!((kept.len(), &kept[0].count, kept[0].entered_by.as_str()), (1, &count, "Chị Lan"));

    let edit = PlanEdit {
        resource: Resource::Electricity,
        department: None,
        period: None,
        target: true,
        old: None,
        new: Some(PlanValue::Target { saving_percent: 5.0, stretch_percent: Some(10.0) }),
        by: "Chị Lan".into(),
        reason: "Kế hoạch 2027".into(),
    };
    h.store.record_plan_edit(edit.clone(), None).await.unwrap();
    assert_eq!(h.store.plan_edits().await.unwrap().into_iter().map(|e| e.edit).collect::<Vec<_>>(), vec![edit]);
    h.store.check().await.expect("the store answers");
}

async fn a_night_is_measured_only_with_readings_inside_before_and_after(h: Harness) {
    // The waste page's test of a night (00:00–05:00) a water meter's flow can be judged on: a
    // reading from 01:00 to 05:00 (use spread over the night from readings days apart says
    // nothing about it), one at or before 00:00 and one at or after 05:00.
    h.write(vec![
        reading("nuoc-tong", "2026-11-02 22:00", 1.0),
        reading("nuoc-tong", "2026-11-03 02:00", 1.1),
        reading("nuoc-tong", "2026-11-03 06:00", 1.2),
        reading("nuoc-tong", "2026-11-04 00:00", 1.3),
        reading("nuoc-tong", "2026-11-04 03:00", 1.35),
        reading("nuoc-tong", "2026-11-04 05:00", 1.4),
        reading("nuoc-tong", "2026-11-05 03:00", 1.5),
        reading("nuoc-tong", "2026-11-06 00:30", 1.6),
        reading("nuoc-tong", "2026-11-06 07:00", 1.7),
        reading("nuoc-tong", "2026-11-07 02:00", 1.8),
    ])
    .await;
    let night = |meter: &str, day: &str| {
        let start = local(&format!("{day} 00:00"));
        (meter.parse().unwrap(), start.as_millisecond(), local(&format!("{day} 05:00")).as_millisecond())
    };
    let days = ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06", "2026-11-07"];
    let mut spans: Vec<_> = days.iter().map(|day| night("nuoc-tong", day)).collect();
    spans.push(night("dien-a", "2026-11-03"));
    let measured = h.store.measured_through(spans).await.unwrap();
    (h.settle)().await;
    assert_eq!(
        measured,
        [
            false, // 02/11: nothing before the night (the first reading is at 22:00)
            true,  // 03/11: 22:00 the evening before, 02:00, 06:00
            true,  // 04/11: at 00:00 itself, 03:00, at 05:00 itself
            true,  // 05/11: 03:00, between 04/11 05:00 and 06/11 00:30
            false, // 06/11: only 00:30 inside, the night's first hour, spread from the evening before
            false, // 07/11: 02:00, but nothing after it yet: the night is not over for the meter
            false, // a meter without readings
        ]
    );
}

/// One `#[tokio::test]` per scenario for a backend, each on a fresh store from `$harness`,
/// with the attributes given (`#[ignore = …]` for a backend that needs a server).
macro_rules! conformance {
    ($backend:ident, $harness:path, [$(#[$attr:meta])*]) => {
        mod $backend {
            conformance!(@each $harness, [$(#[$attr])*];
                counter_readings_are_spread_over_hours_and_local_days,
                days_begin_at_local_midnight,
                a_reading_sent_twice_is_stored_once_and_a_different_value_is_rejected,
                two_time_ranges_arriving_interleaved_give_the_figures_of_time_order,
                late_readings_of_one_meter_with_stored_readings_between_them_count_once,
                a_correction_changes_the_hours_the_reading_touched,
                a_delta_amount_is_spread_over_its_period,
                a_register_that_wraps_counts_across_the_wrap,
                an_unlikely_jump_waits_for_review_and_counts_once_accepted,
                refused_input_is_kept_with_its_reason_and_can_be_retried,
                documents_and_plan_edits_are_kept,
                a_night_is_measured_only_with_readings_inside_before_and_after,
            );
        }
    };
    (@each $harness:path, $attrs:tt; $($scenario:ident),+ $(,)?) => {
        $( conformance!(@one $harness, $attrs, $scenario); )+
    };
    (@one $harness:path, [$(#[$attr:meta])*], $scenario:ident) => {
        #[tokio::test]
        $(#[$attr])*
        async fn $scenario() {
            super::$scenario($harness().await).await;
        }
    };
}

async fn sqlite() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let config = config(&dir.path().join("xanh.db"));
    let store = SqliteStore::open(
        config.store.embedded_path(),
        &config.office.timezone,
        &config.office.timezone_name,
        &config.meters,
    )
    .expect("the SQLite store opens");
    Harness { store: Arc::new(store), settle: Box::new(|| Box::pin(async {})), _dir: dir }
}

conformance!(sqlite, super::sqlite, []);

/// The InfluxDB backend against the real InfluxDB 2 the environment names: the outbox sends
/// every write before anything is read back, and every read must come from InfluxDB (a read
/// the journal answered instead fails the scenario).
async fn influxdb() -> Harness {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: see the top of tests/store_conformance.rs"))
    };
    let (url, token, org, bucket) = (
        var("XANH_TEST_INFLUXDB_URL"),
        var("XANH_TEST_INFLUXDB_TOKEN"),
        var("XANH_TEST_INFLUXDB_ORG"),
        var("XANH_TEST_INFLUXDB_BUCKET"),
    );
    let dir = tempfile::tempdir().unwrap();
    let office = format!("conformance-{}-{}", std::process::id(), Timestamp::now().as_nanosecond() % 1_000_000_000_000);
    let text = format!(
        "{}\n[store]\nbackend = \"influxdb\"\nurl = \"{url}\"\norg = \"{org}\"\nbucket = \"{bucket}\"\npath = \"{}\"\n",
        OFFICE.replacen("[office]\n", &format!("[office]\nid = \"{office}\"\n"), 1),
        dir.path().join("xanh.db").display()
    );
    let config =
        Config::parse("conformance.toml", &text, &|name| (name == "XANH_INFLUXDB_TOKEN").then(|| token.clone()))
            .expect("the InfluxDB conformance config is valid");
    let xanh::config::StoreConfig::Influx(influx) = &config.store else { unreachable!("the config names InfluxDB") };
    let store = InfluxStore::open(influx, &config.office.timezone, &config.office.timezone_name, &config.meters)
        .expect("the InfluxDB store opens");
    let status = store.status();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(store.drainer().run(stopped));
    let settle = move || -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let status = std::sync::Arc::clone(&status);
        let _keep_the_drainer_running = stop.clone();
        Box::pin(async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                let snapshot = status.snapshot();
                assert_eq!(
                    snapshot.reads_from_journal, 0,
                    "a read came from the journal, not InfluxDB: {:?}",
                    snapshot.last_error
                );
                assert_eq!(snapshot.dead_letters, 0, "InfluxDB refused points: {:?}", snapshot.last_error);
                if snapshot.pending == 0 {
                    return;
                }
                assert!(std::time::Instant::now() < deadline, "the outbox did not drain: {snapshot:?}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        })
    };
    Harness { store: Arc::new(store), settle: Box::new(settle), _dir: dir }
}

conformance!(
    influxdb,
    super::influxdb,
    [#[ignore = "needs a real InfluxDB 2: set XANH_TEST_INFLUXDB_URL, _TOKEN, _ORG and _BUCKET and run with --include-ignored"]]
);

/// The InfluxDB backend with an InfluxDB that never answers: every write goes through its
/// journal and outbox, and every read falls back to the journal, so the scenarios check that
/// the outbox's change tracking leaves the journal's figures as the SQLite backend's.
async fn influxdb_journal() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}\n[store]\nbackend = \"influxdb\"\nurl = \"http://127.0.0.1:9\"\norg = \"xanh\"\nbucket = \"xanh\"\npath = \"{}\"\n",
        OFFICE.replacen("[office]\n", "[office]\nid = \"conformance-journal\"\n", 1),
        dir.path().join("xanh.db").display()
    );
    let config = Config::parse("conformance.toml", &text, &|name| (name == "XANH_INFLUXDB_TOKEN").then(|| "t".into()))
        .expect("the InfluxDB conformance config is valid");
    let xanh::config::StoreConfig::Influx(influx) = &config.store else { unreachable!("the config names InfluxDB") };
    let store = InfluxStore::open(influx, &config.office.timezone, &config.office.timezone_name, &config.meters)
        .expect("the InfluxDB store opens");
    Harness { store: Arc::new(store), settle: Box::new(|| Box::pin(async {})), _dir: dir }
}

conformance!(influxdb_journal, super::influxdb_journal, []);
