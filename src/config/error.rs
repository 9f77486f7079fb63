//! What is wrong with a config, said so that one edit fixes it: the file, the key, the problem
//! and the fix.

use std::fmt;

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

pub(super) fn toml_problem(text: &str, e: &toml::de::Error) -> ConfigProblem {
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
