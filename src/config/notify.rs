//! `[notify.email]` and `[[notify.webhook]]`: the ways alerts and reports leave Xanh. The
//! SMTP password and each webhook's signing secret come from the environment, never the file.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use serde::Deserialize;
use url::Url;

/// The environment variable that carries the SMTP login's password.
pub const SMTP_PASSWORD_VARIABLE: &str = "XANH_SMTP_PASSWORD";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NotifySection {
    email: Option<EmailSection>,
    #[serde(default)]
    pub(super) webhook: Vec<WebhookSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailSection {
    host: String,
    port: Option<u16>,
    #[serde(default = "default_security")]
    security: String,
    username: Option<String>,
    from: String,
    ca_file: Option<PathBuf>,
    #[serde(default = "default_email_timeout")]
    timeout_seconds: u64,
}

fn default_security() -> String {
    "starttls".to_owned()
}

fn default_email_timeout() -> u64 {
    30
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WebhookSection {
    pub(super) name: String,
    url: String,
    #[serde(default = "default_webhook_timeout")]
    timeout_seconds: u64,
}

fn default_webhook_timeout() -> u64 {
    10
}

/// The configured channels; none by default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NotifyConfig {
    pub email: Option<EmailConfig>,
    pub webhooks: Vec<WebhookConfig>,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only to a relay on this machine (port 25).
    Plain,
}

impl SmtpSecurity {
    fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::Plain => 25,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmailConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// The login, with its password from `XANH_SMTP_PASSWORD`; `None`: the relay wants none.
    pub login: Option<SmtpLogin>,
    pub from: Mailbox,
    /// The CA that signed the server's certificate (PEM); `None`: the system's trusted roots.
    pub ca_file: Option<PathBuf>,
    pub timeout: Duration,
}

#[derive(Clone, PartialEq, Eq)]
pub struct SmtpLogin {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for SmtpLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpLogin").field("username", &self.username).field("password", &"(hidden)").finish()
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// How alerts and reports address it (`Address::Webhook(name)`).
    pub name: String,
    pub url: Url,
    /// The HMAC-SHA256 key the body is signed with, from `XANH_WEBHOOK_SECRET_<NAME>`.
    pub secret: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("name", &self.name)
            .field("url", &self.url.as_str())
            .field("secret", &"(hidden)")
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The environment variable that carries webhook `name`'s signing secret:
/// `XANH_WEBHOOK_SECRET_` and the name in capitals, `-` written `_`.
pub fn webhook_secret_variable(name: &str) -> String {
    format!("XANH_WEBHOOK_SECRET_{}", name.to_ascii_uppercase().replace('-', "_"))
}

/// The secrets the notify sections need, read from the environment by `Config::parse`.
pub(super) fn read_secrets(
    section: &NotifySection,
    env: &dyn Fn(&str) -> Option<String>,
) -> (Option<String>, BTreeMap<String, String>) {
    let smtp_password = env(SMTP_PASSWORD_VARIABLE).filter(|p| !p.is_empty());
    let webhook_secrets = section
        .webhook
        .iter()
        .filter_map(|w| env(&webhook_secret_variable(&w.name)).filter(|s| !s.is_empty()).map(|s| (w.name.clone(), s)))
        .collect();
    (smtp_password, webhook_secrets)
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

pub(super) fn resolve_notify(
    section: NotifySection,
    smtp_password: Option<String>,
    webhook_secrets: BTreeMap<String, String>,
    problem: &mut impl FnMut(String, String, String),
) -> NotifyConfig {
    let email = section.email.and_then(|email| resolve_email(email, smtp_password, problem));
    let mut names = HashSet::new();
    let webhooks = section
        .webhook
        .into_iter()
        .enumerate()
        .filter_map(|(i, webhook)| {
            if !names.insert(webhook.name.clone()) {
                problem(
                    format!("notify.webhook[{i}].name"),
                    format!("`{}` names two webhooks", webhook.name),
                    "give each [[notify.webhook]] its own name".into(),
                );
            }
            resolve_webhook(i, webhook, &webhook_secrets, problem)
        })
        .collect();
    NotifyConfig { email, webhooks }
}

fn resolve_email(
    email: EmailSection,
    password: Option<String>,
    problem: &mut impl FnMut(String, String, String),
) -> Option<EmailConfig> {
    let host = email.host.trim().to_owned();
    if host.is_empty() {
        problem(
            "notify.email.host".into(),
            "is empty".into(),
            "name the SMTP server, such as \"smtp.example.gov.vn\"".into(),
        );
    }
    let security = match email.security.as_str() {
        "starttls" => Some(SmtpSecurity::StartTls),
        "tls" => Some(SmtpSecurity::Tls),
        "plain" => Some(SmtpSecurity::Plain),
        other => {
            problem(
                "notify.email.security".into(),
                format!("`{other}` is not a way to protect the connection"),
                "write \"starttls\" (port 587), \"tls\" (port 465), or \"plain\" for a relay on 127.0.0.1 only".into(),
            );
            None
        }
    };
    if security == Some(SmtpSecurity::Plain) && !is_loopback(&host) {
        problem(
            "notify.email.security".into(),
            format!("is \"plain\" for `{host}`, which would send the password and the messages unencrypted"),
            "use \"starttls\" or \"tls\"; \"plain\" is only for a relay on this machine (host = \"127.0.0.1\")".into(),
        );
    }
    if email.port == Some(0) {
        problem(
            "notify.email.port".into(),
            "is 0".into(),
            "give the SMTP server's port (587 for starttls, 465 for tls), or leave it out".into(),
        );
    }
    let from = match email.from.parse::<Mailbox>() {
        Ok(from) => Some(from),
        Err(e) => {
            problem(
                "notify.email.from".into(),
                format!("`{}` is not an e-mail address ({e})", email.from),
                "write the sender the server lets Xanh use, such as \"Xanh <xanh@example.gov.vn>\"".into(),
            );
            None
        }
    };
    let login = match (email.username, password) {
        (Some(username), Some(password)) => Some(SmtpLogin { username, password }),
        (Some(_), None) => {
            problem(
                "notify.email.username".into(),
                format!("is set but the environment variable {SMTP_PASSWORD_VARIABLE} is not"),
                format!("set {SMTP_PASSWORD_VARIABLE} to the SMTP login's password (never in the file)"),
            );
            None
        }
        (None, Some(_)) => {
            problem(
                format!("environment variable {SMTP_PASSWORD_VARIABLE}"),
                "is set but notify.email.username is not".into(),
                "add username to [notify.email], or unset the variable".into(),
            );
            None
        }
        (None, None) => None,
    };
    if email.timeout_seconds == 0 {
        problem(
            "notify.email.timeout_seconds".into(),
            "is 0".into(),
            "give the seconds to wait for the server, such as 30".into(),
        );
    }
    let security = security?;
    Some(EmailConfig {
        port: email.port.filter(|p| *p != 0).unwrap_or(security.default_port()),
        host,
        security,
        login,
        from: from?,
        ca_file: email.ca_file,
        timeout: Duration::from_secs(email.timeout_seconds.max(1)),
    })
}

fn resolve_webhook(
    i: usize,
    webhook: WebhookSection,
    secrets: &BTreeMap<String, String>,
    problem: &mut impl FnMut(String, String, String),
) -> Option<WebhookConfig> {
    let key = |field: &str| format!("notify.webhook[{i}].{field}");
    let name_ok = !webhook.name.is_empty()
        && webhook.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !name_ok {
        problem(
            key("name"),
            format!("`{}` is not a plain name", webhook.name),
            "use lower-case letters, digits, - and _, such as \"zalo-bridge\"".into(),
        );
    }
    let url = match Url::parse(&webhook.url) {
        Ok(url) if url.scheme() == "https" => Some(url),
        Ok(url)
            if url.scheme() == "http" && url.host_str().is_some_and(|h| is_loopback(h.trim_matches(['[', ']']))) =>
        {
            Some(url)
        }
        Ok(url) => {
            problem(
                key("url"),
                format!("`{url}` is not an https:// address"),
                "use https:// (http:// only for a receiver on this machine, such as http://127.0.0.1:9000/hook)".into(),
            );
            None
        }
        Err(e) => {
            problem(
                key("url"),
                format!("`{}` is not a URL ({e})", webhook.url),
                "write the receiver's full address, such as \"https://bridge.example.vn/xanh\"".into(),
            );
            None
        }
    };
    let variable = webhook_secret_variable(&webhook.name);
    let secret = secrets.get(&webhook.name).cloned();
    if secret.is_none() && name_ok {
        problem(
            format!("environment variable {variable}"),
            format!("is not set, and webhook `{}` signs every message with it", webhook.name),
            format!("set {variable} to a long random secret that the receiver also knows (never in the file)"),
        );
    }
    if webhook.timeout_seconds == 0 {
        problem(key("timeout_seconds"), "is 0".into(), "give the seconds to wait for the receiver, such as 10".into());
    }
    Some(WebhookConfig {
        name: webhook.name,
        url: url?,
        secret: secret?,
        timeout: Duration::from_secs(webhook.timeout_seconds.max(1)),
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Config, ConfigError};
    use super::*;

    const OFFICE: &str = "[office]\nname = \"X\"\n";

    fn parse(notify: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let text = format!("{OFFICE}\n{notify}");
        Config::parse("xanh.toml", &text, &|name| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn no_notify_section_configures_no_channel() {
        let config = parse("", &[]).unwrap();
        assert_eq!(config.notify, NotifyConfig::default());
    }

    #[test]
    fn email_and_webhooks_are_read_with_their_secrets_from_the_environment() {
        let config = parse(
            "[notify.email]\nhost = \"smtp.example.gov.vn\"\nusername = \"xanh\"\nfrom = \"Xanh – Văn phòng <xanh@example.gov.vn>\"\n\n[[notify.webhook]]\nname = \"zalo-bridge\"\nurl = \"https://bridge.example.vn/xanh\"\n\n[[notify.webhook]]\nname = \"noi_bo\"\nurl = \"http://127.0.0.1:9000/hook\"\ntimeout_seconds = 3\n",
            &[
                ("XANH_SMTP_PASSWORD", "mật-khẩu"),
                ("XANH_WEBHOOK_SECRET_ZALO_BRIDGE", "s1"),
                ("XANH_WEBHOOK_SECRET_NOI_BO", "s2"),
            ],
        )
        .unwrap();
        let email = config.notify.email.unwrap();
        assert_eq!(
            (email.host.as_str(), email.port, email.security),
            ("smtp.example.gov.vn", 587, SmtpSecurity::StartTls)
        );
        assert_eq!(email.login, Some(SmtpLogin { username: "xanh".into(), password: "mật-khẩu".into() }));
        assert_eq!(email.from.email.to_string(), "xanh@example.gov.vn");
        assert_eq!(email.timeout, Duration::from_secs(30));
        assert!(!format!("{:?}", email.login).contains("mật-khẩu"), "the password stays out of logs");
        let hooks: Vec<(&str, &str, &str, u64)> = config
            .notify
            .webhooks
            .iter()
            .map(|w| (w.name.as_str(), w.url.as_str(), w.secret.as_str(), w.timeout.as_secs()))
            .collect();
        assert_eq!(
            hooks,
            [
                ("zalo-bridge", "https://bridge.example.vn/xanh", "s1", 10),
                ("noi_bo", "http://127.0.0.1:9000/hook", "s2", 3)
            ]
        );
    }

    #[test]
    fn each_mistake_names_its_key_and_fix() {
        let err = parse(
            "[notify.email]\nhost = \"smtp.example.gov.vn\"\nsecurity = \"plain\"\nusername = \"xanh\"\nfrom = \"không phải địa chỉ\"\n\n[[notify.webhook]]\nname = \"a\"\nurl = \"http://bridge.example.vn/xanh\"\n\n[[notify.webhook]]\nname = \"a\"\nurl = \"https://b.example.vn\"\n\n[[notify.webhook]]\nname = \"Cầu nối\"\nurl = \"không phải url\"\n",
            &[("XANH_WEBHOOK_SECRET_A", "s")],
        )
        .unwrap_err()
        .to_string();
        for expected in [
            "xanh.toml: notify.email.security: is \"plain\" for `smtp.example.gov.vn`",
            "notify.email.from: `không phải địa chỉ` is not an e-mail address",
            "notify.email.username: is set but the environment variable XANH_SMTP_PASSWORD is not",
            "notify.webhook[0].url: `http://bridge.example.vn/xanh` is not an https:// address",
            "notify.webhook[1].name: `a` names two webhooks",
            "notify.webhook[2].name: `Cầu nối` is not a plain name",
            "notify.webhook[2].url: `không phải url` is not a URL",
        ] {
            assert!(err.contains(expected), "{expected:?} missing from:\n{err}");
        }
        let err = parse("[[notify.webhook]]\nname = \"zalo\"\nurl = \"https://b.example.vn\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("environment variable XANH_WEBHOOK_SECRET_ZALO: is not set")
                && err.contains("fix: set XANH_WEBHOOK_SECRET_ZALO to a long random secret"),
            "{err}"
        );
    }

    #[test]
    fn secrets_written_in_the_file_are_refused_with_the_variable_to_use() {
        let err = parse(
            "[notify.email]\nhost = \"127.0.0.1\"\nfrom = \"xanh@example.gov.vn\"\npassword = \"lộ\"\n\n[[notify.webhook]]\nname = \"zalo\"\nurl = \"https://b.example.vn\"\nsecret = \"lộ\"\n",
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("unknown field `password`") && err.contains("set XANH_SMTP_PASSWORD"), "{err}");
        assert!(err.contains("unknown field `secret`") && err.contains("set XANH_WEBHOOK_SECRET_<NAME>"), "{err}");
    }

    #[test]
    fn plain_smtp_is_accepted_to_this_machine_only_with_its_port_25() {
        let config =
            parse("[notify.email]\nhost = \"127.0.0.1\"\nsecurity = \"plain\"\nfrom = \"xanh@example.gov.vn\"\n", &[])
                .unwrap();
        let email = config.notify.email.unwrap();
        assert_eq!((email.security, email.port, email.login), (SmtpSecurity::Plain, 25, None));
    }
}
