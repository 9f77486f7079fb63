//! The dashboard's pages, rendered on the server: Vietnamese by default, `?lang=en` for
//! English. Each page fills the shared layout.

mod account;
mod admin;
mod alerts;
mod audit;
pub mod dashboard;
mod document_grid;
mod documents;
mod entry;
pub mod explain;
mod meetings;
mod menu;
mod offices;
mod period_choice;
mod plan;
mod recipients;
mod rejected;
mod reports;
mod scores;
mod setup;
mod slips;
mod start;
mod supplies;

pub use account::{login, login_page, logout, setup, setup_page};
pub use admin::{create_token_form, create_user_form, revoke_token_form, user_action_form, users_page};
pub use alerts::{acknowledge_form, alerts_page};
pub use audit::audit_page;
pub use dashboard::{chart_png, dashboard};
pub use document_grid::grid_form as document_grid_form;
pub use documents::{documents_form, documents_page};
pub use entry::{correct_form, entry, reading_form};
pub use meetings::meetings_form;
pub use offices::offices_page;
pub use plan::{baseline_form, plan_page, target_form};
pub use recipients::{add_recipient_form, recipient_action_form, recipients_page};
pub use rejected::{bulk_review_form, rejected, reprocess_form, review_form};
pub use reports::{kept_report, reports_page};
pub use scores::scores_page;
pub use setup::{
    add_department_form, add_meter_form, adopt_device_form, calendar_form, calendar_page, change_department_form,
    change_meter_form, departments_page, devices_page, factor_form, factors_page, meter_page, meters_page,
    retire_meter_form, staffing_form, supply_norm_form, supply_price_form, supply_prices_page, tariff_form,
    tariffs_page, tiers_form,
};
pub use slips::{slip_form, slip_import_form};
pub use start::start_page;

use maud::{DOCTYPE, Markup, html};

use super::AppState;
use super::auth;
use crate::auth::Principal;
use crate::domain::{RejectReason, Role};
use crate::locale::{self, Lang};

/// A rejection reason as people read it; an unknown code is shown as it is.
pub(crate) fn reason_text(code: &str, lang: Lang) -> &str {
    let Some(reason) = RejectReason::parse(code) else { return code };
    let (vi, en) = match reason {
        RejectReason::UnknownTopic => ("Chủ đề không thuộc công tơ nào", "No meter publishes on this topic"),
        RejectReason::UnknownMeter => ("Công tơ chưa được khai báo", "Meter not configured"),
        RejectReason::Undecodable => ("Không đọc được nội dung", "Payload cannot be read"),
        RejectReason::NonFinite => ("Giá trị không phải số hữu hạn", "Not a finite number"),
        RejectReason::Negative => ("Giá trị âm", "Negative value"),
        RejectReason::FutureTimestamp => ("Thời điểm ở tương lai", "Time in the future"),
        RejectReason::TooOld => ("Thời điểm quá cũ", "Older than the office accepts"),
        RejectReason::ConflictingDuplicate => ("Trùng thời điểm nhưng khác giá trị", "Same time, different value"),
        RejectReason::HeldForReview => ("Tăng giảm bất thường, chờ xem xét", "Unlikely jump, held for review"),
        RejectReason::UnknownSupply => {
            ("Phiếu xuất kho có nguồn lực hoặc mặt hàng chưa khai báo", "Issue slip names an unknown resource or item")
        }
        RejectReason::MeterRetired => ("Công tơ đã thôi dùng", "Meter retired"),
    };
    lang.pick(vi, en)
}

/// The page shell: title, header with the menu (see `menu`), the language switch and the
/// signed-in person with a sign-out button, then `main`. `path` is the page's own path, for
/// the menu and the language link; `refresh` reloads it every so many seconds.
fn layout(
    state: &AppState,
    lang: Lang,
    path: &str,
    refresh: Option<u32>,
    who: Option<&Principal>,
    main: Markup,
) -> Markup {
    let office = &state.config().office.name;
    let code = lang.code();
    let (other, other_code) = match lang {
        Lang::Vi => ("English", "en"),
        Lang::En => ("Tiếng Việt", "vi"),
    };
    html! {
        (DOCTYPE)
        html lang=(code) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(seconds) = refresh { meta http-equiv="refresh" content=(seconds); }
                title { "Xanh — " (office) }
                link rel="stylesheet" href="/static/xanh.css";
            }
            body {
                header {
                    h1 { "Xanh · " (office) }
                    span.subtitle { (lang.pick("Theo dõi tiết kiệm điện, nước, giấy", "Electricity, water and paper savings")) }
                    (menu::menu(state, lang, path, who))
                    a.language href=(format!("{path}?lang={other_code}")) hreflang=(other_code) { (other) }
                    @if let Some(who) = who {
                        form.account method="post" action=(format!("/logout?lang={code}")) {
                            span { (who.user.display_name) " (" (role_name(who.role(), lang)) ")" }
                            input type="hidden" name="csrf" value=(auth::csrf_token(who));
                            button type="submit" { (lang.pick("Đăng xuất", "Sign out")) }
                        }
                    } @else {
                        a.account href=(format!("/login?lang={code}")) { (lang.pick("Đăng nhập", "Sign in")) }
                    }
                }
                @if let Some(banner) = outbox_banner(state, lang) { (banner) }
                @if let Some(banner) = alerts_banner(state, lang) { (banner) }
                (main)
            }
        }
    }
}

/// While points wait for InfluxDB, every page says how many and how long the oldest has
/// waited: the figures shown are complete, InfluxDB's (and Grafana's) are behind.
fn outbox_banner(state: &AppState, lang: Lang) -> Option<Markup> {
    let outbox = state.outbox.as_ref()?.snapshot();
    if outbox.pending == 0 {
        return None;
    }
    let points = locale::number(outbox.pending as f64, 0, lang);
    let age = outbox.oldest_pending_age(jiff::Timestamp::now()).map(|age| locale::span(age, lang));
    let text = match (lang, age) {
        (Lang::Vi, Some(age)) => format!("Đang chờ ghi {points} điểm vào InfluxDB (cũ nhất {age} trước)"),
        (Lang::Vi, None) => format!("Đang chờ ghi {points} điểm vào InfluxDB"),
        (Lang::En, Some(age)) => format!("Waiting to write {points} points to InfluxDB (oldest {age} ago)"),
        (Lang::En, None) => format!("Waiting to write {points} points to InfluxDB"),
    };
    Some(html! { p.alert.outbox role="status" { (text) } })
}

/// While an active alert waits for someone to acknowledge it (or the store could not record
/// one), every page says so and links to the alerts page.
fn alerts_banner(state: &AppState, lang: Lang) -> Option<Markup> {
    let (waiting, unrecorded) = state.alerts.attention();
    if waiting == 0 && unrecorded.is_empty() {
        return None;
    }
    let count = locale::number(waiting as f64, 0, lang);
    let text = match lang {
        Lang::Vi => format!("{count} cảnh báo đang chờ xử lý"),
        Lang::En => format!("{count} active alerts need attention"),
    };
    Some(html! {
        div.alert.alerts-banner role="alert" data-alerts=(waiting) {
            a href=(format!("/alerts?lang={}", lang.code())) { (text) }
            @for condition in &unrecorded {
                p { (match lang { Lang::Vi => &condition.message, Lang::En => &condition.message_en }) }
            }
        }
    })
}

/// A role as people read it.
pub(crate) fn role_name(role: Role, lang: Lang) -> &'static str {
    match (role, lang) {
        (Role::Admin, Lang::Vi) => "quản trị",
        (Role::Reporter, Lang::Vi) => "nhập liệu",
        (Role::Viewer, Lang::Vi) => "xem",
        (Role::Admin, Lang::En) => "admin",
        (Role::Reporter, Lang::En) => "reporter",
        (Role::Viewer, Lang::En) => "viewer",
    }
}

/// A hidden field with the form's CSRF token.
pub(crate) fn csrf_field(who: &Principal) -> Markup {
    html! { input type="hidden" name="csrf" value=(auth::csrf_token(who)); }
}

/// Back to the page at `path` after a form, with the result to show at its top (`ok` or
/// `error` in the address).
pub(crate) fn back_to(path: &str, lang: Lang, result: Result<String, String>) -> axum::response::Redirect {
    let (key, message) = match result {
        Ok(message) => ("ok", message),
        Err(message) => ("error", message),
    };
    let query = serde_urlencoded::to_string([("lang", lang.code()), (key, message.as_str())]).unwrap_or_default();
    axum::response::Redirect::to(&format!("{path}?{query}"))
}
