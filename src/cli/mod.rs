//! The command line: `xanh serve` (the default), `simulate`, `import`, `export`, `report`,
//! `migrate`, `user`, `mqtt-password`, `check-config`, `backup` and `restore`.

mod backup;
mod check_config;
mod config_export;
mod report;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use jiff::civil::Date;

use crate::app::Application;
use crate::auth::password::Password;
use crate::config::{Config, ConfigError, LogFormat, MeterSpec, StoreConfig, check_departments, check_meters};
use crate::domain::DepartmentId;
use crate::domain::period::NamedPeriod;
use crate::export::ExportFormat;
use crate::ingest::import::import_csv;
use crate::simulate::{self, SimulateOptions, Target};
use crate::store::{SqliteStore, Store, StoreReads};

#[derive(Parser)]
#[command(
    name = "xanh",
    version,
    about = "Xanh: electricity, water and paper use of an office against its saving targets"
)]
struct Cli {
    /// The config file (default: config/default.toml, or the built-in copy of it).
    #[arg(long, global = true, env = "XANH_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the broker (if embedded), the ingestor, the store and the dashboard (the default).
    Serve,
    /// Publish realistic readings for every configured meter: history first, then live.
    Simulate(SimulateArgs),
    /// Import readings from a CSV file (header: meter,ts,value[,from][,entered_by]) into the
    /// store, through the same checks as MQTT; rejected rows are kept with the reason.
    Import(ImportArgs),
    /// Manage users and API tokens: add, list, disable, enable, reset, token.
    User(user::UserArgs),
    /// Read a password on standard input and print its argon2id hash, for password_hash in
    /// [[mqtt.clients]]: `xanh mqtt-password < file`, or type it and press Enter.
    MqttPassword,
    /// Write the emulation scores of a period to an XLSX or CSV file, as the dashboard and the
    /// API export them.
    Export(ExportArgs),
    /// Write the signed report of a period (Nghị định 30/2020/NĐ-CP layout) to a PDF or DOCX
    /// file, chosen by the file's extension: --out bao-cao.pdf or --out bao-cao.docx.
    Report(report::ReportArgs),
    /// Copy the office's history (readings and hourly consumption) from the embedded store to
    /// the InfluxDB the config names. Resumable: a copy that stops goes on from where it was.
    Migrate(MigrateArgs),
    /// Check the config and the dashboard pages it names without starting anything: every
    /// problem is listed; the exit status is 0 when the config is valid, 2 when not.
    CheckConfig,
    /// The office's setup: `xanh config export` prints the config file with the meters and
    /// staffing the store holds, as TOML that check-config accepts.
    Config(config_export::ConfigArgs),
    /// Copy the store (readings, users, tokens, audit log) to a new file while the service
    /// runs: a consistent copy of one instant.
    Backup(backup::BackupArgs),
    /// Put a backup in place of the store, once checked; the service must be stopped. The
    /// store it replaces is kept beside it.
    Restore(backup::RestoreArgs),
}

#[derive(Args)]
struct MigrateArgs {
    /// Where to copy to; `influxdb` is the only target.
    #[arg(long, value_enum)]
    to: MigrateTarget,
    /// Points per write to InfluxDB.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    batch: u32,
    /// Forget where an earlier copy stopped and copy everything again.
    #[arg(long)]
    from_start: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum MigrateTarget {
    Influxdb,
}

#[derive(Args)]
struct ExportArgs {
    /// The period: a year (2026), a quarter (2026-Q3), a month (2026-11) or a phase (gd1, gd2).
    #[arg(long, value_parser = parse_period)]
    period: NamedPeriod,
    /// xlsx, csv (UTF-8 with a BOM, for scripts) or csv-vi (`;` and decimal commas, for a
    /// Vietnamese Excel).
    #[arg(long, default_value = "xlsx", value_parser = ExportFormat::parse)]
    format: ExportFormat,
    /// The file to write.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

fn parse_period(text: &str) -> Result<NamedPeriod, String> {
    NamedPeriod::parse(text).map_err(|e| e.0)
}

#[derive(Args)]
struct ImportArgs {
    /// The CSV file (UTF-8; `,`, `;` or tab between fields).
    file: PathBuf,
    /// Who entered these readings, for rows without an entered_by column.
    #[arg(long, value_name = "NAME")]
    entered_by: Option<String>,
}

#[derive(Args)]
struct SimulateArgs {
    /// First day of the history to publish (a local date); default: 1 January this year.
    #[arg(long, value_name = "DATE")]
    from: Option<Date>,
    /// End of the history (exclusive, a local date); default: now.
    #[arg(long, value_name = "DATE")]
    to: Option<Date>,
    /// Time between two readings of a meter in the history: 30s, 1m, 15m, 1h.
    #[arg(long, default_value = "15m", value_parser = parse_duration)]
    interval: Duration,
    /// Time between live readings once the history is published.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    live_every: Duration,
    /// Stop after the history instead of going on live.
    #[arg(long)]
    no_live: bool,
    /// Write the history straight into the configured store instead of publishing it over
    /// MQTT: much faster, for seeding a large history (the service may be stopped).
    #[arg(long)]
    into_store: bool,
    /// Seed for the simulated noise; the same seed gives the same readings.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Most messages a second to publish over MQTT, so that the ingestor keeps up.
    #[arg(long, default_value_t = 5000)]
    rate: u32,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| format!("`{text}` is not a duration: write 30s, 15m or 1h"))?;
    let seconds = match unit {
        "s" | "" => number,
        "m" => number * 60,
        "h" => number * 3600,
        _ => return Err(format!("`{text}` has an unknown unit: use s, m or h")),
    };
    if seconds == 0 {
        return Err("the duration must be more than 0".into());
    }
    Ok(Duration::from_secs(seconds))
}

/// Log to standard error (standard output carries commands' results), coloured only when it
/// is a terminal: colour codes are noise in a log file or the journal.
fn init_logging(format: LogFormat) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::prelude::*;
    // rumqttd logs every ordinary client disconnect as an error; its real failures (a port
    // already taken) are checked by Xanh itself.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,rumqttd=off,rumqttc=warn"));
    let log = tracing_subscriber::fmt::layer().with_target(false).with_writer(std::io::stderr);
    // The embedded broker's dropped messages are counted from its own events, whatever the
    // filter above shows.
    let registry = tracing_subscriber::registry().with(crate::ingest::broker::drops::counting_layer());
    match format {
        LogFormat::Text => registry.with(log.with_ansi(std::io::stderr().is_terminal()).with_filter(filter)).init(),
        LogFormat::Json => registry.with(log.json().with_current_span(false).with_filter(filter)).init(),
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::MqttPassword) = cli.command {
        return mqtt_password();
    }
    if let Some(Command::CheckConfig) = cli.command {
        return check_config::run(cli.config.as_deref());
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("xanh: the config is not valid:\n{e}");
            return ExitCode::from(2);
        }
    };
    init_logging(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("xanh: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config).await,
            Command::Simulate(args) => simulate(config, args).await,
            Command::Import(args) => import(config, args).await,
            Command::User(args) => user::run(config, args).await,
            Command::Export(args) => export(config, args).await,
            Command::Report(args) => report::report(config, args).await,
            Command::Migrate(args) => migrate(config, args).await,
            Command::Backup(args) => backup::backup(&config, args),
            Command::Restore(args) => backup::restore(&config, args),
            Command::Config(args) => config_export::run(config, args).await,
            Command::MqttPassword | Command::CheckConfig => unreachable!("handled before the config is read"),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xanh: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A password from standard input (prompted for without echo on a terminal), hashed as
/// user passwords are; needs no config.
fn mqtt_password() -> ExitCode {
    let hashed = user::read_password("Password for the MQTT client (at least 10 characters)")
        .and_then(|text| Ok(Password::new(&text)?.hash()?));
    match hashed {
        Ok(hash) => {
            println!("{hash}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xanh: {e}; give the password on standard input, such as: xanh mqtt-password < tang-1.pass");
            ExitCode::from(2)
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    tracing::info!(config = %config.source, office = %config.office.name, "starting");
    // Held until the service stops, so that `xanh restore` knows it runs.
    let _lock = crate::store::ServiceLock::acquire(config.store.embedded_path())?;
    let app = Application::build(config).await?;
    tracing::info!("dashboard on http://{}", app.web_addr());
    app.announce_setup().await?;
    let shutdown = app.shutdown_handle();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("stopping: finishing the readings in hand");
        shutdown.trigger();
    });
    app.run().await?;
    tracing::info!("stopped");
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn import(config: Config, args: ImportArgs) -> anyhow::Result<()> {
    use std::io::Write;
    let store = crate::store::open(&config)?.store;
    let summary = import_csv(&args.file, &config, &*store, args.entered_by, |done, total| {
        eprint!("\rimport: {done} / {total} rows ({} %)", done * 100 / total.max(1));
        let _ = std::io::stderr().flush();
    })
    .await?;
    eprintln!();
    let report = &summary.report;
    println!(
        "import: {} rows: {} stored, {} already stored, {} rejected",
        summary.rows, report.stored, report.duplicates, report.rejected
    );
    for (row, reason) in &summary.first_rejected {
        println!("  row {row}: {reason}");
    }
    if report.rejected > 0 {
        println!("rejected rows are kept with their reason: see /rejected or GET /api/v1/rejected");
    }
    Ok(())
}

async fn migrate(config: Config, args: MigrateArgs) -> anyhow::Result<()> {
    use crate::store::influx::migrate::{MigrateOptions, migrate};
    use std::io::Write;
    let MigrateTarget::Influxdb = args.to;
    let StoreConfig::Influx(influx) = &config.store else {
        anyhow::bail!(
            "{}: store.backend: is not \"influxdb\"; fix: set backend = \"influxdb\" with url, org and bucket in [store] \
             (keeping path = the embedded database to copy from), [office] id, and XANH_INFLUXDB_TOKEN in the environment",
            config.source
        );
    };
    // The points of a meter added in the web app are sent with its tags, like the service's.
    let journal =
        SqliteStore::open(&influx.path, &config.office.timezone, &config.office.timezone_name, &config.meters)?;
    let influx = &influx.clone();
    let config = with_stored_meters(config, &journal).await?;
    drop(journal);
    eprintln!(
        "migrate: copying {} to {} (bucket {}, office {}); Ctrl-C stops after the batch in flight",
        influx.path.display(),
        influx.url,
        influx.bucket,
        influx.office
    );
    let options = MigrateOptions { batch: args.batch as usize, from_start: args.from_start };
    let mut last_line = std::time::Instant::now() - std::time::Duration::from_secs(1);
    let summary = migrate(&config, influx, options, |p| {
        // At most twice a second, and always at the end of a series.
        if p.copied < p.total && last_line.elapsed() < std::time::Duration::from_millis(500) {
            return;
        }
        last_line = std::time::Instant::now();
        let rate = p.copied as f64 / p.elapsed.as_secs_f64().max(0.001);
        eprint!(
            "\rmigrate: {}: {} / {} ({} %), {rate:.0} points/s   ",
            p.series,
            p.copied,
            p.total,
            p.copied * 100 / p.total.max(1)
        );
        if p.copied == p.total {
            eprintln!();
        }
        let _ = std::io::stderr().flush();
    })
    .await?;
    eprintln!();
    println!("migrate: {} readings and {} hours of consumption copied", summary.readings, summary.hours);
    if summary.skipped > 0 {
        println!(
            "migrate: {} points of meters no longer in the config were left behind (their tags are unknown)",
            summary.skipped
        );
    }
    if summary.interrupted {
        println!("migrate: stopped; run the same command again to go on from where it stopped");
    }
    Ok(())
}

/// `config` with the departments, meters and calendar years the store holds, as the service
/// reads them (docs/setup.md): a department or meter added or a day off set in the web app is
/// in the export and the report. A store that never took any would take the file's.
pub(crate) async fn with_stored_meters(mut config: Config, store: &SqliteStore) -> anyhow::Result<Config> {
    for record in store.calendar_years().await? {
        config.office.calendar.replace_year(&record.days);
    }
    let kept_departments = store.department_setup().await?;
    if !kept_departments.is_empty() {
        config.departments = check_departments(&kept_departments)
            .map_err(|problems| ConfigError { file: format!("the departments kept in {}", config.store), problems })?;
    }
    let records = store.meter_setup().await?;
    if records.is_empty() {
        return Ok(config);
    }
    let specs: Vec<MeterSpec> = records.into_iter().map(|r| r.spec).collect();
    let departments: Vec<DepartmentId> = config.departments.iter().map(|d| d.id.clone()).collect();
    let meters = check_meters(&specs, &departments)
        .map_err(|problems| ConfigError { file: format!("the meters kept in {}", config.store), problems })?;
    store.use_meters(&meters);
    config.meters = meters;
    Ok(config)
}

async fn export(config: Config, args: ExportArgs) -> anyhow::Result<()> {
    let store = SqliteStore::open(
        config.store.embedded_path(),
        &config.office.timezone,
        &config.office.timezone_name,
        &config.meters,
    )?;
    let config = with_stored_meters(config, &store).await?;
    let report =
        crate::analysis::score_report::report_in_force(&store, &config, &args.period, jiff::Timestamp::now()).await?;
    let today = jiff::Timestamp::now().to_zoned(config.office.timezone.clone()).date();
    let bytes = crate::export::render(&report, &config.office.name, today, args.format)?;
    std::fs::write(&args.out, bytes).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", args.out.display()))?;
    println!(
        "export: the scores of {} for {} departments written to {}",
        args.period,
        report.departments.len(),
        args.out.display()
    );
    Ok(())
}

async fn simulate(config: Config, args: SimulateArgs) -> anyhow::Result<()> {
    let options = SimulateOptions {
        from: args.from,
        to: args.to,
        interval: args.interval,
        live_every: (!args.no_live).then_some(args.live_every),
        target: if args.into_store { Target::Store } else { Target::Mqtt },
        seed: args.seed,
        rate: args.rate,
    };
    simulate::run(&config, options).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5 minutes").is_err());
    }
}
