//! `GET /metrics`: the counters health reports, and the HTTP requests by route and status, in
//! Prometheus' text exposition format (version 0.0.4) for a scraper. An admin's token or
//! session is needed on the web port; `metrics.listen` serves it alone on an address of its own
//! without credentials.
//!
//! The format is written by hand: a few families of plain counters and gauges do not need a
//! metrics crate.

use std::collections::BTreeMap;
use std::fmt::{Display, Write};
use std::sync::{Arc, Mutex};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::domain::MeterId;
use crate::ingest::mqtt::{WRITE_SECONDS_BUCKETS, WriteTally};
use crate::web::auth::Admin;
use crate::web::{ApiError, AppState};

/// The content type of the text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// HTTP requests answered, by route pattern (`/api/v1/rejected/{id}/review`, never the raw
/// path, so the labels stay few), method and status.
#[derive(Debug, Default)]
pub struct HttpRequests {
    counts: Mutex<BTreeMap<(String, String, u16), u64>>,
}

impl HttpRequests {
    fn count(&self, route: &str, method: &str, status: u16) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *counts.entry((route.to_owned(), method.to_owned(), status)).or_default() += 1;
    }

    fn snapshot(&self) -> BTreeMap<(String, String, u16), u64> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Counts every request that matched a route; requests for paths that match none (404) are
/// left out, as their paths are whatever a client sent.
pub async fn count_requests(State(requests): State<Arc<HttpRequests>>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_owned());
    let method = request.method().clone();
    let response = next.run(request).await;
    if let Some(route) = route {
        requests.count(&route, method.as_str(), response.status().as_u16());
    }
    response
}

/// `/metrics` on the web port: for an admin.
pub async fn metrics(State(state): State<AppState>, _: Admin) -> Result<impl IntoResponse, ApiError> {
    exposition(&state).await
}

/// `/metrics` on `metrics.listen`'s own address, which the operator keeps to the scraper.
pub async fn open_metrics(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    exposition(&state).await
}

async fn exposition(state: &AppState) -> Result<impl IntoResponse + use<>, ApiError> {
    let sessions = state.auth.live_sessions().await?;
    let ingest = state.ingest.snapshot();
    let mut out = Exposition::default();
    out.family("xanh_ingest_connected", "gauge", "1 while devices' messages can reach Xanh (its MQTT client is connected, or the embedded broker's gate is open).");
    out.sample("xanh_ingest_connected", &[], u8::from(ingest.connected));
    out.family(
        "xanh_ingest_messages_total",
        "counter",
        "Device messages received from the broker (in a shared subscription: this instance's share).",
    );
    out.sample("xanh_ingest_messages_total", &[], ingest.messages);
    out.family("xanh_readings_total", "counter", "Readings handled by ingest, by outcome: stored, duplicate (already stored) or rejected (kept with its reason).");
    for (outcome, count) in [("stored", ingest.stored), ("duplicate", ingest.duplicates), ("rejected", ingest.rejected)]
    {
        out.sample("xanh_readings_total", &[("outcome", outcome)], count);
    }
    out.family(
        "xanh_meter_readings_total",
        "counter",
        "Readings of each meter that ingest stored, or found already stored (duplicate).",
    );
    for (meter, tally) in &ingest.tally.by_meter {
        out.sample("xanh_meter_readings_total", &[("meter", meter), ("outcome", "stored")], tally.stored);
        out.sample("xanh_meter_readings_total", &[("meter", meter), ("outcome", "duplicate")], tally.duplicates);
    }
    out.family(
        "xanh_readings_rejected_total",
        "counter",
        "Readings ingest refused and kept with their reason (held_for_review: waiting for an admin), by reason.",
    );
    for (reason, count) in &ingest.tally.rejected_by_reason {
        out.sample("xanh_readings_rejected_total", &[("reason", reason)], count);
    }
    out.family(
        "xanh_format_readings_total",
        "counter",
        "Readings ingest handled, by the payload format of the meter they were for (none: no meter could be told) and outcome.",
    );
    for ((format, outcome), count) in by_format(state, &ingest.tally) {
        out.sample("xanh_format_readings_total", &[("format", format), ("outcome", outcome)], count);
    }
    out.family(
        "xanh_ingest_queue_depth",
        "gauge",
        "Device messages waiting in ingest's queue, not yet taken into a batch (grows while the store is slow or locked).",
    );
    out.sample("xanh_ingest_queue_depth", &[], ingest.queued);
    let latency = &ingest.tally.write_seconds;
    out.family("xanh_store_write_seconds", "histogram", "How long ingest's writes to the store took, a batch each.");
    let mut cumulative = 0;
    for (bound, count) in WRITE_SECONDS_BUCKETS.iter().zip(latency.buckets) {
        cumulative += count;
        out.sample("xanh_store_write_seconds_bucket", &[("le", &bound.to_string())], cumulative);
    }
    out.sample("xanh_store_write_seconds_bucket", &[("le", "+Inf")], latency.count);
    out.sample("xanh_store_write_seconds_sum", &[], latency.sum_seconds);
    out.sample("xanh_store_write_seconds_count", &[], latency.count);
    out.family(
        "xanh_mqtt_sessions_lost_total",
        "counter",
        "Reconnections on which the broker no longer had Xanh's session: the messages it queued for Xanh were lost.",
    );
    out.sample("xanh_mqtt_sessions_lost_total", &[], ingest.sessions_lost);
    if state.broker.embedded {
        out.family("xanh_broker_connections", "gauge", "Device connections the embedded broker holds now.");
        out.sample("xanh_broker_connections", &[], ingest.broker_connections);
        out.family(
            "xanh_broker_connections_refused_total",
            "counter",
            "Connections the embedded broker refused over mqtt.max_connections or mqtt.max_connections_per_address.",
        );
        out.sample("xanh_broker_connections_refused_total", &[], ingest.broker_refused);
        out.family(
            "xanh_broker_dropped_messages_total",
            "counter",
            "Messages the embedded broker dropped for subscribers that fell behind (never Xanh's own readings, stored at the gate).",
        );
        out.sample("xanh_broker_dropped_messages_total", &[], crate::ingest::broker::drops::dropped_messages());
    }
    if let Some(outbox) = &state.outbox {
        out.family("xanh_outbox_pending", "gauge", "Points committed locally and waiting to be written to InfluxDB.");
        out.sample("xanh_outbox_pending", &[], outbox.snapshot().pending);
    }
    out.family("xanh_http_requests_total", "counter", "HTTP requests answered, by route pattern, method and status.");
    for ((route, method, status), count) in state.http.snapshot() {
        let status = status.to_string();
        out.sample("xanh_http_requests_total", &[("route", &route), ("method", &method), ("status", &status)], count);
    }
    out.family("xanh_sessions", "gauge", "People signed in now (live sessions; API tokens are not sessions).");
    out.sample("xanh_sessions", &[], sessions);
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], out.0))
}

/// The readings of each meter summed by the payload format the config gives the meter.
fn by_format(state: &AppState, tally: &WriteTally) -> BTreeMap<(&'static str, &'static str), u64> {
    let format = |meter: Option<&str>| {
        meter
            .and_then(|m| MeterId::try_from(m.to_owned()).ok())
            .and_then(|id| state.config().meter(&id).map(|m| m.format.config_name()))
            .unwrap_or("none")
    };
    let mut sums = BTreeMap::new();
    for (meter, counts) in &tally.by_meter {
        *sums.entry((format(Some(meter)), "stored")).or_default() += counts.stored;
        *sums.entry((format(Some(meter)), "duplicate")).or_default() += counts.duplicates;
    }
    for (meter, count) in &tally.rejected_by_meter {
        *sums.entry((format(meter.as_deref()), "rejected")).or_default() += count;
    }
    sums
}

/// A text exposition being written: each family's HELP and TYPE lines, then its samples.
#[derive(Default)]
struct Exposition(String);

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let help = help.replace('\\', r"\\").replace('\n', r"\n");
        // Writing to a String cannot fail.
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        self.0.push_str(name);
        if !labels.is_empty() {
            let labels: Vec<String> =
                labels.iter().map(|(key, value)| format!("{key}=\"{}\"", escape_label(value))).collect();
            let _ = write!(self.0, "{{{}}}", labels.join(","));
        }
        let _ = writeln!(self.0, " {value}");
    }
}

/// A label value as the format requires: backslash, double quote and line feed escaped.
fn escape_label(value: &str) -> String {
    value.replace('\\', r"\\").replace('"', "\\\"").replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_and_help_text_are_escaped() {
        let mut out = Exposition::default();
        out.family("xanh_x_total", "counter", "a \\ b\nc");
        out.sample("xanh_x_total", &[("route", "/a\"b\\c\nd"), ("status", "200")], 3);
        out.sample("xanh_y", &[], 1);
        assert_eq!(
            out.0,
            "# HELP xanh_x_total a \\\\ b\\nc\n# TYPE xanh_x_total counter\nxanh_x_total{route=\"/a\\\"b\\\\c\\nd\",status=\"200\"} 3\nxanh_y 1\n"
        );
    }
}
