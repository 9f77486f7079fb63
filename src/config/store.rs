//! `[store]`: the embedded SQLite file, or InfluxDB 2 with the SQLite journal beside it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::domain::OfficeId;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct StoreSection {
    pub(super) backend: String,
    pub(super) path: PathBuf,
    /// InfluxDB only: where it answers, its organisation and bucket (the token comes from
    /// XANH_INFLUXDB_TOKEN).
    pub(super) url: Option<String>,
    pub(super) org: Option<String>,
    pub(super) bucket: Option<String>,
    pub(super) batch_size: Option<usize>,
    pub(super) timeout_s: Option<u64>,
    pub(super) outbox_alert_s: Option<u64>,
    /// Free disk space (MB) in the store's folder below which the health report says degraded.
    pub(super) min_free_mb: u64,
    /// Retention: days a counter's raw readings are kept whole before they are thinned to
    /// the first and last of each hour (unset: kept whole forever).
    pub(super) keep_raw_readings_days: Option<u32>,
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
            min_free_mb: DEFAULT_MIN_FREE_MB,
            keep_raw_readings_days: None,
        }
    }
}

/// Free megabytes in the store's folder below which health says degraded: room for about a
/// day of a large office's readings and SQLite's temporary files.
pub const DEFAULT_MIN_FREE_MB: u64 = 200;

/// `store.keep_raw_readings_days` checked: how long raw readings are kept whole, if not
/// forever. At least a week, so that late readings and corrections meet whole hours.
pub(super) fn resolve_retention(
    store: &StoreSection,
    problem: &mut impl FnMut(String, String, String),
) -> Option<Duration> {
    let days = store.keep_raw_readings_days?;
    if days < MIN_KEEP_RAW_DAYS {
        problem(
            "store.keep_raw_readings_days".into(),
            format!("{days} is too short"),
            format!(
                "give at least {MIN_KEEP_RAW_DAYS} days (such as 365), or remove the key to keep every raw reading"
            ),
        );
        return None;
    }
    Some(Duration::from_secs(u64::from(days) * 86_400))
}

/// The shortest `store.keep_raw_readings_days` accepted.
pub const MIN_KEEP_RAW_DAYS: u32 = 7;

/// Points per write to InfluxDB unless `store.batch_size` says otherwise (InfluxDB advises
/// batches of about 5 000 lines).
pub const DEFAULT_INFLUX_BATCH: usize = 5000;

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

impl fmt::Display for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreConfig::Sqlite { path } => write!(f, "SQLite at {}", path.display()),
            StoreConfig::Influx(influx) => write!(
                f,
                "InfluxDB at {} (org {}, bucket {}), with its journal and outbox in SQLite at {}",
                influx.url,
                influx.org,
                influx.bucket,
                influx.path.display()
            ),
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

/// The InfluxDB backend's settings; `office_id_given` tells a missing `office.id` from a
/// wrong one (already reported).
/// The backend and its settings; `office_id_given` tells a missing `office.id` from a wrong
/// one (already reported).
pub(super) fn resolve_store(
    store: &StoreSection,
    office_id_given: bool,
    office: Option<OfficeId>,
    token: Option<String>,
    problem: &mut impl FnMut(String, String, String),
) -> Option<StoreConfig> {
    match store.backend.as_str() {
        "sqlite" => {
            let influx_keys = [
                ("store.url", store.url.is_some()),
                ("store.org", store.org.is_some()),
                ("store.bucket", store.bucket.is_some()),
                ("store.batch_size", store.batch_size.is_some()),
                ("store.timeout_s", store.timeout_s.is_some()),
                ("store.outbox_alert_s", store.outbox_alert_s.is_some()),
            ];
            for (key, _) in influx_keys.iter().filter(|(_, set)| *set) {
                problem(
                    (*key).into(),
                    "applies to the InfluxDB backend only, and store.backend is sqlite".into(),
                    "remove it, or set backend = \"influxdb\"".into(),
                );
            }
            Some(StoreConfig::Sqlite { path: store.path.clone() })
        }
        "influxdb" => resolve_influx(store, office_id_given, office, token, problem)
            .map(|influx| StoreConfig::Influx(Box::new(influx))),
        other => {
            problem(
                "store.backend".into(),
                format!("`{other}` is not a store backend this version knows"),
                "use backend = \"sqlite\" or \"influxdb\"".into(),
            );
            None
        }
    }
}

pub(super) fn resolve_influx(
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
