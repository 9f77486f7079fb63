//! Quản trị › Giá và định mức vật tư: each item of the configured resources with its price
//! today, its prices over time (the config's and those entered here), and a form for an item's
//! price from a day on, which the next slip dated from that day is priced with; then the
//! resources' norms (`supply_norms`).

use axum::extract::{Query, State};
use axum::response::Redirect;
use maud::{Markup, html};
use serde::Deserialize;

use super::super::{back_to, csrf_field, layout};
use crate::analysis::supplies_in_force::supplies_in_force;
use crate::locale::{self, Lang};
use crate::web::auth::{Admin, CsrfForm};
use crate::web::commands::supply_prices::{SupplyPriceBody, record};
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct PageParams {
    pub(super) lang: Option<String>,
    ok: Option<String>,
    error: Option<String>,
}

pub async fn supply_prices_page(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PageParams>,
) -> Result<Markup, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let supplies = supplies_in_force(state.store.as_ref(), &state.config()).await?;
    let today = jiff::Timestamp::now().to_zoned(state.config().office.timezone.clone()).date();
    let code = lang.code();
    let body = html! {
        main.admin.setup.supply-prices {
            @if let Some(ok) = &params.ok { p.status.ok data-result="ok" { (ok) } }
            @if let Some(error) = &params.error { p.status.bad data-result="error" { (error) } }
            section {
                h2 { (lang.pick("Giá mặt hàng đang áp dụng hôm nay", "Item prices in force today")) }
                div.table-wrap { table {
                    thead { tr {
                        th { (lang.pick("Nguồn lực", "Resource")) } th { (lang.pick("Mặt hàng", "Item")) }
                        th.num { (lang.pick("Giá (đồng)", "Price (VND)")) } th { (lang.pick("Từ ngày", "From")) }
                    } }
                    tbody { @for s in &supplies { @for i in &s.items {
                        tr data-item=(format!("{}/{}", s.id, i.id)) {
                            td { (lang.pick(&s.name_vi, &s.name_en)) }
                            td { (i.name) " (" (i.unit) ")" }
                            @match i.prices.iter().rfind(|p| p.from <= today) {
                                Some(p) => {
                                    td.num data-figure="price" { (locale::number(p.vnd, 0, lang)) }
                                    td { (p.from.strftime("%d/%m/%Y")) }
                                }
                                None => { td.num data-figure="price" { "—" } td {} }
                            }
                        }
                    } } }
                } }
            }
            section {
                h2 { (lang.pick("Đặt giá mới", "Set a new price")) }
                p { (lang.pick(
                    "Giá mới áp dụng cho các phiếu xuất kho từ ngày đã chọn đến lần thay đổi sau; các phiếu đã lưu giữ nguyên giá của chúng.",
                    "The new price prices the issue slips from the chosen day until the next change; slips already stored keep their prices."
                )) }
                form.supply-price method="post" action=(format!("/admin/supply-prices?lang={code}")) {
                    (csrf_field(admin.principal()))
                    label { (lang.pick("Mặt hàng", "Item")) select name="item" required {
                        @for s in &supplies { optgroup label=(lang.pick(&s.name_vi, &s.name_en)) {
                            @for i in &s.items { option value=(format!("{}/{}", s.id, i.id)) { (i.name) " (" (i.unit) ")" } }
                        } }
                    } }
                    label { (lang.pick("Từ ngày", "From")) input type="date" name="from" required value=(today.to_string()); }
                    label { (lang.pick("Giá (đồng)", "Price (VND)")) input name="price_vnd" inputmode="decimal" required placeholder="4.000"; }
                    label { (lang.pick("Ghi chú", "Note")) input name="note" placeholder=(lang.pick("Báo giá số…", "Quotation no.…")); }
                    button type="submit" { (lang.pick("Lưu", "Save")) }
                }
            }
            (super::supply_norms::section(&state.config(), &supplies, admin.principal(), lang))
            section {
                h2 { (lang.pick("Các mức giá theo thời gian", "Prices over time")) }
                div.table-wrap { table.history {
                    thead { tr {
                        th { (lang.pick("Mặt hàng", "Item")) } th { (lang.pick("Từ ngày", "From")) } th.num { (lang.pick("Giá (đồng)", "Price (VND)")) }
                    } }
                    tbody { @for s in &supplies { @for i in &s.items { @for p in i.prices.iter().rev() {
                        tr {
                            td { (i.name) } td { (p.from.strftime("%d/%m/%Y")) } td.num { (locale::number(p.vnd, 0, lang)) }
                        }
                    } } } }
                } }
            }
        }
    };
    Ok(layout(&state, lang, "/admin/supply-prices", None, Some(admin.principal()), body))
}

#[derive(Deserialize)]
pub struct SupplyPriceForm {
    /// `resource/item`, as the form's list gives it.
    item: String,
    from: String,
    price_vnd: String,
    #[serde(default)]
    note: String,
}

pub async fn supply_price_form(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PageParams>,
    CsrfForm(form): CsrfForm<SupplyPriceForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let (resource, item) = form.item.split_once('/').unwrap_or((form.item.as_str(), ""));
    let body = SupplyPriceBody {
        resource: resource.to_owned(),
        item: item.to_owned(),
        from: form.from,
        price_vnd: serde_json::Value::String(form.price_vnd),
        note: form.note,
    };
    let result = match record(&state, &admin, body).await {
        Ok(r) => {
            let (day, price) = (r.price.from.strftime("%d/%m/%Y").to_string(), locale::number(r.price.vnd, 0, lang));
            let config = state.config();
            let name =
                config.supply(r.resource.as_str()).and_then(|s| s.item(r.item.as_str())).map(|i| i.name.as_str());
            let name = name.unwrap_or(r.item.as_str());
            Ok(match lang {
                Lang::Vi => format!("Đã lưu giá {name} {price} đồng từ {day}."),
                Lang::En => format!("Saved the price of {name} {price} VND from {day}."),
            })
        }
        Err(e) => Err(format!("{}: {}", lang.pick("Chưa lưu", "Not saved"), e.refusal(lang)?)),
    };
    Ok(back_to("/admin/supply-prices", lang, result))
}
