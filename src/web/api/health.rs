//! `GET /api/v1/health`: whether the broker, the store and the outbox are working, and if not,
//! why, in words an operator can act on.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use crate::domain::period::local_rfc3339;
use crate::ingest::broker;
use crate::ingest::mqtt::ErrorSource;
use crate::store::disk;
use crate::web::AppState;

const MB: u64 = 1024 * 1024;

/// How long health stays degraded after the embedded broker dropped messages.
const DROPS_SHOWN_FOR: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);

pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let store = state.store.check().await;
    let ingest = state.ingest.snapshot();
    let now = jiff::Timestamp::now();
    let outbox = state.outbox.as_ref().map(|status| (status.snapshot(), status));
    let overdue = outbox.as_ref().is_some_and(|(snapshot, status)| status.overdue(snapshot, now));
    let config = state.config();
    let store_file = config.store.embedded_path();
    let free = disk::free_bytes(store_file);
    let min_free = state.config().store_min_free_bytes;

    let mut reasons = Vec::new();
    if let Err(e) = &store {
        reasons.push(format!("store: {e}"));
    }
    match &free {
        Ok(free) if *free < min_free => reasons.push(format!(
            "disk: {} MB free for the store at {}, below store.min_free_mb = {}: free some space or move the store to a larger disk before writes fail",
            free / MB,
            store_file.display(),
            min_free / MB
        )),
        Ok(_) => {}
        Err(e) => reasons.push(format!("disk: cannot read the free space for the store at {}: {e}", store_file.display())),
    }
    if !ingest.connected {
        reasons.push(format!("broker: ingest is not connected to {}", state.broker.address));
    }
    // The store check above may pass between failing batches; ingest's own error says it too.
    if let Some(open) =
        ingest.recent_errors.first().filter(|e| e.cleared_at.is_none() && e.source == ErrorSource::Store)
    {
        reasons.push(format!("ingest: {}", open.error));
    }
    if overdue {
        reasons.push("outbox: points have waited longer than store.outbox_alert_s for InfluxDB".to_owned());
    }
    let tz = &state.config().office.timezone;
    let (dropped, last_drop) = if state.broker.embedded {
        (Some(broker::drops::dropped_messages()), broker::drops::last_drop())
    } else {
        (None, None)
    };
    if let Some(drop) = last_drop.as_ref().filter(|d| now.duration_since(d.at) < DROPS_SHOWN_FOR) {
        reasons.push(format!(
            "broker: the embedded broker dropped {} messages for a subscriber that fell behind (the latest at {}, subscription {}); \
             Xanh's own readings are stored before the broker takes them and are not affected; a subscriber that must not lose \
             messages should read from Mosquitto (see the README); this shows for 15 minutes after a drop",
            dropped.unwrap_or_default(),
            local_rfc3339(drop.at, tz),
            drop.filter
        ));
    }
    let backup_failure = state.backups.failure();
    if let Some(failure) = &backup_failure {
        reasons.push(format!(
            "backup: the daily backup due at {} failed: {}; fix the cause (backup.folder writable, enough space) or take one by hand with `xanh backup FILE`; this stays until a daily backup succeeds",
            local_rfc3339(failure.at, tz),
            failure.error
        ));
    }
    let healthy = reasons.is_empty();

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
    let errors: Vec<_> = ingest
        .recent_errors
        .iter()
        .map(|e| {
            json!({
                "source": e.source,
                "error": e.error,
                "since": local_rfc3339(e.since, tz),
                "cleared_at": e.cleared_at.map(|t| local_rfc3339(t, tz)),
            })
        })
        .collect();
    let mut body = json!({
        "status": if healthy { "ok" } else { "degraded" },
        "reasons": reasons,
        "version": env!("CARGO_PKG_VERSION"),
        "office": state.config().office.name,
        "broker": {
            "embedded": state.broker.embedded,
            "address": state.broker.address,
            "connected": ingest.connected,
            "dropped_messages": dropped,
            "last_drop_at": last_drop.map(|d| local_rfc3339(d.at, tz)),
        },
        "store": {
            "backend": state.store.backend(),
            "ok": store.is_ok(),
            "error": store.err().map(|e| e.to_string()),
            "free_mb": free.ok().map(|bytes| bytes / MB),
            "min_free_mb": min_free / MB,
            "outbox": outbox,
        },
        // Only how many: the keys themselves (meters, topics) are on the admin's meters page.
        "setup": { "file_differences": state.setup_differences.len() },
        "backup": {
            "scheduled": state.config().backup.is_some(),
            "failed_at": backup_failure.as_ref().map(|f| local_rfc3339(f.at, tz)),
            "error": backup_failure.map(|f| f.error),
        },
        "ingest": {
            "connected": ingest.connected,
            "messages": ingest.messages,
            "stored": ingest.stored,
            "duplicates": ingest.duplicates,
            "rejected": ingest.rejected,
            "sessions_lost": ingest.sessions_lost,
            "queued": ingest.queued,
            "last_error": ingest.last_error,
            "last_error_at": ingest.last_error_at.map(|t| local_rfc3339(t, tz)),
            "recent_errors": errors,
        },
    });
    if let Some(peers) = ingest.peers {
        body["ingest"]["peers"] = json!(peers);
    }
    let status = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body))
}
