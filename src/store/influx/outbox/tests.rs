//! The outbox's unit tests: what a write commits to it, and how the drainer sends it.

use super::*;
use crate::config::{Config, MeterSpec, StoreConfig, check_meters};
use crate::domain::{Correction, Incoming, MeterId, Origin, Reading, Source};
use crate::store::{InfluxStore, Resolution, Store, StoreReads};

/// An office with one electricity meter of a department and one building water meter,
/// writing to an InfluxDB that nothing answers (nothing is sent in these tests).
fn open(dir: &tempfile::TempDir) -> (InfluxStore, Config) {
    let text = format!(
        "[office]\nid = \"vp-thu\"\nname = \"X\"\n\
         [store]\nbackend = \"influxdb\"\nurl = \"http://127.0.0.1:9\"\norg = \"vp\"\nbucket = \"xanh\"\npath = \"{}\"\n\
         [[departments]]\nid = \"phong-a\"\nname = \"A\"\nheadcount = 1\narea_m2 = 10.0\n\
         [[meters]]\nid = \"dien-a\"\nname = \"a\"\nresource = \"electricity\"\ndepartment = \"phong-a\"\nkind = \"counter\"\nunit = \"kWh\"\n",
        dir.path().join("x.db").display()
    );
    let config =
        Config::parse("t.toml", &text, &|name| (name == "XANH_INFLUXDB_TOKEN").then(|| "t".to_owned())).unwrap();
    let StoreConfig::Influx(influx) = &config.store else { unreachable!() };
    let store =
        InfluxStore::open(influx, &config.office.timezone, &config.office.timezone_name, &config.meters).unwrap();
    (store, config)
}

fn reading(value: f64, at: &str) -> Incoming {
    reading_of("dien-a", value, at)
}

fn reading_of(meter: &str, value: f64, at: &str) -> Incoming {
    let ts: Timestamp = at.parse().unwrap();
    Incoming::Reading(
        Reading {
            meter: meter.parse().unwrap(),
            ts,
            ts_assumed: false,
            value,
            period_start: None,
            source: Source::Mqtt,
            entered_by: None,
            cost_vnd: None,
        },
        Origin { source: Source::Mqtt, received_at: ts, topic: None, payload: Vec::new(), sender: None },
    )
}

fn lines(store: &InfluxStore) -> Vec<String> {
    store.outbox.next_batch(1000).unwrap().lines
}

/// Take everything waiting as sent.
fn send_all(store: &InfluxStore) {
    store.outbox.forget(&store.outbox.next_batch(1000).unwrap(), None).unwrap();
}

/// Run a drainer sending to `url`, `batch_size` points a request, until the outbox is empty.
async fn drain(store: &InfluxStore, url: String, batch_size: usize) {
    let drainer = Drainer {
        outbox: Arc::clone(&store.outbox),
        client: influxdb2::Client::new(url, "vp", "t"),
        bucket: "xanh".into(),
        batch_size,
        timeout: Duration::from_secs(5),
        status: store.status(),
        wake: Arc::new(Notify::new()),
    };
    let (stop, shutdown) = watch::channel(false);
    let task = tokio::spawn(drainer.run(shutdown));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while store.outbox.backlog().unwrap().pending > 0 {
        assert!(std::time::Instant::now() < deadline, "the outbox did not empty: {:?}", store.status().snapshot());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send_replace(true);
    tokio::time::timeout(Duration::from_secs(5), task).await.expect("the drainer stops when asked").unwrap();
}

const TAGS: &str = "department=phong-a,meter=dien-a,office=vp-thu,resource=electricity";

#[tokio::test]
async fn a_meter_added_after_opening_is_sent_with_its_tags() {
    let dir = tempfile::tempdir().unwrap();
    let (store, config) = open(&dir);
    let added = MeterSpec { id: "dien-b".into(), topic: None, ..config.meter_specs[0].clone() };
    let specs = [config.meter_specs[0].clone(), added.clone()];
    let meter = check_meters(&specs, &["phong-a".parse().unwrap()]).unwrap().remove(1);
    store.put_meter(added, meter, None).await.unwrap();
    store
        .write(vec![
            reading_of("dien-b", 1.0, "2026-11-02T00:00:00Z"),
            reading_of("dien-b", 2.0, "2026-11-02T01:00:00Z"),
        ])
        .await
        .unwrap();
    let sent = lines(&store);
    let tags = "department=phong-a,meter=dien-b,office=vp-thu,resource=electricity";
    assert!(!sent.is_empty() && sent.iter().all(|l| l.contains(tags)), "{sent:#?}");
}

#[tokio::test]
async fn a_write_commits_its_readings_and_changed_hours_to_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(&dir);
    // 10 kWh from 00:30 to 02:30 UTC: 2,5 + 5 + 2,5 over three hours.
    store.write(vec![reading(100.0, "2026-11-02T00:30:00Z"), reading(110.0, "2026-11-02T02:30:00Z")]).await.unwrap();
    let h = |hour: u32| Timestamp::from_second(1_793_577_600 + i64::from(hour) * 3600).unwrap().as_millisecond();
    assert_eq!(h(0), "2026-11-02T00:00:00Z".parse::<Timestamp>().unwrap().as_millisecond());
    assert_eq!(
        lines(&store),
        vec![
            format!("reading,{TAGS} value=100 {}", h(0) + 1_800_000),
            format!("reading,{TAGS} value=110 {}", h(2) + 1_800_000),
            format!("consumption,{TAGS} consumption=2.5 {}", h(0)),
            format!("consumption,{TAGS} consumption=5 {}", h(1)),
            format!("consumption,{TAGS} consumption=2.5 {}", h(2)),
        ]
    );
    let backlog = store.outbox.backlog().unwrap();
    assert_eq!((backlog.pending, backlog.dead_letters), (5, 0));
    assert!(backlog.oldest_enqueued_at.is_some());

    // The same readings again change nothing, so nothing more waits.
    store.write(vec![reading(100.0, "2026-11-02T00:30:00Z")]).await.unwrap();
    assert_eq!(store.outbox.backlog().unwrap().pending, 5);
}

#[tokio::test]
async fn a_late_reading_that_changes_no_hour_sends_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(&dir);
    store.write(vec![reading(100.0, "2026-11-02T00:30:00Z"), reading(110.0, "2026-11-02T02:30:00Z")]).await.unwrap();
    send_all(&store);

    // 105 at 01:30 lies on the line between the two: the hours stay 2.5, 5 and 2.5, and
    // InfluxDB already has them.
    let late: Timestamp = "2026-11-02T01:30:00Z".parse().unwrap();
    store.write(vec![reading(105.0, "2026-11-02T01:30:00Z")]).await.unwrap();
    assert_eq!(lines(&store), vec![format!("reading,{TAGS} value=105 {}", late.as_millisecond())]);

    // One that does change them sends the hours it changed, and only those.
    send_all(&store);
    store.write(vec![reading(112.0, "2026-11-02T03:30:00Z")]).await.unwrap();
    let h3 = "2026-11-02T03:00:00Z".parse::<Timestamp>().unwrap().as_millisecond();
    assert_eq!(
        lines(&store),
        vec![
            format!("reading,{TAGS} value=112 {}", h3 + 1_800_000),
            format!("consumption,{TAGS} consumption=3.5 {}", h3 - 3_600_000),
            format!("consumption,{TAGS} consumption=1 {}", h3),
        ]
    );
}

#[tokio::test]
async fn an_hour_rewritten_by_several_writes_waits_once_with_its_latest_amount() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(&dir);
    // Three writes, each a reading further into hour 00: the hour is 1, then 3, then 6.
    for (value, at) in [(100.0, "2026-11-02T00:00:00Z"), (101.0, "2026-11-02T00:10:00Z")] {
        store.write(vec![reading(value, at)]).await.unwrap();
    }
    store.write(vec![reading(103.0, "2026-11-02T00:20:00Z")]).await.unwrap();
    store.write(vec![reading(106.0, "2026-11-02T00:30:00Z")]).await.unwrap();
    let h0 = "2026-11-02T00:00:00Z".parse::<Timestamp>().unwrap().as_millisecond();
    let hours: Vec<String> = lines(&store).into_iter().filter(|l| l.starts_with("consumption,")).collect();
    assert_eq!(hours, vec![format!("consumption,{TAGS} consumption=6 {h0}")]);
    assert_eq!(store.outbox.backlog().unwrap().pending, 5, "four readings and one hour");
}

/// Everything the outbox table holds, in bytes, whatever its columns.
fn outbox_bytes(store: &InfluxStore) -> usize {
    store
        .outbox
        .with(|c| {
            let mut rows = c.prepare("SELECT * FROM influx_outbox")?;
            let columns = rows.column_count();
            let mut rows = rows.query([])?;
            let mut bytes = 0;
            while let Some(row) = rows.next()? {
                for i in 0..columns {
                    bytes += match row.get_ref(i)? {
                        rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => t.len(),
                        rusqlite::types::ValueRef::Null => 0,
                        _ => 8,
                    };
                }
            }
            Ok(bytes)
        })
        .unwrap()
}

#[tokio::test]
async fn a_write_keeps_its_readings_in_the_outbox_by_reference_in_a_few_bytes_each() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(&dir);
    let start: Timestamp = "2026-11-02T00:00:00Z".parse().unwrap();
    let batch: Vec<Incoming> = (0..600_i64)
        .map(|i| {
            let at = start + jiff::SignedDuration::from_mins(i);
            reading(1000.0 + 0.25 * i as f64, &at.to_string())
        })
        .collect();
    store.write(batch).await.unwrap();
    // A line of line protocol is about 100 bytes; the ingest transaction commits a key.
    let per_reading = outbox_bytes(&store) as f64 / 600.0;
    assert!(per_reading < 12.0, "{per_reading:.1} bytes a reading in the outbox");
    // And the drainer sends them all, with their values, then the 10 hours they fill.
    let sent = lines(&store);
    assert_eq!(sent.len(), 610, "{:#?}", &sent[..3]);
    assert_eq!(
        sent[599],
        format!("reading,{TAGS} value=1149.75 {}", (start + jiff::SignedDuration::from_mins(599)).as_millisecond())
    );
    assert_eq!(store.outbox.backlog().unwrap().pending, 610);
}

#[tokio::test]
async fn late_readings_between_stored_ones_send_only_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(&dir);
    let stored = ["00:00", "00:10", "00:20", "00:30"];
    store
        .write(
            stored
                .iter()
                .enumerate()
                .map(|(i, m)| reading(100.0 + 10.0 * i as f64, &format!("2026-11-02T{m}:00Z")))
                .collect(),
        )
        .await
        .unwrap();
    send_all(&store);
    // Two late readings with stored ones between them, and one far later, in one write.
    store
        .write(vec![
            reading(105.0, "2026-11-02T00:05:00Z"),
            reading(125.0, "2026-11-02T00:25:00Z"),
            reading(180.0, "2026-11-02T05:00:00Z"),
        ])
        .await
        .unwrap();
    let at = |m: &str| format!("2026-11-02T{m}:00Z").parse::<Timestamp>().unwrap().as_millisecond();
    let readings: Vec<String> = lines(&store).into_iter().filter(|l| l.starts_with("reading,")).collect();
    assert_eq!(
        readings,
        vec![
            format!("reading,{TAGS} value=105 {}", at("00:05")),
            format!("reading,{TAGS} value=125 {}", at("00:25")),
            format!("reading,{TAGS} value=180 {}", at("05:00")),
        ]
    );
}

#[tokio::test]
async fn a_reading_corrected_or_removed_before_it_is_sent_goes_as_the_journal_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(&dir);
    store
        .write(vec![
            reading(100.0, "2026-11-02T00:30:00Z"),
            reading(110.0, "2026-11-02T02:30:00Z"),
            reading(111.0, "2026-11-02T03:30:00Z"),
        ])
        .await
        .unwrap();
    let meter: MeterId = "dien-a".parse().unwrap();
    let corrected: Timestamp = "2026-11-02T02:30:00Z".parse().unwrap();
    let removed: Timestamp = "2026-11-02T00:30:00Z".parse().unwrap();
    store
        .correct(Correction::new(meter.clone(), corrected, Some(104.0), "Chị Lan", "đọc nhầm").unwrap(), None)
        .await
        .unwrap();
    store.correct(Correction::new(meter, removed, None, "Chị Lan", "công tơ lắp nhầm").unwrap(), None).await.unwrap();
    let sent = lines(&store);
    let readings: Vec<&String> = sent.iter().filter(|l| l.starts_with("reading,")).collect();
    // InfluxDB never gets the wrong value nor the removed reading, only what the journal holds.
    assert!(readings.iter().all(|l| !l.contains(" value=110 ") && !l.contains(" value=100 ")), "{readings:#?}");
    assert!(readings.contains(&&format!("reading,{TAGS} value=104 {}", corrected.as_millisecond())), "{readings:#?}");
    assert!(readings.iter().any(|l| l.contains(" value=111 ")), "{readings:#?}");
    send_all(&store);
    assert_eq!(store.outbox.backlog().unwrap().pending, 0);
}

#[tokio::test]
async fn readings_thinned_by_the_retention_before_they_are_sent_are_not_sent_and_their_hours_are() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(&dir);
    let minutes = ["00:00", "00:10", "00:20", "00:30", "00:40", "00:50", "01:00", "01:10"];
    let batch =
        minutes.iter().enumerate().map(|(i, m)| reading(100.0 + i as f64, &format!("2026-11-02T{m}:00Z"))).collect();
    store.write(batch).await.unwrap();
    let thinned = store.thin_readings("2026-11-02T01:00:00Z".parse().unwrap()).await.unwrap();
    assert!(thinned.removed > 0, "{thinned:?}");
    let sent = lines(&store);
    let readings = sent.iter().filter(|l| l.starts_with("reading,")).count();
    assert_eq!(readings as u64, minutes.len() as u64 - thinned.removed, "{sent:#?}");
    let h0 = "2026-11-02T00:00:00Z".parse::<Timestamp>().unwrap().as_millisecond();
    assert!(sent.contains(&format!("consumption,{TAGS} consumption=6 {h0}")), "{sent:#?}");
}

#[tokio::test]
async fn rows_of_lines_committed_before_the_upgrade_are_sent_first_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(&dir);
    let old = ["reading,meter=dien-a,office=vp-thu value=1 1000", "reading,meter=dien-a,office=vp-thu value=2 2000"];
    store
        .outbox
        .with(|c| {
            c.execute("INSERT INTO influx_outbox (line, points, enqueued_at) VALUES (?1, 2, 0)", [old.join("\n")])
        })
        .unwrap();
    store.write(vec![reading(100.0, "2026-11-02T00:30:00Z")]).await.unwrap();
    let new =
        format!("reading,{TAGS} value=100 {}", "2026-11-02T00:30:00Z".parse::<Timestamp>().unwrap().as_millisecond());
    assert_eq!(lines(&store), vec![old[0].to_owned(), old[1].to_owned(), new.clone()]);
    assert_eq!(store.outbox.backlog().unwrap().pending, 3);
    // Sent in part, the old row keeps its second line for the next batch.
    let first = store.outbox.next_batch(1).unwrap();
    store.outbox.forget(&first, None).unwrap();
    assert_eq!(lines(&store), vec![old[1].to_owned(), new]);
    assert_eq!(store.outbox.backlog().unwrap().pending, 2);
}

#[tokio::test]
async fn a_correction_sends_the_new_value_and_every_hour_it_changed() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(&dir);
    store.write(vec![reading(100.0, "2026-11-02T00:30:00Z"), reading(110.0, "2026-11-02T02:30:00Z")]).await.unwrap();
    send_all(&store);

    let meter = "dien-a".parse().unwrap();
    let at: Timestamp = "2026-11-02T02:30:00Z".parse().unwrap();
    store.correct(Correction::new(meter, at, Some(104.0), "Chị Lan", "đọc nhầm").unwrap(), None).await.unwrap();
    let after = lines(&store);
    assert!(after.contains(&format!("reading,{TAGS} value=104 {}", at.as_millisecond())), "{after:#?}");
    // 4 kWh now: 1 + 2 + 1; every hour carries its new amount, as the journal has it.
    let hours: Vec<(i64, f64)> = after
        .iter()
        .filter(|l| l.starts_with("consumption,"))
        .map(|l| {
            let mut parts = l.rsplit(' ');
            let ts = parts.next().unwrap().parse().unwrap();
            let amount = parts.next().unwrap().trim_start_matches("consumption=").parse().unwrap();
            (ts, amount)
        })
        .collect();
    let range =
        crate::domain::TimeRange::new("2026-11-02T00:00:00Z".parse().unwrap(), "2026-11-02T03:00:00Z".parse().unwrap());
    let mut journal =
        store.consumption(vec!["dien-a".parse().unwrap()], range.unwrap(), Resolution::Hour).await.unwrap();
    journal.sort_by_key(|(ts, _)| *ts);
    assert_eq!(hours, journal);
    assert_eq!(hours.iter().map(|(_, a)| a).sum::<f64>(), 4.0);

    // Removed: the hours it fed go to 0 in InfluxDB too.
    let first: Timestamp = "2026-11-02T00:30:00Z".parse().unwrap();
    send_all(&store);
    store
        .correct(Correction::new("dien-a".parse().unwrap(), first, None, "Chị Lan", "công tơ lắp nhầm").unwrap(), None)
        .await
        .unwrap();
    let after = lines(&store);
    assert!(after.iter().all(|l| l.starts_with("consumption,") && l.contains(" consumption=0 ")), "{after:#?}");
    assert_eq!(after.len(), 3, "{after:#?}");
}

#[tokio::test]
async fn a_refused_batch_is_set_aside_with_the_answer_and_the_rest_stays_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(&dir);
    store
        .write(vec![
            reading(1.0, "2026-11-02T00:30:00Z"),
            reading(2.0, "2026-11-02T01:30:00Z"),
            reading(3.0, "2026-11-02T02:30:00Z"),
        ])
        .await
        .unwrap();
    let all = lines(&store);
    assert_eq!(all.len(), 6, "three readings, three hours: {all:#?}");
    let first_two = store.outbox.next_batch(2).unwrap();
    assert_eq!(first_two.lines, all[..2]);
    store.outbox.forget(&first_two, Some(("HTTP 400: partial write", 42))).unwrap();
    assert_eq!(lines(&store), all[2..]);
    let backlog = store.outbox.backlog().unwrap();
    assert_eq!((backlog.pending, backlog.dead_letters), (4, 2));
    let kept: Vec<(String, String)> = store
        .outbox
        .with(|c| {
            c.prepare("SELECT line, error FROM influx_dead_letters ORDER BY seq")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .unwrap();
    assert_eq!(kept, vec![(all[..2].join("\n"), "HTTP 400: partial write".to_owned())]);
}

#[tokio::test]
async fn an_hour_that_changes_while_it_is_sent_waits_again_with_its_new_amount() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(&dir);
    store.write(vec![reading(100.0, "2026-11-02T00:00:00Z"), reading(101.0, "2026-11-02T00:10:00Z")]).await.unwrap();
    let in_flight = store.outbox.next_batch(1000).unwrap();
    let h0 = "2026-11-02T00:00:00Z".parse::<Timestamp>().unwrap().as_millisecond();
    assert!(in_flight.lines.contains(&format!("consumption,{TAGS} consumption=1 {h0}")), "{in_flight:#?}");
    // A write commits while InfluxDB takes the batch: hour 00 is now 3.
    store.write(vec![reading(103.0, "2026-11-02T00:20:00Z")]).await.unwrap();
    store.outbox.forget(&in_flight, None).unwrap();
    assert_eq!(
        lines(&store),
        vec![format!("reading,{TAGS} value=103 {}", h0 + 1_200_000), format!("consumption,{TAGS} consumption=3 {h0}"),]
    );
    send_all(&store);
    assert_eq!(store.outbox.backlog().unwrap().pending, 0);
}

/// A stand-in for InfluxDB's write endpoint: it answers the n-th request with the n-th
/// status of `answers` (204 after them) and reports each request's status and lines.
fn write_endpoint(answers: Vec<u16>) -> (String, std::sync::mpsc::Receiver<(u16, Vec<String>)>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let answers = Arc::new(Mutex::new(answers.into_iter()));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let (tx, answers) = (tx.clone(), Arc::clone(&answers));
            std::thread::spawn(move || {
                let mut stream = stream.unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                loop {
                    let mut head = Vec::new();
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        head.push(line.to_ascii_lowercase());
                    }
                    assert!(head[0].starts_with("post /api/v2/write?bucket=xanh&org=vp&precision=ms "), "{head:?}");
                    let mut body = Vec::new();
                    if head.iter().any(|h| h.starts_with("transfer-encoding: chunked")) {
                        loop {
                            let mut size = String::new();
                            reader.read_line(&mut size).unwrap();
                            let size = usize::from_str_radix(size.trim(), 16).unwrap();
                            let mut chunk = vec![0; size + 2];
                            reader.read_exact(&mut chunk).unwrap();
                            if size == 0 {
                                break;
                            }
                            body.extend_from_slice(&chunk[..size]);
                        }
                    } else if let Some(length) = head.iter().find_map(|h| h.strip_prefix("content-length: ")) {
                        body.resize(length.trim().parse().unwrap(), 0);
                        reader.read_exact(&mut body).unwrap();
                    }
                    let status = answers.lock().unwrap().next().unwrap_or(204);
                    let text = if status == 400 {
                        r#"{"code":"invalid","message":"partial write: field type conflict"}"#
                    } else {
                        ""
                    };
                    // Reported before answering, so the test has it once the drainer moves on.
                    let lines = String::from_utf8(body).unwrap().lines().map(str::to_owned).collect();
                    let _ = tx.send((status, lines));
                    write!(stream, "HTTP/1.1 {status} X\r\nContent-Length: {}\r\n\r\n{text}", text.len()).unwrap();
                }
            });
        }
    });
    (url, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drainer_sends_in_order_retries_a_failure_and_sets_a_refused_batch_aside() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(&dir);
    store
        .write(vec![
            reading(1.0, "2026-11-02T00:30:00Z"),
            reading(2.0, "2026-11-02T01:30:00Z"),
            reading(3.0, "2026-11-02T02:30:00Z"),
        ])
        .await
        .unwrap();
    let queued = lines(&store);
    assert_eq!(queued.len(), 6, "three readings, three hours: {queued:#?}");
    // Unavailable once, then taken; then a batch refused as bad; then taken.
    let (url, requests) = write_endpoint(vec![503, 204, 400, 204]);
    drain(&store, url, 2).await;

    let batch = |i: usize| queued[2 * i..2 * i + 2].to_vec();
    let seen: Vec<(u16, Vec<String>)> = requests.try_iter().collect();
    assert_eq!(seen, vec![(503, batch(0)), (204, batch(0)), (400, batch(1)), (204, batch(2))]);
    let dead: Vec<(String, String)> = store
        .outbox
        .with(|c| {
            c.prepare("SELECT line, error FROM influx_dead_letters ORDER BY seq")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .unwrap();
    assert_eq!(dead.iter().map(|(line, _)| line.clone()).collect::<Vec<_>>(), vec![batch(1).join("\n")]);
    assert!(dead[0].1.starts_with("HTTP 400: ") && dead[0].1.contains("partial write"), "{dead:?}");
    let status = store.status().snapshot();
    assert_eq!((status.pending, status.dead_letters, status.last_error.as_deref()), (0, 2, None));
    assert!(status.last_written_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_removed_before_they_are_sent_leave_the_outbox_without_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(&dir);
    let at: Timestamp = "2026-11-02T00:30:00Z".parse().unwrap();
    store.write(vec![reading(100.0, "2026-11-02T00:30:00Z")]).await.unwrap();
    let meter: MeterId = "dien-a".parse().unwrap();
    store.correct(Correction::new(meter, at, None, "Chị Lan", "công tơ lắp nhầm").unwrap(), None).await.unwrap();
    assert_eq!(store.outbox.backlog().unwrap().pending, 1);
    let (url, requests) = write_endpoint(vec![]);
    drain(&store, url, 10).await;
    let seen: Vec<(u16, Vec<String>)> = requests.try_iter().collect();
    assert_eq!(seen, vec![], "the removed reading was sent");
}

#[tokio::test]
async fn the_sqlite_backend_fills_no_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let (influx, config) = open(&dir);
    drop(influx);
    let plain = crate::store::SqliteStore::open(
        config.store.embedded_path(),
        &config.office.timezone,
        "Asia/Ho_Chi_Minh",
        &config.meters,
    )
    .unwrap();
    plain.write(vec![reading(1.0, "2026-11-02T00:30:00Z"), reading(2.0, "2026-11-02T01:30:00Z")]).await.unwrap();
    assert_eq!(Outbox::open(config.store.embedded_path()).unwrap().backlog().unwrap().pending, 0);
}

/// The drainer counts the backlog while it waits, and each write counts it after committing;
/// a count the drainer took before a write, shown after the write's, said that nothing waited
/// while that write's points did.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_backlog_shown_after_a_write_is_never_an_older_count_than_the_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(&dir);
    let drainer = Arc::new(store.drainer());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Several counters at once, as under load, so that counts often cross the writes'.
    let counting: Vec<_> = (0..6)
        .map(|_| {
            let (drainer, stop) = (Arc::clone(&drainer), Arc::clone(&stop));
            tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    drainer.refresh().await;
                }
            })
        })
        .collect();
    let start: Timestamp = "2026-11-02T00:00:00Z".parse().unwrap();
    for minute in 0..1000_i64 {
        let at = start + jiff::SignedDuration::from_mins(minute);
        store.write(vec![reading(100.0 + minute as f64, &at.to_string())]).await.unwrap();
        let waiting = store.outbox.backlog().unwrap().pending;
        let shown = store.status.snapshot().pending;
        assert!(shown >= waiting, "after write {minute}: {waiting} points wait but the status shows {shown}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for counter in counting {
        counter.await.unwrap();
    }
}
