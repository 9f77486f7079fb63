//! `xanh check-config`: read the config and the dashboard pages it names, as `serve` would,
//! without opening the store or any port, and list every problem found.

use std::path::Path;
use std::process::ExitCode;

use crate::config::{Config, ConfigError};
use crate::web::Dashboards;

/// 0 when `serve` would accept the config, 2 (as for a config refused at start) when not.
pub(super) fn run(path: Option<&Path>) -> ExitCode {
    match check(path) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            let count = error.problems.len();
            eprintln!("xanh: {count} {}; the service would not start", if count == 1 { "problem" } else { "problems" });
            ExitCode::from(2)
        }
    }
}

fn check(path: Option<&Path>) -> Result<String, ConfigError> {
    let config = Config::load(path)?;
    // The pages come after the config because the config says where they are.
    let dashboards = Dashboards::load(config.web_dashboards.as_deref())?;
    let channels = crate::notify::channels(&config.notify, &config.source)?;
    Ok(format!(
        "{}: valid: {}, {} departments, {} meters, {} dashboard pages, {} notification channels; dashboard on {}, store {}",
        config.source,
        config.office.name,
        config.departments.len(),
        config.meters.len(),
        dashboards.pages.len(),
        channels.len(),
        config.web_listen,
        config.store.embedded_path().display(),
    ))
}
