//! A data-quality suite of nasty meters, written straight into a real SQLite store: digits
//! lost at several magnitudes, real wraps on 5- to 8-digit registers, a wrap no meter could
//! make, a replaced meter, a restarting device, and two meters swapped between departments.
//! Every meter first reads hourly for two days (its history, from which it learns what it
//! can use), then meets its trouble. The totals are worked out by hand beside each meter.

use jiff::Timestamp;
use xanh::config::Config;
use xanh::domain::{Incoming, Origin, Reading, Source, TimeRange};
use xanh::store::{Resolution, SqliteStore, Store, StoreReads};

const OFFICE: &str = r#"
[office]
name = "Văn phòng số liệu khó"
timezone = "Asia/Ho_Chi_Minh"

[[departments]]
id = "phong-a"
name = "Phòng A"
headcount = 10
area_m2 = 100.0

[[departments]]
id = "phong-b"
name = "Phòng B"
headcount = 10
area_m2 = 100.0

[[meters]]
id = "wrap-5"
name = "Thanh ghi 5 chữ số"
resource = "electricity"
kind = "counter"
unit = "kWh"
register_max = 100000

[[meters]]
id = "wrap-8"
name = "Thanh ghi 8 chữ số"
resource = "electricity"
kind = "counter"
unit = "kWh"
register_max = 100000000

[[meters]]
id = "wrap-ao"
name = "Quay vòng không thể có"
resource = "electricity"
kind = "counter"
unit = "kWh"
register_max = 1000000

[[meters]]
id = "dien-toa-nha"
name = "Công tơ tổng tòa nhà"
resource = "electricity"
kind = "counter"
unit = "kWh"
register_max = 1000000

[[meters]]
id = "mat-so-nho"
name = "Mất chữ số, 3 chữ số"
resource = "water"
kind = "counter"
unit = "m3"

[[meters]]
id = "mat-so-vua"
name = "Mất chữ số, 5 chữ số"
resource = "electricity"
kind = "counter"
unit = "kWh"

[[meters]]
id = "mat-so-lon"
name = "Mất chữ số, 7 chữ số"
resource = "electricity"
kind = "counter"
unit = "kWh"

[[meters]]
id = "thay-moi"
name = "Công tơ được thay mới"
resource = "electricity"
kind = "counter"
unit = "kWh"

[[meters]]
id = "khoi-dong-lai"
name = "Thiết bị khởi động lại"
resource = "electricity"
kind = "counter"
unit = "kWh"

[[meters]]
id = "dien-a"
name = "Công tơ Phòng A"
resource = "electricity"
department = "phong-a"
kind = "counter"
unit = "kWh"

[[meters]]
id = "dien-b"
name = "Công tơ Phòng B"
resource = "electricity"
department = "phong-b"
kind = "counter"
unit = "kWh"

[[meters]]
id = "moi-lap"
name = "Công tơ mới lắp"
resource = "electricity"
kind = "counter"
unit = "kWh"
"#;

const TZ: &str = "Asia/Ho_Chi_Minh";

/// Hour `h` after local midnight of 02/11/2026.
fn hour(h: i64) -> Timestamp {
    let start: jiff::civil::DateTime = "2026-11-02 00:00".parse().unwrap();
    let start = start.to_zoned(jiff::tz::TimeZone::get(TZ).unwrap()).unwrap().timestamp();
    start + jiff::SignedDuration::from_hours(h)
}

fn reading(meter: &str, h: i64, value: f64) -> Incoming {
    let origin = Origin {
        source: Source::Api,
        received_at: Timestamp::now(),
        topic: None,
        payload: b"{}".to_vec(),
        sender: None,
    };
    Incoming::Reading(
        Reading {
            meter: meter.parse().unwrap(),
            ts: hour(h),
            ts_assumed: false,
            value,
            period_start: None,
            source: Source::Api,
            entered_by: Some("kiem.tra".into()),
            cost_vnd: None,
        },
        origin,
    )
}

/// Two days of hourly readings, hours 0 to 48, from `start` up by `step` an hour.
fn history(meter: &str, start: f64, step: f64) -> Vec<Incoming> {
    (0..=48).map(|h| reading(meter, h, start + step * h as f64)).collect()
}

async fn total(store: &SqliteStore, meter: &str) -> f64 {
    let range = TimeRange::new(hour(0), hour(72)).unwrap();
    let rows = store.consumption(vec![meter.parse().unwrap()], range, Resolution::Hour).await.unwrap();
    rows.iter().map(|(_, amount)| amount).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nasty_meters_count_exactly_what_was_used_and_hold_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{OFFICE}\n[store]\npath = \"{}\"\n", dir.path().join("xanh.db").display());
    let config = Config::parse("data-quality.toml", &text, &|_| None).unwrap();
    let tz = jiff::tz::TimeZone::get(TZ).unwrap();
    let store = SqliteStore::open(&dir.path().join("xanh.db"), &tz, TZ, &config.meters).unwrap();

    let mut past = Vec::new();
    for (meter, start, step) in [
        ("wrap-5", 99_900.0, 2.0),
        ("wrap-8", 99_999_000.0, 20.0),
        ("wrap-ao", 999_000.0, 1.0),
        ("dien-toa-nha", 725_000.0, 3.0),
        ("mat-so-nho", 100.0, 0.5),
        ("mat-so-vua", 12_340.0, 1.0),
        ("mat-so-lon", 1_234_500.0, 5.0),
        ("thay-moi", 45_000.0, 2.0),
        ("khoi-dong-lai", 5_000.0, 1.0),
        ("dien-a", 3_000.0, 1.0),
        ("dien-b", 4_500.0, 1.0),
    ] {
        past.extend(history(meter, start, step));
    }
    let report = store.write(past).await.unwrap();
    assert_eq!((report.stored, report.rejected), (11 * 49, 0));

    let trouble = vec![
        // 99 996 → 3 at the top of a 5-digit register: a wrap of 4 + 3 = 7. 96 + 7 = 103.
        reading("wrap-5", 49, 3.0),
        // 99 999 960 → 30 on an 8-digit register: 40 + 30 = 70. 960 + 70 = 1 030.
        reading("wrap-8", 49, 30.0),
        // 999 048 → 50 000 looks like a wrap but would be 952 + 50 000 = 50 952 kWh in an
        // hour, where the meter never used more than 1 an hour (limit 10): held. Then
        // 999 050 goes on from 999 048: 48 + 2 = 50.
        reading("wrap-ao", 49, 50_000.0),
        reading("wrap-ao", 50, 999_050.0),
        // 725 147 typed as 72 514: not near the top of the register, a lost digit, held.
        // The meter goes on 725 150: 144 + 6 = 150 (not 1 000 000 − 725 144 + 72 514).
        reading("dien-toa-nha", 49, 72_514.0),
        reading("dien-toa-nha", 50, 725_150.0),
        // 124,5 → 12,4; 12 389 → 1 238; 1 234 745 → 123 474: held. Then +0,5, +1, +5 an hour
        // again: 24 + 1 = 25; 48 + 2 = 50; 240 + 10 = 250.
        reading("mat-so-nho", 49, 12.4),
        reading("mat-so-nho", 50, 125.0),
        reading("mat-so-vua", 49, 1_238.0),
        reading("mat-so-vua", 50, 12_390.0),
        reading("mat-so-lon", 49, 123_474.0),
        reading("mat-so-lon", 50, 1_234_750.0),
        // Replaced at hour 49 by a new meter reading 0, then 1,5 an hour for four hours:
        // 96 + 0 + 6 = 102.
        reading("thay-moi", 49, 0.0),
        reading("thay-moi", 50, 1.5),
        reading("thay-moi", 51, 3.0),
        reading("thay-moi", 52, 4.5),
        reading("thay-moi", 53, 6.0),
        // A restart sends 0 once, then the old total: 48 + 2 = 50.
        reading("khoi-dong-lai", 49, 0.0),
        reading("khoi-dong-lai", 50, 5_050.0),
        // The two departments' meters swapped at hour 49: A reads B's 4 549 (1 501 kWh in
        // an hour, under the 2 000 a new meter may use but far above A's own 10), B reads
        // A's 3 049 (a drop to two thirds). Both held; each department keeps its own 48.
        reading("dien-a", 49, 4_549.0),
        reading("dien-b", 49, 3_049.0),
        // A meter without history: 100 → 5 100 kWh in an hour is more than any office
        // meter uses (2 000 an hour): held; 100 → 101 counts. 1.
        reading("moi-lap", 0, 100.0),
        reading("moi-lap", 1, 5_100.0),
        reading("moi-lap", 2, 101.0),
    ];
    let report = store.write(trouble).await.unwrap();
    assert_eq!(report.rejected, 8, "{report:?}");

    for (meter, expected) in [
        ("wrap-5", 103.0),
        ("wrap-8", 1_030.0),
        ("wrap-ao", 50.0),
        ("dien-toa-nha", 150.0),
        ("mat-so-nho", 25.0),
        ("mat-so-vua", 50.0),
        ("mat-so-lon", 250.0),
        ("thay-moi", 102.0),
        ("khoi-dong-lai", 50.0),
        ("dien-a", 48.0),
        ("dien-b", 48.0),
        ("moi-lap", 1.0),
    ] {
        let actual = total(&store, meter).await;
        assert!((actual - expected).abs() < 1e-6, "{meter}: expected {expected}, counted {actual}");
    }

    let (held, count) = store.rejected(100).await.unwrap();
    assert_eq!(count, 8);
    let detail = |meter: &str| {
        held.iter().find(|r| r.meter.as_deref() == Some(meter)).map(|r| r.detail.clone()).unwrap_or_default()
    };
    assert!(held.iter().all(|r| r.reason == "held_for_review"), "{held:?}");
    // The reasons name the figures a reviewer checks, in Vietnamese.
    let typo = detail("dien-toa-nha");
    assert!(typo.contains("725.144") && typo.contains("72.514") && typo.contains("thiếu một chữ số"), "{typo}");
    let wrap = detail("wrap-ao");
    assert!(wrap.contains("quay vòng") && wrap.contains("50.952 kWh") && wrap.contains("gấp 10 lần"), "{wrap}");
    let new = detail("moi-lap");
    assert!(new.contains("5.000 kWh") && new.contains("2.000 kWh một giờ") && new.contains("max_rate"), "{new}");
}
