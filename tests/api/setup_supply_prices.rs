//! Item prices of the configured resources set over the API (issue 20): the next slip dated
//! from the day is priced at the new price, the slips before keep theirs; each change audited
//! with the price it replaced, kept over a restart and printed by `xanh config export`.

use serde_json::{Value, json};

use crate::common::{TestApp, approx, send, spawn_app_from};
use crate::supplies::{demo_text, post_slip, slip};
use xanh::domain::Role;

async fn set_price(app: &TestApp, body: Value) -> (u16, Value) {
    send(app.http.post(app.url("/api/v1/supply-prices")).json(&body)).await
}

/// The value of the slip stored.
async fn slip_value(app: &TestApp, number: &str, date: &str) -> f64 {
    let (status, stored) =
        post_slip(app, slip(number, "phong-tong-hop", date, &[("van-phong-pham", "but-bi", 10.0)])).await;
    assert_eq!(status, 200, "{stored}");
    stored["value_vnd"].as_f64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pen_price_from_a_day_prices_the_slips_from_that_day_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let text = demo_text(dir.path());
    let file = dir.path().join("office.toml");
    std::fs::write(&file, &text).unwrap();
    let app = spawn_app_from(&text, dir).await;
    // The shipped list: pens at 4 000 đ from 01/07/2025. 10 pens on 01/03/2026: 40 000 đ.
    approx(&json!(slip_value(&app, "PX-1", "2026-03-01").await), 40_000.0);

    // 4 500 đ from 01/04/2026, written the Vietnamese way.
    let body = json!({"resource": "van-phong-pham", "item": "but-bi", "from": "01/04/2026", "price_vnd": "4.500", "note": "Báo giá 07/2026"});
    let (status, kept) = set_price(&app, body).await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!((kept["from"].as_str(), kept["price_vnd"].as_f64()), (Some("2026-04-01"), Some(4500.0)));
    // A slip of the day before still at 4 000 đ; from the day on at 4 500 đ.
    approx(&json!(slip_value(&app, "PX-2", "2026-03-31").await), 40_000.0);
    approx(&json!(slip_value(&app, "PX-3", "2026-04-01").await), 45_000.0);
    let (_, listed) = app.get("/api/v1/supply-prices").await;
    let pen = listed["items"].as_array().unwrap().iter().find(|i| i["item"] == "but-bi").unwrap().clone();
    assert_eq!(
        pen["prices"],
        json!([
            {"from": "2025-01-01", "price_vnd": 3500.0},
            {"from": "2025-07-01", "price_vnd": 4000.0},
            {"from": "2026-04-01", "price_vnd": 4500.0}
        ])
    );

    // The audit log says which price it replaced.
    let (_, audit) = app.get("/api/v1/audit").await;
    let line =
        audit["items"].as_array().unwrap().iter().find(|l| l["action"] == "supply_prices.change").unwrap().clone();
    assert_eq!(line["target"], "van-phong-pham/but-bi from 2026-04-01");
    assert_eq!(
        (line["before"]["price_vnd"].as_f64(), line["after"]["price_vnd"].as_f64()),
        (Some(4000.0), Some(4500.0))
    );
    assert_eq!(line["after"]["note"], "Báo giá 07/2026");

    // Kept over a restart.
    let dir = app.dir_and_stop().await;
    let app = spawn_app_from(&text, dir).await;
    approx(&json!(slip_value(&app, "PX-4", "2026-05-01").await), 45_000.0);
    let dir = app.dir_and_stop().await;

    // `xanh config export` prints the pen's list with it, as a config Xanh accepts.
    let exported = crate::common::config_export(&file);
    let parsed = xanh::config::Config::parse("exported.toml", &exported, &|_| None).unwrap();
    let pen = parsed.supply("van-phong-pham").unwrap().item("but-bi").unwrap();
    let prices: Vec<(String, f64)> = pen.prices.iter().map(|p| (p.from.to_string(), p.vnd)).collect();
    assert_eq!(
        prices,
        [("2025-01-01".to_owned(), 3500.0), ("2025-07-01".to_owned(), 4000.0), ("2026-04-01".to_owned(), 4500.0)],
        "{exported}"
    );
    drop(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_admin_sets_an_item_price_and_a_wrong_one_says_what_to_send() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_from(&demo_text(dir.path()), dir).await;
    let reporter = app.add_user("lan", Role::Reporter, &["phong-tong-hop"]).await;
    let (client, _) = app.token_client(&reporter, Role::Reporter, None).await;
    let price = json!({"resource": "van-phong-pham", "item": "but-bi", "from": "2026-01-01", "price_vnd": 5000});
    let (status, _) = send(client.post(app.url("/api/v1/supply-prices")).json(&price)).await;
    assert_eq!(status, 403);
    let cases = [
        (json!({"resource": "xi-mang", "item": "bao", "from": "2026-01-01", "price_vnd": 1}), "van-phong-pham, muc-in"),
        (
            json!({"resource": "van-phong-pham", "item": "but-chi", "from": "2026-01-01", "price_vnd": 1}),
            "but-bi, so-tay",
        ),
        (json!({"resource": "van-phong-pham", "item": "but-bi", "from": "2026-13-01", "price_vnd": 1}), "2026-11-15"),
        (json!({"resource": "van-phong-pham", "item": "but-bi", "from": "2026-01-01", "price_vnd": 0}), "4.000"),
        (json!({"resource": "van-phong-pham", "item": "but-bi", "from": "2026-01-01", "price_vnd": "nhiều"}), "4.000"),
        (json!({"resource": "van-phong-pham", "item": "but-bi", "from": "2026-01-01"}), "price_vnd"),
    ];
    for (body, hint) in cases {
        let (status, answer) = set_price(&app, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains(hint), "{body}: `{message}` should mention `{hint}`");
    }
    let (_, audit) = app.get("/api/v1/audit").await;
    assert!(!audit["items"].as_array().unwrap().iter().any(|l| l["action"] == "supply_prices.change"), "{audit}");
    app.stop().await;
}
