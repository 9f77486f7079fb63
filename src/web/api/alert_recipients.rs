//! `/api/v1/alerts/recipients`: who is told of alerts, kept by an admin. `GET` lists them,
//! `POST` adds one, `PUT …/{id}` replaces one, `DELETE …/{id}` removes one; each change is
//! audited with what it was before and after, and counts from the engine's next round.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use crate::config::RecipientFields;
use crate::web::auth::Admin;
use crate::web::commands::recipients;
use crate::web::{ApiError, AppState};

fn body(body: Result<Json<RecipientFields>, JsonRejection>) -> Result<RecipientFields, ApiError> {
    let Json(fields) = body.map_err(|e| {
        ApiError::BadRequest(format!(
            "{}; send {{\"name\": \"…\", \"role\": \"hc_qt\" or \"department_head\", \"department\": \"…\", \"email\": \"…\" or \"webhook\": \"…\", \"quiet_hours\": \"21:00-06:30\", \"digest_at\": \"07:00\"}}",
            e.body_text()
        ))
    })?;
    Ok(fields)
}

fn id(id: Result<Path<i64>, PathRejection>) -> Result<i64, ApiError> {
    let Path(id) = id.map_err(|_| {
        ApiError::BadRequest(
            "the id in the path must be a whole number, as listed by GET /api/v1/alerts/recipients".into(),
        )
    })?;
    Ok(id)
}

pub async fn list(State(state): State<AppState>, _: Admin) -> Result<impl IntoResponse, ApiError> {
    let kept = crate::alerts::blocking(&state.alerts.book(), |book| book.recipients()).await?;
    Ok(Json(json!({ "items": kept })))
}

pub async fn add(
    State(state): State<AppState>,
    admin: Admin,
    fields: Result<Json<RecipientFields>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let added = recipients::add(&state, admin.principal(), body(fields)?).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

pub async fn update(
    State(state): State<AppState>,
    admin: Admin,
    path: Result<Path<i64>, PathRejection>,
    fields: Result<Json<RecipientFields>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let updated = recipients::update(&state, admin.principal(), id(path)?, body(fields)?).await?;
    Ok(Json(updated))
}

pub async fn delete(
    State(state): State<AppState>,
    admin: Admin,
    path: Result<Path<i64>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    recipients::delete(&state, admin.principal(), id(path)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
