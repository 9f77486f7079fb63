//! New devices (admin): `GET /api/v1/devices`, the topics that reached the broker but match
//! no meter, with what Xanh reads in them; `GET /api/v1/devices/announced`, the meters devices
//! announced before (or while) sending; `POST /api/v1/devices/adopt`, a meter for one of
//! them, whose earlier messages are then stored (audited; see docs/setup.md).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::config::MeterSpec;
use crate::domain::MeterKind;
use crate::domain::period::local_rfc3339;
use crate::ingest::announce::new_devices;
use crate::web::auth::Admin;
use crate::web::commands::devices::adopt;
use crate::web::{ApiError, AppState};

const ADOPT_EXAMPLE: &str = r#"send the keys of a [[meters]] entry with the device's topic, such as {"id": "may-lanh-p2", "name": "Máy lạnh P2", "resource": "electricity", "kind": "counter", "unit": "kWh", "format": "zigbee2mqtt", "topic": "zigbee2mqtt/may-lanh-p2"}"#;

pub async fn devices(State(state): State<AppState>, _: Admin) -> Result<Json<Vec<Value>>, ApiError> {
    let config = state.config();
    let tz = &config.office.timezone;
    let found = new_devices(state.store.as_ref(), &state.pipeline).await?.found;
    let devices = found
        .iter()
        .map(|d| {
            let read = d.recognised.as_ref();
            json!({
                "topic": d.topic,
                "name": d.name,
                "suggested_id": d.suggested_id(),
                "format": read.map(|r| r.format.config_name()),
                "field": read.and_then(|r| r.field),
                "last_value": read.map(|r| r.value),
                "unit": read.and_then(|r| r.unit).map(|u| u.config_name()),
                "messages": d.messages,
                "last_seen": local_rfc3339(d.last_seen, tz),
            })
        })
        .collect();
    Ok(Json(devices))
}

/// What each announced meter-to-be says, `null` where it does not (listed in `unsaid`), with
/// its last value where its topic sent one.
pub async fn announced_devices(State(state): State<AppState>, _: Admin) -> Result<Json<Vec<Value>>, ApiError> {
    let config = state.config();
    let tz = &config.office.timezone;
    let announced = new_devices(state.store.as_ref(), &state.pipeline).await?.announced;
    let devices = announced
        .iter()
        .map(|device| {
            let said = &device.said;
            let read = device.sent.as_ref().and_then(|f| f.recognised.as_ref());
            json!({
                "announced_by": said.by.name(),
                "announced_on": said.announced_on,
                "heard_at": local_rfc3339(said.heard_at, tz),
                "name": said.name,
                "suggested_id": said.suggested_id(),
                "topic": said.topic,
                "format": said.format.map(|f| f.config_name()),
                "field": said.field,
                "unit": said.unit.map(|u| u.config_name()),
                "resource": said.resource.map(|r| r.as_str()),
                "kind": said.kind.map(|k| match k { MeterKind::Counter => "counter", MeterKind::Delta => "delta" }),
                "unsaid": said.unsaid().iter().map(|u| u.key()).collect::<Vec<_>>(),
                "last_value": read.map(|r| r.value),
                "messages": device.sent.as_ref().map_or(0, |f| f.messages),
            })
        })
        .collect();
    Ok(Json(devices))
}

pub async fn adopt_device(
    State(state): State<AppState>,
    admin: Admin,
    spec: Result<Json<MeterSpec>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(spec) = spec.map_err(|e| ApiError::BadRequest(format!("{}; {ADOPT_EXAMPLE}", e.body_text())))?;
    let adopted = adopt(&state, &admin, spec).await?;
    Ok((StatusCode::CREATED, Json(adopted.json())))
}
