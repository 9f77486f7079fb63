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
