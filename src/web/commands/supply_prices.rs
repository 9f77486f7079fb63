//! An item's price (stationery, toner, fuel) from a day on, entered in the web app: the next
//! slip dated from that day is priced with it, the slips before keep the price they were
//! stored with.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::analysis::supplies_in_force::supplies_in_force;
use crate::domain::{Price, Supply, SupplyItem};
use crate::ingest::manual::parse_number;
use crate::store::{AuditDetail, SupplyPriceRecord};
use crate::web::auth::Admin;
use crate::web::commands::meters::parse_day;
use crate::web::commands::{CommandError, audit_line, refused};
use crate::web::{ApiError, AppState};

/// The highest price taken, in VND: above any item an office issues.
const MAX_PRICE_VND: f64 = 1_000_000_000.0;

/// A price as sent: the price may be a JSON number or text (4.000).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplyPriceBody {
    /// The configured resource's id: van-phong-pham.
    pub resource: String,
    /// The item's id: but-bi.
    pub item: String,
    /// The first day it is in force: 2026-12-01 or 01/12/2026.
    pub from: String,
    pub price_vnd: Value,
    #[serde(default)]
    pub note: String,
}

fn price(value: &Value) -> Result<f64, CommandError> {
    let parsed = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_number(s).ok(),
        _ => None,
    };
    match parsed {
        Some(v) if v.is_finite() && v > 0.0 && v <= MAX_PRICE_VND => Ok(v),
        _ => Err(refused(
            "`price_vnd` is not a price in VND above 0 and at most 1.000.000.000: write it as 4000 or 4.000",
            "Giá phải là một số tiền lớn hơn 0 và không quá 1.000.000.000 đồng: hãy viết như 4000 hoặc 4.000",
        )),
    }
}

/// What the audit log and the API show of an item's price.
pub fn price_json(resource: &str, item: &str, price: &Price, note: &str) -> Value {
    json!({ "resource": resource, "item": item, "from": price.from.to_string(), "price_vnd": price.vnd, "note": note })
}

/// The configured item a body names, or a refusal naming those known.
fn item_named<'a>(
    supplies: &'a [Supply],
    body: &SupplyPriceBody,
) -> Result<(&'a Supply, &'a SupplyItem), CommandError> {
    let (resource, item) = (body.resource.trim(), body.item.trim());
    let Some(supply) = supplies.iter().find(|s| s.id.as_str() == resource) else {
        let known: Vec<&str> = supplies.iter().map(|s| s.id.as_str()).collect();
        return Err(refused(
            format!("`{resource}` is not a configured resource: use one of {}", known.join(", ")),
            format!("Không có nguồn lực \"{resource}\": dùng một trong {}", known.join(", ")),
        ));
    };
    let Some(found) = supply.item(item) else {
        let known: Vec<&str> = supply.items.iter().map(|i| i.id.as_str()).collect();
        return Err(refused(
            format!("`{item}` is not an item of {resource}: use one of {}", known.join(", ")),
            format!("Không có mặt hàng \"{item}\" trong \"{}\": dùng một trong {}", supply.name_vi, known.join(", ")),
        ));
    };
    Ok((supply, found))
}

/// Check and keep an item's price.
pub async fn record(state: &AppState, admin: &Admin, body: SupplyPriceBody) -> Result<SupplyPriceRecord, CommandError> {
    let supplies = supplies_in_force(state.store.as_ref(), &state.config()).await.map_err(ApiError::from)?;
    let (supply, item) = item_named(&supplies, &body)?;
    let from = parse_day(&body.from).map_err(|e| match e {
        ApiError::BadRequest(en) => {
            refused(en, format!("`{}` không phải là ngày: hãy viết như 15/11/2026", body.from.trim()))
        }
        other => CommandError::Failed(other),
    })?;
    let vnd = price(&body.price_vnd)?;
    let note = body.note.trim().to_owned();
    // Before: the price that was in force on that day (the one replaced from it on).
    let before =
        item.prices.iter().rfind(|p| p.from <= from).map(|p| price_json(supply.id.as_str(), item.id.as_str(), p, ""));
    let line = audit_line(admin.principal(), "supply_prices.change", move |record: &SupplyPriceRecord| AuditDetail {
        target: format!("{}/{} from {}", record.resource, record.item, record.price.from),
        before,
        after: Some(price_json(record.resource.as_str(), record.item.as_str(), &record.price, &record.note)),
    });
    let (resource, item) = (supply.id.clone(), item.id.clone());
    Ok(admin
        .store(state)
        .record_supply_price(resource, item, Price { from, vnd }, note, admin.principal().name(), Some(line))
        .await?)
}
