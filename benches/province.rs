//! A province on one embedded store: 50 offices × 40 meters (2 000 meters) × 3 years of
//! 15-minute readings, the first office generated through the store's bulk path (`xanh
//! simulate --into-store`) and the others copied from it in SQL, scaled, then the disk size, the ingest rate of a slice through the normal write path (QoS 1 to the
//! embedded broker, acknowledged after commit) and the p95 of the province's pages and
//! consumption queries. Run with `cargo bench --bench province`.
//!
//! The embedded store holds one office, so each of the province's offices is a department
//! here (its own 30 electricity sub-circuits, 8 water meters and 2 printer counters).
//! `XANH_PROVINCE_OFFICES` (default 50) scales the province down when generating the whole of
//! it takes too long; the store is kept in target/bench-data/province-<offices>.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use support::*;

const REQUESTS: usize = 40;
const YEARS: i64 = 3;

fn meters_of(office: usize) -> Vec<(String, &'static str, &'static str)> {
    let mut meters: Vec<_> = (0..30).map(|c| (format!("dien-{office}-{c}"), "electricity", "kWh")).collect();
    meters.extend((0..8).map(|c| (format!("nuoc-{office}-{c}"), "water", "m3")));
    meters.extend((0..2).map(|c| (format!("may-in-{office}-{c}"), "paper", "sheet")));
    meters
}

fn province_config(offices: usize, mqtt_port: u16, web_port: u16, store: &Path) -> String {
    let mut text = format!(
        "[office]\nname = \"Tỉnh đo hiệu năng\"\ntimezone = \"Asia/Ho_Chi_Minh\"\n\n\
         [web]\nlisten = \"127.0.0.1:{web_port}\"\n\n[mqtt]\nembedded = true\nlisten = \"127.0.0.1:{mqtt_port}\"\n\n\
         [store]\npath = \"{}\"\n\n",
        store.display()
    );
    for o in 0..offices {
        text += &format!(
            "[[departments]]\nid = \"van-phong-{o}\"\nname = \"Văn phòng {o}\"\nheadcount = {}\narea_m2 = {}.0\n\n",
            30 + o % 20,
            400 + 10 * o
        );
    }
    for o in 0..offices {
        for (id, resource, unit) in meters_of(o) {
            text += &format!(
                "[[meters]]\nid = \"{id}\"\nname = \"{id}\"\nresource = \"{resource}\"\ndepartment = \"van-phong-{o}\"\nkind = \"counter\"\nunit = \"{unit}\"\n\n"
            );
        }
    }
    text
}

/// Offices 1.. as copies of office 0's series (readings, hours, days, status), each scaled
/// by 1 + office/100 so that they rank apart: SQL copies rows at several times the rate of
/// generating and storing each reading, which would take hours for the whole province. The
/// meters table is emptied so that the service seeds it from the province's config.
fn copy_first_office(store: &Path, offices: usize) {
    let mut conn = rusqlite::Connection::open(store).unwrap();
    // No journal while copying (a failed run generates again): each row is written once.
    conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;").unwrap();
    let first: Vec<String> = meters_of(0).into_iter().map(|(id, _, _)| format!("'{id}'")).collect();
    let tables = [
        ("readings", "value"),
        ("consumption_hourly", "amount"),
        ("consumption_daily", "amount"),
        ("meter_status", "last_value"),
    ];
    let mut copies = Vec::new();
    for (table, scaled) in tables {
        let columns: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let select: Vec<String> = columns
            .iter()
            .map(|column| match column.as_str() {
                "meter" => "replace(meter, '-0-', '-' || ?1 || '-')".to_owned(),
                c if c == scaled => format!("{c} * ?2"),
                c => c.to_owned(),
            })
            .collect();
        copies.push(format!(
            "INSERT INTO {table} ({}) SELECT {} FROM {table} WHERE meter IN ({})",
            columns.join(", "),
            select.join(", "),
            first.join(", ")
        ));
    }
    for office in 1..offices {
        let tx = conn.transaction().unwrap();
        for sql in &copies {
            tx.execute(sql, rusqlite::params![office.to_string(), 1.0 + office as f64 / 100.0]).unwrap();
        }
        tx.commit().unwrap();
    }
    conn.execute_batch("DELETE FROM meters; DELETE FROM meta WHERE key = 'meters_seeded'; PRAGMA journal_mode = WAL;")
        .unwrap();
}

fn disk_mib(store: &Path) -> f64 {
    ["", "-wal"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", store.display())).ok())
        .map(|m| m.len() as f64)
        .sum::<f64>()
        / (1024.0 * 1024.0)
}

#[tokio::main]
async fn main() {
    let offices: usize = std::env::var("XANH_PROVINCE_OFFICES").ok().and_then(|v| v.parse().ok()).unwrap_or(50);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-data/province-{offices}"));
    std::fs::create_dir_all(&data).unwrap();
    let store = data.join("province.db");
    let (web_port, mqtt_port) = (free_port(), free_port());
    let config = data.join("province.toml");
    std::fs::write(&config, province_config(offices, mqtt_port, web_port, &store)).unwrap();

    let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    let now = jiff::Timestamp::now();
    let today = now.to_zoned(tz.clone()).date();
    let meters = offices * 40;
    println!("province: {offices} offices × 40 meters ({meters} meters) × {YEARS} years of 15-minute readings");
    let done = data.join("complete");
    if !done.exists() {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", store.display()));
        }
        let first_office = data.join("first-office.toml");
        std::fs::write(&first_office, province_config(1, mqtt_port, web_port, &store)).unwrap();
        let from = today.checked_sub(jiff::Span::new().days(365 * YEARS)).unwrap();
        let start = Instant::now();
        let status = Command::new(xanh_binary())
            .args(["simulate", "--into-store", "--no-live", "--interval", "15m"])
            .args(["--from", &from.to_string(), "--to", &today.to_string(), "--config"])
            .arg(&first_office)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let simulated = start.elapsed().as_secs_f64();
        let per_office = 40.0 * (365 * YEARS) as f64 * 96.0;
        println!(
            "  first office through the bulk path: {per_office:.0} readings in {simulated:.0} s ({:.0} readings/s)",
            per_office / simulated
        );
        let start = Instant::now();
        copy_first_office(&store, offices);
        let copied = start.elapsed().as_secs_f64();
        let others = per_office * (offices - 1) as f64;
        println!(
            "  the other {} offices copied from it: {others:.0} readings with their hours in {copied:.0} s ({:.0} readings/s)",
            offices - 1,
            others / copied
        );
        std::fs::write(&done, b"").unwrap();
    }
    println!(
        "  store on disk: {:.0} MiB ({:.2} MiB per meter-year)",
        disk_mib(&store),
        disk_mib(&store) / (meters as f64 * YEARS as f64)
    );

    let http = admin_client(&config, &[]);
    let xanh = start_xanh(&config, web_port, &[]);
    let base = format!("http://127.0.0.1:{web_port}");

    // Two slices through the normal write path, one after the other: 10 readings of every
    // meter a second apart after the latest stored one, each going on from the meter's last
    // stored value by a small step (a run adds them to the kept store). The first
    // slice meets a service that has just started (cold caches; on the first run also the
    // gap since the history's end to fill); the second one shows the steady rate.
    let listed: serde_json::Value =
        http.get(format!("{base}/api/v1/meters")).send().await.unwrap().json().await.unwrap();
    let listed = listed.get("meters").unwrap_or(&listed).as_array().cloned().unwrap_or_default();
    let last: std::collections::HashMap<String, f64> = listed
        .iter()
        .filter_map(|m| Some((m["id"].as_str()?.to_owned(), m["last_value"].as_f64().unwrap_or(0.0))))
        .collect();
    let latest = listed
        .iter()
        .filter_map(|m| m["last_reading_at"].as_str()?.parse::<jiff::Timestamp>().ok())
        .max()
        .unwrap_or(now - jiff::SignedDuration::from_mins(30));
    for (slice_index, name) in ["first slice", "second slice"].iter().enumerate() {
        let stored_before = ingest_counter(&http, web_port, "stored").await;
        let mut slice = Vec::new();
        for i in 0..10 {
            let second = slice_index as i64 * 10 + i;
            let ts = latest + jiff::SignedDuration::from_secs(second + 1);
            for o in 0..offices {
                for (id, _, _) in meters_of(o) {
                    let value = last.get(&id).copied().unwrap_or(0.0) + 0.0001 * (second + 1) as f64;
                    let payload = format!(r#"{{"value": {value}, "ts": "{ts}"}}"#);
                    slice.push((format!("xanh/{id}/reading"), payload.into_bytes()));
                }
            }
        }
        let total = slice.len() as u64;
        let start = Instant::now();
        publish_all(mqtt_port, &format!("province-{slice_index}"), slice).await;
        let seconds = start.elapsed().as_secs_f64();
        let stored = ingest_counter(&http, web_port, "stored").await - stored_before;
        println!(
            "  ingest, {name}, embedded broker (QoS 1, ack after commit): {total} readings in {seconds:.2} s ({:.0} readings/s), {stored} stored",
            total as f64 / seconds
        );
    }

    let month = today.first_of_month();
    let year_ago = month.checked_sub(jiff::Span::new().months(11)).unwrap();
    let next_month = month.checked_add(jiff::Span::new().months(1)).unwrap();
    let year = today.year();
    let cases = [
        ("page / (overview)".to_owned(), format!("{base}/")),
        ("page /departments (the offices ranked)".to_owned(), format!("{base}/departments")),
        ("page /offices".to_owned(), format!("{base}/offices")),
        (format!("page /scores?period={year}"), format!("{base}/scores?period={year}")),
        (
            "year by month, whole province, electricity".to_owned(),
            format!("{base}/api/v1/consumption?resource=electricity&from={year_ago}&to={next_month}&step=month"),
        ),
        (
            "month by hour, whole province, electricity".to_owned(),
            format!("{base}/api/v1/consumption?resource=electricity&from={month}&to={next_month}&step=hour"),
        ),
    ];
    // The first request reads its figures from the store (nothing kept yet); the rest are
    // answered from the figures kept until a write touches them.
    println!("  first request of each, figures read from the store:");
    for (name, url) in &cases {
        let start = Instant::now();
        let response = http.get(url).send().await.unwrap();
        assert!(response.status().is_success(), "{url}: {}", response.status());
        response.bytes().await.unwrap();
        println!("    {name:<46} {:>8.1} ms", start.elapsed().as_secs_f64() * 1000.0);
    }
    println!("  server time over {REQUESTS} sequential requests each:");
    for (name, url) in &cases {
        let (median, p95, bytes) = measure(&http, url, REQUESTS).await;
        println!("    {name:<46} median {median:>8.1} ms   p95 {p95:>8.1} ms   {bytes:>8} bytes");
    }
    println!("  Xanh peak RSS during the run: {:.1} MiB", xanh.peak_rss_mib());
}
