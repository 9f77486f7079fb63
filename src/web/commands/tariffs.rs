//! A price of electricity, water or paper from a day on, entered in the web app; the cost
//! figures follow it at once (`analysis::plan_in_force` lays it over the config's
//! `[[tariffs]]`), and the price before it stays in force until that day.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::analysis::plan_in_force::in_force;
use crate::config::Tariff;
use crate::domain::electricity_price::{Block, TimeOfUseSpec};
use crate::domain::{PriceScheme, Unit};
use crate::ingest::manual::parse_number;
use crate::store::{AuditDetail, TariffRecord};
use crate::web::auth::Admin;
use crate::web::commands::meters::parse_day;
use crate::web::commands::{CommandError, audit_line, refused, resource_sent};
use crate::web::{ApiError, AppState};

/// The highest price taken, in VND per unit: above any office's electricity, water or ream.
const MAX_PRICE_VND: f64 = 100_000_000.0;

/// A price as sent: the price may be a JSON number or text (1.234,5).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TariffBody {
    /// electricity, water or paper.
    pub resource: String,
    /// The first day it is in force: 2026-12-01 or 01/12/2026.
    pub from: String,
    /// One price; electricity may instead send `time_of_use` or `blocks`.
    #[serde(default)]
    pub price_vnd: Value,
    /// The unit the price is for: kWh, m3, ream…
    pub per: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub time_of_use: Option<TimeOfUseSpec>,
    #[serde(default)]
    pub blocks: Option<Vec<Block>>,
}

fn price(value: &Value) -> Result<f64, CommandError> {
    let parsed = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_number(s).ok(),
        _ => None,
    };
    match parsed {
        Some(v) if v.is_finite() && (0.0..=MAX_PRICE_VND).contains(&v) => Ok(v),
        _ => Err(refused(
            "`price_vnd` is not a price in VND from 0 to 100.000.000: write it as 12500 or 12.500",
            "Giá phải là một số tiền từ 0 đến 100.000.000 đồng: hãy viết như 12500 hoặc 12.500",
        )),
    }
}

/// What the audit log and the API show of a price.
pub fn tariff_json(tariff: &Tariff) -> Value {
    let mut json = json!({
        "resource": tariff.resource,
        "from": tariff.from.to_string(),
        "price_vnd": tariff.price_vnd,
        "per": tariff.per,
        "note": tariff.note,
    });
    match tariff.scheme.parts() {
        (Some(time_of_use), _) => json["time_of_use"] = json!(time_of_use),
        (_, Some(blocks)) => json["blocks"] = json!(blocks),
        (None, None) => {}
    }
    json
}

/// Check and keep a price.
pub async fn record(state: &AppState, admin: &Admin, body: TariffBody) -> Result<TariffRecord, CommandError> {
    let resource = resource_sent(&body.resource)?;
    let from = parse_day(&body.from).map_err(|e| match e {
        ApiError::BadRequest(en) => {
            refused(en, format!("`{}` không phải là ngày: hãy viết như 15/11/2026", body.from.trim()))
        }
        other => CommandError::Failed(other),
    })?;
    let scheme =
        PriceScheme::from_parts(body.time_of_use, body.blocks).map_err(|e| refused(e.english(), e.vietnamese()))?;
    let price_vnd = match (scheme.headline_vnd(), body.price_vnd.is_null()) {
        (None, _) => price(&body.price_vnd)?,
        (Some(headline), true) => headline,
        (Some(_), false) => {
            return Err(refused(
                "`price_vnd` sent with `time_of_use` or `blocks`: leave it out, the prices are in them",
                "Đã nhập cả giá chung lẫn giá theo giờ hoặc bậc thang: chỉ nhập một cách",
            ));
        }
    };
    let per = body.per.trim();
    let tariff = Tariff::new(resource, from, price_vnd, per, body.note.trim())
        .map_err(|fix| {
            let units = Unit::names_for(resource);
            refused(
                format!("`{per}` is not a unit of {resource}: {fix}"),
                format!("`{per}` không phải là đơn vị của {resource}: dùng {units}"),
            )
        })?
        .priced_by(scheme)
        .map_err(|(en, vi)| refused(en, vi))?;
    let plan = in_force(state.store.as_ref(), &state.config()).await?;
    let before = plan.tariff(resource, from).map(tariff_json);
    let line = audit_line(admin.principal(), "tariffs.change", move |record: &TariffRecord| AuditDetail {
        target: format!("{} from {}", record.tariff.resource, record.tariff.from),
        before,
        after: Some(tariff_json(&record.tariff)),
    });
    Ok(admin.store(state).record_tariff(tariff, admin.principal().name(), Some(line)).await?)
}
