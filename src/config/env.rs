//! The environment: `XANH_*` overrides of file settings, and the secrets that are never in the
//! file.

use std::path::PathBuf;

use super::ConfigFile;
use super::error::ConfigProblem;

/// Settings the environment may override, with the variable that carries each.
pub(super) fn apply_env(raw: &mut ConfigFile, env: &dyn Fn(&str) -> Option<String>, problems: &mut Vec<ConfigProblem>) {
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
    let mut flag = |var: &str, setting: &mut bool| {
        if let Some(v) = env(var) {
            match v.as_str() {
                "true" | "1" => *setting = true,
                "false" | "0" => *setting = false,
                _ => bad(var, &v, "true or false"),
            }
        }
    };
    flag("XANH_MQTT_EMBEDDED", &mut raw.mqtt.embedded);
    flag("XANH_MQTT_ALLOW_ANONYMOUS", &mut raw.mqtt.allow_anonymous);
    if let Some(v) = env("XANH_MQTT_LISTEN") {
        raw.mqtt.listen = v;
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
pub(super) struct Secrets {
    pub(super) mqtt_password: Option<String>,
    pub(super) influxdb_token: Option<String>,
    /// The SMTP password and each webhook's signing secret (by the webhook's name).
    pub(super) notify: (Option<String>, std::collections::BTreeMap<String, String>),
}
