//! `GET /metrics` on a real service: readings published to the embedded broker move the
//! counters by exactly what was sent, requests are counted by route pattern, the text parses
//! as Prometheus' exposition format, and only an admin may read it.

use std::collections::{BTreeMap, HashMap};

use crate::common::{config_text, embedded_mqtt, publish, reading, spawn_app, spawn_app_from};

/// A sample's name and its labels, sorted.
type Series = (String, Vec<(String, String)>);

/// Parses the text exposition format strictly: every sample belongs to a family declared by a
/// TYPE line before it, names and label names are valid, label values are quoted with only
/// `\\`, `\"` and `\n` escapes, and each value is a number.
fn parse(text: &str) -> BTreeMap<Series, f64> {
    let valid_name = |name: &str| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    let mut types: HashMap<String, String> = HashMap::new();
    let mut samples = BTreeMap::new();
    assert!(text.ends_with('\n'), "the exposition ends with a line feed");
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            let (keyword, rest) = rest.split_once(' ').unwrap();
            let (name, value) = rest.split_once(' ').unwrap_or((rest, ""));
            assert!(valid_name(name), "{line}");
            if keyword == "TYPE" {
                assert!(["counter", "gauge", "histogram", "summary", "untyped"].contains(&value), "{line}");
                assert!(types.insert(name.to_owned(), value.to_owned()).is_none(), "a family declared twice: {line}");
            }
            continue;
        }
        let name_end = line.find(['{', ' ']).unwrap_or_else(|| panic!("no value: {line}"));
        let name = &line[..name_end];
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .filter_map(|suffix| name.strip_suffix(suffix))
            .find(|family| types.get(*family).is_some_and(|t| t == "histogram"))
            .unwrap_or(name);
        assert!(valid_name(name) && types.contains_key(family), "a sample without its TYPE: {line}");
        let mut rest = &line[name_end..];
        let mut labels = Vec::new();
        if let Some(inner) = rest.strip_prefix('{') {
            let mut chars = inner.char_indices().peekable();
            loop {
                let (start, _) = *chars.peek().unwrap();
                let eq = inner[start..].find("=\"").unwrap_or_else(|| panic!("bad label in {line}")) + start;
                let key = &inner[start..eq];
                assert!(valid_name(key) && !key.starts_with("__"), "{line}");
                while chars.peek().unwrap().0 < eq + 2 {
                    chars.next();
                }
                let mut value = String::new();
                loop {
                    match chars.next().unwrap_or_else(|| panic!("unterminated label value: {line}")).1 {
                        '\\' => match chars.next().unwrap().1 {
                            '\\' => value.push('\\'),
                            '"' => value.push('"'),
                            'n' => value.push('\n'),
                            other => panic!("bad escape \\{other} in {line}"),
                        },
                        '"' => break,
                        '\n' => panic!("a raw line feed in {line}"),
                        c => value.push(c),
                    }
                }
                labels.push((key.to_owned(), value));
                match chars.next().unwrap_or_else(|| panic!("unterminated labels: {line}")) {
                    (_, ',') => continue,
                    (end, '}') => {
                        rest = &inner[end + 1..];
                        break;
                    }
                    (_, other) => panic!("unexpected {other} in {line}"),
                }
            }
        }
        let value = rest.strip_prefix(' ').unwrap_or_else(|| panic!("no space before the value: {line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("not a number: {line}"));
        labels.sort();
        assert!(samples.insert((name.to_owned(), labels), value).is_none(), "a series twice: {line}");
    }
    samples
}

fn series(samples: &BTreeMap<Series, f64>, name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut labels: Vec<(String, String)> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    labels.sort();
    samples.get(&(name.to_owned(), labels.clone())).copied().unwrap_or(0.0)
}

async fn scrape(http: &reqwest::Client, url: &str) -> BTreeMap<Series, f64> {
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    parse(&response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_was_sent_by_route_and_outcome_and_only_an_admin_reads_them() {
    let app = spawn_app().await;
    let url = app.url("/metrics");
    let before = scrape(&app.http, &url).await;
    assert_eq!(series(&before, "xanh_ingest_connected", &[]), 1.0);

    let topic = "xanh/dien-a/reading";
    // Three new readings, one sent twice, two that cannot be read.
    let messages = [
        (topic, reading(100.0, "00:00")),
        (topic, reading(110.0, "01:00")),
        (topic, reading(125.0, "02:00")),
        (topic, reading(125.0, "02:00")),
        (topic, "{\"value\": 12".to_owned()),
        (topic, "-5".to_owned()),
    ];
    publish(&app.mqtt, &messages).await;
    app.wait_processed(6).await;
    for _ in 0..3 {
        app.get("/api/v1/meters").await;
    }
    app.get("/charts/tong-quan-123456/bieu-do.png").await;
    app.get("/khong-co-gi/o-day").await;

    let after = scrape(&app.http, &url).await;
    let moved = |name: &str, labels: &[(&str, &str)]| series(&after, name, labels) - series(&before, name, labels);
    assert_eq!(moved("xanh_ingest_messages_total", &[]), 6.0);
    assert_eq!(moved("xanh_readings_total", &[("outcome", "stored")]), 3.0);
    assert_eq!(moved("xanh_readings_total", &[("outcome", "duplicate")]), 1.0);
    assert_eq!(moved("xanh_readings_total", &[("outcome", "rejected")]), 2.0);
    assert_eq!(moved("xanh_mqtt_sessions_lost_total", &[]), 0.0);
    assert_eq!(moved("xanh_meter_readings_total", &[("meter", "dien-a"), ("outcome", "stored")]), 3.0);
    assert_eq!(moved("xanh_meter_readings_total", &[("meter", "dien-a"), ("outcome", "duplicate")]), 1.0);
    assert_eq!(moved("xanh_readings_rejected_total", &[("reason", "undecodable")]), 1.0);
    assert_eq!(moved("xanh_readings_rejected_total", &[("reason", "negative")]), 1.0);
    // dien-a sends the generic format.
    let generic = |outcome| moved("xanh_format_readings_total", &[("format", "generic"), ("outcome", outcome)]);
    assert_eq!((generic("stored"), generic("duplicate"), generic("rejected")), (3.0, 1.0, 2.0));
    assert_eq!(series(&after, "xanh_ingest_queue_depth", &[]), 0.0, "nothing waits once all is stored");

    // Every write is in the histogram once: its buckets count up to +Inf, which is the count.
    let writes = moved("xanh_store_write_seconds_count", &[]);
    assert!((1.0..=6.0).contains(&writes), "six messages make one to six writes: {writes}");
    assert_eq!(
        series(&after, "xanh_store_write_seconds_bucket", &[("le", "+Inf")]),
        series(&after, "xanh_store_write_seconds_count", &[])
    );
    let buckets: Vec<(f64, f64)> = after
        .iter()
        .filter(|((name, _), _)| name == "xanh_store_write_seconds_bucket")
        .map(|((_, labels), count)| (labels[0].1.parse::<f64>().unwrap(), *count))
        .collect();
    let mut sorted = buckets.clone();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(sorted.windows(2).all(|w| w[0].1 <= w[1].1), "buckets are cumulative: {sorted:?}");
    assert!(series(&after, "xanh_store_write_seconds_sum", &[]) > 0.0);

    let requests = |route: &str, method: &str, status: &str| {
        moved("xanh_http_requests_total", &[("route", route), ("method", method), ("status", status)])
    };
    assert_eq!(requests("/api/v1/meters", "GET", "200"), 3.0);
    // The first scrape is counted once it is answered; the second is still being answered.
    assert_eq!(requests("/metrics", "GET", "200"), 1.0);
    // A route with a parameter is counted by its pattern, and a path no route matches not at all.
    let charts: f64 = after
        .iter()
        .filter(|((name, labels), _)| {
            name == "xanh_http_requests_total" && labels.contains(&("route".into(), "/charts/{page}/{file}".into()))
        })
        .map(|(_, count)| count)
        .sum();
    assert_eq!(charts, 1.0);
    let routes: Vec<&str> = after
        .keys()
        .filter(|(name, _)| name == "xanh_http_requests_total")
        .flat_map(|(_, labels)| labels.iter().filter(|(k, _)| k == "route").map(|(_, v)| v.as_str()))
        .collect();
    assert!(routes.iter().all(|r| !r.contains("tong-quan-123456") && !r.contains("khong-co-gi")), "{routes:?}");

    the_grafana_dashboard_reads_only_what_the_service_exposes(&after);

    // A person signing in is a live session; an API token is not one.
    assert_eq!(series(&after, "xanh_sessions", &[]), 0.0);
    app.sign_in(crate::common::ADMIN, crate::common::PASSWORD).await.unwrap();
    assert_eq!(series(&scrape(&app.http, &url).await, "xanh_sessions", &[]), 1.0);

    // Neither anyone nor a viewer's token may read them.
    let anonymous = app.anonymous.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let viewer = app.add_user("nguoi-xem", xanh::domain::Role::Viewer, &[]).await;
    let (viewer, _) = app.token_client(&viewer, xanh::domain::Role::Viewer, None).await;
    assert_eq!(viewer.get(&url).send().await.unwrap().status(), 403);
    app.stop().await;
}

/// Every metric the shipped Grafana dashboard queries is one a scrape of this service has
/// (the outbox's only with the InfluxDB store, which this service does not use), and every
/// panel reads the dashboard's chosen Prometheus data source.
fn the_grafana_dashboard_reads_only_what_the_service_exposes(scraped: &BTreeMap<Series, f64>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/dashboards/grafana/prometheus/van-hanh.json");
    let dashboard: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let influx_only = ["xanh_outbox_pending"];
    let exposed: std::collections::BTreeSet<&str> = scraped.keys().map(|(name, _)| name.as_str()).collect();
    assert!(influx_only.iter().all(|name| !exposed.contains(name)), "{exposed:?}");
    let panels = dashboard["panels"].as_array().unwrap();
    assert!(panels.len() >= 5);
    let mut queried = std::collections::BTreeSet::new();
    for panel in panels {
        assert_eq!(panel["datasource"]["uid"], "${datasource}", "{}", panel["title"]);
        for target in panel["targets"].as_array().unwrap() {
            assert_eq!(target["datasource"]["uid"], "${datasource}", "{}", panel["title"]);
            let expr = target["expr"].as_str().unwrap();
            for (start, _) in expr.match_indices("xanh_") {
                let name: String =
                    expr[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                assert!(
                    exposed.contains(name.as_str()) || influx_only.contains(&name.as_str()),
                    "{}: `{name}` is not exposed by /metrics",
                    panel["title"]
                );
                queried.insert(name);
            }
        }
    }
    assert!(queried.contains("xanh_store_write_seconds_bucket") && queried.contains("xanh_http_requests_total"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_listen_serves_metrics_alone_without_credentials_and_the_web_port_still_asks_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(&embedded_mqtt(), &dir.path().join("xanh.db")) + "\n[metrics]\nlisten = \"127.0.0.1:0\"\n";
    let app = spawn_app_from(&text, dir).await;
    let addr = app.metrics.expect("metrics.listen is served");
    assert_ne!(addr.port(), app.web.port());
    publish(&app.mqtt, &[("xanh/dien-a/reading", reading(7.0, "00:00"))]).await;
    app.wait_processed(1).await;

    let scraped = scrape(&app.anonymous, &format!("http://{addr}/metrics")).await;
    assert_eq!(series(&scraped, "xanh_meter_readings_total", &[("meter", "dien-a"), ("outcome", "stored")]), 1.0);
    // Only /metrics: the API and the pages are not reachable there.
    let api = app.anonymous.get(format!("http://{addr}/api/v1/meters")).send().await.unwrap();
    assert_eq!(api.status(), 404);
    let web = app.anonymous.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(web.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn a_metrics_address_without_a_port_names_the_key_and_an_unknown_key_is_refused() {
    let store = std::path::Path::new("/tmp/xanh-unused.db");
    let text = config_text(&embedded_mqtt(), store) + "\n[metrics]\nlisten = \"localhost\"\n";
    let error = xanh::config::Config::parse("test.toml", &text, &|_| None).unwrap_err().to_string();
    assert!(error.contains("metrics.listen") && error.contains("`localhost` is not an address with a port"), "{error}");
    let text = config_text(&embedded_mqtt(), store) + "\n[metrics]\nlisten_on = \"127.0.0.1:9464\"\n";
    let error = xanh::config::Config::parse("test.toml", &text, &|_| None).unwrap_err().to_string();
    assert!(error.contains("listen_on"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_brokers_open_and_refused_connections_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mqtt = format!("max_connections_per_address = 2\n{}", embedded_mqtt());
    let app = spawn_app_from(&config_text(&mqtt, &dir.path().join("xanh.db")), dir).await;
    let url = app.url("/metrics");
    let connections = || async {
        let scraped = scrape(&app.http, &url).await;
        (
            series(&scraped, "xanh_broker_connections", &[]),
            series(&scraped, "xanh_broker_connections_refused_total", &[]),
        )
    };
    let wait_for = |want: (f64, f64)| async move {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let now = connections().await;
            if now == want {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "connections {now:?}, expected {want:?}");
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        }
    };
    assert_eq!(connections().await, (0.0, 0.0));
    // Devices that have connected (and not yet sent CONNECT: the gate holds them all the same).
    let broker = format!("{}:{}", app.mqtt.0, app.mqtt.1);
    let first = tokio::net::TcpStream::connect(&broker).await.unwrap();
    let second = tokio::net::TcpStream::connect(&broker).await.unwrap();
    wait_for((2.0, 0.0)).await;
    // A third from the same address is over mqtt.max_connections_per_address.
    let third = tokio::net::TcpStream::connect(&broker).await.unwrap();
    wait_for((2.0, 1.0)).await;
    drop((first, second, third));
    wait_for((0.0, 1.0)).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ingest_queue_depth_shows_messages_waiting_for_a_locked_store_and_drains() {
    let app = spawn_app().await;
    let url = app.url("/metrics");
    let depth = || async { series(&scrape(&app.http, &url).await, "xanh_ingest_queue_depth", &[]) };
    assert_eq!(depth().await, 0.0);

    // Another process holds the store's write lock: what devices send waits in the queue.
    let holder = rusqlite::Connection::open(app.dir.path().join("xanh.db")).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let messages: Vec<(String, String)> = (0..20)
        .map(|i| ("xanh/dien-a/reading".to_owned(), reading(100.0 + f64::from(i), &format!("{:02}:00", i))))
        .collect();
    let acked = crate::common::Acked::default();
    *acked.lock().unwrap() = vec![false; messages.len()];
    let sender = tokio::spawn(crate::common::publish_until_acked(
        crate::common::device_options(&app.mqtt),
        messages,
        acked.clone(),
    ));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut waiting = depth().await;
    while waiting < 10.0 {
        assert!(std::time::Instant::now() < deadline, "the queue never filled: {waiting}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waiting = depth().await;
    }
    assert!(waiting <= 20.0, "{waiting} messages waiting of 20 sent");
    assert_eq!(crate::common::acked_count(&acked), 0, "nothing is acknowledged before it is stored");

    holder.execute_batch("ROLLBACK").unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(30), sender).await.expect("all acknowledged").unwrap();
    app.wait_processed(20).await;
    assert_eq!(depth().await, 0.0);
    app.stop().await;
}
