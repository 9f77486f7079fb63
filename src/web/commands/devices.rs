//! A device found on the broker adopted as a meter: the meter is added through the same
//! command as `POST /api/v1/meters` (checked, audited), then the messages its topic left
//! among the rejected are read again into it (audited as a reprocess).

use serde_json::{Value, json};

use crate::config::MeterSpec;
use crate::ingest::reprocess::{RetrySummary, reprocess_topic};
use crate::store::MeterRecord;
use crate::web::auth::Admin;
use crate::web::commands::actor;
use crate::web::commands::meters::{self, Put, record_json};
use crate::web::{ApiError, AppState};

/// The meter added, and what became of its topic's earlier messages.
pub struct Adopted {
    pub meter: MeterRecord,
    pub history: RetrySummary,
}

impl Adopted {
    pub fn json(&self) -> Value {
        json!({ "meter": record_json(&self.meter), "history": self.history })
    }
}

pub async fn adopt(state: &AppState, admin: &Admin, spec: MeterSpec) -> Result<Adopted, ApiError> {
    let Some(topic) = spec.topic.clone() else {
        return Err(ApiError::BadRequest(
            "topic: a device is adopted by its MQTT topic; give the topic it publishes on (see /admin/devices)".into(),
        ));
    };
    let meter = meters::put(state, admin, spec, Put::Add).await?;
    let by = actor(admin.principal());
    let history = reprocess_topic(admin.store(state), &state.pipeline, &state.config(), Some(&by), &topic).await?;
    tracing::info!(meter = %meter.spec.id, %topic, ?history, by = %admin.principal().name(), "device adopted");
    Ok(Adopted { meter, history })
}
