//! The council's table: `GET /api/v1/scores?period=…` (JSON) and the exports
//! `GET /api/v1/export/scores.xlsx?period=…` and `…/scores.csv?period=…`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;

use super::progress::period_param;
use super::{ApiError, AppState};
use crate::analysis::period::NamedPeriod;
use crate::analysis::scores::{self, ScoreReport};

#[derive(Deserialize)]
pub struct ScoreParams {
    period: Option<String>,
}

/// The report for the period asked, with the plan in force now.
pub(crate) async fn report(state: &AppState, period: &NamedPeriod) -> Result<ScoreReport, ApiError> {
    let plan = crate::analysis::plan::in_force(state.store.as_ref(), &state.config).await?;
    Ok(scores::scores(state.store.as_ref(), &state.config, &plan, period, jiff::Timestamp::now()).await?)
}

fn period_of(params: Result<Query<ScoreParams>, QueryRejection>, path: &str) -> Result<NamedPeriod, ApiError> {
    let params = super::api::query(params)?;
    period_param(params.period, &format!("for example {path}?period=2026 (or 2026-Q3, 2026-11, gd1, gd2)"))
}

pub async fn scores(State(state): State<AppState>, params: Result<Query<ScoreParams>, QueryRejection>) -> Result<Json<ScoreReport>, ApiError> {
    let period = period_of(params, "/api/v1/scores")?;
    Ok(Json(report(&state, &period).await?))
}
