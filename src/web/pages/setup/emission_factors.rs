//! Quản trị › Hệ số phát thải: the emission factor of each resource this year, every factor by
//! year (the config's and those entered here), and a form for a factor from a year on, which
//! the CO2e figures follow at once.

use axum::extract::{Query, State};
use axum::response::Redirect;
use maud::{Markup, html};
use serde::Deserialize;

use super::super::{back_to, csrf_field, layout};
use crate::analysis::plan_in_force::in_force;
use crate::domain::Resource;
use crate::locale::{self, Lang};
use crate::web::auth::{Admin, CsrfForm};
use crate::web::commands::emission_factors::{FactorBody, record};
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct PageParams {
    lang: Option<String>,
    ok: Option<String>,
    error: Option<String>,
}

/// The units a factor is given in, as the form offers them: (resource, config name).
const UNITS: &[(Resource, &str)] = &[
    (Resource::Electricity, "tCO2/MWh"),
    (Resource::Electricity, "kgCO2e/kWh"),
    (Resource::Water, "kgCO2e/m3"),
    (Resource::Paper, "kgCO2e/kg"),
];

fn resource_name(resource: Resource, lang: Lang) -> &'static str {
    match resource {
        Resource::Electricity => lang.pick("Điện", "Electricity"),
        Resource::Water => lang.pick("Nước", "Water"),
        Resource::Paper => lang.pick("Giấy", "Paper"),
    }
}

pub async fn factors_page(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PageParams>,
) -> Result<Markup, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let plan = in_force(state.store.as_ref(), &state.config()).await?;
    let year = jiff::Timestamp::now().to_zoned(state.config().office.timezone.clone()).date().year();
    let code = lang.code();
    let body = html! {
        main.admin.setup.factors {
            @if let Some(ok) = &params.ok { p.status.ok data-result="ok" { (ok) } }
            @if let Some(error) = &params.error { p.status.bad data-result="error" { (error) } }
            section {
                h2 { (lang.pick("Hệ số dùng cho năm nay", "Factors in use this year")) " (" (year) ")" }
                div.table-wrap { table {
                    thead { tr { th { (lang.pick("Loại", "Resource")) } th.num { (lang.pick("Hệ số", "Factor")) } th { (lang.pick("Đơn vị", "Unit")) } th { (lang.pick("Từ năm", "From")) } } }
                    tbody { @for resource in Resource::ALL {
                        tr data-resource=(resource.as_str()) {
                            td { (resource_name(resource, lang)) }
                            @if let Some(f) = plan.emission_factor(resource, year) {
                                td.num data-figure="factor" { (locale::number(f.value, 4, lang)) }
                                td { (f.unit) }
                                td { (f.year) }
                            } @else {
                                td.num data-figure="factor" { "—" } td {} td {}
                            }
                        }
                    } }
                } }
            }
            section {
                h2 { (lang.pick("Đặt hệ số mới", "Set a new factor")) }
                p { (lang.pick(
                    "Hệ số mới dùng cho năm đã chọn và các năm sau, đến khi có hệ số mới hơn; CO2e trên các trang tính lại ngay. Giấy cần khối lượng một ram 500 tờ.",
                    "The new factor is used for the chosen year and after, until a later one; CO2e on every page follows at once. Paper needs the weight of a ream of 500 sheets."
                )) }
                form.factor method="post" action=(format!("/admin/emission-factors?lang={code}")) {
                    (csrf_field(admin.principal()))
                    label { (lang.pick("Loại và đơn vị", "Resource and unit")) select name="unit" required {
                        @for &(resource, unit) in UNITS {
                            option value=(format!("{}:{unit}", resource.as_str())) { (resource_name(resource, lang)) " (" (unit) ")" }
                        }
                    } }
                    label { (lang.pick("Từ năm", "From the year")) input name="year" inputmode="numeric" required value=(year); }
                    label { (lang.pick("Hệ số", "Factor")) input name="value" inputmode="decimal" required placeholder="0,6592"; }
                    label { (lang.pick("Khối lượng một ram (kg, chỉ với giấy)", "Weight of a ream (kg, paper only)")) input name="kg_per_ream" inputmode="decimal"; }
                    label { (lang.pick("Nguồn", "Source")) input name="source" placeholder=(lang.pick("Bộ TN&MT, công văn…", "MONRE, letter…")); }
                    button type="submit" { (lang.pick("Lưu", "Save")) }
                }
            }
            section {
                h2 { (lang.pick("Các hệ số theo năm", "Factors by year")) }
                div.table-wrap { table.history {
                    thead { tr { th { (lang.pick("Từ năm", "From")) } th { (lang.pick("Loại", "Resource")) } th.num { (lang.pick("Hệ số", "Factor")) } th { (lang.pick("Đơn vị", "Unit")) } th { (lang.pick("Nguồn", "Source")) } } }
                    tbody { @for f in plan.emission_factors.iter().rev() {
                        tr {
                            td { (f.year) }
                            td { (resource_name(f.resource, lang)) }
                            td.num { (locale::number(f.value, 4, lang)) }
                            td { (f.unit) }
                            td { (f.source) }
                        }
                    } }
                } }
            }
        }
    };
    Ok(layout(&state, lang, "/admin/emission-factors", None, Some(admin.principal()), body))
}

#[derive(Deserialize)]
pub struct FactorForm {
    /// `resource:unit`, as the form's list gives it.
    unit: String,
    year: String,
    value: String,
    #[serde(default)]
    kg_per_ream: String,
    #[serde(default)]
    source: String,
}

pub async fn factor_form(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PageParams>,
    CsrfForm(form): CsrfForm<FactorForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let (resource, unit) = form.unit.split_once(':').unwrap_or((form.unit.as_str(), ""));
    let body = FactorBody {
        resource: resource.to_owned(),
        year: serde_json::Value::String(form.year),
        value: serde_json::Value::String(form.value),
        unit: unit.to_owned(),
        kg_per_ream: Some(serde_json::Value::String(form.kg_per_ream)),
        source: form.source,
    };
    let result = match record(&state, &admin, body).await {
        Ok(r) => {
            let (name, year) = (resource_name(r.factor.resource, lang), r.factor.year);
            let value = locale::number(r.factor.value, 4, lang);
            Ok(match lang {
                Lang::Vi => format!("Đã lưu hệ số {} {value} {} từ năm {year}.", name.to_lowercase(), r.factor.unit),
                Lang::En => format!("Saved the {} factor {value} {} from {year}.", name.to_lowercase(), r.factor.unit),
            })
        }
        Err(e) => Err(format!("{}: {}", lang.pick("Chưa lưu", "Not saved"), e.refusal(lang)?)),
    };
    Ok(back_to("/admin/emission-factors", lang, result))
}
