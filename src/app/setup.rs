//! The office's meters at start-up: a new store takes the config file's, after that the
//! store's are the ones in force (docs/setup.md).

use crate::config::{Config, ConfigError};
use crate::domain::{DepartmentId, Meter};
use crate::ingest::Pipeline;
use crate::store::Store;

use super::StartError;

/// Seed a new store with the config file's meters, then read against the store's.
pub(super) async fn live_setup(config: &Config, store: &dyn Store, pipeline: &Pipeline) -> Result<Vec<Meter>, StartError> {
    if store.seed_meters(config.meter_specs.clone()).await? {
        tracing::info!(meters = config.meter_specs.len(), "setup: the new store took the config file's meters");
    }
    let records = store.meter_setup().await?;
    let departments: Vec<DepartmentId> = config.departments.iter().map(|d| d.id.clone()).collect();
    pipeline.set_setup(&records, &departments).map_err(|problems| {
        StartError::Setup(ConfigError { file: format!("the meters kept in {}", config.store), problems })
    })
}
