//! The first-run page ("Bắt đầu"): what a new office has done and what comes next — the
//! admin, departments and meters, a first reading — each step with how to do it.

use axum::extract::{Query, State};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout;
use crate::domain::{Meter, Role};
use crate::locale::{self, Lang};
use crate::web::auth::Viewer;
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct StartParams {
    lang: Option<String>,
}

/// One step: whether it is done, its heading, and what to do (or what was done).
fn step(done: bool, heading: &str, body: Markup) -> Markup {
    html! {
        li.step data-done=(done) {
            h3 { span.mark aria-hidden="true" { (if done { "✓" } else { "○" }) } " " (heading) }
            (body)
        }
    }
}

/// The meter whose first reading the page shows how to send: one on Xanh's own topic.
fn first_reading_meter(meters: &[Meter]) -> Option<&Meter> {
    meters.iter().find(|m| m.topic.as_str() == format!("xanh/{}/reading", m.id))
}

pub async fn start_page(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    Query(params): Query<StartParams>,
) -> Result<Markup, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let code = lang.code();
    let config = &state.config();
    let admins = state.auth.users().await?.iter().filter(|u| u.role == Role::Admin).count();
    let statuses = state.store.meter_status().await?;
    let readings: u64 = statuses.iter().map(|s| s.readings).sum();
    let count = |n: usize| locale::number(n as f64, 0, lang);
    let is_admin = who.role() == Role::Admin;
    // A retired meter's readings are refused: the example names one in service.
    let in_service = state.pipeline.meters_in_use(jiff::Timestamp::now());
    let example = first_reading_meter(&in_service);
    let body = html! {
        main.start {
            h2 { (lang.pick("Bắt đầu với Xanh", "Getting started")) }
            p { (lang.pick("Các bước để một văn phòng mới có số liệu trên bảng điều khiển. Bước đã xong có dấu ✓.",
                           "The steps that bring a new office's figures onto the dashboard. Steps done are ticked ✓.")) }
            ol.steps {
                (step(admins > 0, lang.pick("Tạo quản trị viên", "Create the admin"), html! {
                    p { (lang.pick("Trên máy chủ, tạo tài khoản quản trị (lệnh hỏi mật khẩu):", "On the server, create the admin account (it asks for a password):")) }
                    pre { code { "xanh user add hcqt --admin --name \"Phòng Hành chính – Quản trị\"" } }
                    p { (lang.pick("Hoặc mở đường dẫn dùng một lần mà dịch vụ ghi vào nhật ký ở lần chạy đầu (/setup?token=…).",
                                   "Or open the one-time link the service logs at its first start (/setup?token=…).")) }
                    @if admins > 0 {
                        p.done { (count(admins)) " " (lang.pick("quản trị viên.", "admin(s).")) " "
                            @if is_admin { a href=(format!("/admin/users?lang={code}")) { (lang.pick("Thêm người dùng", "Add users")) } } }
                    }
                }))
                (step(!config.departments.is_empty(), lang.pick("Khai báo phòng, ban", "Add the departments"), html! {
                    p { (lang.pick("Quản trị viên thêm từng phòng, ban (mã, tên, số người, diện tích) trên trang ", "An admin adds each department (id, name, headcount, floor area) on the page "))
                        a href=(format!("/admin/departments?lang={code}")) { (lang.pick("Quản lý phòng, ban", "Manage departments")) }
                        (lang.pick("; kho dữ liệu mới nhận sẵn các mục [[departments]] của tệp cấu hình.", "; a new store takes the config file's [[departments]] to begin with.")) }
                    @if !config.departments.is_empty() {
                        p.done { (count(config.departments.len())) " " (lang.pick("phòng, ban.", "departments.")) " "
                            a href=(format!("/departments?lang={code}")) { (lang.pick("So sánh phòng, ban", "Departments compared")) } }
                    }
                }))
                (step(!config.meters.is_empty(), lang.pick("Khai báo công tơ", "Add the meters"), html! {
                    p { (lang.pick("Mỗi công tơ, đồng hồ nước hoặc máy in một mục [[meters]] (mã, tài nguyên, phòng, ban, đơn vị, định dạng bản tin) trong tệp cấu hình.",
                                   "One [[meters]] entry per electricity meter, water meter or printer (id, resource, department, unit, payload format) in the config file.")) }
                    @if !config.meters.is_empty() {
                        p.done { (count(config.meters.len())) " " (lang.pick("công tơ.", "meters.")) " "
                            a href=(format!("/meters?lang={code}")) { (lang.pick("Xem các công tơ", "See the meters")) } }
                    }
                }))
                (step(readings > 0, lang.pick("Gửi số liệu đầu tiên", "Send a first reading"), html! {
                    @if let Some(meter) = example {
                        p { (lang.pick("Từ máy có mosquitto-clients, gửi một chỉ số (theo đơn vị của công tơ) tới cổng MQTT của dịch vụ:",
                                       "From a machine with mosquitto-clients, send a reading (in the meter's unit) to the service's MQTT port:")) }
                        pre { code { "mosquitto_pub -t " (meter.topic.as_str()) " -q 1 -m '{\"value\": 1234.5}'" } }
                    }
                    p { (lang.pick("Hoặc nhập tay trên trang ", "Or enter one by hand on the page "))
                        a href=(format!("/entry?lang={code}")) { (lang.pick("Nhập số liệu", "Enter readings")) } "." }
                    @if readings > 0 {
                        p.done { (count(readings as usize)) " " (lang.pick("số liệu đã lưu.", "readings stored.")) " "
                            a href=(format!("/?lang={code}")) { (lang.pick("Xem tổng quan", "See the overview")) } }
                    } @else {
                        p { (lang.pick("Chưa có số liệu nào. Thiết bị gửi sai chủ đề hoặc sai định dạng được ghi ở ", "No reading yet. A device that sends on a wrong topic or in a wrong format is listed on "))
                            a href=(format!("/rejected?lang={code}")) { (lang.pick("Số liệu bị từ chối", "Rejected readings")) } "." }
                    }
                }))
            }
        }
    };
    Ok(layout(&state, lang, "/start", None, Some(&who), body))
}
