//! `GET /api/v1/departments?resource=…&period=…`: each department's use of a resource over a
//! period, ranked, a department without a meter of its own shown as such (not 0, not ranked),
//! and the common areas (the building's meter less the departments') with the office's total;
//! for a configured resource, each department's and the office's use against the norm.
//! For an admin, `POST /api/v1/departments` and `PUT /api/v1/departments/{id}` (audited; see
//! docs/setup.md), answering refusals in Vietnamese (`?lang=en`: English).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::analysis::compare;
use crate::domain::AnyResource;
use crate::locale::Lang;
use crate::web::auth::{Admin, Viewer};
use crate::web::commands::departments::{self, DepartmentBody, department_json};
use crate::web::extract::{ApiQuery, any_resource_param, period_param};
use crate::web::{ApiError, AppState};

const EXAMPLE: &str = "for example /api/v1/departments?resource=electricity&period=2026";

#[derive(Deserialize)]
pub struct DepartmentParams {
    resource: Option<String>,
    period: Option<String>,
}

pub async fn departments(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(params): ApiQuery<DepartmentParams>,
) -> Result<Response, ApiError> {
    let resource = any_resource_param(params.resource, &state.config(), EXAMPLE)?;
    let period = period_param(params.period, EXAMPLE)?;
    let resource = match resource {
        AnyResource::Metered(resource) => resource,
        AnyResource::Supply(id) => {
            return Ok(Json(super::supplies::figures_of(&state, &id, None, &period).await?).into_response());
        }
    };
    let range = period.range(&state.config().office.timezone).map_err(|e| ApiError::BadRequest(e.0))?;
    Ok(Json(compare::department_table(state.store.as_ref(), &state.config(), resource, range).await?).into_response())
}

const BODY_EXAMPLE: &str = r#"send {"id": "phong-moi", "name": "Phòng mới", "name_en": "New office", "headcount": 8, "area_m2": 60} (to change one, only the keys that change)"#;

#[derive(Deserialize)]
pub struct LangParams {
    lang: Option<String>,
}

fn body(sent: Result<Json<DepartmentBody>, JsonRejection>) -> Result<DepartmentBody, ApiError> {
    sent.map(|Json(body)| body).map_err(|e| ApiError::BadRequest(format!("{}; {BODY_EXAMPLE}", e.body_text())))
}

pub async fn add_department(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(params): ApiQuery<LangParams>,
    sent: Result<Json<DepartmentBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let spec = departments::add(&state, &admin, body(sent)?).await.map_err(|e| e.in_lang(lang))?;
    Ok((StatusCode::CREATED, Json(department_json(&spec))))
}

pub async fn change_department(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<LangParams>,
    sent: Result<Json<DepartmentBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let spec = departments::change(&state, &admin, &id, body(sent)?).await.map_err(|e| e.in_lang(lang))?;
    Ok(Json(department_json(&spec)))
}
