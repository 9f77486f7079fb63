//! Norms of the internal spending regulation set over the API (issue 20): a department's own
//! stationery norm with its regulation's number and date puts it over at once, in the figures
//! and the scores; audited, kept over a restart and printed by `xanh config export`.

use serde_json::{Value, json};

use crate::common::{TestApp, approx, send, spawn_app_from};
use crate::supplies::{demo_text, post_slip, slip};

async fn set_norm(app: &TestApp, body: Value) -> (u16, Value) {
    send(app.http.post(app.url("/api/v1/supply-norms")).json(&body)).await
}

async fn january(app: &TestApp) -> Value {
    let (status, figures) = app.get("/api/v1/supplies?resource=van-phong-pham&period=2026-01").await;
    assert_eq!(status, 200, "{figures}");
    figures["resources"][0]["departments"][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_departments_own_norm_set_over_the_api_puts_it_over_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let text = demo_text(dir.path());
    let file = dir.path().join("office.toml");
    std::fs::write(&file, &text).unwrap();
    let app = spawn_app_from(&text, dir).await;
    // Tổng hợp in January 2026: 20 pens at 4 000 đ and 2 notebooks at 25 000 đ = 130 000 đ,
    // within the office's 120 000 đ a person a month × 14 people = 1 680 000 đ.
    let lines = [("van-phong-pham", "but-bi", 20.0), ("van-phong-pham", "so-tay", 2.0)];
    let (status, stored) = post_slip(&app, slip("PX-1", "phong-tong-hop", "2026-01-05", &lines)).await;
    assert_eq!(status, 200, "{stored}");
    let tong_hop = january(&app).await;
    assert_eq!(tong_hop["department"], "phong-tong-hop");
    approx(&tong_hop["norm"]["allowance"], 1_680_000.0);
    assert_eq!(tong_hop["norm"]["over"], false);

    // Its own norm from 01/01/2026: 5 000 đ a person a month under Quyết định số 09/QĐ-VP of
    // 30/12/2025: 70 000 đ for January, 130 000 đ is over it.
    let norm = json!({"resource": "van-phong-pham", "department": "phong-tong-hop", "from": "01/01/2026",
        "per": "person", "every": "month", "amount": "5.000", "measure": "value",
        "regulation": "Quyết định số 09/QĐ-VP", "regulation_date": "30/12/2025"});
    let (status, kept) = set_norm(&app, norm).await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!((kept["from"].as_str(), kept["amount"].as_f64()), (Some("2026-01-01"), Some(5000.0)));
    let tong_hop = january(&app).await;
    approx(&tong_hop["norm"]["allowance"], 70_000.0);
    assert_eq!(tong_hop["norm"]["over"], true);
    assert_eq!(tong_hop["norm"]["sources"], json!(["Quyết định số 09/QĐ-VP ngày 30/12/2025"]));
    // The other departments keep the office's norm.
    let (_, figures) = app.get("/api/v1/supplies?resource=van-phong-pham&period=2026-01").await;
    approx(&figures["resources"][0]["departments"][1]["norm"]["allowance"], 120_000.0 * 12.0);
    // The scores follow: the stationery's 5 points lost.
    let (_, scores) = app.get("/api/v1/scores?period=2026-01").await;
    let stationery = scores["departments"][0]["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["supply"] == "van-phong-pham")
        .unwrap()
        .clone();
    approx(&stationery["points"], 0.0);
    let (_, listed) = app.get("/api/v1/supply-norms").await;
    assert!(listed["items"].as_array().unwrap().iter().any(|n| n["department"] == "phong-tong-hop"), "{listed}");

    // Audited: a first own norm replaced none.
    let (_, audit) = app.get("/api/v1/audit").await;
    let line =
        audit["items"].as_array().unwrap().iter().find(|l| l["action"] == "supply_norms.change").unwrap().clone();
    assert_eq!(line["target"], "van-phong-pham/phong-tong-hop from 2026-01-01");
    assert!(line["before"].is_null(), "{line}");
    assert_eq!(line["after"]["regulation"], "Quyết định số 09/QĐ-VP");

    // Kept over a restart, and printed by `xanh config export` as a config Xanh accepts.
    let dir = app.dir_and_stop().await;
    let app = spawn_app_from(&text, dir).await;
    assert_eq!(january(&app).await["norm"]["over"], true);
    let dir = app.dir_and_stop().await;
    let exported = crate::common::config_export(&file);
    let parsed = xanh::config::Config::parse("exported.toml", &exported, &|_| None).unwrap();
    let norms = &parsed.supply("van-phong-pham").unwrap().norms;
    assert_eq!(norms.len(), 3, "{exported}");
    let own = norms.iter().find(|n| n.department.as_ref().is_some_and(|d| d.as_str() == "phong-tong-hop")).unwrap();
    assert_eq!((own.amount, own.regulation.as_str()), (5000.0, "Quyết định số 09/QĐ-VP"));
    drop(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_norm_says_what_to_send_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_from(&demo_text(dir.path()), dir).await;
    let norm = |change: Value| {
        let mut body = json!({"resource": "van-phong-pham", "from": "2026-01-01", "per": "person", "every": "month",
            "amount": 100000, "measure": "value", "regulation": "Quyết định số 09/QĐ-VP", "regulation_date": "2025-12-30"});
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    for (body, hint) in [
        (norm(json!({"resource": "xi-mang"})), "van-phong-pham, muc-in"),
        (norm(json!({"department": "phong-z"})), "phong-tong-hop"),
        (norm(json!({"regulation_date": "2026-02-01"})), "check both dates"),
        (norm(json!({"per": "week"})), "person or department"),
        (norm(json!({"every": "week"})), "month, quarter or year"),
        (norm(json!({"measure": "kg"})), "value (VND) or quantity"),
        (norm(json!({"amount": 0})), "150.000"),
        (norm(json!({"regulation": " "})), "Quyết định số"),
        (norm(json!({"from": "32/01/2026"})), "2026-11-15"),
    ] {
        let (status, answer) = set_norm(&app, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains(hint), "{body}: `{message}` should mention `{hint}`");
    }
    let (_, listed) = app.get("/api/v1/supply-norms").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 3, "the shipped norms only: {listed}");
    app.stop().await;
}
