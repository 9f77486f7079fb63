//! The meter form says every refusal in Vietnamese, naming the form's field and the fix, and
//! in English with `?lang=en` (issue 18): the config checks it reuses word their problems for
//! the config file, in English.

use crate::common::{ADMIN, PASSWORD, spawn_app};

/// The error a page shows after a refused form, unescaped enough to read.
fn shown_error(html: &str) -> String {
    let start = html.find("data-result=\"error\"").unwrap_or_else(|| panic!("no error shown: {html}"));
    let text = &html[start..];
    let text = &text[text.find('>').unwrap() + 1..];
    text[..text.find("</p>").unwrap()].replace("&quot;", "\"")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_meter_forms_refusals_are_vietnamese_and_english_on_asking() {
    let app = spawn_app().await;
    let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let wrong = [
        ("id", "dien-photo"),
        ("name", "Máy photo"),
        ("resource", "electricity"),
        ("department", "phong-a"),
        ("kind", "counter"),
        ("unit", "m3"),
        ("format", "tasmota"),
        ("topic", ""),
        ("expected_interval", "mười phút"),
    ];
    let html = session.submit("/admin/meters", "/admin/meters?lang=vi", &wrong).await;
    let error = shown_error(&html);
    assert!(error.starts_with("Chưa lưu: "), "{error}");
    for said in [
        "Đơn vị thiết bị gửi: đơn vị không hợp với loại tài nguyên đã chọn; cách sửa:",
        "Chủ đề MQTT: định dạng này cần chủ đề MQTT",
        "Khoảng gửi dự kiến (expected_interval): không phải một khoảng thời gian",
    ] {
        assert!(error.contains(said), "`{said}` is not in: {error}");
    }
    for english in ["fix:", "is not", "meters["] {
        assert!(!error.contains(english), "English `{english}` in: {error}");
    }

    // A meter whose id is taken: Vietnamese, then English on asking.
    let mut taken = wrong.to_vec();
    taken[0] = ("id", "dien-a");
    taken[5] = ("unit", "kWh");
    taken[6] = ("format", "generic");
    taken[8] = ("expected_interval", "15m");
    let html = session.submit("/admin/meters", "/admin/meters?lang=vi", &taken).await;
    assert_eq!(
        shown_error(&html),
        "Chưa lưu: Đã có công tơ mã `dien-a`: hãy đặt mã khác cho công tơ mới, hoặc sửa công tơ đó."
    );
    let html = session.submit("/admin/meters?lang=en", "/admin/meters?lang=en", &wrong).await;
    let error = shown_error(&html);
    assert!(error.starts_with("Not saved: ") && error.contains("unit") && error.contains("fix:"), "{error}");

    // A wrong day on the retire form.
    let retire = [("from", "31/02/2027"), ("action", "retire")];
    let html = session.submit("/admin/meters/dien-a", "/admin/meters/dien-a/retire?lang=vi", &retire).await;
    assert_eq!(shown_error(&html), "Chưa lưu: “31/02/2027” không phải một ngày: hãy viết như 15/11/2026");
    app.stop().await;
}
