//! `[log]`: how Xanh writes its log (plain lines, or JSON for journald and Loki).

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct LogSection {
    pub(super) format: String,
}

impl Default for LogSection {
    fn default() -> Self {
        Self { format: "text".to_owned() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One line per event, coloured only on a terminal.
    Text,
    /// One JSON object per line.
    Json,
}

pub(super) fn resolve_log(section: &LogSection, problem: &mut impl FnMut(String, String, String)) -> LogFormat {
    match section.format.as_str() {
        "text" => LogFormat::Text,
        "json" => LogFormat::Json,
        other => {
            problem(
                "log.format".into(),
                format!("`{other}` is not a log format"),
                "write \"text\" (lines, the default) or \"json\" (one object per line, for journald or Loki)".into(),
            );
            LogFormat::Text
        }
    }
}
