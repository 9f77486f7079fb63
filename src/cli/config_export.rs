//! `xanh config export`: the config file with the office's setup as the store holds it (the
//! departments, the meters, the headcount and floor area changes, the prices, the items'
//! prices and norms, the emission factors, the calendar's years), as TOML that
//! `xanh check-config` accepts:
//! for review, to bring the file in line with the store, or to set up another office.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use toml::{Table, Value};

use crate::config::Config;
use crate::store::{SqliteStore, StoreReads};

#[derive(Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the config file with the departments, meters, staffing, prices, emission factors and calendar years the store holds (docs/setup.md).
    Export,
}

pub async fn run(config: Config, args: ConfigArgs) -> anyhow::Result<()> {
    match args.command {
        ConfigCommand::Export => export(&config).await,
    }
}

async fn export(config: &Config) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&config.source)
        .with_context(|| format!("cannot read the config file {}; give it with --config", config.source))?;
    let mut doc: Table = toml::from_str(&text).with_context(|| format!("{} is not TOML", config.source))?;
    let path = config.store.embedded_path();
    if !path.exists() {
        bail!(
            "no store at {}: a new store takes the setup of {} as it is, so there is nothing else to export",
            path.display(),
            config.source
        );
    }
    let tz = &config.office.timezone;
    let store = SqliteStore::open(path, tz, &config.office.timezone_name, &config.meters)?;
    let departments = store.department_setup().await?;
    if !departments.is_empty() {
        let departments = departments.iter().map(Value::try_from).collect::<Result<Vec<_>, _>>()?;
        doc.insert("departments".into(), Value::Array(departments));
    }
    let records = store.meter_setup().await?;
    let mut header = format!(
        "# {}, with the departments, meters, staffing, prices, emission factors and calendar years the store {} holds ({}).\n",
        config.source,
        path.display(),
        jiff::Timestamp::now().to_zoned(tz.clone()).strftime("%d/%m/%Y %H:%M")
    );
    if !records.is_empty() {
        let meters = records.iter().map(|r| Value::try_from(&r.spec)).collect::<Result<Vec<_>, _>>()?;
        doc.insert("meters".into(), Value::Array(meters));
        for r in records.iter().filter(|r| r.retired_from.is_some()) {
            let day = r.retired_from.map(|d| d.strftime("%d/%m/%Y").to_string()).unwrap_or_default();
            header.push_str(&format!(
                "# Meter {} is retired from {day} in the store: its readings from that day on are refused.\n",
                r.spec.id
            ));
        }
    }
    let changes = store.staffing_changes().await?;
    if !changes.is_empty() {
        let mut staffing = match doc.remove("staffing") {
            Some(Value::Array(kept)) => kept,
            _ => Vec::new(),
        };
        for record in changes {
            let c = record.change;
            let mut entry = Table::new();
            entry.insert("department".into(), Value::String(c.department.to_string()));
            entry.insert("from".into(), Value::String(c.from.to_string()));
            if let Some(headcount) = c.headcount {
                entry.insert("headcount".into(), Value::Integer(i64::from(headcount)));
            }
            if let Some(area) = c.area_m2 {
                entry.insert("area_m2".into(), Value::Float(area));
            }
            staffing.push(Value::Table(entry));
        }
        doc.insert("staffing".into(), Value::Array(staffing));
    }
    if !store.tariff_changes().await?.is_empty() {
        // The prices in force: the file's (or the shipped ones) and the store's, one per
        // resource and day, the one in force of a day's (the last) kept.
        let mut tariffs = crate::analysis::plan_in_force::in_force(&store, config).await?.tariffs;
        tariffs.reverse();
        let mut seen = std::collections::HashSet::new();
        tariffs.retain(|t| seen.insert((t.resource, t.from)));
        tariffs.reverse();
        doc.insert("tariffs".into(), Value::Array(tariffs.iter().map(tariff_entry).collect()));
    }
    if !store.factor_changes().await?.is_empty() {
        // As the prices: one factor per resource and year, the one in use kept.
        let mut factors = crate::analysis::plan_in_force::in_force(&store, config).await?.emission_factors;
        factors.reverse();
        let mut seen = std::collections::HashSet::new();
        factors.retain(|f| seen.insert((f.resource, f.year)));
        factors.reverse();
        doc.insert("emission_factors".into(), Value::Array(factors.iter().map(factor_entry).collect()));
    }
    let years = store.calendar_years().await?;
    if !years.is_empty() {
        export_calendar(&mut doc, years.into_iter().map(|r| r.days));
    }
    let prices_entered = !store.supply_price_changes().await?.is_empty();
    let norms_entered = !store.supply_norm_changes().await?.is_empty();
    if prices_entered || norms_entered {
        let supplies = crate::analysis::supplies_in_force::supplies_in_force(&store, config).await?;
        if prices_entered {
            item_prices(&mut doc, &supplies);
        }
        if norms_entered {
            norms(&mut doc, &supplies);
        }
    }
    print!("{header}\n{}", toml::to_string(&doc)?);
    Ok(())
}

/// The calendar's years set in the web app (`years`, oldest first) as `[[office.calendar]]`,
/// in the place of the file's entries for those years; the file's `office.holidays` and
/// `office.make_up_days` in those years are dropped, since each such year was set with them in
/// force and holds them as the office left them.
fn export_calendar(doc: &mut Table, years: impl Iterator<Item = crate::domain::YearDays>) {
    let latest: std::collections::BTreeMap<i16, crate::domain::YearDays> = years.map(|y| (y.year.year, y)).collect();
    let Some(Value::Table(office)) = doc.get_mut("office") else { return };
    let set_here = |text: &Value| {
        text.as_str()
            .and_then(|t| t.get(..4))
            .and_then(|y| y.parse::<i16>().ok())
            .is_some_and(|y| latest.contains_key(&y))
    };
    for key in ["holidays", "make_up_days"] {
        if let Some(Value::Array(dates)) = office.get_mut(key) {
            dates.retain(|d| !set_here(d));
        }
    }
    let mut entries = match office.remove("calendar") {
        Some(Value::Array(kept)) => kept,
        _ => Vec::new(),
    };
    entries.retain(|e| {
        e.get("year").and_then(Value::as_integer).is_none_or(|y| !latest.keys().any(|k| i64::from(*k) == y))
    });
    for set in latest.values() {
        let days = |kind| {
            let listed = set.days.iter().filter(|d| d.kind == kind).map(|d| {
                let mut day = Table::new();
                day.insert("date".into(), Value::String(d.date.to_string()));
                if !d.reason.is_empty() {
                    day.insert("reason".into(), Value::String(d.reason.clone()));
                }
                Value::Table(day)
            });
            Value::Array(listed.collect())
        };
        let mut entry = Table::new();
        entry.insert("year".into(), Value::Integer(i64::from(set.year.year)));
        let status = if set.year.status == crate::domain::YearStatus::Official { "official" } else { "provisional" };
        entry.insert("status".into(), Value::String(status.into()));
        if !set.year.source.is_empty() {
            entry.insert("source".into(), Value::String(set.year.source.clone()));
        }
        entry.insert("days_off".into(), days(crate::domain::DayKind::Off));
        entry.insert("working_days".into(), days(crate::domain::DayKind::Worked));
        entries.push(Value::Table(entry));
    }
    office.insert("calendar".into(), Value::Array(entries));
}

/// The `prices` of each `[[resources.items]]` the file lists, as the store's prices leave them.
fn item_prices(doc: &mut Table, supplies: &[crate::domain::Supply]) {
    let Some(Value::Array(resources)) = doc.get_mut("resources") else { return };
    for resource in resources.iter_mut().filter_map(Value::as_table_mut) {
        let Some(supply) =
            resource.get("id").and_then(Value::as_str).and_then(|id| supplies.iter().find(|s| s.id.as_str() == id))
        else {
            continue;
        };
        let Some(Value::Array(items)) = resource.get_mut("items") else { continue };
        for entry in items.iter_mut().filter_map(Value::as_table_mut) {
            let Some(item) = entry.get("id").and_then(Value::as_str).and_then(|id| supply.item(id)) else { continue };
            let prices = item
                .prices
                .iter()
                .map(|p| {
                    let mut price = Table::new();
                    price.insert("from".into(), Value::String(p.from.to_string()));
                    price.insert("vnd".into(), Value::Float(p.vnd));
                    Value::Table(price)
                })
                .collect();
            entry.insert("prices".into(), Value::Array(prices));
        }
    }
}

/// The `[[resources.norms]]` of each resource the file lists, as the store's norms leave them.
fn norms(doc: &mut Table, supplies: &[crate::domain::Supply]) {
    let Some(Value::Array(resources)) = doc.get_mut("resources") else { return };
    for resource in resources.iter_mut().filter_map(Value::as_table_mut) {
        let Some(supply) =
            resource.get("id").and_then(Value::as_str).and_then(|id| supplies.iter().find(|s| s.id.as_str() == id))
        else {
            continue;
        };
        let entries = supply
            .norms
            .iter()
            .map(|n| {
                let mut entry = Table::new();
                entry.insert("from".into(), Value::String(n.from.to_string()));
                entry.insert("per".into(), Value::String(n.basis.as_str().into()));
                entry.insert("every".into(), Value::String(n.every.as_str().into()));
                entry.insert("amount".into(), Value::Float(n.amount));
                entry.insert("measure".into(), Value::String(n.measure.as_str().into()));
                entry.insert("regulation".into(), Value::String(n.regulation.clone()));
                entry.insert("regulation_date".into(), Value::String(n.regulation_date.to_string()));
                if let Some(d) = &n.department {
                    entry.insert("department".into(), Value::String(d.to_string()));
                }
                Value::Table(entry)
            })
            .collect();
        resource.insert("norms".into(), Value::Array(entries));
    }
}

/// A `[[tariffs]]` entry as the config file writes it.
fn tariff_entry(tariff: &crate::config::Tariff) -> Value {
    let mut entry = Table::new();
    entry.insert("resource".into(), Value::String(tariff.resource.to_string()));
    entry.insert("from".into(), Value::String(tariff.from.to_string()));
    entry.insert("per".into(), Value::String(tariff.per.clone()));
    match tariff.scheme.parts() {
        (Some(time_of_use), _) => {
            entry.insert("time_of_use".into(), Value::try_from(time_of_use).expect("time-of-use prices are TOML"));
        }
        (_, Some(blocks)) => {
            entry.insert("blocks".into(), Value::try_from(blocks).expect("blocks are TOML"));
        }
        (None, None) => {
            entry.insert("price_vnd".into(), Value::Float(tariff.price_vnd));
        }
    }
    if !tariff.note.is_empty() {
        entry.insert("note".into(), Value::String(tariff.note.clone()));
    }
    Value::Table(entry)
}

/// An `[[emission_factors]]` entry as the config file writes it.
fn factor_entry(factor: &crate::config::EmissionFactor) -> Value {
    let mut entry = Table::new();
    entry.insert("resource".into(), Value::String(factor.resource.to_string()));
    entry.insert("year".into(), Value::Integer(i64::from(factor.year)));
    entry.insert("value".into(), Value::Float(factor.value));
    entry.insert("unit".into(), Value::String(factor.unit.clone()));
    if let Some(kg) = factor.kg_per_ream {
        entry.insert("kg_per_ream".into(), Value::Float(kg));
    }
    if !factor.source.is_empty() {
        entry.insert("source".into(), Value::String(factor.source.clone()));
    }
    Value::Table(entry)
}
