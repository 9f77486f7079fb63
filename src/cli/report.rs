//! `xanh report --period 2026-Q3 --out bao-cao.pdf`: the signed report of a period, as PDF or
//! DOCX by the file's extension, as the dashboard's Báo cáo page gives it.

use std::path::PathBuf;

use clap::Args;

use crate::config::Config;
use crate::domain::NamedPeriod;
use crate::reports::{self, ReportFormat};
use crate::store::SqliteStore;

#[derive(Args)]
pub struct ReportArgs {
    /// The period: a year (2026), a quarter (2026-Q3), a month (2026-11) or a phase (gd1, gd2).
    #[arg(long, value_parser = super::parse_period)]
    period: NamedPeriod,
    /// The file to write: report.pdf or report.docx.
    #[arg(long, value_name = "FILE", value_parser = parse_out)]
    out: PathBuf,
}

fn parse_out(text: &str) -> Result<PathBuf, String> {
    ReportFormat::from_file_name(text)?;
    Ok(PathBuf::from(text))
}

pub async fn report(config: Config, args: ReportArgs) -> anyhow::Result<()> {
    let format = ReportFormat::from_file_name(&args.out.to_string_lossy()).map_err(anyhow::Error::msg)?;
    let store = SqliteStore::open(
        config.store.embedded_path(),
        &config.office.timezone,
        &config.office.timezone_name,
        &config.meters,
    )?;
    let config = super::with_stored_meters(config, &store).await?;
    let now = jiff::Timestamp::now();
    let figures = crate::analysis::period_report::period_report(&store, &config, &args.period, now).await?;
    let issued = now.to_zoned(config.office.timezone.clone()).date();
    let bytes = reports::render(&figures, &config.letterhead, issued, format)?;
    std::fs::write(&args.out, bytes).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", args.out.display()))?;
    println!("report: the report for {} written to {}", args.period, args.out.display());
    Ok(())
}
