//! The plan page: the baselines and targets in force, forms for HC-QT to change them, and
//! every change with who made it, when, the old and the new value.

use axum::extract::{Query, State};
use axum::response::Redirect;
use maud::{Markup, html};
use serde::Deserialize;

use super::{back_to, csrf_field, layout, period_choice};
use crate::analysis::plan_in_force::in_force;
use crate::domain::Role;
use crate::domain::period::NamedPeriod;
use crate::domain::{DepartmentId, Resource};
use crate::locale::{self, Lang};
use crate::store::PlanValue;
use crate::web::auth::{Admin, CsrfForm, Viewer};
use crate::web::commands::CommandError;
use crate::web::commands::plan::{BaselineBody, TargetBody, apply_baseline, apply_target};
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct PlanPageParams {
    lang: Option<String>,
    ok: Option<String>,
    error: Option<String>,
}

fn back(lang: Lang, result: Result<String, String>) -> Redirect {
    back_to("/plan", lang, result)
}

fn value_text(value: &Option<PlanValue>, resource: Resource, lang: Lang) -> String {
    match value {
        None => {
            if lang == Lang::Vi {
                "theo cấu hình".into()
            } else {
                "as configured".into()
            }
        }
        Some(PlanValue::Baseline { amount, note }) => {
            let amount = locale::quantity(resource, *amount, lang);
            if note.is_empty() { amount } else { format!("{amount} ({note})") }
        }
        Some(PlanValue::Target { saving_percent, stretch_percent }) => match stretch_percent {
            Some(s) => format!("−{} % (−{} %)", locale::number(*saving_percent, 1, lang), locale::number(*s, 1, lang)),
            None => format!("−{} %", locale::number(*saving_percent, 1, lang)),
        },
    }
}

pub async fn plan_page(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    Query(params): Query<PlanPageParams>,
) -> Result<Markup, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let config = state.config();
    let tz = &config.office.timezone;
    let plan = in_force(state.store.as_ref(), &config).await?;
    let edits = state.store.plan_edits().await?;
    let today = jiff::Timestamp::now().to_zoned(tz.clone()).date();
    let year = NamedPeriod::Year(today.year());
    let scopes: Vec<(Option<&DepartmentId>, String)> =
        std::iter::once((None, lang.pick("Toàn cơ quan", "Whole office").to_owned()))
            .chain(config.departments.iter().map(|d| (Some(&d.id), d.name.clone())))
            .collect();
    let name_of = |id: Option<&DepartmentId>| match id {
        Some(id) => config.department(id).map(|d| d.name.clone()).unwrap_or_else(|| id.to_string()),
        None => lang.pick("Toàn cơ quan", "Whole office").to_owned(),
    };
    let resources = Resource::ALL;
    let department_select = html! {
        select name="department" {
            option value="" { (lang.pick("Toàn cơ quan", "Whole office")) }
            @for d in &config.departments { option value=(d.id.as_str()) { (d.name) } }
        }
    };
    let resource_select = html! {
        select name="resource" required {
            @for r in resources { option value=(r.as_str()) { (locale::resource_name(r, lang)) " (" (locale::unit(r, lang)) ")" } }
        }
    };
    let body = html! {
        main.plan {
            @if let Some(ok) = &params.ok { p.status.ok data-result="ok" { (ok) } }
            @if let Some(error) = &params.error { p.status.bad data-result="error" { (error) } }
            section {
                h2 { (lang.pick("Mốc cơ sở và mục tiêu đang áp dụng", "Baselines and targets in force")) }
                p { (lang.pick("Giá trị trong cấu hình, cùng các thay đổi mới nhất của HC-QT dưới đây. Mốc cơ sở tính từ số liệu đo kỳ ", "The config's values with HC-QT's latest changes below. Computed baselines are the use measured over "))
                    (plan.baselines.reference) (lang.pick(" trừ khi được nhập từ hoá đơn.", " unless entered from bills.")) }
                div.table-wrap { table {
                    thead { tr {
                        th { (lang.pick("Phạm vi", "Scope")) }
                        @for r in resources { th { (lang.pick("Mốc cơ sở", "Baseline")) " · " (locale::resource_name(r, lang)) } th { (lang.pick("Mục tiêu", "Target")) " " (year) " · " (locale::resource_name(r, lang)) } }
                    } }
                    tbody {
                        @for (scope, name) in &scopes {
                            tr data-scope=(scope.map(|d| d.as_str()).unwrap_or("office")) {
                                td { (name) }
                                @for r in resources {
                                    td data-figure=(format!("baseline-{}", r.as_str())) {
                                        @match plan.baselines.entered(r, *scope) {
                                            Some(b) => { (locale::quantity(r, b.amount, lang)) " · " (locale::period_name(b.period, lang)) @if !b.note.is_empty() { " · " (b.note) } }
                                            None => { (lang.pick("tính từ số liệu ", "measured ")) (plan.baselines.reference) }
                                        }
                                    }
                                    td.num data-figure=(format!("target-{}", r.as_str())) {
                                        @match plan.target(r, *scope, &year) {
                                            Some(rule) => { "−" (locale::number(rule.saving_percent, 1, lang)) " %" @if let Some(s) = rule.stretch_percent { " (−" (locale::number(s, 1, lang)) " %)" } }
                                            None => "—",
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
            @if who.role() == Role::Admin {
            section {
                h2 { (lang.pick("Nhập mốc cơ sở từ hoá đơn", "Enter a baseline from bills")) }
                form method="post" action=(format!("/plan/baseline?lang={}", lang.code())) {
                    (csrf_field(&who))
                    label { (lang.pick("Tài nguyên", "Resource")) (resource_select) }
                    label { (lang.pick("Phạm vi", "Scope")) (department_select) }
                    (period_choice::select_labelled(lang.pick("Kỳ của số liệu", "Period it covers"), NamedPeriod::Year(today.year() - 1), today, lang))
                    label { (lang.pick("Lượng dùng trong kỳ", "Use over the period")) input name="amount" inputmode="decimal" placeholder="21.900"; }
                    label { (lang.pick("Ghi chú (nguồn)", "Note (source)")) input name="note" placeholder="Hoá đơn EVN 2025"; }
                    label.check { input type="checkbox" name="reset" value="true"; (lang.pick("Trở về giá trị cấu hình", "Back to the config's value")) }
                    label { (lang.pick("Lý do", "Reason")) input name="reason" required minlength="5"; }
                    button type="submit" { (lang.pick("Lưu mốc cơ sở", "Save the baseline")) }
                }
            }
            section {
                h2 { (lang.pick("Đặt mục tiêu tiết kiệm", "Set a saving target")) }
                form method="post" action=(format!("/plan/target?lang={}", lang.code())) {
                    (csrf_field(&who))
                    label { (lang.pick("Tài nguyên", "Resource")) (resource_select) }
                    label { (lang.pick("Phạm vi", "Scope")) (department_select) }
                    (period_choice::select_or_none(lang.pick("Kỳ", "Period"), lang.pick("Mọi kỳ", "Every period"), today, lang))
                    label { (lang.pick("Tiết kiệm (%)", "Saving (%)")) input name="saving_percent" inputmode="decimal" placeholder="2"; }
                    label { (lang.pick("Mục tiêu phấn đấu (%)", "Stretch (%)")) input name="stretch_percent" inputmode="decimal" placeholder="10"; }
                    label.check { input type="checkbox" name="reset" value="true"; (lang.pick("Trở về giá trị cấu hình", "Back to the config's value")) }
                    label { (lang.pick("Lý do", "Reason")) input name="reason" required minlength="5"; }
                    button type="submit" { (lang.pick("Lưu mục tiêu", "Save the target")) }
                }
            }
            }
            section {
                h2 { (lang.pick("Lịch sử thay đổi", "Change history")) }
                @if edits.is_empty() {
                    p.empty { (lang.pick("Chưa có thay đổi nào: đang áp dụng đúng cấu hình.", "No change yet: the config's values are in force.")) }
                } @else {
                    div.table-wrap { table {
                        thead { tr {
                            th { (lang.pick("Lúc", "At")) } th { (lang.pick("Người thay đổi", "By")) } th { (lang.pick("Nội dung", "What")) } th { (lang.pick("Phạm vi", "Scope")) }
                            th { (lang.pick("Kỳ", "Period")) } th { (lang.pick("Cũ", "Old")) } th { (lang.pick("Mới", "New")) } th { (lang.pick("Lý do", "Reason")) }
                        } }
                        tbody {
                            @for r in edits.iter().rev() {
                                tr data-edit=(r.id) {
                                    td { (locale::date_time(r.at, tz, lang)) }
                                    td { (r.edit.by) }
                                    td { (if r.edit.target { lang.pick("Mục tiêu", "Target") } else { lang.pick("Mốc cơ sở", "Baseline") }) " · " (locale::resource_name(r.edit.resource, lang)) }
                                    td { (name_of(r.edit.department.as_ref())) }
                                    td { (r.edit.period.map(|p| locale::period_name(p, lang)).unwrap_or_else(|| lang.pick("mọi kỳ", "every period").to_owned())) }
                                    td data-figure="old" { (value_text(&r.edit.old, r.edit.resource, lang)) }
                                    td data-figure="new" { (value_text(&r.edit.new, r.edit.resource, lang)) }
                                    td { (r.edit.reason) }
                                }
                            }
                        }
                    } }
                }
            }
        }
    };
    Ok(layout(&state, lang, "/plan", None, Some(&who), body))
}

#[derive(Deserialize)]
pub struct BaselineForm {
    resource: String,
    department: Option<String>,
    period: Option<String>,
    amount: Option<String>,
    #[serde(default)]
    note: String,
    reset: Option<String>,
    reason: String,
}

#[derive(Deserialize)]
pub struct TargetForm {
    resource: String,
    department: Option<String>,
    period: Option<String>,
    saving_percent: Option<String>,
    stretch_percent: Option<String>,
    reset: Option<String>,
    reason: String,
}

fn saved(lang: Lang, result: Result<crate::store::PlanEditRecord, CommandError>) -> Result<Redirect, ApiError> {
    let message = match result {
        Ok(record) => Ok(match (lang, record.edit.target) {
            (Lang::Vi, false) => "Đã lưu mốc cơ sở; lịch sử thay đổi ở cuối trang.".to_owned(),
            (Lang::Vi, true) => "Đã lưu mục tiêu; lịch sử thay đổi ở cuối trang.".to_owned(),
            (Lang::En, false) => "Saved the baseline; the change is listed at the bottom.".to_owned(),
            (Lang::En, true) => "Saved the target; the change is listed at the bottom.".to_owned(),
        }),
        Err(e) => Err(e.refusal(lang)?),
    };
    Ok(back(lang, message))
}

pub async fn baseline_form(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PlanPageParams>,
    CsrfForm(form): CsrfForm<BaselineForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let body = BaselineBody {
        resource: form.resource,
        department: form.department,
        period: form.period,
        amount: form.amount.map(serde_json::Value::String),
        note: form.note,
        reset: form.reset.is_some(),
        reason: form.reason,
    };
    saved(lang, apply_baseline(&state, &admin, body).await)
}

pub async fn target_form(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PlanPageParams>,
    CsrfForm(form): CsrfForm<TargetForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let body = TargetBody {
        resource: form.resource,
        department: form.department,
        period: form.period,
        saving_percent: form.saving_percent.map(serde_json::Value::String),
        stretch_percent: form.stretch_percent.map(serde_json::Value::String),
        reset: form.reset.is_some(),
        reason: form.reason,
    };
    saved(lang, apply_target(&state, &admin, body).await)
}
