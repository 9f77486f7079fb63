//! `GET /api/v1/tariffs`: the prices in force over time (the config's and those entered in the
//! app); `POST /api/v1/tariffs` (admin, audited): a price from a day on.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde_json::{Value, json};

use crate::analysis::plan_in_force::in_force;
use crate::web::auth::{Admin, Viewer};
use crate::web::commands::tariffs::{TariffBody, record, tariff_json};
use crate::web::{ApiError, AppState};

const BODY_EXAMPLE: &str = r#"send {"resource": "water", "from": "2026-12-01", "price_vnd": 12500, "per": "m3"}"#;

pub async fn get_tariffs(State(state): State<AppState>, _: Viewer) -> Result<Json<Value>, ApiError> {
    let plan = in_force(state.store.as_ref(), &state.config()).await?;
    Ok(Json(json!({ "items": plan.tariffs.iter().map(tariff_json).collect::<Vec<_>>() })))
}

pub async fn post_tariff(
    State(state): State<AppState>,
    admin: Admin,
    body: Result<Json<TariffBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::BadRequest(format!("{}; {BODY_EXAMPLE}", e.body_text())))?;
    let kept = record(&state, &admin, body).await?;
    let mut answer = tariff_json(&kept.tariff);
    answer["id"] = kept.id.into();
    answer["entered_by"] = kept.entered_by.into();
    Ok(Json(answer))
}
