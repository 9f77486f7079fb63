//! `xanh backup FILE` and `xanh restore FILE`.

use std::path::PathBuf;

use clap::Args;

use crate::config::Config;
use crate::locale::{self, Lang};
use crate::store::{self, StoreSummary};

#[derive(Args)]
pub struct BackupArgs {
    /// The new file to write (never overwritten).
    file: PathBuf,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// A file `xanh backup` wrote.
    file: PathBuf,
}

pub fn backup(config: &Config, args: BackupArgs) -> anyhow::Result<()> {
    let summary = store::backup(config.store.embedded_path(), &args.file)?;
    println!("backup: wrote {}: {}", args.file.display(), describe(&summary, config));
    Ok(())
}

pub fn restore(config: &Config, args: RestoreArgs) -> anyhow::Result<()> {
    let store = config.store.embedded_path();
    let restored = store::restore(&args.file, store)?;
    println!("restore: {} now holds {}: {}", store.display(), args.file.display(), describe(&restored.summary, config));
    if let Some(previous) = restored.previous {
        println!("restore: the store it replaced is kept as {}", previous.display());
    }
    Ok(())
}

fn describe(summary: &StoreSummary, config: &Config) -> String {
    let tz = &config.office.timezone;
    let count = |n: u64| locale::number(n as f64, 0, Lang::Vi);
    let span = match summary.span {
        Some((first, last)) => {
            format!("from {} to {}", locale::date_time(first, tz, Lang::Vi), locale::date_time(last, tz, Lang::Vi))
        }
        None => "none".to_owned(),
    };
    format!(
        "{} readings ({span}), {} users, schema version {}",
        count(summary.readings),
        count(summary.users),
        summary.schema_version
    )
}
