//! A retired meter is not offered where a new reading, decision or token would name it (issue
//! 18): the entry forms, the bulk decision on /rejected, the API token form and the first
//! reading's example on /start; the history pages still list it.

use serde_json::json;

use crate::common::{ADMIN, PASSWORD, send, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meter_retired_today_is_not_offered_on_the_pickers_but_stays_in_the_history() {
    let app = spawn_app().await;
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap()).date();
    for meter in ["dien-tong", "dien-a"] {
        let retire = json!({"from": today.to_string()});
        let (status, body) =
            send(app.http.post(app.url(&format!("/api/v1/meters/{meter}/retire"))).json(&retire)).await;
        assert_eq!(status, 200, "{body}");
    }
    // A reading of the retired meter, kept among the rejected: /rejected shows its decisions.
    let row = json!([{"meter": "dien-a", "value": 5.0}]);
    let (_, report) = send(app.http.post(app.url("/api/v1/readings")).json(&row)).await;
    assert_eq!(report["rejected"], 1, "{report}");
    let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    for page in ["/entry", "/rejected", "/admin/users"] {
        let (status, html) = session.get(page).await;
        assert_eq!(status, 200, "{page}");
        for retired in ["dien-tong", "dien-a"] {
            assert!(!html.contains(&format!("<option value=\"{retired}\"")), "{page} offers the retired {retired}");
        }
        assert!(html.contains("<option value=\"dien-b-wh\""), "{page} no longer offers the meters in service");
    }
    // The first reading's example names a meter in service.
    let (_, start) = session.get("/start").await;
    assert!(!start.contains("xanh/dien-tong/reading"), "/start's example is the retired dien-tong");
    assert!(start.contains("mosquitto_pub -t xanh/"), "/start has no example left");
    // History still lists it.
    let (_, meters) = session.get("/admin/meters").await;
    assert!(meters.contains("data-meter=\"dien-tong\""), "the meters' list lost the retired dien-tong");
    app.stop().await;
}
