//! What every handler may use: the config, the store and its writing half, ingest's status,
//! the sign-in service.

use std::sync::Arc;

use crate::alerts::Alerts;
use crate::auth::Auth;
use crate::config::{Config, SetupDifference};
use crate::ingest::mqtt::IngestStatus;
use crate::ingest::{ConfigInForce, Pipeline};
use crate::store::{BackupStatus, OutboxStatus, ReportShelf, StoreReads};
use crate::web::auth::Writes;
use crate::web::{Dashboards, HttpRequests};

/// Which broker the ingestor reads, for the health report.
#[derive(Debug, Clone)]
pub struct BrokerInfo {
    pub embedded: bool,
    pub address: String,
}

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    /// The config file's settings with the meters in force: read through [`AppState::config`].
    pub config_in_force: ConfigInForce,
    /// The pages loaded from dashboards/ at start-up.
    pub dashboards: Arc<Dashboards>,
    /// The store, for reading; its changes go through `writes`.
    pub store: Arc<dyn StoreReads>,
    /// The store's writing half, reachable only with a writer's or an admin's credentials.
    pub writes: Writes,
    pub ingest: Arc<IngestStatus>,
    /// The InfluxDB outbox, when that is the backend.
    pub outbox: Option<Arc<OutboxStatus>>,
    /// How the scheduled daily backups went.
    pub backups: Arc<BackupStatus>,
    pub broker: BrokerInfo,
    /// HTTP requests answered, for `/metrics`.
    pub http: Arc<HttpRequests>,
    /// Reads readings sent over HTTP the way MQTT messages are read.
    pub pipeline: Pipeline,
    pub auth: Arc<Auth>,
    /// The alerts: the engine's banner count, the kept alerts and acknowledgements.
    pub alerts: Arc<Alerts>,
    /// The reports the schedule made (`[reports]`), for the Báo cáo page.
    pub report_shelf: Arc<ReportShelf>,
    /// Where the config file disagreed with the store's setup at start-up (the store's
    /// values are in force), for the health report and the admin pages.
    pub setup_differences: Arc<Vec<SetupDifference>>,
}

impl AppState {
    /// The config now, with the meters ingest reads: one added or retired in the web app is
    /// in the next figure, page and export.
    pub fn config(&self) -> Arc<Config> {
        self.config_in_force.get()
    }
}
