//! `GET /api/v1/supply-prices`: every item of the configured resources with its prices over
//! time (the config's and those entered in the app); `POST /api/v1/supply-prices` (admin,
//! audited): an item's price from a day on. `GET`/`POST /api/v1/supply-norms`: the same for
//! the resources' norms, with their regulation's number and date.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde_json::{Value, json};

use crate::analysis::supplies_in_force::supplies_in_force;
use crate::web::auth::{Admin, Viewer};
use crate::web::commands::supply_norms::{self, SupplyNormBody, norm_json};
use crate::web::commands::supply_prices::{SupplyPriceBody, price_json, record};
use crate::web::{ApiError, AppState};

const BODY_EXAMPLE: &str =
    r#"send {"resource": "van-phong-pham", "item": "but-bi", "from": "2026-12-01", "price_vnd": 4500}"#;

pub async fn get_supply_prices(State(state): State<AppState>, _: Viewer) -> Result<Json<Value>, ApiError> {
    let supplies = supplies_in_force(state.store.as_ref(), &state.config()).await?;
    let items: Vec<Value> = supplies
        .iter()
        .flat_map(|s| {
            s.items.iter().map(move |i| {
                json!({
                    "resource": s.id,
                    "item": i.id,
                    "name": i.name,
                    "unit": i.unit,
                    "prices": i.prices.iter().map(|p| json!({"from": p.from.to_string(), "price_vnd": p.vnd})).collect::<Vec<_>>(),
                })
            })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

pub async fn post_supply_price(
    State(state): State<AppState>,
    admin: Admin,
    body: Result<Json<SupplyPriceBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::BadRequest(format!("{}; {BODY_EXAMPLE}", e.body_text())))?;
    let kept = record(&state, &admin, body).await?;
    let mut answer = price_json(kept.resource.as_str(), kept.item.as_str(), &kept.price, &kept.note);
    answer["id"] = kept.id.into();
    answer["entered_by"] = kept.entered_by.into();
    Ok(Json(answer))
}

const NORM_EXAMPLE: &str = r#"send {"resource": "van-phong-pham", "from": "2026-01-01", "per": "person", "every": "month", "amount": 120000, "measure": "value", "regulation": "Quyết định số 02/QĐ-VP", "regulation_date": "2025-12-26"}"#;

pub async fn get_supply_norms(State(state): State<AppState>, _: Viewer) -> Result<Json<Value>, ApiError> {
    let supplies = supplies_in_force(state.store.as_ref(), &state.config()).await?;
    let items: Vec<Value> =
        supplies.iter().flat_map(|s| s.norms.iter().map(move |n| norm_json(s.id.as_str(), n))).collect();
    Ok(Json(json!({ "items": items })))
}

pub async fn post_supply_norm(
    State(state): State<AppState>,
    admin: Admin,
    body: Result<Json<SupplyNormBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::BadRequest(format!("{}; {NORM_EXAMPLE}", e.body_text())))?;
    let kept = supply_norms::record(&state, &admin, body).await?;
    let mut answer = norm_json(kept.resource.as_str(), &kept.norm);
    answer["id"] = kept.id.into();
    answer["entered_by"] = kept.entered_by.into();
    Ok(Json(answer))
}
