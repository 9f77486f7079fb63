//! `GET /api/v1/health`: whether the broker, the store and the outbox are working.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use crate::domain::period::local_rfc3339;
use crate::web::AppState;

pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let store = state.store.check().await;
    let ingest = state.ingest.snapshot();
    let now = jiff::Timestamp::now();
    let outbox = state.outbox.as_ref().map(|status| (status.snapshot(), status));
    let overdue = outbox.as_ref().is_some_and(|(snapshot, status)| status.overdue(snapshot, now));
    let healthy = store.is_ok() && ingest.connected && !overdue;
    let tz = &state.config.office.timezone;
    let outbox = outbox.map(|(o, _)| {
        json!({
            "pending": o.pending,
            "oldest_pending_age_s": o.oldest_pending_age(now).map(|age| age.as_secs()),
            "overdue": overdue,
            "last_error": o.last_error,
            "last_written_at": o.last_written_at.map(|t| local_rfc3339(t, tz)),
            "dead_letters": o.dead_letters,
            "influxdb_reachable": o.reachable,
            "reads_from_journal": o.reads_from_journal,
        })
    });
    let body = json!({
        "status": if healthy { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "office": state.config.office.name,
        "broker": {
            "embedded": state.broker.embedded,
            "address": state.broker.address,
            "connected": ingest.connected,
        },
        "store": {
            "backend": state.store.backend(),
            "ok": store.is_ok(),
            "error": store.err().map(|e| e.to_string()),
            "outbox": outbox,
        },
        "ingest": ingest,
    });
    let status = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body))
}
