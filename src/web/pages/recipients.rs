//! Người nhận cảnh báo: an admin keeps who is told of alerts (HC-QT hears of everything, a
//! department's head of their department), each with an e-mail or a webhook, quiet hours and
//! a daily digest. The forms do what `/api/v1/alerts/recipients` does (`commands::recipients`).

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{back_to, csrf_field, layout};
use crate::config::RecipientFields;
use crate::locale::Lang;
use crate::store::alert_recipients::KeptRecipient;
use crate::web::auth::{Admin, CsrfForm};
use crate::web::commands::recipients;
use crate::web::{ApiError, AppState};

const PAGE: &str = "/admin/recipients";

#[derive(Deserialize)]
pub struct RecipientsParams {
    lang: Option<String>,
    ok: Option<String>,
    error: Option<String>,
}

/// A recipient's form: its fields, and for a kept one `save` or `delete`.
#[derive(Deserialize)]
pub struct RecipientForm {
    #[serde(default)]
    action: Option<String>,
    #[serde(flatten)]
    fields: RecipientFields,
}

pub async fn recipients_page(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<RecipientsParams>,
) -> Result<Markup, ApiError> {
    let who = admin.principal();
    let lang = Lang::from_query(params.lang.as_deref());
    let kept = crate::alerts::blocking(&state.alerts.book(), |book| book.recipients()).await?;
    let code = lang.code();
    let body = html! {
        main.admin.recipients {
            h2 { (lang.pick("Người nhận cảnh báo", "Alert recipients")) }
            p { (lang.pick(
                "HC-QT nhận mọi cảnh báo; trưởng phòng nhận cảnh báo của phòng mình. Thay đổi có hiệu lực từ lượt kiểm tra tiếp theo (trong vòng một phút).",
                "HC-QT hears of every alert; a department's head of their department's. A change counts from the next round (within a minute).",
            )) }
            @if let Some(ok) = &params.ok { p.message.ok role="status" data-result="ok" { (ok) } }
            @if let Some(error) = &params.error { p.message.error role="alert" data-result="error" { (error) } }
            @if kept.is_empty() {
                p.empty { (lang.pick("Chưa có người nhận nào: cảnh báo chỉ hiện trên trang Cảnh báo.", "No recipients yet: alerts show on the Alerts page only.")) }
            }
            @for r in &kept {
                form.recipient method="post" action=(format!("{PAGE}/{}?lang={code}", r.id)) data-recipient=(r.id) {
                    (csrf_field(who))
                    (fields(&state, lang, Some(r)))
                    button name="action" value="save" { (lang.pick("Lưu", "Save")) }
                    button name="action" value="delete" { (lang.pick("Xoá", "Remove")) }
                }
            }
            h3 { (lang.pick("Thêm người nhận", "Add a recipient")) }
            form.recipient.new method="post" action=(format!("{PAGE}?lang={code}")) {
                (csrf_field(who))
                (fields(&state, lang, None))
                button type="submit" { (lang.pick("Thêm", "Add")) }
            }
        }
    };
    Ok(layout(&state, lang, PAGE, None, Some(who), body))
}

/// The inputs of one recipient, filled with `kept`'s fields if given.
fn fields(state: &AppState, lang: Lang, kept: Option<&KeptRecipient>) -> Markup {
    let f = kept.map(|k| &k.fields);
    let text = |v: Option<&Option<String>>| v.and_then(|v| v.clone()).unwrap_or_default();
    let role = f.map(|f| f.role.as_str()).unwrap_or("hc_qt");
    let department = text(f.map(|f| &f.department));
    html! {
        label { (lang.pick("Họ tên, chức vụ", "Name and title")) input name="name" required value=(f.map(|f| f.name.as_str()).unwrap_or("")); }
        label { (lang.pick("Vai trò", "Role")) select name="role" {
            option value="hc_qt" selected[role == "hc_qt"] { (lang.pick("HC-QT (mọi cảnh báo)", "HC-QT (every alert)")) }
            option value="department_head" selected[role == "department_head"] { (lang.pick("Trưởng phòng (cảnh báo của phòng)", "Head of department (their department's alerts)")) }
        } }
        label { (lang.pick("Phòng ban (trưởng phòng)", "Department (heads)")) select name="department" {
            option value="" { "—" }
            @for d in &state.config().departments {
                option value=(d.id) selected[department == d.id.as_str()] { (d.name) }
            }
        } }
        label { "E-mail" input type="email" name="email" value=(text(f.map(|f| &f.email))) placeholder="ten@ubnd-tinh.gov.vn"; }
        label { (lang.pick("hoặc webhook", "or webhook")) input name="webhook" value=(text(f.map(|f| &f.webhook))) placeholder=(lang.pick("tên trong [[notify.webhook]]", "a [[notify.webhook]] name")); }
        label { (lang.pick("Giờ yên lặng", "Quiet hours")) input name="quiet_hours" value=(text(f.map(|f| &f.quiet_hours))) placeholder="21:00-06:30"; }
        label { (lang.pick("Bản tổng hợp hằng ngày lúc", "Daily digest at")) input name="digest_at" value=(text(f.map(|f| &f.digest_at))) placeholder="07:00"; }
    }
}

fn done(lang: Lang, result: Result<String, ApiError>) -> Result<Response, ApiError> {
    let result = match result {
        Ok(message) => Ok(message),
        Err(ApiError::BadRequest(m) | ApiError::NotFound(m)) => Err(m),
        Err(other) => return Err(other),
    };
    Ok(back_to(PAGE, lang, result).into_response())
}

pub async fn add_recipient_form(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<RecipientsParams>,
    CsrfForm(form): CsrfForm<RecipientForm>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let added = recipients::add(&state, admin.principal(), form.fields).await;
    done(lang, added.map(|r| format!("{} {}.", lang.pick("Đã thêm", "Added"), r.fields.name)))
}

pub async fn recipient_action_form(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<i64>,
    Query(params): Query<RecipientsParams>,
    CsrfForm(form): CsrfForm<RecipientForm>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let who = admin.principal();
    let result = match form.action.as_deref() {
        Some("delete") => recipients::delete(&state, who, id)
            .await
            .map(|r| format!("{} {}.", lang.pick("Đã xoá", "Removed"), r.fields.name)),
        _ => recipients::update(&state, who, id, form.fields)
            .await
            .map(|r| format!("{} {}.", lang.pick("Đã lưu", "Saved"), r.fields.name)),
    };
    done(lang, result)
}
