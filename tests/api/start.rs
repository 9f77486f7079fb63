//! The first-run page (issue 18): a new office sees which steps are done (the admin, the
//! departments, the meters) and how to send a first reading; the command it shows, run with
//! the real `mosquitto_pub`, stores that reading, and the page then ticks the step.

use crate::common::{ADMIN, PASSWORD, mosquitto_pub, spawn_app};

/// The steps of the page, each `(done, text)`.
fn steps(page: &str) -> Vec<(bool, String)> {
    page.split(r#"<li class="step" data-done=""#)
        .skip(1)
        .map(|s| (s.starts_with("true"), s.split("</li>").next().unwrap_or("").to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_run_page_guides_a_new_office_to_its_first_reading() {
    let app = spawn_app().await;
    let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let (status, page) = session.get("/start").await;
    assert_eq!(status, 200, "{page}");
    let shown = steps(&page);
    let done: Vec<bool> = shown.iter().map(|(d, _)| *d).collect();
    assert_eq!(done, [true, true, true, false], "admin, departments, meters done; no reading yet: {page}");
    assert!(shown[1].1.contains("2 phòng, ban.") && shown[2].1.contains("7 công tơ."), "{page}");
    assert!(shown[3].1.contains("Chưa có số liệu nào."), "{page}");

    // The command the page shows, as a newcomer would run it against the service's broker.
    let command = shown[3].1.split("<code>").nth(1).and_then(|c| c.split("</code>").next()).unwrap();
    let command = command.replace("&quot;", "\"");
    assert_eq!(command, r#"mosquitto_pub -t xanh/dien-tong/reading -q 1 -m '{"value": 1234.5}'"#);
    let topic = command.split_whitespace().nth(2).unwrap();
    let payload = command.split('\'').nth(1).unwrap();
    mosquitto_pub(app.mqtt.1, topic, payload);
    app.wait_processed(1).await;
    let (_, page) = session.get("/start").await;
    let shown = steps(&page);
    assert!(shown[3].0 && shown[3].1.contains("1 số liệu đã lưu."), "{page}");

    // In English on request.
    let (_, page) = session.get("/start?lang=en").await;
    assert!(page.contains("Getting started") && page.contains("1 readings stored."), "{page}");
    app.stop().await;
}
