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

/// Parse the config file's text, reporting every unknown key at once. Serde stops at the
/// first, so each one found is noted and set aside (its line, or its whole section for an
/// unknown table) before parsing again.
pub(super) fn parse_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Vec<ConfigProblem>> {
    // Far more than a file has; bounds the loop whatever the text.
    const MOST_UNKNOWN_KEYS: usize = 200;
    let mut text = text.to_owned();
    let mut unknown: Vec<(usize, ConfigProblem)> = Vec::new();
    loop {
        let error = match toml::from_str::<T>(&text) {
            Ok(parsed) if unknown.is_empty() => return Ok(parsed),
            Ok(_) => break,
            Err(error) => error,
        };
        let span = error.span().filter(|_| error.message().contains("unknown field"));
        match span {
            Some(span) if unknown.len() < MOST_UNKNOWN_KEYS => {
                unknown.push((span.start, toml_problem(&text, &error)));
                text = set_aside(&text, span.start);
            }
            // Another problem: reported alone when it comes first; after a key was set aside
            // it may be the edit's doing, so the unknown keys are reported and it waits.
            _ if unknown.is_empty() => return Err(vec![toml_problem(&text, &error)]),
            _ => break,
        }
    }
    unknown.sort_by_key(|(at, _)| *at);
    Err(unknown.into_iter().map(|(_, problem)| problem).collect())
}

/// `text` with the line holding byte `at` commented out, or, when that line opens a table,
/// the table's every line: its keys belong to no known section.
fn set_aside(text: &str, at: usize) -> String {
    let mut offset = 0;
    let mut in_unknown_table = false;
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let opens_table = line.trim_start().starts_with('[');
        if opens_table {
            in_unknown_table = false;
        }
        let hit = (start..offset).contains(&at);
        if hit && opens_table {
            in_unknown_table = true;
        }
        if hit || in_unknown_table {
            out.push('#');
        }
        out.push_str(line);
    }
    out
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
    } else if message.contains("`password`") && message.contains("`from`") {
        "secrets are not kept in the file: remove the key and set XANH_SMTP_PASSWORD in the environment".to_owned()
    } else if message.contains("unknown field `secret`") && message.contains("`url`") {
        "secrets are not kept in the file: remove the key and set XANH_WEBHOOK_SECRET_<NAME> (the webhook's name in capitals, - as _) in the environment"
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
