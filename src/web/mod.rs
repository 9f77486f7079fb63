//! The web server: the dashboard pages and the JSON API under /api/v1. Web never parses
//! payloads and never writes SQL: it asks `analysis` for figures and the store for status.

mod api;
pub mod auth;
pub mod charts;
mod corrections;
mod documents;
pub(crate) mod entry;
mod offices;
mod pages;
mod plan;
mod progress;
pub(crate) mod scores;
mod waste_api;

use std::sync::Arc;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::auth::Auth;
use crate::config::Config;
use crate::dashboard::Dashboards;
use crate::ingest::Pipeline;
use crate::ingest::mqtt::IngestStatus;
use crate::store::StoreReads;
use crate::store::influx::OutboxStatus;

/// Which broker the ingestor reads, for the health report.
#[derive(Debug, Clone)]
pub struct BrokerInfo {
    pub embedded: bool,
    pub address: String,
}

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    /// The pages loaded from dashboards/ at start-up.
    pub dashboards: Arc<Dashboards>,
    /// The store, for reading; its changes go through `writes`.
    pub store: Arc<dyn StoreReads>,
    /// The store's writing half, reachable only with a writer's or an admin's credentials.
    pub writes: auth::Writes,
    pub ingest: Arc<IngestStatus>,
    /// The InfluxDB outbox, when that is the backend.
    pub outbox: Option<Arc<OutboxStatus>>,
    pub broker: BrokerInfo,
    /// Reads readings sent over HTTP the way MQTT messages are read.
    pub pipeline: Pipeline,
    pub auth: Arc<Auth>,
}

/// The largest request body accepted (a CSV of readings for a month of a few meters fits).
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Every route, with the role it needs in its handler's extractors (see `auth`): pages and
/// reads need a signed-in viewer, entries a writer, approvals and administration an admin;
/// health, the OpenAPI description, the stylesheet, login and setup are open.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for (index, page) in state.dashboards.pages.iter().enumerate() {
        router = router.route(
            &page.path,
            get(move |state, reader, params, raw| pages::dashboard(state, reader, index, params, raw)),
        );
    }
    router
        .route("/charts/{page}/{file}", get(pages::chart_png))
        .route("/login", get(pages::login_page).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/setup", get(pages::setup_page).post(pages::setup))
        .route("/admin/users", get(pages::users_page).post(pages::create_user_form))
        .route("/admin/users/{username}", post(pages::user_action_form))
        .route("/admin/tokens", post(pages::create_token_form))
        .route("/admin/tokens/{id}/revoke", post(pages::revoke_token_form))
        .route("/admin/audit", get(pages::audit_page))
        .route("/api/v1/me", get(api::me))
        .route("/api/v1/audit", get(api::audit))
        .route("/api/v1/export/audit.csv", get(api::audit_csv))
        .route("/static/xanh.css", get(stylesheet))
        .route("/api/v1/health", get(api::health))
        .route("/api/v1/meters", get(api::meters))
        .route("/api/v1/consumption", get(api::consumption))
        .route("/api/v1/readings", post(entry::post_readings).get(corrections::readings))
        .route("/api/v1/corrections", post(corrections::post_correction).get(corrections::list_corrections))
        .route("/api/v1/rejected", get(api::rejected))
        .route("/api/v1/waste", get(waste_api::waste))
        .route("/api/v1/progress", get(progress::progress))
        .route("/api/v1/scores", get(scores::scores))
        .route("/api/v1/export/scores.xlsx", get(scores::export_xlsx))
        .route("/api/v1/export/scores.csv", get(scores::export_csv))
        .route("/scores", get(pages::scores_page))
        .route("/offices", get(pages::offices_page))
        .route("/api/v1/offices", get(offices::offices))
        .route("/plan", get(pages::plan_page))
        .route("/plan/baseline", post(pages::baseline_form))
        .route("/plan/target", post(pages::target_form))
        .route("/api/v1/plan/baseline", post(plan::post_baseline))
        .route("/api/v1/plan/target", post(plan::post_target))
        .route("/api/v1/plan/edits", get(plan::edits))
        .route("/api/v1/documents", get(documents::get_documents).post(documents::post_documents))
        .route("/documents", get(pages::documents_page).post(pages::documents_form))
        .route("/api/v1/rejected/reprocess", post(entry::post_reprocess))
        .route("/api/v1/rejected/{id}/review", post(entry::review))
        .route("/entry", get(pages::entry))
        .route("/entry/reading", post(pages::reading_form))
        .route("/entry/correct", post(pages::correct_form))
        .route("/rejected", get(pages::rejected))
        .route("/rejected/reprocess", post(pages::reprocess_form))
        .route("/rejected/{id}/review", post(pages::review_form))
        .route("/api/v1/openapi.json", get(api::openapi))
        .fallback(not_found)
        // Refuses a body whose declared length is too big before reading any of it, and
        // stops reading one without a length once it passes the limit.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(auth::security_headers))
        .with_state(state)
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("xanh.css"),
    )
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("nothing at {}: the API is under /api/v1 (see /api/v1/openapi.json)", uri.path()))
}

/// The web layer's error: a 4xx says what to send instead; a 500 keeps its detail in the log.
#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Forbidden(String),
    NotFound(String),
    /// The request is well formed but the state does not allow it (the config changed).
    Conflict(String),
    UnsupportedMediaType(String),
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m),
            ApiError::UnsupportedMediaType(m) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, m),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error while answering a request");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error: the details are in the server's log".to_owned())
            }
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<crate::analysis::figures::FigureError> for ApiError {
    fn from(e: crate::analysis::figures::FigureError) -> Self {
        use crate::analysis::figures::FigureError;
        match e {
            FigureError::BadQuery(m) => ApiError::BadRequest(m),
            FigureError::Store(e) => e.into(),
        }
    }
}
