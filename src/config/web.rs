//! `[web]`: where the dashboard listens and how sign-ins behave.

use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct WebSection {
    #[serde(default = "default_web_listen")]
    pub(super) listen: String,
    /// The folder of dashboard page files; absent: `dashboards/` if present, else built in.
    pub(super) dashboards: Option<PathBuf>,
    #[serde(default = "default_session_hours")]
    pub(super) session_hours: u32,
    #[serde(default)]
    pub(super) public_overview: bool,
    #[serde(default)]
    pub(super) secure_cookies: bool,
    #[serde(default = "default_max_connections")]
    pub(super) max_connections: usize,
    #[serde(default = "default_max_connections_per_address")]
    pub(super) max_connections_per_address: usize,
    #[serde(default = "default_header_timeout_s")]
    pub(super) header_timeout_s: u64,
    #[serde(default = "default_body_timeout_s")]
    pub(super) body_timeout_s: u64,
}

pub(super) fn default_max_connections() -> usize {
    512
}

pub(super) fn default_max_connections_per_address() -> usize {
    128
}

pub(super) fn default_header_timeout_s() -> u64 {
    10
}

pub(super) fn default_body_timeout_s() -> u64 {
    30
}

pub(super) fn default_web_listen() -> String {
    "127.0.0.1:8080".to_owned()
}

pub(super) fn default_session_hours() -> u32 {
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
            max_connections: default_max_connections(),
            max_connections_per_address: default_max_connections_per_address(),
            header_timeout_s: default_header_timeout_s(),
            body_timeout_s: default_body_timeout_s(),
        }
    }
}

/// How sign-ins behave, checked.
pub(super) fn resolve_access(web: &WebSection, problem: &mut impl FnMut(String, String, String)) -> WebAccess {
    if !(1..=720).contains(&web.session_hours) {
        problem(
            "web.session_hours".into(),
            format!("{} is not a session length", web.session_hours),
            "give the hours a sign-in lasts, from 1 to 720 (8: a working day)".into(),
        );
    }
    WebAccess {
        session_ttl: jiff::SignedDuration::from_hours(i64::from(web.session_hours)),
        public_overview: web.public_overview,
        secure_cookies: web.secure_cookies,
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

/// `[web]`'s guards against slow or idle clients holding connections.
pub(super) fn resolve_limits(web: &WebSection, problem: &mut impl FnMut(String, String, String)) -> WebLimits {
    if !(1..=100_000).contains(&web.max_connections) {
        problem(
            "web.max_connections".into(),
            format!("{} is not a number of connections", web.max_connections),
            "give how many connections the web server serves at once, from 1 to 100000 (512 suits an office)".into(),
        );
    }
    if !(1..=100_000).contains(&web.max_connections_per_address) {
        problem(
            "web.max_connections_per_address".into(),
            format!("{} is not a number of connections", web.max_connections_per_address),
            "give how many connections one address may hold, from 1 (128 suits an office; behind a reverse proxy, as many as web.max_connections)".into(),
        );
    }
    for (key, value) in [("web.header_timeout_s", web.header_timeout_s), ("web.body_timeout_s", web.body_timeout_s)] {
        if !(1..=600).contains(&value) {
            problem(
                key.into(),
                format!("{value} is not a timeout"),
                "give the seconds a client may take, from 1 to 600 (10 for headers, 30 for a body)".into(),
            );
        }
    }
    WebLimits {
        max_connections: web.max_connections,
        max_connections_per_address: web.max_connections_per_address.min(web.max_connections),
        header_timeout: std::time::Duration::from_secs(web.header_timeout_s),
        body_timeout: std::time::Duration::from_secs(web.body_timeout_s),
    }
}

/// How long the web server waits for a client, and how many it serves at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebLimits {
    /// Connections served at once; more wait in the listen queue. Lowered at start, if need
    /// be, to leave the broker and the store their share of the file-descriptor limit.
    pub max_connections: usize,
    /// Connections one client address may hold; more from it are closed at once, so that one
    /// client cannot take every slot.
    pub max_connections_per_address: usize,
    /// A request's headers must arrive within this time; an idle kept-alive connection is
    /// closed after it too.
    pub header_timeout: std::time::Duration,
    /// A request's whole body must arrive within this time.
    pub body_timeout: std::time::Duration,
}
