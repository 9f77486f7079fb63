//! Retention's effect on the store's size: 10 meters × 1 year of one-minute readings written
//! by `xanh simulate --into-store`, then thinned as `store.keep_raw_readings_days` does, in
//! bytes per meter-year. Run with `cargo bench --bench retention`.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use support::*;
use xanh::config::Config;
use xanh::store::{SqliteStore, Store};

const METERS: usize = 10;

/// One department with 7 electricity meters, 2 water meters and a printer counter.
fn config(store: &Path) -> String {
    let mut text = format!(
        "[office]\nname = \"Văn phòng đo dung lượng\"\ntimezone = \"Asia/Ho_Chi_Minh\"\n\n\
         [web]\nlisten = \"127.0.0.1:0\"\n\n[mqtt]\nembedded = true\nlisten = \"127.0.0.1:0\"\n\n\
         [store]\npath = \"{}\"\n\n[[departments]]\nid = \"phong-0\"\nname = \"Phòng 0\"\nheadcount = 8\narea_m2 = 100.0\n\n",
        store.display()
    );
    let meters = (0..7)
        .map(|c| (format!("dien-{c}"), "electricity", "kWh"))
        .chain((0..2).map(|c| (format!("nuoc-{c}"), "water", "m3")))
        .chain([("may-in".to_owned(), "paper", "sheet")]);
    for (id, resource, unit) in meters {
        text += &format!(
            "[[meters]]\nid = \"{id}\"\nname = \"{id}\"\nresource = \"{resource}\"\ndepartment = \"phong-0\"\nkind = \"counter\"\nunit = \"{unit}\"\n\n"
        );
    }
    text
}

/// Bytes the store's pages hold (free pages left out) and the readings in it.
fn used(store: &Path) -> (u64, u64) {
    let conn = rusqlite::Connection::open(store).unwrap();
    let number = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as u64;
    let pages = number("SELECT page_count - freelist_count FROM pragma_page_count, pragma_freelist_count");
    (pages * number("PRAGMA page_size"), number("SELECT count(*) FROM readings"))
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("year.db");
    let config_file = dir.path().join("xanh.toml");
    let text = config(&store);
    std::fs::write(&config_file, &text).unwrap();
    let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    let today = jiff::Timestamp::now().to_zoned(tz).date();
    let from = today.checked_sub(jiff::Span::new().days(365)).unwrap();
    let status = Command::new(xanh_binary())
        .args(["simulate", "--into-store", "--no-live", "--interval", "1m"])
        .args(["--from", &from.to_string(), "--to", &today.to_string(), "--config"])
        .arg(&config_file)
        .status()
        .unwrap();
    assert!(status.success());
    let (before, readings_before) = used(&store);

    let config = Config::parse("xanh.toml", &text, &|_| None).unwrap();
    let sqlite =
        SqliteStore::open(&store, &config.office.timezone, &config.office.timezone_name, &config.meters).unwrap();
    let start = Instant::now();
    let thinned = sqlite.thin_readings(jiff::Timestamp::now()).await.unwrap();
    let took = start.elapsed().as_secs_f64();
    drop(sqlite);
    let (after, readings_after) = used(&store);
    rusqlite::Connection::open(&store).unwrap().execute_batch("VACUUM").unwrap();
    let file_after = std::fs::metadata(&store).unwrap().len();

    let mib = |bytes: u64| bytes as f64 / 1024.0 / 1024.0 / METERS as f64;
    println!("{METERS} meters × 1 year of one-minute readings ({from} → {today})");
    println!("  before thinning: {readings_before} readings, {:.1} MiB per meter-year", mib(before));
    println!(
        "  thinned in {took:.1} s: {} readings removed, {readings_after} left, {:.1} MiB per meter-year ({:.1} MiB after VACUUM)",
        thinned.removed,
        mib(after),
        mib(file_after)
    );
}
