//! A counter's figures do not depend on the order its readings arrive in: any shuffle of them,
//! in batches of any size, gives the hourly and daily totals of the same readings written in
//! time order. Late readings take their own path in the store (the hours around them are
//! rebuilt from the readings), so this checks that path against the in-order one on readings
//! with restart glitches, flat stretches, a reset and uneven gaps.

use jiff::Timestamp;
use proptest::prelude::*;
use xanh::config::Config;
use xanh::domain::{Incoming, Origin, Reading, Source, TimeRange};
use xanh::store::{Resolution, SqliteStore, Store};

/// One counter; `max_rate` set so that no step is held for review in any order (whether a
/// step is held depends on which readings are stored when it arrives).
const OFFICE: &str = r#"
[office]
name = "Văn phòng kiểm tra thứ tự đến"
timezone = "Asia/Ho_Chi_Minh"

[[meters]]
id = "dien-a"
name = "Công tơ điện"
resource = "electricity"
kind = "counter"
unit = "kWh"
max_rate = 1000000
"#;

/// 2026-11-02 00:00 in Asia/Ho_Chi_Minh.
const START_MS: i64 = 1_793_552_400_000;

/// How a reading's value follows from the one before.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// The counter went up by this much (0: nothing used).
    Up(u8),
    /// A restarting device sent 0 once; the next readings go on from the total before it.
    Glitch,
    /// The counter was reset or replaced and goes on from 0.
    Reset,
}

/// Steps where a glitch and a reset each weigh `glitchiness` against 8 for a rise (none at 0):
/// long rising stretches and stretches full of drops take different paths in the store.
fn steps(glitchiness: u32) -> impl Strategy<Value = Vec<(Step, u16)>> {
    let step = prop_oneof![
        8 => (0u8..6).prop_map(Step::Up),
        glitchiness => Just(Step::Glitch),
        glitchiness => Just(Step::Reset),
    ];
    prop::collection::vec((step, 1u16..90), 2..70)
}

/// Readings `(ms, value)` in time order: totals start high so that the values after a reset
/// stay far below them, and only the first reset is kept (a second would make a drop from the
/// small values after the first one look like a lost digit, which is held in some orders).
fn readings(steps: &[(Step, u16)]) -> Vec<(i64, f64)> {
    let (mut ts, mut total, mut reset) = (START_MS, 20_000.0, false);
    steps
        .iter()
        .map(|&(step, gap_minutes)| {
            ts += 60_000 * i64::from(gap_minutes);
            let value = match step {
                Step::Up(used) => {
                    total += f64::from(used);
                    total
                }
                Step::Glitch => 0.0,
                Step::Reset if !reset => {
                    reset = true;
                    total = 0.0;
                    total
                }
                Step::Reset => total,
            };
            (ts, value)
        })
        .collect()
}

fn incoming((ts, value): (i64, f64)) -> Incoming {
    let reading = Reading {
        meter: "dien-a".parse().unwrap(),
        ts: Timestamp::from_millisecond(ts).unwrap(),
        ts_assumed: false,
        value,
        period_start: None,
        source: Source::Api,
        entered_by: None,
        cost_vnd: None,
    };
    let origin = Origin {
        source: Source::Api,
        received_at: Timestamp::now(),
        topic: None,
        payload: b"{}".to_vec(),
        sender: None,
    };
    Incoming::Reading(reading, origin)
}

/// The store's hourly and daily totals after writing `batches` one after the other.
async fn figures(batches: Vec<Vec<(i64, f64)>>) -> (Vec<(i64, f64)>, Vec<(i64, f64)>) {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{OFFICE}\n[store]\npath = \"{}\"\n", dir.path().join("xanh.db").display());
    let config = Config::parse("arrival-order.toml", &text, &|_| None).unwrap();
    let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(
        SqliteStore::open(
            config.store.embedded_path(),
            &config.office.timezone,
            &config.office.timezone_name,
            &config.meters,
        )
        .unwrap(),
    );
    for batch in batches {
        let count = batch.len();
        let report = store.write(batch.into_iter().map(incoming).collect()).await.unwrap();
        assert_eq!((report.stored, report.rejected), (count, 0), "every reading is stored");
    }
    let range = TimeRange::new(
        Timestamp::from_millisecond(START_MS - 86_400_000).unwrap(),
        Timestamp::from_millisecond(START_MS + 40 * 86_400_000).unwrap(),
    )
    .unwrap();
    let read = |resolution| {
        let store = &store;
        async move {
            let mut rows = store.consumption(vec!["dien-a".parse().unwrap()], range, resolution).await.unwrap();
            rows.sort_by_key(|(start, _)| *start);
            rows
        }
    };
    (read(Resolution::Hour).await, read(Resolution::Day).await)
}

fn same(a: &[(i64, f64)], b: &[(i64, f64)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.0 == y.0 && (x.1 - y.1).abs() <= 1e-9 * x.1.abs().max(1.0))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_arrival_order_gives_the_figures_of_time_order(
        steps in (0u32..3).prop_flat_map(steps),
        order in prop::collection::vec(any::<prop::sample::Index>(), 70),
        cuts in prop::collection::vec(1usize..12, 70),
    ) {
        let in_time_order = readings(&steps);
        // A shuffle: each reading in turn takes a place among the ones placed so far.
        let mut arrived: Vec<(i64, f64)> = Vec::new();
        for (reading, place) in in_time_order.iter().zip(&order) {
            arrived.insert(place.index(arrived.len() + 1), *reading);
        }
        let mut batches = Vec::new();
        let mut rest = arrived.as_slice();
        for &cut in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (batch, after) = rest.split_at(cut.min(rest.len()));
            batches.push(batch.to_vec());
            rest = after;
        }
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (hours, days) = runtime.block_on(figures(vec![in_time_order.clone()]));
        let (shuffled_hours, shuffled_days) = runtime.block_on(figures(batches.clone()));
        prop_assert!(same(&hours, &shuffled_hours), "hours\n  in order: {hours:?}\n  shuffled: {shuffled_hours:?}\n  batches: {batches:?}");
        prop_assert!(same(&days, &shuffled_days), "days\n  in order: {days:?}\n  shuffled: {shuffled_days:?}");
    }
}
