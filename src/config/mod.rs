//! Load and validate the TOML config (plus `XANH_*` environment overrides and secrets).
//!
//! The file is parsed into plain serde structs (`deny_unknown_fields`), the environment is
//! applied, and then everything is checked and turned into domain types. Every error names the
//! file, the key and the fix.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Deserialize;

mod alerts;
mod backup;
mod calendar;
mod env;
mod error;
mod ingest;
mod log;
mod meetings;
mod meters;
mod metrics;
mod mqtt;
mod notify;
mod office;
mod reports;
mod resources;
mod rubric;
mod saving_plan;
mod setup;
mod store;
#[cfg(test)]
mod tests;
mod web;

pub use alerts::{
    AlertOverride, AlertSettings, AlertsConfig, QuietHours, Recipient, RecipientFields, RecipientRole, Selector,
};
pub use backup::BackupConfig;
pub use calendar::FileCalendar;
pub use error::{ConfigError, ConfigProblem};
pub use ingest::IngestConfig;
pub use log::LogFormat;
pub use meters::{DEFAULT_COUNTER_INTERVAL, MeterSpec, check_meters, parse_interval};
pub use mqtt::{
    Broker, BrokerClient, BrokerTls, ClientAuth, ClientTls, EmbeddedBroker, ExternalBroker, INGEST_USERNAME, MqttConfig,
};
pub use notify::{
    EmailConfig, NotifyConfig, SMTP_PASSWORD_VARIABLE, SmtpLogin, SmtpSecurity, WebhookConfig, webhook_secret_variable,
};
pub use office::{DepartmentSpec, check_departments};
pub use reports::{ReportPeriodKind, ReportRecipients, ReportsConfig};
pub use rubric::{Class, Criterion, CriterionRule, Rubric, default_rubric};
pub use saving_plan::{
    Baselines, Basis, EmissionFactor, EnteredBaseline, FactorProblem, Plan, StaffingChange, TargetRule, Tariff,
};
pub use setup::{SetupDifference, compare_calendar, compare_departments, compare_meters};
pub use store::{DEFAULT_INFLUX_BATCH, InfluxConfig, StoreConfig};
pub use web::{WebAccess, WebLimits};

use self::env::{Secrets, apply_env};
use self::error::parse_toml;
use self::ingest::IngestSection;
use self::meters::resolve_meters;
use self::mqtt::MqttSection;
use self::office::{OfficeSection, resolve_departments};
use self::store::StoreSection;
use self::web::WebSection;
use crate::domain::{
    AnyResource, Department, DepartmentId, Letterhead, Meter, MeterId, Office, Resource, Supply, SupplyId,
};

/// The config used when no `--config` is given.
pub const DEFAULT_PATH: &str = "config/default.toml";
/// A copy of `config/default.toml` built into the binary, used when that file is absent.
pub const BUILT_IN_DEFAULT: &str = include_str!("../../config/default.toml");

// ---- the file as written -------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    office: OfficeSection,
    #[serde(default)]
    web: WebSection,
    #[serde(default)]
    mqtt: MqttSection,
    #[serde(default)]
    store: StoreSection,
    #[serde(default)]
    ingest: IngestSection,
    backup: Option<backup::BackupSection>,
    #[serde(default)]
    log: log::LogSection,
    #[serde(default)]
    metrics: metrics::MetricsSection,
    #[serde(default)]
    notify: notify::NotifySection,
    #[serde(default)]
    departments: Vec<DepartmentSpec>,
    #[serde(default)]
    meters: Vec<MeterSpec>,
    #[serde(default)]
    staffing: Vec<saving_plan::StaffingEntry>,
    #[serde(default)]
    baselines: saving_plan::BaselinesSection,
    targets: Option<Vec<saving_plan::TargetEntry>>,
    emission_factors: Option<Vec<saving_plan::EmissionFactorEntry>>,
    tariffs: Option<Vec<saving_plan::TariffEntry>>,
    scoring: Option<rubric::ScoringSection>,
    #[serde(default)]
    alerts: alerts::AlertsSection,
    #[serde(default)]
    reports: reports::ReportsSection,
    #[serde(default)]
    resources: Vec<resources::ResourceEntry>,
    #[serde(default)]
    meetings: meetings::MeetingsSection,
}

// ---- the config as the program uses it -----------------------------------------------------

#[derive(Debug, Clone)]
pub struct Config {
    /// Where the config came from, for messages.
    pub source: String,
    pub office: Office,
    /// The calendar as the file gives it (the office's calendar holds it with the shipped
    /// one): what the store's years are compared with at start-up.
    pub file_calendar: FileCalendar,
    /// `[office]`'s letterhead keys: who issues and signs the report.
    pub letterhead: Letterhead,
    pub web_listen: SocketAddr,
    pub web_access: WebAccess,
    pub web_limits: WebLimits,
    /// `web.dashboards`: the folder of dashboard pages, when the config names one.
    pub web_dashboards: Option<PathBuf>,
    pub mqtt: MqttConfig,
    pub store: StoreConfig,
    /// `store.min_free_mb`: free disk space (bytes) in the store's folder below which the
    /// health report says degraded.
    pub store_min_free_bytes: u64,
    /// `store.keep_raw_readings_days`: how long raw readings are kept whole before the
    /// retention task thins them (`None`: forever).
    pub keep_raw_readings: Option<std::time::Duration>,
    pub ingest: IngestConfig,
    /// `log.format`: plain lines or JSON.
    pub log_format: LogFormat,
    /// `metrics.listen`: a second address serving `/metrics` alone, without credentials.
    pub metrics_listen: Option<SocketAddr>,
    /// `[backup]`: the daily copy of the store the service takes, when the config asks for one.
    pub backup: Option<BackupConfig>,
    /// `[notify.email]` and `[[notify.webhook]]`: where alerts and reports are sent.
    pub notify: NotifyConfig,
    /// The departments in force: the file's, or the store's once it holds them (docs/setup.md).
    pub departments: Vec<Department>,
    /// The departments as the file wrote them: what seeds a new store's departments.
    pub department_specs: Vec<DepartmentSpec>,
    pub meters: Vec<Meter>,
    /// Meters retired in the web app and the moment each stopped (docs/setup.md): still in
    /// `meters`, so that their history stays in the figures, but no longer expected to report.
    pub retired_meters: HashMap<MeterId, Timestamp>,
    /// The meters as the file wrote them: what seeds a new store's meter table.
    pub meter_specs: Vec<MeterSpec>,
    /// Baselines, targets, emission factors and tariffs as the config gives them (the web
    /// app's edits are laid over them by `analysis::plan`).
    pub plan: Plan,
    /// How departments are scored (the shipped default unless `[scoring]` is given).
    pub rubric: Rubric,
    /// `[alerts]`: the alert rules' thresholds and recipients.
    pub alerts: AlertsConfig,
    /// `[reports]`: the reports made by themselves each month, quarter and year.
    pub reports: ReportsConfig,
    /// `[[resources]]`: what the office issues beside electricity, water and paper
    /// (stationery, toner, fuel), with their items and price lists.
    pub supplies: Vec<Supply>,
    /// `[meetings] target_percent`: the share of meetings to hold paperless (100 unless given).
    pub meetings_target_percent: f64,
}

impl Config {
    /// Load `path`, or the default config when `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        Self::load_with_env(path, &|name| std::env::var(name).ok())
    }

    /// As [`Config::load`], with the environment given, so tests don't touch the process's.
    pub fn load_with_env(path: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let (file, text) = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
                    file: path.display().to_string(),
                    problems: vec![ConfigProblem {
                        key: "(file)".into(),
                        problem: format!("cannot be read: {e}"),
                        fix: "check the path given with --config (or XANH_CONFIG)".into(),
                    }],
                })?;
                (path.display().to_string(), text)
            }
            None => match std::fs::read_to_string(DEFAULT_PATH) {
                Ok(text) => (DEFAULT_PATH.to_owned(), text),
                Err(_) => (format!("{DEFAULT_PATH} (built-in copy)"), BUILT_IN_DEFAULT.to_owned()),
            },
        };
        Self::parse(&file, &text, env)
    }

    /// Parse and validate config text; `file` names it in errors.
    pub fn parse(file: &str, text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut raw: ConfigFile =
            parse_toml(text).map_err(|problems| ConfigError { file: file.to_owned(), problems })?;
        let mut problems = Vec::new();
        apply_env(&mut raw, env, &mut problems);
        let secrets = Secrets {
            mqtt_password: env("XANH_MQTT_PASSWORD").filter(|p| !p.is_empty()),
            influxdb_token: env("XANH_INFLUXDB_TOKEN").filter(|t| !t.trim().is_empty()),
            notify: notify::read_secrets(&raw.notify, env),
        };
        let config = resolve(file, raw, secrets, &mut problems);
        match config {
            Some(config) if problems.is_empty() => Ok(config),
            _ => Err(ConfigError { file: file.to_owned(), problems }),
        }
    }

    pub fn meter(&self, id: &MeterId) -> Option<&Meter> {
        self.meters.iter().find(|m| &m.id == id)
    }

    pub fn department(&self, id: &DepartmentId) -> Option<&Department> {
        self.departments.iter().find(|d| &d.id == id)
    }

    pub fn supply(&self, id: &str) -> Option<&Supply> {
        self.supplies.iter().find(|s| s.id.as_str() == id)
    }

    /// A `resource=` the API was sent: a metered resource or a configured one, else a message
    /// (Vietnamese, then English) naming every id known.
    pub fn any_resource(&self, id: &str) -> Result<AnyResource, String> {
        if let Ok(resource) = id.parse::<Resource>() {
            return Ok(AnyResource::Metered(resource));
        }
        if let Some(supply) = self.supply(id) {
            return Ok(AnyResource::Supply(supply.id.clone()));
        }
        let known: Vec<&str> =
            Resource::ALL.iter().map(|r| r.as_str()).chain(self.supplies.iter().map(|s| s.id.as_str())).collect();
        let list = |or: &str| match known.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} {or} {last}", rest.join(", ")),
            None => String::new(),
        };
        Err(format!(
            "Không có nguồn lực \"{id}\": dùng {} (unknown resource \"{id}\": use {})",
            list("hoặc"),
            list("or")
        ))
    }
}

/// Check everything and build the typed config; problems are collected, not returned early.
fn resolve(file: &str, raw: ConfigFile, secrets: Secrets, problems: &mut Vec<ConfigProblem>) -> Option<Config> {
    let mut problem = |key: String, problem: String, fix: String| problems.push(ConfigProblem { key, problem, fix });

    let office_id_given = raw.office.id.is_some();
    let office_id = office::resolve_office_id(&raw.office, &mut problem);
    let letterhead = office::resolve_letterhead(&raw.office, &mut problem);
    let (office, file_calendar) = office::resolve_office(raw.office, office_id.clone(), &mut problem);
    let web_listen = parse_addr(&raw.web.listen, "web.listen", &mut problem);
    let web_access = web::resolve_access(&raw.web, &mut problem);
    let web_limits = web::resolve_limits(&raw.web, &mut problem);

    let mqtt = mqtt::resolve_mqtt(raw.mqtt, secrets.mqtt_password, &mut problem);
    let store = store::resolve_store(&raw.store, office_id_given, office_id, secrets.influxdb_token, &mut problem);
    let keep_raw_readings = store::resolve_retention(&raw.store, &mut problem);
    let ingest = ingest::resolve_ingest(&raw.ingest, &mut problem);
    let log_format = log::resolve_log(&raw.log, &mut problem);
    let backup = backup::resolve_backup(raw.backup.as_ref(), &mut problem);
    let (smtp_password, webhook_secrets) = secrets.notify;
    let notify = notify::resolve_notify(raw.notify, smtp_password, webhook_secrets, &mut problem);
    let metrics_listen = raw.metrics.listen.as_deref().map(|addr| parse_addr(addr, "metrics.listen", &mut problem));

    let departments = resolve_departments(&raw.departments, &mut problem);
    let department_ids: HashSet<&DepartmentId> = departments.iter().map(|d| &d.id).collect();
    let meters = resolve_meters(&raw.meters, &department_ids, &mut problem);
    let department_list: Vec<DepartmentId> = departments.iter().map(|d| d.id.clone()).collect();
    let supplies = resources::resolve_resources(raw.resources, &department_ids, &mut problem);
    let supply_ids: Vec<SupplyId> = supplies.iter().map(|s| s.id.clone()).collect();
    let plan = saving_plan::resolve_plan(
        saving_plan::PlanSections {
            staffing: raw.staffing,
            baselines: raw.baselines,
            targets: raw.targets,
            emission_factors: raw.emission_factors,
            tariffs: raw.tariffs,
        },
        &department_list,
        &supply_ids,
        &mut problem,
    );
    let rubric = rubric::resolve_rubric(raw.scoring, &mut problem);
    let alerts = alerts::resolve_alerts(raw.alerts, &meters, &department_ids, &mut problem);
    let reports = reports::resolve_reports(raw.reports, &mut problem);
    let meetings_target_percent = meetings::resolve_meetings(&raw.meetings, &mut problem);

    Some(Config {
        source: file.to_owned(),
        office: office?,
        file_calendar,
        letterhead,
        web_listen: web_listen?,
        web_access,
        web_limits,
        web_dashboards: raw.web.dashboards,
        mqtt: mqtt?,
        store: store?,
        store_min_free_bytes: raw.store.min_free_mb.saturating_mul(1024 * 1024),
        keep_raw_readings,
        ingest,
        log_format,
        metrics_listen: metrics_listen.flatten(),
        backup,
        notify,
        departments,
        department_specs: raw.departments,
        meters,
        retired_meters: HashMap::new(),
        meter_specs: raw.meters,
        plan: plan?,
        rubric,
        alerts,
        reports,
        supplies,
        meetings_target_percent,
    })
}

fn parse_addr(value: &str, key: &str, problem: &mut impl FnMut(String, String, String)) -> Option<SocketAddr> {
    match value.parse() {
        Ok(addr) => Some(addr),
        Err(_) => {
            problem(
                key.into(),
                format!("`{value}` is not an address with a port"),
                "write it as \"127.0.0.1:8080\" (IP and port; port 0 picks a free one)".into(),
            );
            None
        }
    }
}
