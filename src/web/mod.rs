//! The web server: the dashboard pages and the JSON API under /api/v1. Web never parses
//! payloads and never writes SQL: it asks `analysis` for figures and the store for status.
//!
//! `pages/` renders HTML, `api/` answers JSON; what both do to the store (an entry, a
//! correction, a review, a plan edit) is a command in `commands/`, run with the writer's
//! capability from `auth`.

mod api;
pub mod auth;
pub mod charts;
mod commands;
mod error;
mod extract;
mod metrics;
mod pages;
mod serve;
mod state;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};

pub use error::ApiError;
pub use metrics::HttpRequests;
pub use pages::dashboard::spec::{ChartKind, Dashboards, Page};
pub use serve::serve;
pub use state::{AppState, BrokerInfo};

/// The largest request body accepted (a CSV of readings for a month of a few meters fits).
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Every route, with the role it needs in its handler's extractors (see `auth`): pages and
/// reads need a signed-in viewer, entries a writer, approvals and administration an admin;
/// health, the OpenAPI description, the stylesheet, login and setup are open; `/metrics` needs
/// an admin.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for (index, page) in state.dashboards.pages.iter().enumerate() {
        router = router.route(
            &page.path,
            get(move |state, reader, params, raw| pages::dashboard(state, reader, index, params, raw)),
        );
    }
    router
        // Pages.
        .route("/charts/{page}/{file}", get(pages::chart_png))
        .route("/login", get(pages::login_page).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/setup", get(pages::setup_page).post(pages::setup))
        .route("/admin/users", get(pages::users_page).post(pages::create_user_form))
        .route("/admin/users/{username}", post(pages::user_action_form))
        .route("/admin/tokens", post(pages::create_token_form))
        .route("/admin/tokens/{id}/revoke", post(pages::revoke_token_form))
        .route("/admin/audit", get(pages::audit_page))
        .route("/admin/departments", get(pages::departments_page))
        .route("/admin/departments/staffing", post(pages::staffing_form))
        .route("/admin/departments/add", post(pages::add_department_form))
        .route("/admin/departments/change", post(pages::change_department_form))
        .route("/admin/tariffs", get(pages::tariffs_page).post(pages::tariff_form))
        .route("/admin/tariffs/electricity", post(pages::tiers_form))
        .route("/admin/calendar", get(pages::calendar_page).post(pages::calendar_form))
        .route("/admin/supply-prices", get(pages::supply_prices_page).post(pages::supply_price_form))
        .route("/admin/supply-norms", post(pages::supply_norm_form))
        .route("/admin/emission-factors", get(pages::factors_page).post(pages::factor_form))
        .route("/admin/meters", get(pages::meters_page).post(pages::add_meter_form))
        .route("/admin/meters/{id}", get(pages::meter_page).post(pages::change_meter_form))
        .route("/admin/meters/{id}/retire", post(pages::retire_meter_form))
        .route("/admin/devices", get(pages::devices_page).post(pages::adopt_device_form))
        .route("/scores", get(pages::scores_page))
        .route("/start", get(pages::start_page))
        .route("/reports", get(pages::reports_page))
        .route("/reports/kept/{file}", get(pages::kept_report))
        .route("/offices", get(pages::offices_page))
        .route("/plan", get(pages::plan_page))
        .route("/plan/baseline", post(pages::baseline_form))
        .route("/plan/target", post(pages::target_form))
        .route("/documents", get(pages::documents_page).post(pages::documents_form))
        .route("/documents/grid", post(pages::document_grid_form))
        .route("/meetings", post(pages::meetings_form))
        .route("/slips", post(pages::slip_form))
        .route("/slips/import", post(pages::slip_import_form))
        .route("/entry", get(pages::entry))
        .route("/entry/reading", post(pages::reading_form))
        .route("/entry/correct", post(pages::correct_form))
        .route("/alerts", get(pages::alerts_page))
        .route("/alerts/{id}/acknowledge", post(pages::acknowledge_form))
        .route("/admin/recipients", get(pages::recipients_page).post(pages::add_recipient_form))
        .route("/admin/recipients/{id}", post(pages::recipient_action_form))
        .route("/rejected", get(pages::rejected))
        .route("/rejected/reprocess", post(pages::reprocess_form))
        .route("/rejected/review", post(pages::bulk_review_form))
        .route("/rejected/{id}/review", post(pages::review_form))
        .route("/static/xanh.css", get(stylesheet))
        // The JSON API.
        .route("/api/v1/openapi.json", get(api::openapi::openapi))
        .route("/api/v1/health", get(api::health::health))
        .route("/api/v1/me", get(api::account::me))
        .route("/api/v1/audit", get(api::audit::audit))
        .route("/api/v1/export/audit.csv", get(api::audit::audit_csv))
        .route("/api/v1/meters", get(api::meters::meters).post(api::meters::add_meter))
        .route("/api/v1/meters/{id}", put(api::meters::change_meter))
        .route("/api/v1/meters/{id}/retire", post(api::meters::retire_meter))
        .route("/api/v1/devices", get(api::devices::devices))
        .route("/api/v1/devices/announced", get(api::devices::announced_devices))
        .route("/api/v1/devices/adopt", post(api::devices::adopt_device))
        .route("/api/v1/consumption", get(api::consumption::consumption))
        .route("/api/v1/readings", post(api::readings::post_readings).get(api::readings::readings))
        .route("/api/v1/corrections", post(api::corrections::post_correction).get(api::corrections::list_corrections))
        .route("/api/v1/alerts", get(api::alerts::alerts))
        .route("/api/v1/alerts/recipients", get(api::alert_recipients::list).post(api::alert_recipients::add))
        .route(
            "/api/v1/alerts/recipients/{id}",
            axum::routing::put(api::alert_recipients::update).delete(api::alert_recipients::delete),
        )
        .route("/api/v1/alerts/{id}/acknowledge", post(api::alerts::post_acknowledge))
        .route("/api/v1/rejected", get(api::rejected::rejected))
        .route("/api/v1/rejected/reprocess", post(api::rejected::post_reprocess))
        .route("/api/v1/rejected/review", post(api::rejected::bulk_review))
        .route("/api/v1/rejected/{id}/review", post(api::rejected::review))
        .route("/api/v1/waste", get(api::waste::waste))
        .route("/api/v1/progress", get(api::progress::progress))
        .route("/api/v1/scores", get(api::scores::scores))
        .route("/api/v1/export/scores.xlsx", get(api::scores::export_xlsx))
        .route("/api/v1/export/scores.csv", get(api::scores::export_csv))
        .route("/api/v1/export/report.pdf", get(api::report::report_pdf))
        .route("/api/v1/export/report.docx", get(api::report::report_docx))
        .route("/api/v1/offices", get(api::offices::offices))
        .route("/api/v1/departments", get(api::departments::departments).post(api::departments::add_department))
        .route("/api/v1/departments/{id}", put(api::departments::change_department))
        .route("/api/v1/departments/{id}/staffing", post(api::staffing::post_staffing))
        .route("/api/v1/tariffs", get(api::tariffs::get_tariffs).post(api::tariffs::post_tariff))
        .route("/api/v1/calendar/{year}", get(api::calendar::get_calendar_year).post(api::calendar::post_calendar_year))
        .route(
            "/api/v1/supply-prices",
            get(api::supply_prices::get_supply_prices).post(api::supply_prices::post_supply_price),
        )
        .route(
            "/api/v1/supply-norms",
            get(api::supply_prices::get_supply_norms).post(api::supply_prices::post_supply_norm),
        )
        .route(
            "/api/v1/emission-factors",
            get(api::emission_factors::get_factors).post(api::emission_factors::post_factor),
        )
        .route("/api/v1/plan/baseline", post(api::plan::post_baseline))
        .route("/api/v1/plan/target", post(api::plan::post_target))
        .route("/api/v1/plan/edits", get(api::plan::edits))
        .route("/api/v1/documents", get(api::documents::get_documents).post(api::documents::post_documents))
        .route("/api/v1/supplies", get(api::supplies::get_supplies))
        .route("/api/v1/meetings", get(api::meetings::get_meetings).post(api::meetings::post_meetings))
        .route("/api/v1/slips", post(api::supplies::post_slip))
        .route("/metrics", get(metrics::metrics))
        // Only requests that matched a route are counted, by its pattern.
        .route_layer(axum::middleware::from_fn_with_state(std::sync::Arc::clone(&state.http), metrics::count_requests))
        .fallback(not_found)
        // Refuses a body whose declared length is too big before reading any of it, and
        // stops reading one without a length once it passes the limit.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(auth::security_headers))
        .with_state(state)
}

/// `metrics.listen`'s server: `/metrics` alone, without credentials.
pub fn metrics_router(state: AppState) -> Router {
    Router::new().route("/metrics", get(metrics::open_metrics)).fallback(not_found).with_state(state)
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
