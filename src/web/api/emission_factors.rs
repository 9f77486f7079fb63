//! `GET /api/v1/emission-factors`: the factors by year (the config's and those entered in the
//! app); `POST /api/v1/emission-factors` (admin, audited): a factor from a year on.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde_json::{Value, json};

use crate::analysis::plan_in_force::in_force;
use crate::web::auth::{Admin, Viewer};
use crate::web::commands::emission_factors::{FactorBody, factor_json, record};
use crate::web::{ApiError, AppState};

const BODY_EXAMPLE: &str =
    r#"send {"resource": "electricity", "year": 2026, "value": 0.6592, "unit": "tCO2/MWh", "source": "MONRE"}"#;

pub async fn get_factors(State(state): State<AppState>, _: Viewer) -> Result<Json<Value>, ApiError> {
    let plan = in_force(state.store.as_ref(), &state.config()).await?;
    Ok(Json(json!({ "items": plan.emission_factors.iter().map(factor_json).collect::<Vec<_>>() })))
}

pub async fn post_factor(
    State(state): State<AppState>,
    admin: Admin,
    body: Result<Json<FactorBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::BadRequest(format!("{}; {BODY_EXAMPLE}", e.body_text())))?;
    let kept = record(&state, &admin, body).await?;
    let mut answer = factor_json(&kept.factor);
    answer["id"] = kept.id.into();
    answer["entered_by"] = kept.entered_by.into();
    Ok(Json(answer))
}
