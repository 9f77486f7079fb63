//! `xanh migrate --to influxdb`, the real command, copying an office's history from its
//! embedded store into a real server that takes InfluxDB's v2 write API (VictoriaMetrics;
//! InfluxDB 2 itself cannot be installed here): stopped with Ctrl-C half way, it goes on from
//! where it stopped; every reading and every hour of consumption arrives with its tags.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::VictoriaMetrics;
use xanh::config::Config;
use xanh::domain::TimeRange;
use xanh::store::{Resolution, SqliteStore, StoreReads};

const METERS: [&str; 3] = ["dien-tong", "dien-a", "nuoc-tong"];
/// Readings per meter, a quarter of an hour apart from 01/11/2026 00:00 local.
const PER_METER: usize = 400;

fn office() -> String {
    common::OFFICE.replacen("[office]\n", "[office]\nid = \"vp-thu\"\n", 1)
}

fn sqlite_config(db: &Path) -> String {
    format!("{}\n[store]\npath = \"{}\"\n", office(), db.display())
}

fn influx_config(db: &Path, vm: &VictoriaMetrics) -> String {
    format!(
        "{}\n[store]\nbackend = \"influxdb\"\nurl = \"{}\"\norg = \"vp\"\nbucket = \"xanh\"\npath = \"{}\"\n",
        office(),
        vm.url(),
        db.display()
    )
}

/// A history imported with `xanh import` while the office ran on the embedded store.
fn import_history(dir: &Path, config: &Path) {
    let start: jiff::Timestamp = "2026-11-01T00:00:00+07:00".parse().unwrap();
    let mut csv = String::from("meter,ts,value\n");
    for (m, meter) in METERS.iter().enumerate() {
        for i in 0..PER_METER {
            let ts = start + jiff::SignedDuration::from_mins(15 * i as i64);
            csv += &format!("{meter},{ts},{}\n", 1000.0 * m as f64 + 0.5 * i as f64);
        }
    }
    let file = dir.join("history.csv");
    std::fs::write(&file, csv).unwrap();
    let out = Command::new(common::binary())
        .args(["import", "--entered-by", "Chị Lan"])
        .arg(&file)
        .arg("--config")
        .arg(config)
        .output()
        .unwrap();
    assert!(out.status.success(), "import: {}", String::from_utf8_lossy(&out.stderr));
}

fn migrate(config: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(common::binary());
    command
        .args(["migrate", "--to", "influxdb"])
        .args(args)
        .arg("--config")
        .arg(config)
        .env("XANH_INFLUXDB_TOKEN", "test-token");
    command
}

/// `(series labels → {time → values})` of a metric, as VictoriaMetrics exports it.
async fn points(vm: &VictoriaMetrics, metric: &str) -> BTreeMap<String, BTreeMap<i64, BTreeSet<u64>>> {
    let mut all = BTreeMap::new();
    for series in vm.export(&format!("{{__name__=\"{metric}\"}}")).await {
        let samples: &mut BTreeMap<i64, BTreeSet<u64>> =
            all.entry(series["metric"]["meter"].as_str().unwrap().to_owned()).or_default();
        let times = series["timestamps"].as_array().unwrap();
        for (t, v) in times.iter().zip(series["values"].as_array().unwrap()) {
            // A point sent twice (the batch in flight at Ctrl-C) is two samples here; InfluxDB
            // keeps one. Same value, so a set of the bits.
            samples.entry(t.as_i64().unwrap()).or_default().insert(v.as_f64().unwrap().to_bits());
        }
    }
    all
}

fn count(points: &BTreeMap<String, BTreeMap<i64, BTreeSet<u64>>>) -> usize {
    points.values().map(|s| s.len()).sum()
}

/// Wait until VictoriaMetrics shows `expected` distinct points of `metric`.
async fn settled(
    vm: &VictoriaMetrics,
    metric: &str,
    expected: usize,
) -> BTreeMap<String, BTreeMap<i64, BTreeSet<u64>>> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let points = points(vm, metric).await;
        if count(&points) == expected {
            return points;
        }
        assert!(Instant::now() < deadline, "{metric}: {} points, not {expected}", count(&points));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn copied(stdout: &str) -> (u64, u64) {
    let line = stdout.lines().find(|l| l.contains("copied")).unwrap_or_else(|| panic!("no summary: {stdout}"));
    let numbers: Vec<u64> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    (numbers[0], numbers[1])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_is_copied_with_its_tags_and_a_stopped_copy_goes_on_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("xanh.db");
    let sqlite = dir.path().join("sqlite.toml");
    std::fs::write(&sqlite, sqlite_config(&db)).unwrap();
    import_history(dir.path(), &sqlite);

    let vm = VictoriaMetrics::start();
    let influx = dir.path().join("influx.toml");
    std::fs::write(&influx, influx_config(&db, &vm)).unwrap();

    // What the embedded store holds: the hours the copy must reproduce.
    let config = Config::parse("influx.toml", &std::fs::read_to_string(&influx).unwrap(), &|name| {
        (name == "XANH_INFLUXDB_TOKEN").then(|| "test-token".to_owned())
    })
    .unwrap();
    let journal = SqliteStore::open(
        config.store.embedded_path(),
        &config.office.timezone,
        &config.office.timezone_name,
        &config.meters,
    )
    .unwrap();
    let range =
        TimeRange::new("2026-10-01T00:00:00Z".parse().unwrap(), "2026-12-01T00:00:00Z".parse().unwrap()).unwrap();
    let mut hours: BTreeMap<String, BTreeMap<i64, f64>> = BTreeMap::new();
    for meter in METERS {
        let rows = journal.consumption(vec![meter.parse().unwrap()], range, Resolution::Hour).await.unwrap();
        hours.insert(meter.to_owned(), rows.into_iter().collect());
    }
    drop(journal);
    let total_hours: usize = hours.values().map(|h| h.len()).sum();
    let total_readings = METERS.len() * PER_METER;

    // One point a write, so that the copy is still going when Ctrl-C comes.
    let mut first = migrate(&influx, &["--batch", "1"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = first.stderr.take().unwrap();
    let mut seen = String::new();
    let mut byte = [0u8; 1];
    // A whole progress line (ended by the next \r) showing that some readings were copied.
    let started = |seen: &str| {
        let lines: Vec<&str> = seen.split('\r').collect();
        lines[..lines.len() - 1]
            .iter()
            .any(|line| line.starts_with("migrate: readings: ") && !line.starts_with("migrate: readings: 0 "))
    };
    while !started(&seen) {
        assert_eq!(stderr.read(&mut byte).unwrap(), 1, "migrate ended before copying anything: {seen}");
        seen.push(byte[0] as char);
    }
    let interrupted = Command::new("kill").args(["-INT", &first.id().to_string()]).status().unwrap();
    assert!(interrupted.success());
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let out = first.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}{seen}{rest}");
    assert!(stdout.contains("stopped; run the same command again"), "{stdout}");
    let (readings_before, hours_before) = copied(&stdout);
    assert!(readings_before > 0 && (readings_before as usize) < total_readings, "{stdout}");
    assert_eq!(hours_before, 0, "readings come first: {stdout}");

    // Again: it goes on from where it stopped, and copies the hours too.
    let out = migrate(&influx, &["--batch", "250"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let (readings_after, hours_after) = copied(&stdout);
    assert_eq!(readings_before + readings_after, total_readings as u64, "resumed, not started over: {stdout}");
    assert_eq!(hours_after as usize, total_hours);

    let readings = settled(&vm, "reading_value", total_readings).await;
    let start_ms = "2026-11-01T00:00:00+07:00".parse::<jiff::Timestamp>().unwrap().as_millisecond();
    for (m, meter) in METERS.iter().enumerate() {
        let expected: BTreeMap<i64, BTreeSet<u64>> = (0..PER_METER)
            .map(|i| (start_ms + 900_000 * i as i64, BTreeSet::from([(1000.0 * m as f64 + 0.5 * i as f64).to_bits()])))
            .collect();
        assert_eq!(readings[*meter], expected, "{meter}'s readings");
    }
    let consumption = settled(&vm, "consumption_consumption", total_hours).await;
    for meter in METERS {
        let written: BTreeMap<i64, f64> =
            consumption[meter].iter().map(|(t, v)| (*t, f64::from_bits(*v.iter().next().unwrap()))).collect();
        assert_eq!(written.len(), hours[meter].len(), "{meter}");
        for (hour, amount) in &hours[meter] {
            // VictoriaMetrics keeps 12 significant digits.
            assert!(
                (written[hour] - amount).abs() <= 1e-9 * amount.abs().max(1.0),
                "{meter} at {hour}: {} ≠ {amount}",
                written[hour]
            );
        }
    }
    let labels = vm.export(r#"{__name__="consumption_consumption",meter="dien-a"}"#).await;
    assert_eq!(labels[0]["metric"]["office"], "vp-thu");
    assert_eq!(labels[0]["metric"]["department"], "phong-a");
    assert_eq!(labels[0]["metric"]["parent"], "dien-tong", "a sub-meter names its parent");

    // Nothing left: a third run copies nothing; --from-start copies everything again.
    let out = migrate(&influx, &[]).output().unwrap();
    assert_eq!(copied(&String::from_utf8_lossy(&out.stdout)), (0, 0));
    let out = migrate(&influx, &["--from-start"]).output().unwrap();
    assert_eq!(copied(&String::from_utf8_lossy(&out.stdout)), (total_readings as u64, total_hours as u64));
}

#[test]
fn migrate_refuses_a_config_without_influxdb_and_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("sqlite.toml");
    std::fs::write(&sqlite, sqlite_config(&dir.path().join("xanh.db"))).unwrap();
    let out = migrate(&sqlite, &[]).output().unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("store.backend")
            && said.contains("backend = \"influxdb\"")
            && said.contains("XANH_INFLUXDB_TOKEN"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meter_added_in_the_web_app_is_copied_with_its_tags() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("xanh.db");
    let text = common::office_config_text(&office(), &common::embedded_mqtt(), &db);
    let app = common::spawn_app_from(&text, dir).await;
    let meter = serde_json::json!({
        "id": "nuoc-b", "name": "Đồng hồ nước Phòng B", "resource": "water", "department": "phong-b",
        "kind": "counter", "unit": "m3"
    });
    let (status, added) = common::send(app.http.post(app.url("/api/v1/meters")).json(&meter)).await;
    assert_eq!(status, 201, "{added}");
    let rows = serde_json::json!([
        {"meter": "nuoc-b", "value": 10, "ts": "2026-11-02T08:00:00+07:00"},
        {"meter": "nuoc-b", "value": 13, "ts": "2026-11-02T10:00:00+07:00"},
    ]);
    let (_, report) = common::send(app.http.post(app.url("/api/v1/readings")).json(&rows)).await;
    assert_eq!(report["stored"], 2, "{report}");
    let dir = app.dir_and_stop().await;

    let vm = VictoriaMetrics::start();
    let influx = dir.path().join("influx.toml");
    std::fs::write(&influx, influx_config(&db, &vm)).unwrap();
    let out = migrate(&influx, &[]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(!stdout.contains("left behind"), "{stdout}");
    let readings = settled(&vm, "reading_value", 2).await;
    assert_eq!(readings["nuoc-b"].len(), 2, "{readings:?}");
}
