//! One round of the alert engine on the demo office: every rule over four weeks of readings
//! every 15 minutes in a real SQLite store, evaluated at the end (with the demo's leak and the
//! department that leaves its lights on, so that alerts are found and updated). Run with
//! `cargo bench --bench alerts`; docs/benchmarks.md keeps the figures.

use std::sync::Arc;
use std::time::Instant;

use jiff::SignedDuration;
use xanh::alerts::Alerts;
use xanh::config::{BUILT_IN_DEFAULT, Config};
use xanh::domain::{Origin, Source};
use xanh::ingest::Pipeline;
use xanh::ingest::formats::RawValue;
use xanh::ingest::mqtt::IngestStatus;
use xanh::simulate::Model;
use xanh::store::{self, AlertBook, StoreReads};

const ROUNDS: usize = 30;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("xanh.db").display().to_string();
    let text = format!(
        "{BUILT_IN_DEFAULT}\n[[tariffs]]\nresource = \"water\"\nfrom = \"2025-01-01\"\nprice_vnd = 15000.0\nper = \"m3\"\n"
    );
    let config = Arc::new(
        Config::parse("bench.toml", &text, &|name| (name == "XANH_STORE_PATH").then(|| path.clone())).unwrap(),
    );
    let store = store::open(&config).unwrap().store;
    xanh::store::Accounts::open(config.store.embedded_path()).unwrap();
    let book = Arc::new(AlertBook::open(config.store.embedded_path()).unwrap());
    let alerts = Alerts::new(
        Arc::clone(&config),
        Arc::clone(&store) as Arc<dyn StoreReads>,
        book,
        Arc::new(IngestStatus::default()),
        None,
    )
    .unwrap();

    // Four weeks up to a Thursday noon, the leak running its last week.
    let tz = config.office.timezone.clone();
    let end = jiff::civil::date(2026, 11, 12).at(12, 0, 0, 0).to_zoned(tz).unwrap().timestamp();
    let start = end - SignedDuration::from_hours(28 * 24);
    let mut model = Model::new(&config, 7).demo(jiff::civil::date(2026, 11, 5));
    let pipeline = Pipeline::new(&config.meters, config.ingest, config.office.timezone.clone());
    let mut clock = start;
    let mut written = 0;
    while clock < end {
        // A reading per meter every 15 minutes, written a day at a time.
        let mut day = Vec::new();
        for _ in 0..96 {
            let next = clock + SignedDuration::from_mins(15);
            day.extend(model.advance(clock, next));
            clock = next;
        }
        let batch: Vec<_> = day
            .into_iter()
            .map(|r| {
                let meter = config.meter(&r.meter).unwrap();
                let origin =
                    Origin { source: Source::Mqtt, received_at: r.ts, topic: None, payload: Vec::new(), sender: None };
                pipeline.validate(meter, RawValue { value: r.value, ts: Some(r.ts), period_start: None }, origin)
            })
            .collect();
        written += batch.len();
        store.write(batch).await.unwrap();
    }

    let first = alerts.evaluate(end).await.unwrap();
    let mut times = Vec::with_capacity(ROUNDS);
    for i in 0..ROUNDS {
        let at = end + SignedDuration::from_secs(i as i64 + 1);
        let started = Instant::now();
        alerts.evaluate(at).await.unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let median = times[ROUNDS / 2];
    let p95 = times[(ROUNDS * 95).div_ceil(100) - 1];
    println!(
        "alert round, demo office ({} meters, {written} readings over 4 weeks, {} alerts active after the first round)",
        config.meters.len(),
        first.raised.len()
    );
    println!("  one round (every rule)   median {median:>8.2} ms   p95 {p95:>8.2} ms   ({ROUNDS} rounds)");
}
