//! Gaps: a meter silent for longer than its expected interval is late, one that never sent is
//! "never", and the dashboard says which resource's figures are incomplete because of them.

use std::time::{Duration, Instant};

use crate::common::*;

const OFFICE: &str = r#"
[office]
name = "Văn phòng thử nghiệm"
timezone = "Asia/Ho_Chi_Minh"

[[departments]]
id = "phong-a"
name = "Phòng A"
headcount = 10
area_m2 = 100.0

[[meters]]
id = "dien-nhanh"
name = "Công tơ điện Phòng A"
resource = "electricity"
department = "phong-a"
kind = "counter"
unit = "kWh"
expected_interval = "1s"

[[meters]]
id = "nuoc-a"
name = "Đồng hồ nước Phòng A"
resource = "water"
department = "phong-a"
kind = "counter"
unit = "m3"
expected_interval = "1m"

[[meters]]
id = "giay-a"
name = "Giấy cấp phát Phòng A"
resource = "paper"
department = "phong-a"
kind = "delta"
unit = "ream"
"#;

async fn page(app: &TestApp, path: &str) -> String {
    app.http.get(app.url(path)).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn late_and_silent_meters_are_flagged_and_their_figures_marked_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let text = office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db"));
    let app = spawn_app_from(&text, dir).await;

    for (id, interval) in [("dien-nhanh", Some(1)), ("nuoc-a", Some(60)), ("giay-a", None)] {
        let meter = app.meter(id).await;
        assert_eq!(meter["status"], "never", "{meter}");
        assert_eq!(meter["expected_interval_s"].as_u64(), interval, "{meter}");
    }

    let now = jiff::Timestamp::now().to_string();
    let sent = Instant::now();
    let payload = format!(r#"{{"value": 12.5, "ts": "{now}"}}"#);
    publish(&app.mqtt, &[("xanh/dien-nhanh/reading", payload.clone()), ("xanh/nuoc-a/reading", payload)]).await;
    app.wait_processed(2).await;
    assert_eq!(app.meter("nuoc-a").await["status"], "ok");

    // dien-nhanh may stay silent for one second; wait past it.
    tokio::time::sleep(Duration::from_millis(2200).saturating_sub(sent.elapsed())).await;
    let late = app.meter("dien-nhanh").await;
    assert_eq!(late["status"], "late", "{late}");
    assert_eq!(app.meter("nuoc-a").await["status"], "ok");
    assert_eq!(app.meter("giay-a").await["status"], "never");

    // The meters page lists each meter's standing; the overview marks the figures it affects.
    let meters = page(&app, "/meters").await;
    assert_eq!(meters.matches(r#"data-status="late""#).count(), 1, "{meters}");
    assert_eq!(meters.matches(r#"data-status="ok""#).count(), 1);
    assert_eq!(meters.matches(r#"data-status="never""#).count(), 1);
    assert!(meters.contains("Chậm: chưa gửi từ"), "{meters}");
    let html = page(&app, "/").await;
    let note = |resource: &str| {
        let start = html.find(&format!(r#"data-incomplete="{resource}""#))?;
        let end = html[start..].find("</p>")? + start;
        Some(html[start..end].to_owned())
    };
    let electricity = note("electricity").expect("the electricity panel says its figures are incomplete");
    assert!(electricity.contains("Số liệu chưa đầy đủ: Công tơ điện Phòng A chưa gửi số liệu từ"), "{electricity}");
    let paper = note("paper").expect("the paper panel says its meter never sent");
    assert!(paper.contains("Giấy cấp phát Phòng A chưa có số liệu"), "{paper}");
    assert_eq!(note("water"), None, "water's only meter is on time");

    let english = page(&app, "/?lang=en").await;
    assert!(english.contains("Figures incomplete: Công tơ điện Phòng A has sent nothing since"), "{english}");
    let english = page(&app, "/meters?lang=en").await;
    assert!(english.contains("No data yet") && english.contains("On time"));

    app.stop().await;
}
