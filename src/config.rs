//! Load and validate the TOML config (plus `XANH_*` environment overrides and secrets).
//!
//! The file is parsed into plain serde structs (`deny_unknown_fields`), the environment is
//! applied, and then everything is checked and turned into domain types. Every error names the
//! file, the key and the fix.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use serde::Deserialize;

mod plan;
mod scoring;

pub use plan::{Baselines, Basis, EmissionFactor, EnteredBaseline, Plan, StaffingChange, TargetRule, Tariff};
pub use scoring::{Class, Criterion, CriterionRule, Rubric, default_rubric};

use crate::domain::{
    Conversion, Department, DepartmentId, Format, Meter, MeterId, MeterKind, Office, OfficeId, PEER_TOPIC_ROOT,
    PasswordDigest, Resource, ShareGroup, Topic, TopicFilter, Unit, ValueSelector, WorkingDays, WorkingHours,
};

/// The config used when no `--config` is given.
pub const DEFAULT_PATH: &str = "config/default.toml";
/// A copy of `config/default.toml` built into the binary, used when that file is absent.
pub const BUILT_IN_DEFAULT: &str = include_str!("../config/default.toml");

/// One thing wrong with the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub key: String,
    pub problem: String,
    pub fix: String,
}

/// Everything wrong with a config file, reported together so one edit can fix them all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub file: String,
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {}: {}; fix: {}", self.file, p.key, p.problem, p.fix)?;
        }
        Ok(())
    }
}

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
    #[serde(default)]
    departments: Vec<DepartmentEntry>,
    #[serde(default)]
    meters: Vec<MeterEntry>,
    #[serde(default)]
    staffing: Vec<plan::StaffingEntry>,
    #[serde(default)]
    baselines: plan::BaselinesSection,
    targets: Option<Vec<plan::TargetEntry>>,
    emission_factors: Option<Vec<plan::EmissionFactorEntry>>,
    tariffs: Option<Vec<plan::TariffEntry>>,
    scoring: Option<scoring::ScoringSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OfficeSection {
    /// The office's id, tagged on every point it writes to a shared store.
    id: Option<String>,
    name: String,
    #[serde(default = "default_timezone")]
    timezone: String,
    working_hours: Option<String>,
    working_days: Option<Vec<String>>,
    #[serde(default)]
    holidays: Vec<String>,
}

fn default_timezone() -> String {
    "Asia/Ho_Chi_Minh".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct WebSection {
    #[serde(default = "default_web_listen")]
    listen: String,
    /// The folder of dashboard page files; absent: `dashboards/` if present, else built in.
    dashboards: Option<PathBuf>,
    #[serde(default = "default_session_hours")]
    session_hours: u32,
    #[serde(default)]
    public_overview: bool,
    #[serde(default)]
    secure_cookies: bool,
}

fn default_web_listen() -> String {
    "127.0.0.1:8080".to_owned()
}

fn default_session_hours() -> u32 {
    8
}

impl Default for WebSection {
    fn default() -> Self {
        Self {
            listen: default_web_listen(),
            session_hours: default_session_hours(),
            public_overview: false,
            secure_cookies: false,
            dashboards: None,
        }
    }
}

/// Who may see what on the web, and how sessions behave.
#[derive(Debug, Clone, Copy)]
pub struct WebAccess {
    /// How long a sign-in lasts.
    pub session_ttl: jiff::SignedDuration,
    /// The overview page is readable without signing in.
    pub public_overview: bool,
    /// Session cookies carry `Secure` even when a request does not say it came over HTTPS.
    pub secure_cookies: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct MqttSection {
    embedded: bool,
    listen: String,
    host: Option<String>,
    /// Absent: 1883, or 8883 with `[mqtt.tls]`.
    port: Option<u16>,
    client_id: String,
    username: Option<String>,
    keep_alive_s: u64,
    inflight: u16,
    allow_anonymous: bool,
    clients: Vec<ClientEntry>,
    tls: Option<TlsEntry>,
    shared_group: Option<String>,
}

/// A gateway or meter allowed to connect to the embedded broker.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientEntry {
    username: String,
    password_hash: String,
    publish: Vec<String>,
}

/// `[mqtt.tls]`: the embedded broker's TLS listener (`listen`, `cert`, `key`), or TLS to an
/// external broker (`ca_file`, `client_cert`, `client_key`); which keys apply is checked
/// against `embedded`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsEntry {
    listen: Option<String>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    ca_file: Option<PathBuf>,
    client_cert: Option<PathBuf>,
    client_key: Option<PathBuf>,
}

const DEFAULT_TLS_LISTEN: &str = "0.0.0.0:8883";

impl Default for MqttSection {
    fn default() -> Self {
        Self {
            embedded: true,
            listen: "127.0.0.1:1883".to_owned(),
            host: None,
            port: None,
            client_id: "xanh-ingest".to_owned(),
            username: None,
            keep_alive_s: 30,
            inflight: 100,
            allow_anonymous: false,
            clients: Vec::new(),
            tls: None,
            shared_group: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct StoreSection {
    backend: String,
    path: PathBuf,
    /// InfluxDB only: where it answers, its organisation and bucket (the token comes from
    /// XANH_INFLUXDB_TOKEN).
    url: Option<String>,
    org: Option<String>,
    bucket: Option<String>,
    batch_size: Option<usize>,
    timeout_s: Option<u64>,
    outbox_alert_s: Option<u64>,
}

impl Default for StoreSection {
    fn default() -> Self {
        Self {
            backend: "sqlite".to_owned(),
            path: PathBuf::from("data/xanh.db"),
            url: None,
            org: None,
            bucket: None,
            batch_size: None,
            timeout_s: None,
            outbox_alert_s: None,
        }
    }
}

/// Points per write to InfluxDB unless `store.batch_size` says otherwise (InfluxDB advises
/// batches of about 5 000 lines).
pub const DEFAULT_INFLUX_BATCH: usize = 5000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct IngestSection {
    max_clock_skew_s: u64,
    max_age_days: u32,
    batch_size: usize,
}

impl Default for IngestSection {
    fn default() -> Self {
        Self { max_clock_skew_s: 600, max_age_days: 3660, batch_size: 1000 }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DepartmentEntry {
    id: String,
    name: String,
    headcount: u32,
    area_m2: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MeterEntry {
    id: String,
    name: String,
    resource: String,
    department: Option<String>,
    parent: Option<String>,
    kind: String,
    unit: String,
    #[serde(default = "default_format")]
    format: String,
    topic: Option<String>,
    register_max: Option<f64>,
    max_rate: Option<f64>,
    expected_interval: Option<String>,
    field: Option<String>,
    channel: Option<i64>,
    device_id: Option<String>,
}

fn default_format() -> String {
    "generic".to_owned()
}

// ---- the config as the program uses it -----------------------------------------------------

/// Which broker the ingestor reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broker {
    /// Start the built-in broker and read from it.
    Embedded(EmbeddedBroker),
    /// Connect to a broker run elsewhere (Mosquitto, EMQX…).
    External(ExternalBroker),
}

/// A broker run elsewhere, and how Xanh shares it with other instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalBroker {
    pub host: String,
    pub port: u16,
    pub tls: Option<ClientTls>,
    /// Instances of one group split the devices' messages (`$share/<group>/…`) and send each
    /// other what they stored, so that each holds every reading.
    pub shared_group: Option<ShareGroup>,
}

/// TLS to an external broker; the files are read and checked when ingest starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientTls {
    /// The CA that signed the broker's certificate (PEM); `None`: the system's trusted roots.
    pub ca_file: Option<PathBuf>,
    /// A client certificate chain and its key (PEM), for a broker that asks for one.
    pub client_auth: Option<ClientAuth>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAuth {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The built-in broker: where it listens and who may connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedBroker {
    pub listen: SocketAddr,
    /// Empty: any client may connect without a password (only allowed on a loopback address
    /// unless `allow_anonymous`); otherwise only these, plus Xanh's own ingestor.
    pub clients: Vec<BrokerClient>,
    pub tls: Option<BrokerTls>,
}

/// A gateway or meter with its password hash and the topics it may publish on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerClient {
    pub username: String,
    pub password_hash: PasswordDigest,
    pub publish: Vec<TopicFilter>,
}

/// The embedded broker's TLS listener; the files are read when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerTls {
    pub listen: SocketAddr,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The username Xanh's own ingestor uses on the embedded broker; no configured client may take it.
pub const INGEST_USERNAME: &str = "xanh-ingest";

#[derive(Clone)]
pub struct MqttConfig {
    pub broker: Broker,
    pub client_id: String,
    pub username: Option<String>,
    /// From `XANH_MQTT_PASSWORD` only, never from the file.
    pub password: Option<String>,
    pub keep_alive: Duration,
    /// QoS 1 messages the broker may send before Xanh acknowledges them.
    pub inflight: u16,
}

impl fmt::Debug for MqttConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MqttConfig")
            .field("broker", &self.broker)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "(set)"))
            .field("keep_alive", &self.keep_alive)
            .field("inflight", &self.inflight)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    Sqlite {
        path: PathBuf,
    },
    /// Readings and consumption go to InfluxDB 2 through an outbox in the embedded database,
    /// which keeps everything else.
    Influx(Box<InfluxConfig>),
}

impl StoreConfig {
    /// The embedded SQLite file: the whole store, or with InfluxDB the journal, the outbox,
    /// users and everything that is not a time series.
    pub fn embedded_path(&self) -> &Path {
        match self {
            StoreConfig::Sqlite { path } => path,
            StoreConfig::Influx(influx) => &influx.path,
        }
    }
}

/// Where and how to write to InfluxDB 2.
#[derive(Clone, PartialEq, Eq)]
pub struct InfluxConfig {
    /// http or https with a host: checked here, because the client panics on a bad URL.
    pub url: url::Url,
    pub org: String,
    pub bucket: String,
    /// From `XANH_INFLUXDB_TOKEN` only, never from the file.
    pub token: String,
    /// The embedded database (journal, outbox, users…).
    pub path: PathBuf,
    /// The `office` tag of every point.
    pub office: OfficeId,
    /// Most points in one write.
    pub batch_size: usize,
    /// How long one write may take before it counts as failed and is tried again.
    pub timeout: Duration,
    /// A backlog older than this makes the health report degraded.
    pub outbox_alert_after: Duration,
}

impl fmt::Debug for InfluxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InfluxConfig")
            .field("url", &self.url.as_str())
            .field("org", &self.org)
            .field("bucket", &self.bucket)
            .field("token", &"(set)")
            .field("path", &self.path)
            .field("office", &self.office)
            .field("batch_size", &self.batch_size)
            .field("timeout", &self.timeout)
            .field("outbox_alert_after", &self.outbox_alert_after)
            .finish()
    }
}

/// Limits that decide whether a reading's time is believable.
#[derive(Debug, Clone, Copy)]
pub struct IngestConfig {
    pub max_clock_skew: Duration,
    pub max_age: Duration,
    pub batch_size: usize,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Where the config came from, for messages.
    pub source: String,
    pub office: Office,
    pub web_listen: SocketAddr,
    pub web_access: WebAccess,
    /// `web.dashboards`: the folder of dashboard pages, when the config names one.
    pub web_dashboards: Option<PathBuf>,
    pub mqtt: MqttConfig,
    pub store: StoreConfig,
    pub ingest: IngestConfig,
    pub departments: Vec<Department>,
    pub meters: Vec<Meter>,
    /// Baselines, targets, emission factors and tariffs as the config gives them (the web
    /// app's edits are laid over them by `analysis::plan`).
    pub plan: Plan,
    /// How departments are scored (the shipped default unless `[scoring]` is given).
    pub rubric: Rubric,
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
        let mut raw: ConfigFile = toml::from_str(text)
            .map_err(|e| ConfigError { file: file.to_owned(), problems: vec![toml_problem(text, &e)] })?;
        let mut problems = Vec::new();
        apply_env(&mut raw, env, &mut problems);
        let secrets = Secrets {
            mqtt_password: env("XANH_MQTT_PASSWORD").filter(|p| !p.is_empty()),
            influxdb_token: env("XANH_INFLUXDB_TOKEN").filter(|t| !t.trim().is_empty()),
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
}

fn toml_problem(text: &str, e: &toml::de::Error) -> ConfigProblem {
    let location = e
        .span()
        .map(|span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let line_text = text.lines().nth(line - 1).unwrap_or("").trim();
            format!("line {line} (`{line_text}`)")
        })
        .unwrap_or_else(|| "(file)".to_owned());
    let message = e.message().trim().to_owned();
    let fix = if message.contains("`password_hash`") {
        "the broker keeps only hashes: run `xanh mqtt-password`, type the password, and put the line it prints in password_hash"
            .to_owned()
    } else if message.contains("unknown field `token`") {
        "secrets are not kept in the file: remove the key and set XANH_INFLUXDB_TOKEN (an InfluxDB API token that may write to the bucket) in the environment"
            .to_owned()
    } else if message.contains("`password`") || message.contains("`token`") {
        "secrets are not kept in the file: remove the key and set XANH_MQTT_PASSWORD in the environment".to_owned()
    } else if message.contains("unknown field") {
        "remove the key or correct its spelling (the accepted keys are listed above)".to_owned()
    } else if message.contains("missing field") {
        "add the key; see the config reference in README.md".to_owned()
    } else {
        "correct the value; see the config reference in README.md".to_owned()
    };
    ConfigProblem { key: location, problem: message, fix }
}

/// Settings the environment may override, with the variable that carries each.
fn apply_env(raw: &mut ConfigFile, env: &dyn Fn(&str) -> Option<String>, problems: &mut Vec<ConfigProblem>) {
    let mut bad = |var: &str, value: &str, want: &str| {
        problems.push(ConfigProblem {
            key: format!("environment variable {var}"),
            problem: format!("`{value}` is not {want}"),
            fix: format!("set {var} to {want}, or unset it"),
        })
    };
    if let Some(v) = env("XANH_WEB_LISTEN") {
        raw.web.listen = v;
    }
    if let Some(v) = env("XANH_MQTT_EMBEDDED") {
        match v.as_str() {
            "true" | "1" => raw.mqtt.embedded = true,
            "false" | "0" => raw.mqtt.embedded = false,
            _ => bad("XANH_MQTT_EMBEDDED", &v, "true or false"),
        }
    }
    if let Some(v) = env("XANH_MQTT_LISTEN") {
        raw.mqtt.listen = v;
    }
    if let Some(v) = env("XANH_MQTT_ALLOW_ANONYMOUS") {
        match v.as_str() {
            "true" | "1" => raw.mqtt.allow_anonymous = true,
            "false" | "0" => raw.mqtt.allow_anonymous = false,
            _ => bad("XANH_MQTT_ALLOW_ANONYMOUS", &v, "true or false"),
        }
    }
    if let Some(v) = env("XANH_MQTT_HOST") {
        raw.mqtt.host = Some(v);
    }
    if let Some(v) = env("XANH_MQTT_PORT") {
        match v.parse() {
            Ok(port) => raw.mqtt.port = Some(port),
            Err(_) => bad("XANH_MQTT_PORT", &v, "a port number (1–65535)"),
        }
    }
    if let Some(v) = env("XANH_MQTT_CLIENT_ID") {
        raw.mqtt.client_id = v;
    }
    if let Some(v) = env("XANH_MQTT_USERNAME") {
        raw.mqtt.username = Some(v);
    }
    if let Some(v) = env("XANH_MQTT_SHARED_GROUP") {
        raw.mqtt.shared_group = Some(v);
    }
    if let Some(v) = env("XANH_STORE_BACKEND") {
        raw.store.backend = v;
    }
    if let Some(v) = env("XANH_STORE_PATH") {
        raw.store.path = PathBuf::from(v);
    }
}

/// The secrets the environment carries.
struct Secrets {
    mqtt_password: Option<String>,
    influxdb_token: Option<String>,
}

/// Check everything and build the typed config; problems are collected, not returned early.
fn resolve(_file: &str, raw: ConfigFile, secrets: Secrets, problems: &mut Vec<ConfigProblem>) -> Option<Config> {
    let mut problem = |key: String, problem: String, fix: String| problems.push(ConfigProblem { key, problem, fix });

    let timezone = match TimeZone::get(&raw.office.timezone) {
        Ok(tz) if !whole_hour_offsets(&tz) => {
            problem(
                "office.timezone".into(),
                format!(
                    "`{}` is not a whole number of hours from UTC, and consumption is kept by the UTC hour",
                    raw.office.timezone
                ),
                "use a time zone with whole-hour offsets, such as \"Asia/Ho_Chi_Minh\"".into(),
            );
            None
        }
        Ok(tz) => Some(tz),
        Err(_) => {
            problem(
                "office.timezone".into(),
                format!("`{}` is not a known IANA time zone", raw.office.timezone),
                "use a name such as \"Asia/Ho_Chi_Minh\"".into(),
            );
            None
        }
    };
    if raw.office.name.trim().is_empty() {
        problem(
            "office.name".into(),
            "is empty".into(),
            "give the office's name, such as \"Văn phòng UBND tỉnh\"".into(),
        );
    }

    let (working_hours, working_days, holidays) = resolve_calendar(&raw.office, &mut problem);
    let web_listen = parse_addr(&raw.web.listen, "web.listen", &mut problem);
    if !(1..=720).contains(&raw.web.session_hours) {
        problem(
            "web.session_hours".into(),
            format!("{} is not a session length", raw.web.session_hours),
            "give the hours a sign-in lasts, from 1 to 720 (8: a working day)".into(),
        );
    }

    let broker = if raw.mqtt.embedded {
        resolve_embedded(&raw.mqtt, &mut problem).map(Broker::Embedded)
    } else {
        resolve_external(&raw.mqtt, &mut problem).map(Broker::External)
    };
    if raw.mqtt.client_id.is_empty() || raw.mqtt.client_id.len() > 23 * 4 {
        problem(
            "mqtt.client_id".into(),
            "must be a non-empty, stable id so that the broker keeps Xanh's session".into(),
            "set client_id = \"xanh-ingest\" (a different one for each running instance)".into(),
        );
    }
    if raw.mqtt.inflight == 0 {
        problem("mqtt.inflight".into(), "is 0, which would stop all delivery".into(), "use a value such as 100".into());
    }

    let office_id = raw.office.id.as_ref().and_then(|id| {
        OfficeId::try_from(id.clone())
            .map_err(|e| problem("office.id".into(), e.to_string(), "use a slug such as \"vp-ubnd-tinh\"".into()))
            .ok()
    });
    let store = match raw.store.backend.as_str() {
        "sqlite" => {
            let influx_keys = [
                ("store.url", raw.store.url.is_some()),
                ("store.org", raw.store.org.is_some()),
                ("store.bucket", raw.store.bucket.is_some()),
                ("store.batch_size", raw.store.batch_size.is_some()),
                ("store.timeout_s", raw.store.timeout_s.is_some()),
                ("store.outbox_alert_s", raw.store.outbox_alert_s.is_some()),
            ];
            for (key, _) in influx_keys.iter().filter(|(_, set)| *set) {
                problem(
                    (*key).into(),
                    "applies to the InfluxDB backend only, and store.backend is sqlite".into(),
                    "remove it, or set backend = \"influxdb\"".into(),
                );
            }
            Some(StoreConfig::Sqlite { path: raw.store.path.clone() })
        }
        "influxdb" => {
            resolve_influx(&raw.store, raw.office.id.is_some(), office_id.clone(), secrets.influxdb_token, &mut problem)
                .map(|influx| StoreConfig::Influx(Box::new(influx)))
        }
        other => {
            problem(
                "store.backend".into(),
                format!("`{other}` is not a store backend this version knows"),
                "use backend = \"sqlite\" or \"influxdb\"".into(),
            );
            None
        }
    };
    if raw.ingest.batch_size == 0 {
        problem("ingest.batch_size".into(), "is 0".into(), "use a value such as 1000".into());
    }

    let departments = resolve_departments(&raw.departments, &mut problem);
    let department_ids: HashSet<&DepartmentId> = departments.iter().map(|d| &d.id).collect();
    let meters = resolve_meters(&raw.meters, &department_ids, &mut problem);
    let department_list: Vec<DepartmentId> = departments.iter().map(|d| d.id.clone()).collect();
    let plan = plan::resolve_plan(
        plan::PlanSections {
            staffing: raw.staffing,
            baselines: raw.baselines,
            targets: raw.targets,
            emission_factors: raw.emission_factors,
            tariffs: raw.tariffs,
        },
        &department_list,
        &mut problem,
    );
    let rubric = scoring::resolve_rubric(raw.scoring, &mut problem);

    Some(Config {
        source: _file.to_owned(),
        office: Office {
            id: office_id,
            name: raw.office.name,
            timezone: timezone?,
            timezone_name: raw.office.timezone,
            working_hours: working_hours?,
            working_days: working_days?,
            holidays: holidays?,
        },
        web_listen: web_listen?,
        web_access: WebAccess {
            session_ttl: jiff::SignedDuration::from_hours(i64::from(raw.web.session_hours)),
            public_overview: raw.web.public_overview,
            secure_cookies: raw.web.secure_cookies,
        },
        web_dashboards: raw.web.dashboards,
        mqtt: MqttConfig {
            broker: broker?,
            client_id: raw.mqtt.client_id,
            username: raw.mqtt.username,
            password: secrets.mqtt_password,
            keep_alive: Duration::from_secs(raw.mqtt.keep_alive_s.max(5)),
            inflight: raw.mqtt.inflight,
        },
        store: store?,
        ingest: IngestConfig {
            max_clock_skew: Duration::from_secs(raw.ingest.max_clock_skew_s),
            max_age: Duration::from_secs(u64::from(raw.ingest.max_age_days) * 86_400),
            batch_size: raw.ingest.batch_size.max(1),
        },
        departments,
        meters,
        plan: plan?,
        rubric,
    })
}

/// The InfluxDB backend's settings; `office_id_given` tells a missing `office.id` from a
/// wrong one (already reported).
fn resolve_influx(
    store: &StoreSection,
    office_id_given: bool,
    office: Option<OfficeId>,
    token: Option<String>,
    problem: &mut impl FnMut(String, String, String),
) -> Option<InfluxConfig> {
    let url = match store.url.as_deref().map(str::trim) {
        None | Some("") => {
            problem(
                "store.url".into(),
                "is not set but store.backend is influxdb".into(),
                "set url = \"http://influxdb.example:8086\" (where InfluxDB answers)".into(),
            );
            None
        }
        Some(text) => match url::Url::parse(text) {
            // The client puts its API paths in place of the URL's path, so a path prefix
            // (a reverse proxy's /influx/) would silently be lost.
            Ok(url)
                if matches!(url.scheme(), "http" | "https")
                    && url.host_str().is_some_and(|h| !h.is_empty())
                    && url.path() != "/" =>
            {
                problem(
                    "store.url".into(),
                    format!("`{text}` has a path, and InfluxDB's API is always at the root of its address"),
                    "give only the scheme, host and port, such as \"http://influxdb.example:8086\"".into(),
                );
                None
            }
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty()) => {
                Some(url)
            }
            Ok(_) | Err(_) => {
                problem(
                    "store.url".into(),
                    format!("`{text}` is not an http or https address with a host"),
                    "write it as \"http://influxdb.example:8086\" or \"https://…\"".into(),
                );
                None
            }
        },
    };
    let mut named = |key: &str, value: &Option<String>, example: &str| match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Some(v.to_owned()),
        _ => {
            problem(
                format!("store.{key}"),
                "is not set but store.backend is influxdb".into(),
                format!("set {key} = \"{example}\" (as created in InfluxDB)"),
            );
            None
        }
    };
    let org = named("org", &store.org, "vp-ubnd");
    let bucket = named("bucket", &store.bucket, "xanh");
    if office.is_none() && !office_id_given {
        problem(
            "office.id".into(),
            "is not set but store.backend is influxdb, which tags every point with the office".into(),
            "add id = \"vp-ubnd-tinh\" to [office]: lowercase letters, digits and hyphens, unique among the offices writing to the bucket".into(),
        );
    }
    if token.is_none() {
        problem(
            "environment variable XANH_INFLUXDB_TOKEN".into(),
            "is not set but store.backend is influxdb".into(),
            "set XANH_INFLUXDB_TOKEN to an InfluxDB API token that may write to the bucket".into(),
        );
    }
    let batch_size = store.batch_size.unwrap_or(DEFAULT_INFLUX_BATCH);
    if !(1..=100_000).contains(&batch_size) {
        problem(
            "store.batch_size".into(),
            format!("{batch_size} is not a number of points per write"),
            format!("use a value from 1 to 100000, such as {DEFAULT_INFLUX_BATCH}"),
        );
    }
    let timeout_s = store.timeout_s.unwrap_or(10);
    if !(1..=600).contains(&timeout_s) {
        problem(
            "store.timeout_s".into(),
            format!("{timeout_s} is not a timeout"),
            "give the seconds a write may take, from 1 to 600 (10 is usual)".into(),
        );
    }
    let alert_s = store.outbox_alert_s.unwrap_or(300);
    if alert_s == 0 {
        problem(
            "store.outbox_alert_s".into(),
            "is 0".into(),
            "give the seconds a point may wait before the health report says degraded, such as 300".into(),
        );
    }
    Some(InfluxConfig {
        url: url?,
        org: org?,
        bucket: bucket?,
        token: token?,
        path: store.path.clone(),
        office: office?,
        batch_size,
        timeout: Duration::from_secs(timeout_s),
        outbox_alert_after: Duration::from_secs(alert_s),
    })
}

/// Whether local days start on UTC hours, so that hourly totals add up to local days.
/// Checked at the solstices of this year and the last, which catches daylight-saving shifts.
fn whole_hour_offsets(tz: &TimeZone) -> bool {
    let year = jiff::Timestamp::now().to_zoned(tz.clone()).year();
    [year - 1, year].iter().flat_map(|y| [(*y, 1), (*y, 7)]).all(|(y, m)| {
        jiff::civil::date(y, m, 1).to_zoned(tz.clone()).map(|z| z.offset().seconds() % 3600 == 0).unwrap_or(false)
    })
}

/// The embedded broker's listeners and clients. An open broker (no clients) must stay on a
/// loopback address unless the config says `allow_anonymous = true`.
fn resolve_embedded(mqtt: &MqttSection, problem: &mut impl FnMut(String, String, String)) -> Option<EmbeddedBroker> {
    let listen = parse_addr(&mqtt.listen, "mqtt.listen", problem);
    if mqtt.shared_group.is_some() {
        problem(
            "mqtt.shared_group".into(),
            "applies to an external broker only (the embedded broker serves one instance), and mqtt.embedded is true"
                .into(),
            "remove it, or set embedded = false and point every instance at the same broker with host".into(),
        );
    }
    let tls = mqtt.tls.as_ref().and_then(|tls| {
        for (key, set) in [
            ("mqtt.tls.ca_file", tls.ca_file.is_some()),
            ("mqtt.tls.client_cert", tls.client_cert.is_some()),
            ("mqtt.tls.client_key", tls.client_key.is_some()),
        ] {
            if set {
                problem(
                    key.into(),
                    "applies to TLS to an external broker, and mqtt.embedded is true".into(),
                    "remove it; the embedded broker's TLS listener takes listen, cert and key".into(),
                );
            }
        }
        let listen = parse_addr(tls.listen.as_deref().unwrap_or(DEFAULT_TLS_LISTEN), "mqtt.tls.listen", problem);
        let required = |key: &str, path: &Option<PathBuf>, problem: &mut dyn FnMut(String, String, String)| {
            if path.is_none() {
                problem(
                    key.into(),
                    "is missing: the embedded broker's TLS listener needs its certificate and key".into(),
                    "give the PEM file's path, such as cert = \"/etc/xanh/mqtt.crt\" and key = \"/etc/xanh/mqtt.key\""
                        .into(),
                );
            }
            path.clone()
        };
        let cert = required("mqtt.tls.cert", &tls.cert, problem);
        let key = required("mqtt.tls.key", &tls.key, problem);
        Some(BrokerTls { listen: listen?, cert: cert?, key: key? })
    });
    let mut clients = Vec::new();
    let mut seen = HashSet::new();
    for (i, entry) in mqtt.clients.iter().enumerate() {
        let key = |name: &str| format!("mqtt.clients[{i}] (\"{}\").{name}", entry.username);
        let username_ok = !entry.username.is_empty()
            && entry.username.len() <= 64
            && entry.username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !username_ok {
            problem(
                key("username"),
                format!("`{}` is not a username this broker accepts", entry.username),
                "use 1 to 64 letters, digits, `-`, `_` or `.`, such as \"tang-1\"".into(),
            );
        } else if entry.username == INGEST_USERNAME {
            problem(
                key("username"),
                format!("`{INGEST_USERNAME}` is the name Xanh's own ingestor uses on the embedded broker"),
                "choose another username".into(),
            );
        } else if !seen.insert(entry.username.as_str()) {
            problem(
                key("username"),
                "is given to another client too".into(),
                "give each client its own username".into(),
            );
        }
        let hash = PasswordDigest::parse(&entry.password_hash).map_err(|why| {
            problem(
                key("password_hash"),
                why,
                "run `xanh mqtt-password`, type the password, and paste the line it prints (starting $argon2id$)"
                    .into(),
            )
        });
        let mut publish = Vec::new();
        for text in &entry.publish {
            match TopicFilter::try_from(text.clone()) {
                Ok(filter) => publish.push(filter),
                Err(e) => problem(
                    key("publish"),
                    e.to_string(),
                    "list the topics it may publish on, such as [\"gateways/tang-1/#\"]".into(),
                ),
            }
        }
        if let Ok(password_hash) = hash {
            clients.push(BrokerClient { username: entry.username.clone(), password_hash, publish });
        }
    }
    if mqtt.allow_anonymous && !mqtt.clients.is_empty() {
        problem(
            "mqtt.allow_anonymous".into(),
            "is true, but with [[mqtt.clients]] configured every client must log in".into(),
            "remove allow_anonymous, or remove the clients to run an open broker".into(),
        );
    }
    if mqtt.clients.is_empty() && !mqtt.allow_anonymous {
        let open = [("mqtt.listen", listen), ("mqtt.tls.listen", tls.as_ref().map(|t| t.listen))];
        for (key, addr) in open {
            if let Some(addr) = addr.filter(|a| !a.ip().is_loopback()) {
                problem(
                    key.into(),
                    format!("{addr} can be reached from other machines, and with no [[mqtt.clients]] anyone there could publish readings"),
                    "add [[mqtt.clients]] with username, password_hash and publish (see README), listen on 127.0.0.1, or set allow_anonymous = true (or XANH_MQTT_ALLOW_ANONYMOUS=true) to accept an open broker".into(),
                );
            }
        }
    }
    Some(EmbeddedBroker { listen: listen?, clients, tls })
}

/// An external broker: where it is, TLS to it, and the shared subscription's group.
fn resolve_external(mqtt: &MqttSection, problem: &mut impl FnMut(String, String, String)) -> Option<ExternalBroker> {
    for (key, set) in [("mqtt.clients", !mqtt.clients.is_empty()), ("mqtt.allow_anonymous", mqtt.allow_anonymous)] {
        if set {
            problem(
                key.into(),
                "applies to the embedded broker only, and mqtt.embedded is false".into(),
                "remove it and set users, topic limits and TLS on your broker (README: \"Securing the broker\")".into(),
            );
        }
    }
    let tls = mqtt.tls.as_ref().map(|tls| {
        for (key, set) in [("mqtt.tls.listen", tls.listen.is_some()), ("mqtt.tls.cert", tls.cert.is_some()), ("mqtt.tls.key", tls.key.is_some())] {
            if set {
                problem(
                    key.into(),
                    "applies to the embedded broker's TLS listener, and mqtt.embedded is false".into(),
                    "remove it; for TLS to an external broker give ca_file (and client_cert with client_key if the broker asks for a client certificate)".into(),
                );
            }
        }
        let client_auth = match (&tls.client_cert, &tls.client_key) {
            (Some(cert), Some(key)) => Some(ClientAuth { cert: cert.clone(), key: key.clone() }),
            (None, None) => None,
            (Some(_), None) | (None, Some(_)) => {
                problem(
                    "mqtt.tls.client_cert".into(),
                    "and mqtt.tls.client_key go together: only one is given".into(),
                    "give both the client certificate and its key (PEM), or neither".into(),
                );
                None
            }
        };
        ClientTls { ca_file: tls.ca_file.clone(), client_auth }
    });
    let shared_group = mqtt.shared_group.as_ref().and_then(|group| {
        ShareGroup::try_from(group.clone())
            .map_err(|e| {
                problem(
                    "mqtt.shared_group".into(),
                    e.to_string(),
                    "give every instance of the group the same plain name, such as shared_group = \"xanh\"".into(),
                )
            })
            .ok()
    });
    let port = mqtt.port.unwrap_or(if tls.is_some() { 8883 } else { 1883 });
    match mqtt.host.as_deref().map(str::trim) {
        Some(host) if !host.is_empty() => Some(ExternalBroker { host: host.to_owned(), port, tls, shared_group }),
        _ => {
            problem(
                "mqtt.host".into(),
                "is not set but mqtt.embedded is false".into(),
                "set host = \"broker.example\" (and port), or embedded = true".into(),
            );
            None
        }
    }
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

/// The office's working hours, working days and holidays; the defaults are a Vietnamese state
/// office's: 07:30–17:00, Monday to Friday, no holidays.
fn resolve_calendar(
    office: &OfficeSection,
    problem: &mut impl FnMut(String, String, String),
) -> (Option<WorkingHours>, Option<WorkingDays>, Option<BTreeSet<Date>>) {
    let hours = match &office.working_hours {
        None => Some(WorkingHours::default()),
        Some(text) => WorkingHours::parse(text)
            .map_err(|e| {
                problem(
                    "office.working_hours".into(),
                    e.to_string(),
                    "write the start and end of the working day as \"07:30-17:00\"".into(),
                )
            })
            .ok(),
    };
    let days = match &office.working_days {
        None => Some(WorkingDays::default()),
        Some(names) => {
            let mut days = Vec::new();
            let mut ok = true;
            for name in names {
                match weekday(name) {
                    Some(day) => days.push(day),
                    None => {
                        ok = false;
                        problem(
                            "office.working_days".into(),
                            format!("`{name}` is not a day of the week"),
                            "use mon, tue, wed, thu, fri, sat or sun".into(),
                        );
                    }
                }
            }
            if ok && days.is_empty() {
                ok = false;
                problem(
                    "office.working_days".into(),
                    "is empty".into(),
                    "list the days the office works, such as [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]".into(),
                );
            }
            ok.then(|| days.into_iter().collect())
        }
    };
    let mut holidays = BTreeSet::new();
    let mut ok = true;
    for text in &office.holidays {
        match text.parse::<Date>() {
            Ok(date) if date.to_string() == *text => {
                holidays.insert(date);
            }
            _ => {
                ok = false;
                problem(
                    "office.holidays".into(),
                    format!("`{text}` is not a date"),
                    "write each holiday as YYYY-MM-DD, such as \"2026-09-02\"".into(),
                );
            }
        }
    }
    (hours, days, ok.then_some(holidays))
}

fn weekday(name: &str) -> Option<Weekday> {
    Some(match name {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    })
}

fn resolve_departments(
    entries: &[DepartmentEntry],
    problem: &mut impl FnMut(String, String, String),
) -> Vec<Department> {
    let mut seen = HashSet::new();
    let mut departments = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let key = |field: &str| format!("departments[{i}].{field}");
        let id = match DepartmentId::try_from(entry.id.clone()) {
            Ok(id) => id,
            Err(e) => {
                problem(key("id"), e.to_string(), "use a slug such as \"phong-tong-hop\"".into());
                continue;
            }
        };
        if !seen.insert(id.clone()) {
            problem(
                key("id"),
                format!("`{id}` is used by another department"),
                "give each department its own id".into(),
            );
        }
        if entry.name.trim().is_empty() {
            problem(key("name"), "is empty".into(), "give the department's Vietnamese name".into());
        }
        if !(entry.area_m2.is_finite() && entry.area_m2 > 0.0) {
            problem(
                key("area_m2"),
                format!("{} is not a floor area", entry.area_m2),
                "give the area in m², greater than 0".into(),
            );
        }
        departments.push(Department {
            id,
            name: entry.name.clone(),
            headcount: entry.headcount,
            area_m2: entry.area_m2,
        });
    }
    departments
}

fn resolve_meters(
    entries: &[MeterEntry],
    departments: &HashSet<&DepartmentId>,
    problem: &mut impl FnMut(String, String, String),
) -> Vec<Meter> {
    let mut meters: Vec<Meter> = Vec::new();
    let mut topics: HashMap<Topic, Vec<TopicSharer>> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        let key = |field: &str| format!("meters[{i}].{field}");
        let id = match MeterId::try_from(entry.id.clone()) {
            Ok(id) => id,
            Err(e) => {
                problem(key("id"), e.to_string(), "use a slug such as \"dien-tong-hop\"".into());
                continue;
            }
        };
        let key = |field: &str| format!("meters[{i}] (\"{id}\").{field}");
        if meters.iter().any(|m| m.id == id) {
            problem(key("id"), "is used by another meter".into(), "give each meter its own id".into());
        }
        let resource: Option<Resource> = match entry.resource.parse() {
            Ok(r) => Some(r),
            Err(e) => {
                problem(key("resource"), format!("{e}"), "write electricity, water or paper".into());
                None
            }
        };
        let department = match &entry.department {
            None => None,
            Some(d) => match DepartmentId::try_from(d.clone()) {
                Ok(d) if departments.contains(&d) => Some(d),
                _ => {
                    problem(
                        key("department"),
                        format!("`{d}` is not a configured department"),
                        "use the id of a [[departments]] entry, or leave it out for the whole building".into(),
                    );
                    None
                }
            },
        };
        let kind = match entry.kind.as_str() {
            "counter" => Some(MeterKind::Counter),
            "delta" => Some(MeterKind::Delta),
            other => {
                problem(
                    key("kind"),
                    format!("`{other}` is not a meter kind"),
                    "write \"counter\" (a cumulative register) or \"delta\" (an amount per interval)".into(),
                );
                None
            }
        };
        let unit: Option<Unit> = match toml::Value::String(entry.unit.clone()).try_into() {
            Ok(u) => Some(u),
            Err(_) => {
                problem(
                    key("unit"),
                    format!("`{}` is not a unit Xanh knows", entry.unit),
                    format!("use one of {}", unit_names()),
                );
                None
            }
        };
        let conversion = match (unit, resource) {
            (Some(u), Some(r)) => match Conversion::new(u, r) {
                Ok(c) => Some(c),
                Err(e) => {
                    problem(key("unit"), e.to_string(), "change unit or resource".to_owned());
                    None
                }
            },
            _ => None,
        };
        let format = match Format::ALL.into_iter().find(|f| f.config_name() == entry.format) {
            Some(f) => Some(f),
            None => {
                problem(
                    key("format"),
                    format!("`{}` is not a payload format this version decodes", entry.format),
                    format!("use one of {}", Format::names_where(|_| true)),
                );
                None
            }
        };
        let topic = match (&entry.topic, format) {
            (None, Some(Format::Generic)) => Some(Topic::generic_for(&id)),
            (None, Some(f)) => {
                problem(
                    key("topic"),
                    format!("is required for format {}: Xanh cannot guess the device's topic", f.config_name()),
                    format!("set topic to the exact topic the device publishes on, such as \"{}\"", f.example_topic()),
                );
                None
            }
            (None, None) => None,
            (Some(t), _) => match Topic::try_from(t.clone()) {
                Ok(t) => Some(t),
                Err(e) => {
                    problem(key("topic"), e.to_string(), "give the exact topic the meter publishes on".into());
                    None
                }
            },
        };
        let select = resolve_selector(entry, format, &key, problem);
        if let (Some(format), Some(kind)) = (format, kind) {
            if format != Format::Generic && kind != MeterKind::Counter {
                problem(
                    key("kind"),
                    format!("format {} sends a cumulative register, not amounts per interval", format.config_name()),
                    "set kind = \"counter\"".into(),
                );
            }
        }
        if let (Some(Format::ShellyGen1), Some(topic)) = (format, &topic) {
            match Format::shelly_gen1_unit(&topic) {
                Some(sent) if unit != Some(sent) => problem(
                    key("unit"),
                    format!("Shelly Gen1 sends `{topic}` in {}", sent.config_name()),
                    format!("set unit = \"{}\"", sent.config_name()),
                ),
                Some(_) => {}
                None => problem(
                    key("topic"),
                    format!("`{topic}` is not a Shelly Gen1 energy topic"),
                    "use shellies/<id>/emeter/<i>/total (Wh) or shellies/<id>/relay/<i>/energy (Wmin)".into(),
                ),
            }
        }
        if let Some(topic) = &topic {
            let sharers = topics.entry(topic.clone()).or_default();
            for other in sharers.iter() {
                match (&other.device_id, &select.device_id) {
                    (Some(theirs), Some(ours)) if other.format == format && theirs != ours => {}
                    (Some(theirs), Some(ours)) if theirs == ours => problem(
                        key("device_id"),
                        format!("`{ours}` is also the device_id of meter `{}` on `{topic}`", other.id),
                        "give each radio meter on a shared topic its own device_id".into(),
                    ),
                    _ => problem(
                        key("topic"),
                        format!("`{topic}` is also the topic of meter `{}`", other.id),
                        "give each meter its own topic; only wmbusmeters meters with different device_id values may share one".into(),
                    ),
                }
            }
            sharers.push(TopicSharer { id: id.clone(), format, device_id: select.device_id.clone() });
            if topic.matches_filter(Topic::GENERIC_FILTER) && topic.as_str() != Topic::generic_for(&id).as_str() {
                problem(
                    key("topic"),
                    format!("`{topic}` looks like another meter's generic topic"),
                    format!("use xanh/{id}/reading or a topic outside xanh/+/reading"),
                );
            }
            // Instances of a shared subscription talk to each other there: a device message
            // on it would be taken for a peer's batch, and a peer's batch for a reading.
            if topic.matches_filter(&format!("{PEER_TOPIC_ROOT}/#")) || topic.as_str().starts_with('$') {
                problem(
                    key("topic"),
                    format!(
                        "`{topic}` is reserved: {PEER_TOPIC_ROOT}/… carries Xanh instances' own messages, and topics starting with $ are the broker's"
                    ),
                    "use the topic the device publishes on, outside xanh-peers/ and not starting with $".into(),
                );
            }
        }
        let register_max = match (entry.register_max, kind, conversion) {
            (None, _, _) => None,
            (Some(max), Some(MeterKind::Counter), Some(c)) if max.is_finite() && max > 0.0 => Some(c.to_canonical(max)),
            (Some(max), _, _) => {
                problem(
                    key("register_max"),
                    format!("{max} cannot be the wrap-around value of this meter"),
                    "set it only on counter meters, to the positive value (in the meter's unit) at which the register returns to zero, such as 100000".into(),
                );
                None
            }
        };
        let max_rate = match entry.max_rate {
            Some(rate) if !(rate.is_finite() && rate > 0.0) => {
                problem(
                    key("max_rate"),
                    format!("{rate} cannot be the most this meter can use in an hour"),
                    "give a positive amount per hour in the resource's unit (kWh, m3 or sheets an hour), such as 50"
                        .into(),
                );
                None
            }
            rate => rate,
        };
        let expected_interval = match (&entry.expected_interval, kind) {
            (None, Some(MeterKind::Counter)) => Some(DEFAULT_COUNTER_INTERVAL),
            (None, _) => None,
            (Some(text), _) if text.trim() == "none" => None,
            (Some(text), _) => match parse_interval(text) {
                Ok(interval) => Some(interval),
                Err(e) => {
                    problem(
                        key("expected_interval"),
                        e,
                        "write a duration such as \"15m\", \"1h\" or \"31d\" (s, m, h, d), or \"none\" for a meter that reports only when it has something".into(),
                    );
                    None
                }
            },
        };
        let parent = match &entry.parent {
            None => None,
            Some(p) => match MeterId::try_from(p.clone()) {
                Ok(p) => Some(p),
                Err(e) => {
                    problem(key("parent"), e.to_string(), "use the id of another meter".into());
                    None
                }
            },
        };
        if let (Some(resource), Some(kind), Some(conversion), Some(format), Some(topic)) =
            (resource, kind, conversion, format, topic)
        {
            meters.push(Meter {
                id,
                name: entry.name.clone(),
                resource,
                department,
                parent,
                kind,
                conversion,
                format,
                topic,
                select,
                register_max,
                max_rate,
                expected_interval,
            });
        }
    }
    check_parents(&meters, problem);
    meters
}

/// How long a counter may stay silent when its `expected_interval` is not given.
pub const DEFAULT_COUNTER_INTERVAL: Duration = Duration::from_secs(3600);

/// A duration as the config writes it: a whole number and a unit, `30s`, `15m`, `1h`, `31d`;
/// from one second to ten years.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || format!("`{text}` is not a duration");
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(|| format!("`{text}` has no unit"))?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| bad())?;
    let seconds_each = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    match number.checked_mul(seconds_each) {
        Some(s) if (1..=3660 * 86_400).contains(&s) => Ok(Duration::from_secs(s)),
        _ => Err(format!("`{text}` is not between 1s and 3660d")),
    }
}

/// A meter already seen on a topic, to tell whether the next one may share it.
struct TopicSharer {
    id: MeterId,
    format: Option<Format>,
    device_id: Option<String>,
}

fn unit_names() -> String {
    let names: Vec<&str> = Unit::ALL.into_iter().map(Unit::config_name).collect();
    names.join(", ")
}

/// `field`, `channel` and `device_id`: each checked against the format that gives it meaning.
fn resolve_selector(
    entry: &MeterEntry,
    format: Option<Format>,
    key: &dyn Fn(&str) -> String,
    problem: &mut impl FnMut(String, String, String),
) -> ValueSelector {
    let mut select = ValueSelector::default();
    let applies = |name: &str, takes: fn(Format) -> bool, problem: &mut dyn FnMut(String, String, String)| match format
    {
        Some(f) if !takes(f) => {
            problem(
                key(name),
                format!("means nothing for format {}", f.config_name()),
                format!("remove it; it applies to the formats {}", Format::names_where(takes)),
            );
            false
        }
        _ => true,
    };
    if let Some(field) = &entry.field {
        if field.trim().is_empty() {
            problem(
                key("field"),
                "is empty".into(),
                "name the value to take, such as \"total_m3\", or leave field out".into(),
            );
        } else if format == Some(Format::Tasmota) && (field.ends_with("Today") || field.ends_with("Yesterday")) {
            problem(
                key("field"),
                format!("`{field}` resets every day, so it is not a meter register"),
                "leave field out to take ENERGY.Total".into(),
            );
        } else if applies("field", Format::takes_field, problem) {
            select.field = Some(field.clone());
        }
    }
    if let Some(channel) = entry.channel {
        match usize::try_from(channel) {
            Ok(c) if c < 64 => {
                if applies("channel", Format::takes_channel, problem) {
                    select.channel = c;
                }
            }
            _ => problem(
                key("channel"),
                format!("{channel} is not a channel number"),
                "count channels from 0: channel = 1 is the device's second channel".into(),
            ),
        }
    }
    if let Some(device_id) = &entry.device_id {
        if device_id.trim().is_empty() {
            problem(
                key("device_id"),
                "is empty".into(),
                "give the radio meter's id as it sends it, such as \"33225544\"".into(),
            );
        } else if applies("device_id", Format::takes_device_id, problem) {
            select.device_id = Some(device_id.clone());
        }
    }
    select
}

fn check_parents(meters: &[Meter], problem: &mut impl FnMut(String, String, String)) {
    let by_id: HashMap<&MeterId, &Meter> = meters.iter().map(|m| (&m.id, m)).collect();
    for meter in meters {
        let Some(parent_id) = &meter.parent else { continue };
        let key = format!("meters (\"{}\").parent", meter.id);
        match by_id.get(parent_id) {
            None => problem(
                key,
                format!("`{parent_id}` is not a configured meter"),
                "use the id of the meter above this one, or leave parent out".into(),
            ),
            Some(parent) if parent.resource != meter.resource => problem(
                key,
                format!("`{parent_id}` measures {}, not {}", parent.resource, meter.resource),
                "a parent meter must measure the same resource".into(),
            ),
            Some(_) => {
                // Walk up; a chain longer than the meter count is a cycle.
                let mut current = parent_id;
                for _ in 0..=meters.len() {
                    match by_id.get(current).and_then(|m| m.parent.as_ref()) {
                        Some(next) if next == &meter.id => {
                            problem(
                                key.clone(),
                                "the parent chain leads back to this meter".into(),
                                "remove the cycle: a meter cannot be above itself".into(),
                            );
                            break;
                        }
                        Some(next) => current = next,
                        None => break,
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse("office.toml", text, &|_| None)
    }

    #[test]
    fn the_office_calendar_is_read_and_checked() {
        let config = parse(
            "[office]\nname = \"X\"\nworking_hours = \"08:00-16:30\"\nworking_days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\"]\nholidays = [\"2026-09-02\"]\n",
        )
        .unwrap();
        assert_eq!(config.office.working_hours.to_string(), "08:00-16:30");
        assert!(config.office.is_working_day(jiff::civil::date(2026, 11, 28)), "Saturday is a working day here");
        assert!(!config.office.is_working_day(jiff::civil::date(2026, 9, 2)));

        let err = parse("[office]\nname = \"X\"\nworking_hours = \"17:00-07:30\"\nworking_days = [\"monday\"]\nholidays = [\"02/09/2026\"]\n")
            .unwrap_err()
            .to_string();
        for expected in [
            "office.working_hours",
            "\"07:30-17:00\"",
            "office.working_days",
            "`monday`",
            "office.holidays",
            "YYYY-MM-DD",
        ] {
            assert!(err.contains(expected), "{expected} missing from: {err}");
        }
    }

    #[test]
    fn the_default_config_is_valid() {
        let config = parse(BUILT_IN_DEFAULT).unwrap();
        assert_eq!(config.office.name, "Văn phòng UBND tỉnh");
        assert_eq!(config.meters.len(), 19);
        let Broker::Embedded(embedded) = &config.mqtt.broker else { panic!("{:?}", config.mqtt.broker) };
        assert_eq!(embedded.listen, "127.0.0.1:1883".parse().unwrap());
        assert!(embedded.clients.is_empty() && embedded.tls.is_none());
    }

    /// A hash of "tang-1-secret", made once with `xanh mqtt-password`.
    const TANG_1_HASH: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$Pruc6pFUGhO98sdlK8X87Q$aa7BBr4ha1gSuvzNrCxOjPeJhkB3qxIWs2jFtbRXh1E";

    #[test]
    fn broker_clients_and_tls_are_read_and_checked() {
        let text = format!(
            "[office]\nname = \"X\"\n[mqtt]\nlisten = \"0.0.0.0:1883\"\n\
             [[mqtt.clients]]\nusername = \"tang-1\"\npassword_hash = \"{TANG_1_HASH}\"\npublish = [\"gateways/tang-1/#\", \"tele/+/SENSOR\"]\n\
             [mqtt.tls]\ncert = \"/etc/xanh/mqtt.crt\"\nkey = \"/etc/xanh/mqtt.key\"\n"
        );
        let config = parse(&text).unwrap();
        let Broker::Embedded(embedded) = &config.mqtt.broker else { panic!() };
        assert_eq!(embedded.clients[0].username, "tang-1");
        assert!(crate::auth::password::verify("tang-1-secret", embedded.clients[0].password_hash.as_str()));
        assert!(embedded.clients[0].publish[1].matches("tele/o-cam/SENSOR"));
        let tls = embedded.tls.as_ref().unwrap();
        assert_eq!((tls.listen.port(), tls.cert.to_str().unwrap()), (8883, "/etc/xanh/mqtt.crt"));

        let text = format!(
            "[office]\nname = \"X\"\n[mqtt]\nallow_anonymous = true\n\
             [[mqtt.clients]]\nusername = \"tang 1\"\npassword_hash = \"tang-1-secret\"\npublish = [\"gateways/#/x\"]\n\
             [[mqtt.clients]]\nusername = \"xanh-ingest\"\npassword_hash = \"{TANG_1_HASH}\"\npublish = []\n"
        );
        let err = parse(&text).unwrap_err();
        let said = |key: &str, words: &str| {
            assert!(
                err.problems.iter().any(|p| p.key == key && format!("{} {}", p.problem, p.fix).contains(words)),
                "{key} should say {words:?}:\n{err}"
            )
        };
        said("mqtt.clients[0] (\"tang 1\").username", "letters, digits");
        said("mqtt.clients[0] (\"tang 1\").password_hash", "xanh mqtt-password");
        said("mqtt.clients[0] (\"tang 1\").publish", "# may only be the whole last level");
        said("mqtt.clients[1] (\"xanh-ingest\").username", "Xanh's own ingestor");
        said("mqtt.allow_anonymous", "every client must log in");

        let err = parse("[office]\nname = \"X\"\n[[mqtt.clients]]\nusername = \"a\"\npassword = \"x\"\npublish = []\n")
            .unwrap_err();
        assert!(err.to_string().contains("run `xanh mqtt-password`"), "{err}");
    }

    #[test]
    fn an_open_embedded_broker_stays_on_loopback_unless_allowed() {
        let err = parse("[office]\nname = \"X\"\n[mqtt]\nlisten = \"0.0.0.0:1883\"\n").unwrap_err();
        assert_eq!(err.problems[0].key, "mqtt.listen");
        assert!(err.problems[0].fix.contains("allow_anonymous = true"), "{err}");
        let err = parse("[office]\nname = \"X\"\n[mqtt.tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\n").unwrap_err();
        assert_eq!(err.problems[0].key, "mqtt.tls.listen", "{err}");
        assert!(parse("[office]\nname = \"X\"\n[mqtt]\nlisten = \"0.0.0.0:1883\"\nallow_anonymous = true\n").is_ok());
        let env = |name: &str| match name {
            "XANH_MQTT_LISTEN" => Some("0.0.0.0:1883".to_owned()),
            "XANH_MQTT_ALLOW_ANONYMOUS" => Some("true".to_owned()),
            _ => None,
        };
        assert!(Config::parse("office.toml", "[office]\nname = \"X\"\n", &env).is_ok());
        assert!(parse("[office]\nname = \"X\"\n[mqtt]\nlisten = \"[::1]:1883\"\n").is_ok());
        let err = parse("[office]\nname = \"X\"\n[mqtt]\nembedded = false\nhost = \"b\"\nallow_anonymous = true\n")
            .unwrap_err();
        assert!(err.problems[0].fix.contains("Securing the broker"), "{err}");
    }

    const INFLUX: &str = "[office]\nid = \"vp-thu\"\nname = \"X\"\n[store]\nbackend = \"influxdb\"\nurl = \"http://127.0.0.1:8086\"\norg = \"vp\"\nbucket = \"xanh\"\npath = \"data/x.db\"\n";

    fn influx_token(name: &str) -> Option<String> {
        (name == "XANH_INFLUXDB_TOKEN").then(|| "token-from-env".to_owned())
    }

    /// The problems of `text` (with the InfluxDB token set) as "key: problem fix" lines.
    fn influx_problems(text: &str) -> String {
        let err = Config::parse("office.toml", text, &influx_token).unwrap_err();
        err.problems.iter().map(|p| format!("{}: {} {}", p.key, p.problem, p.fix)).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn the_influxdb_backend_takes_its_token_from_the_environment() {
        let config = Config::parse("office.toml", INFLUX, &influx_token).unwrap();
        let StoreConfig::Influx(influx) = &config.store else { panic!("{:?}", config.store) };
        assert_eq!(
            (influx.url.as_str(), influx.org.as_str(), influx.bucket.as_str()),
            ("http://127.0.0.1:8086/", "vp", "xanh")
        );
        assert_eq!((influx.office.as_str(), influx.token.as_str()), ("vp-thu", "token-from-env"));
        assert_eq!(
            (influx.batch_size, influx.timeout.as_secs(), influx.outbox_alert_after.as_secs()),
            (DEFAULT_INFLUX_BATCH, 10, 300)
        );
        assert_eq!(config.store.embedded_path(), Path::new("data/x.db"));
        assert_eq!(config.office.id.as_ref().map(OfficeId::as_str), Some("vp-thu"));
        assert!(!format!("{config:?}").contains("token-from-env"), "the token stays out of logs");
    }

    #[test]
    fn influxdb_settings_are_checked_with_fixes() {
        let err = parse(INFLUX).unwrap_err().to_string();
        assert!(err.contains("environment variable XANH_INFLUXDB_TOKEN: is not set"), "{err}");

        let err = parse(&format!("{INFLUX}token = \"abc\"\n")).unwrap_err().to_string();
        assert!(err.contains("unknown field `token`") && err.contains("set XANH_INFLUXDB_TOKEN"), "{err}");

        let said = influx_problems(&INFLUX.replace("http://127.0.0.1:8086", "https://proxy.example/influx/"));
        assert!(said.starts_with("store.url: ") && said.contains("has a path"), "{said}");
        for url in ["ftp://influx:8086", "influx:8086", "http://", "not a url"] {
            let said = influx_problems(&INFLUX.replace("http://127.0.0.1:8086", url));
            assert!(
                said.starts_with("store.url: ") && said.contains("http or https address with a host"),
                "{url}: {said}"
            );
        }
        let said =
            influx_problems(&INFLUX.replace("url = \"http://127.0.0.1:8086\"\norg = \"vp\"\nbucket = \"xanh\"\n", ""));
        for key in ["store.url: is not set", "store.org: is not set", "store.bucket: is not set"] {
            assert!(said.contains(key), "{key}: {said}");
        }
        let said = influx_problems(&INFLUX.replace("id = \"vp-thu\"\n", ""));
        assert!(
            said.contains("office.id: is not set but store.backend is influxdb") && said.contains("add id = "),
            "{said}"
        );
        let said = influx_problems(&INFLUX.replace("vp-thu", "VP Thử"));
        assert!(said.starts_with("office.id: ") && said.contains("lowercase"), "{said}");
        assert_eq!(said.lines().count(), 1, "a wrong id is reported once: {said}");

        let said = influx_problems(&format!("{INFLUX}batch_size = 0\ntimeout_s = 0\noutbox_alert_s = 0\n"));
        for key in ["store.batch_size", "store.timeout_s", "store.outbox_alert_s"] {
            assert!(said.contains(&format!("{key}: ")), "{key}: {said}");
        }
        let said = influx_problems(&INFLUX.replace("influxdb\"", "sqlite\""));
        assert!(said.contains("store.url: applies to the InfluxDB backend only"), "{said}");
        let said = influx_problems(&INFLUX.replace("influxdb\"", "influx\""));
        assert!(said.contains("or \"influxdb\""), "{said}");
    }

    #[test]
    fn an_external_broker_takes_tls_and_a_shared_group() {
        let config = parse(
            "[office]\nname = \"X\"\n[mqtt]\nembedded = false\nhost = \"mqtt.example\"\nshared_group = \"xanh\"\n\
             [mqtt.tls]\nca_file = \"/etc/xanh/ca.crt\"\n",
        )
        .unwrap();
        let Broker::External(external) = &config.mqtt.broker else { panic!("{:?}", config.mqtt.broker) };
        assert_eq!(external.port, 8883, "TLS defaults to MQTT's TLS port");
        assert_eq!(external.tls.as_ref().unwrap().ca_file.as_deref(), Some(Path::new("/etc/xanh/ca.crt")));
        assert_eq!(external.shared_group.as_ref().map(ShareGroup::as_str), Some("xanh"));
        // Without [mqtt.tls]: plain MQTT on 1883, the system's roots never involved.
        let plain = parse("[office]\nname = \"X\"\n[mqtt]\nembedded = false\nhost = \"b\"\n").unwrap();
        let Broker::External(plain) = &plain.mqtt.broker else { panic!() };
        assert_eq!((plain.port, plain.tls.is_none(), plain.shared_group.is_none()), (1883, true, true));

        let err = parse(
            "[office]\nname = \"X\"\n[mqtt]\nembedded = false\nhost = \"b\"\nshared_group = \"xanh/#\"\n\
             [mqtt.tls]\ncert = \"c.pem\"\nclient_cert = \"me.pem\"\n\
             [[meters]]\nid = \"m\"\nname = \"m\"\nresource = \"water\"\nkind = \"counter\"\nunit = \"m3\"\ntopic = \"xanh-peers/xanh\"\n",
        )
        .unwrap_err();
        let said = |key: &str, words: &str| {
            assert!(
                err.problems.iter().any(|p| p.key == key && format!("{} {}", p.problem, p.fix).contains(words)),
                "{key} should say {words:?}:\n{err}"
            )
        };
        said("mqtt.shared_group", "letters, digits");
        said("mqtt.tls.cert", "ca_file");
        said("mqtt.tls.client_cert", "client_key go together");
        said("meters[0] (\"m\").topic", "reserved");

        let err = parse("[office]\nname = \"X\"\n[mqtt]\nshared_group = \"xanh\"\n[mqtt.tls]\nlisten = \"127.0.0.1:8883\"\nca_file = \"ca.pem\"\n").unwrap_err();
        let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["mqtt.shared_group", "mqtt.tls.ca_file", "mqtt.tls.cert", "mqtt.tls.key"], "{err}");
        let env = |name: &str| (name == "XANH_MQTT_SHARED_GROUP").then(|| "nhóm".to_owned());
        let err =
            Config::parse("office.toml", "[office]\nname = \"X\"\n[mqtt]\nembedded = false\nhost = \"b\"\n", &env)
                .unwrap_err();
        assert_eq!(err.problems[0].key, "mqtt.shared_group", "{err}");
    }

    #[test]
    fn half_hour_time_zones_are_refused() {
        let err = parse("[office]\nname = \"X\"\ntimezone = \"Asia/Kolkata\"\n").unwrap_err().to_string();
        assert!(err.contains("office.timezone") && err.contains("whole number of hours"), "{err}");
    }

    #[test]
    fn meters_are_checked_against_departments_parents_and_each_other() {
        let text = r#"
[office]
name = "X"
[[departments]]
id = "phong-a"
name = "A"
headcount = 1
area_m2 = 10.0
[[meters]]
id = "m1"
name = "m1"
resource = "water"
kind = "counter"
unit = "L"
parent = "m2"
[[meters]]
id = "m2"
name = "m2"
resource = "water"
kind = "counter"
unit = "m3"
parent = "m1"
[[meters]]
id = "m3"
name = "m3"
resource = "paper"
kind = "delta"
unit = "ream"
register_max = 100
topic = "xanh/m1/reading"
"#;
        let err = parse(text).unwrap_err();
        let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
        assert!(keys.contains(&"meters[2] (\"m3\").topic"), "{err}");
        assert!(keys.contains(&"meters[2] (\"m3\").register_max"), "{err}");
        assert!(keys.contains(&"meters (\"m1\").parent"), "{err}");
        assert!(err.to_string().contains("leads back to this meter"), "{err}");
    }

    /// An office with one meter per entry, each given as its own TOML lines (a counter unless
    /// the lines set `kind`).
    fn office_with_meters(meters: &[&str]) -> String {
        let mut text = "[office]\nname = \"X\"\n".to_owned();
        for (i, meter) in meters.iter().enumerate() {
            let kind = if meter.contains("kind =") { "" } else { "kind = \"counter\"\n" };
            text.push_str(&format!("[[meters]]\nid = \"m{i}\"\nname = \"m{i}\"\n{kind}{meter}\n"));
        }
        text
    }

    #[test]
    fn device_formats_with_their_keys_are_accepted() {
        let text = office_with_meters(&[
            "resource = \"electricity\"\nunit = \"kWh\"\nformat = \"tasmota\"\ntopic = \"tele/plug/SENSOR\"\nchannel = 1",
            "resource = \"electricity\"\nunit = \"Wmin\"\nformat = \"shelly-gen1\"\ntopic = \"shellies/plug/relay/0/energy\"",
            "resource = \"water\"\nunit = \"m3\"\nformat = \"wmbusmeters\"\ntopic = \"wmbus/water\"\ndevice_id = \"1\"",
            "resource = \"water\"\nunit = \"L\"\nformat = \"wmbusmeters\"\ntopic = \"wmbus/water\"\ndevice_id = \"2\"\nfield = \"total_m3\"",
            "resource = \"electricity\"\nunit = \"J\"\nformat = \"senml\"\ntopic = \"senml/a\"\nfield = \"energy\"",
        ]);
        let config = parse(&text).unwrap();
        assert_eq!(config.meters[0].format, Format::Tasmota);
        assert_eq!(config.meters[0].select.channel, 1);
        assert_eq!(config.meters[3].select.device_id.as_deref(), Some("2"));
        assert_eq!(config.meters[4].select.field.as_deref(), Some("energy"));
    }

    #[test]
    fn device_format_keys_are_checked_with_fixes() {
        let text = office_with_meters(&[
            "resource = \"electricity\"\nunit = \"kWh\"\nformat = \"tasmota\"",
            "resource = \"electricity\"\nunit = \"kWh\"\nformat = \"esphome\"\ntopic = \"e/sensor/x/state\"\nchannel = 1",
            "resource = \"electricity\"\nunit = \"kWh\"\nformat = \"tasmota\"\ntopic = \"tele/a/SENSOR\"\ndevice_id = \"7\"\nfield = \"ENERGY.Today\"",
            "resource = \"electricity\"\nunit = \"Wh\"\nformat = \"shelly-gen1\"\ntopic = \"shellies/p/relay/0/energy\"",
            "resource = \"water\"\nunit = \"m3\"\nformat = \"wmbusmeters\"\ntopic = \"wmbus/water\"",
            "resource = \"water\"\nunit = \"m3\"\nformat = \"wmbusmeters\"\ntopic = \"wmbus/water\"\ndevice_id = \"9\"",
            "resource = \"water\"\nunit = \"m3\"\nformat = \"wmbusmeters\"\ntopic = \"wmbus/water2\"\ndevice_id = \"9\"\nchannel = -1",
            "resource = \"paper\"\nunit = \"ream\"\nformat = \"senml\"\ntopic = \"senml/p\"\nkind = \"delta\"",
            "resource = \"paper\"\nunit = \"sheet\"\nformat = \"modbus\"",
        ]);
        let err = parse(&text).unwrap_err();
        let said = |key: &str, words: &str| {
            assert!(
                err.problems.iter().any(|p| p.key == key && format!("{} {}", p.problem, p.fix).contains(words)),
                "{key} should say {words:?}:\n{err}"
            )
        };
        said("meters[0] (\"m0\").topic", "tele/tasmota_5A3F2C/SENSOR");
        said("meters[1] (\"m1\").channel", "applies to the formats tasmota");
        said("meters[2] (\"m2\").device_id", "applies to the formats wmbusmeters");
        said("meters[2] (\"m2\").field", "resets every day");
        said("meters[3] (\"m3\").unit", "set unit = \"Wmin\"");
        said("meters[5] (\"m5\").topic", "is also the topic of meter `m4`");
        said("meters[6] (\"m6\").channel", "count channels from 0");
        said("meters[7] (\"m7\").kind", "set kind = \"counter\"");
        said("meters[8] (\"m8\").format", "generic, tasmota, shelly-gen1");
    }

    #[test]
    fn expected_intervals_default_by_kind_and_are_checked() {
        let text = office_with_meters(&[
            "resource = \"electricity\"\nunit = \"kWh\"",
            "resource = \"paper\"\nunit = \"ream\"\nkind = \"delta\"",
            "resource = \"water\"\nunit = \"m3\"\nexpected_interval = \"31d\"",
            "resource = \"water\"\nunit = \"m3\"\nexpected_interval = \"none\"",
            "resource = \"paper\"\nunit = \"ream\"\nkind = \"delta\"\nexpected_interval = \"15m\"",
        ]);
        let config = parse(&text).unwrap();
        let intervals: Vec<Option<u64>> =
            config.meters.iter().map(|m| m.expected_interval.map(|d| d.as_secs())).collect();
        assert_eq!(intervals, vec![Some(3600), None, Some(31 * 86_400), None, Some(900)]);

        let text = office_with_meters(&[
            "resource = \"electricity\"\nunit = \"kWh\"\nexpected_interval = \"15\"",
            "resource = \"electricity\"\nunit = \"kWh\"\nexpected_interval = \"0s\"",
            "resource = \"electricity\"\nunit = \"kWh\"\nexpected_interval = \"1 week\"",
        ]);
        let err = parse(&text).unwrap_err();
        for i in 0..3 {
            let key = format!("meters[{i}] (\"m{i}\").expected_interval");
            assert!(err.problems.iter().any(|p| p.key == key && p.fix.contains("\"15m\"")), "{key}:\n{err}");
        }
    }

    #[test]
    fn intervals_parse_with_checked_arithmetic() {
        assert_eq!(parse_interval("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_interval(" 1h "), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_interval("31d"), Ok(Duration::from_secs(31 * 86_400)));
        assert_eq!(parse_interval("1s"), Ok(Duration::from_secs(1)));
        for bad in ["", "h", "-1h", "1.5h", "1y", "99999999999999999999d", "18446744073709551615d", "3661d", "0m"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn radio_meters_on_one_topic_need_different_device_ids() {
        let text = office_with_meters(&[
            "resource = \"water\"\nunit = \"m3\"\nformat = \"wmbusmeters\"\ntopic = \"wmbus/water\"\ndevice_id = \"9\"",
            "resource = \"water\"\nunit = \"m3\"\nformat = \"wmbusmeters\"\ntopic = \"wmbus/water\"\ndevice_id = \"9\"",
        ]);
        let err = parse(&text).unwrap_err();
        assert_eq!(err.problems[0].key, "meters[1] (\"m1\").device_id", "{err}");
    }
}
