//! The norms of the internal spending regulation on Quản trị › Giá và định mức vật tư: each
//! resource's norms over time with the regulation's number and date, and a form for a norm
//! from a day on (the office's or a department's own).

use axum::extract::{Query, State};
use axum::response::Redirect;
use maud::{Markup, html};
use serde::Deserialize;

use super::super::{back_to, csrf_field};
use super::supply_prices::PageParams;
use crate::auth::Principal;
use crate::config::Config;
use crate::domain::{Measure, NormBasis, Supply};
use crate::locale::{self, Lang};
use crate::web::auth::{Admin, CsrfForm};
use crate::web::commands::supply_norms::{SupplyNormBody, record};
use crate::web::{ApiError, AppState};

fn day(date: jiff::civil::Date) -> String {
    date.strftime("%d/%m/%Y").to_string()
}

/// The norms over time and the form for a new one.
pub(super) fn section(config: &Config, supplies: &[Supply], who: &Principal, lang: Lang) -> Markup {
    let today = jiff::Timestamp::now().to_zoned(config.office.timezone.clone()).date();
    html! {
        section.norms {
            h2 { (lang.pick("Định mức theo quy chế chi tiêu nội bộ", "Norms of the internal spending regulation")) }
            div.table-wrap { table.norms {
                thead { tr {
                    th { (lang.pick("Nguồn lực", "Resource")) } th { (lang.pick("Phòng, ban", "Department")) }
                    th { (lang.pick("Từ ngày", "From")) } th.num { (lang.pick("Định mức", "Allowance")) }
                    th { (lang.pick("Căn cứ", "Regulation")) }
                } }
                tbody { @for s in supplies { @for n in s.norms.iter().rev() {
                    tr data-norm=(format!("{}/{}/{}", s.id, n.department.as_ref().map_or("", |d| d.as_str()), n.from)) {
                        td { (lang.pick(&s.name_vi, &s.name_en)) }
                        td { (n.department.as_ref().and_then(|d| config.department(d)).map_or(lang.pick("Mọi phòng, ban", "Every department"), |d| d.name.as_str())) }
                        td { (day(n.from)) }
                        td.num data-figure="allowance" {
                            (locale::number(n.amount, 0, lang))
                            (match n.measure { Measure::Value => " đ".to_owned(), Measure::Quantity => format!(" {}", s.unit) })
                            "/" (match n.basis { NormBasis::Person => lang.pick("người", "person"), NormBasis::Department => lang.pick("phòng", "department") })
                            "/" (n.every.vietnamese())
                        }
                        td data-figure="regulation" { (n.regulation) " " (lang.pick("ngày", "of")) " " (day(n.regulation_date)) }
                    }
                } } }
            } }
            h3 { (lang.pick("Đặt định mức mới", "Set a new norm")) }
            form.supply-norm method="post" action=(format!("/admin/supply-norms?lang={}", lang.code())) {
                (csrf_field(who))
                label { (lang.pick("Nguồn lực", "Resource")) select name="resource" required {
                    @for s in supplies { option value=(s.id.as_str()) { (lang.pick(&s.name_vi, &s.name_en)) } }
                } }
                label { (lang.pick("Phòng, ban", "Department")) select name="department" {
                    option value="" { (lang.pick("Mọi phòng, ban", "Every department")) }
                    @for d in &config.departments { option value=(d.id.as_str()) { (d.name) } }
                } }
                label { (lang.pick("Từ ngày", "From")) input type="date" name="from" required value=(today.to_string()); }
                label { (lang.pick("Định mức", "Allowance")) input name="amount" inputmode="decimal" required placeholder="150.000"; }
                label { (lang.pick("Tính bằng", "Measured in")) select name="measure" {
                    option value="value" { (lang.pick("tiền (đồng)", "value (VND)")) }
                    option value="quantity" { (lang.pick("số lượng (đơn vị của nguồn lực)", "quantity (the resource's unit)")) }
                } }
                label { (lang.pick("Cho mỗi", "Per")) select name="per" {
                    option value="person" { (lang.pick("người", "person")) }
                    option value="department" { (lang.pick("phòng, ban", "department")) }
                } }
                label { (lang.pick("Mỗi", "Every")) select name="every" {
                    option value="month" { (lang.pick("tháng", "month")) }
                    option value="quarter" { (lang.pick("quý", "quarter")) }
                    option value="year" { (lang.pick("năm", "year")) }
                } }
                label { (lang.pick("Văn bản (số, tên)", "Regulation (number, title)")) input name="regulation" required placeholder="Quyết định số 02/QĐ-VP"; }
                label { (lang.pick("Ngày ban hành", "Dated")) input type="date" name="regulation_date" required; }
                button type="submit" { (lang.pick("Lưu", "Save")) }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct SupplyNormForm {
    resource: String,
    #[serde(default)]
    department: String,
    from: String,
    amount: String,
    measure: String,
    per: String,
    every: String,
    regulation: String,
    regulation_date: String,
}

pub async fn supply_norm_form(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PageParams>,
    CsrfForm(form): CsrfForm<SupplyNormForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let body = SupplyNormBody {
        resource: form.resource,
        department: Some(form.department),
        from: form.from,
        per: form.per,
        every: form.every,
        amount: serde_json::Value::String(form.amount),
        measure: form.measure,
        regulation: form.regulation,
        regulation_date: form.regulation_date,
    };
    let result = match record(&state, &admin, body).await {
        Ok(r) => {
            let config = state.config();
            let name =
                config.supply(r.resource.as_str()).map_or(r.resource.as_str(), |s| lang.pick(&s.name_vi, &s.name_en));
            Ok(match lang {
                Lang::Vi => format!("Đã lưu định mức {name} từ {} theo {}.", day(r.norm.from), r.norm.regulation),
                Lang::En => format!("Saved the {name} norm from {} under {}.", day(r.norm.from), r.norm.regulation),
            })
        }
        Err(e) => Err(format!("{}: {}", lang.pick("Chưa lưu", "Not saved"), e.refusal(lang)?)),
    };
    Ok(back_to("/admin/supply-prices", lang, result))
}
