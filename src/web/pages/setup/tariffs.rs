//! Quản trị › Giá điện, nước, giấy: the price of each resource today, the prices over time
//! (the config's and those entered here), and a form for a price from a day on, which the
//! cost figures follow at once.

use axum::extract::{Query, State};
use axum::response::Redirect;
use maud::{Markup, html};
use serde::Deserialize;

use super::super::{back_to, csrf_field, layout};
use super::electricity_tiers::{describe, tiers_section};
use crate::analysis::plan_in_force::in_force;
use crate::domain::Resource;
use crate::locale::{self, Lang};
use crate::web::auth::{Admin, CsrfForm};
use crate::web::commands::tariffs::{TariffBody, record};
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct PageParams {
    pub lang: Option<String>,
    ok: Option<String>,
    error: Option<String>,
}

/// The units a price is given per, as the form offers them: (config name, Vietnamese, English).
const UNITS: &[(Resource, &str, &str, &str)] = &[
    (Resource::Electricity, "kWh", "đồng/kWh", "VND/kWh"),
    (Resource::Water, "m3", "đồng/m³", "VND/m³"),
    (Resource::Paper, "ream", "đồng/ram (500 tờ)", "VND/ream (500 sheets)"),
];

/// A unit as a config writes it, as a person reads it.
fn per_label(per: &str, lang: Lang) -> &str {
    match per {
        "m3" => "m³",
        "ream" => lang.pick("ram", "ream"),
        "sheet" => lang.pick("tờ", "sheet"),
        "L" => lang.pick("lít", "L"),
        other => other,
    }
}

fn resource_name(resource: Resource, lang: Lang) -> &'static str {
    match resource {
        Resource::Electricity => lang.pick("Điện", "Electricity"),
        Resource::Water => lang.pick("Nước", "Water"),
        Resource::Paper => lang.pick("Giấy", "Paper"),
    }
}

pub async fn tariffs_page(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PageParams>,
) -> Result<Markup, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let plan = in_force(state.store.as_ref(), &state.config()).await?;
    let today = jiff::Timestamp::now().to_zoned(state.config().office.timezone.clone()).date();
    let code = lang.code();
    let body = html! {
        main.admin.setup.tariffs {
            @if let Some(ok) = &params.ok { p.status.ok data-result="ok" { (ok) } }
            @if let Some(error) = &params.error { p.status.bad data-result="error" { (error) } }
            section {
                h2 { (lang.pick("Giá đang áp dụng hôm nay", "Prices in force today")) }
                div.table-wrap { table {
                    thead { tr { th { (lang.pick("Loại", "Resource")) } th.num { (lang.pick("Giá (đồng)", "Price (VND)")) } th { (lang.pick("Đơn vị", "Per")) } th { (lang.pick("Từ ngày", "From")) } } }
                    tbody { @for &(resource, _, _, _) in UNITS {
                        tr data-resource=(resource.as_str()) {
                            td { (resource_name(resource, lang)) }
                            @if let Some(t) = plan.tariff(resource, today) {
                                td.num data-figure="price" { (locale::number(t.price_vnd, 0, lang)) }
                                td { (per_label(&t.per, lang)) }
                                td { (t.from.strftime("%d/%m/%Y")) }
                            } @else {
                                td.num data-figure="price" { "—" } td {} td {}
                            }
                        }
                    } }
                } }
            }
            section {
                h2 { (lang.pick("Đặt giá mới", "Set a new price")) }
                p { (lang.pick(
                    "Giá mới áp dụng từ ngày đã chọn đến lần thay đổi sau; giá cũ vẫn dùng cho các ngày trước đó. Chi phí trên các trang tính lại ngay.",
                    "The new price is in force from the chosen day until the next change; the old one still prices the days before. Costs on every page follow at once."
                )) }
                form.tariff method="post" action=(format!("/admin/tariffs?lang={code}")) {
                    (csrf_field(admin.principal()))
                    label { (lang.pick("Loại và đơn vị", "Resource and unit")) select name="unit" required {
                        @for &(resource, per, vi, en) in UNITS {
                            option value=(format!("{}:{per}", resource.as_str())) { (resource_name(resource, lang)) " (" (lang.pick(vi, en)) ")" }
                        }
                    } }
                    label { (lang.pick("Từ ngày", "From")) input type="date" name="from" required value=(today.to_string()); }
                    label { (lang.pick("Giá (đồng)", "Price (VND)")) input name="price_vnd" inputmode="decimal" required placeholder="12.500"; }
                    label { (lang.pick("Ghi chú", "Note")) input name="note" placeholder=(lang.pick("Quyết định số…", "Decision no.…")); }
                    button type="submit" { (lang.pick("Lưu", "Save")) }
                }
            }
            (tiers_section(admin.principal(), lang, today))
            section {
                h2 { (lang.pick("Các mức giá theo thời gian", "Prices over time")) }
                div.table-wrap { table.history {
                    thead { tr { th { (lang.pick("Từ ngày", "From")) } th { (lang.pick("Loại", "Resource")) } th.num { (lang.pick("Giá (đồng)", "Price (VND)")) } th { (lang.pick("Đơn vị", "Per")) } th { (lang.pick("Ghi chú", "Note")) } } }
                    tbody { @for t in plan.tariffs.iter().rev() {
                        tr {
                            td { (t.from.strftime("%d/%m/%Y")) }
                            td { (resource_name(t.resource, lang)) }
                            td.num { (locale::number(t.price_vnd, 0, lang)) }
                            td { (per_label(&t.per, lang)) }
                            td { @let how = describe(t, lang); (how) @if !how.is_empty() && !t.note.is_empty() { ". " } (t.note) }
                        }
                    } }
                } }
            }
        }
    };
    Ok(layout(&state, lang, "/admin/tariffs", None, Some(admin.principal()), body))
}

#[derive(Deserialize)]
pub struct TariffForm {
    /// `resource:unit`, as the form's list gives it.
    unit: String,
    from: String,
    price_vnd: String,
    #[serde(default)]
    note: String,
}

pub async fn tariff_form(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PageParams>,
    CsrfForm(form): CsrfForm<TariffForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let (resource, per) = form.unit.split_once(':').unwrap_or((form.unit.as_str(), ""));
    let body = TariffBody {
        resource: resource.to_owned(),
        from: form.from,
        price_vnd: serde_json::Value::String(form.price_vnd),
        per: per.to_owned(),
        note: form.note,
        time_of_use: None,
        blocks: None,
    };
    let result = match record(&state, &admin, body).await {
        Ok(r) => {
            let (name, day) = (resource_name(r.tariff.resource, lang), r.tariff.from.strftime("%d/%m/%Y").to_string());
            let price = locale::number(r.tariff.price_vnd, 0, lang);
            let per = per_label(&r.tariff.per, lang);
            Ok(match lang {
                Lang::Vi => format!("Đã lưu giá {} {price} đồng/{per} từ {day}.", name.to_lowercase()),
                Lang::En => format!("Saved the {} price {price} VND/{per} from {day}.", name.to_lowercase()),
            })
        }
        Err(e) => Err(format!("{}: {}", lang.pick("Chưa lưu", "Not saved"), e.refusal(lang)?)),
    };
    Ok(back_to("/admin/tariffs", lang, result))
}
