//! A period's cost at the prices in force each day: one price times the day's use; electricity
//! at time-of-use prices from the hour's use in each band (Asia/Ho_Chi_Minh local hours); in
//! monthly blocks from the office's whole calendar month (the bill's), a day's use at that
//! month's average price. Pure functions of figures; `progress` asks the store for them.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

use super::progress::{BaselineFigure, Cost, Forecast, ForecastMethod, TargetFigure};
use crate::config::{Plan, Tariff};
use crate::domain::{PriceScheme, Resource};

/// The use a scheme prices beyond each day's: the hours (for time-of-use prices) and the
/// office's month totals (for blocks), each fetched only when a tariff needs it.
#[derive(Debug, Default)]
pub struct SchemeUse {
    /// Per local day, each local hour (0–23) with its use.
    pub hours: BTreeMap<Date, Vec<(usize, f64)>>,
    /// The office's use of each local calendar month, by its first day.
    pub months: BTreeMap<Date, f64>,
}

impl SchemeUse {
    /// `hours` are (start, use) of consecutive hours.
    pub fn with_hours(mut self, hours: impl IntoIterator<Item = (Timestamp, f64)>, tz: &TimeZone) -> SchemeUse {
        for (start, amount) in hours {
            let local = start.to_zoned(tz.clone());
            self.hours.entry(local.date()).or_default().push((local.hour() as usize, amount));
        }
        self
    }

    /// `days` are the office's use per local day.
    pub fn with_months(mut self, days: &[(Date, f64)]) -> SchemeUse {
        for (day, amount) in days {
            *self.months.entry(day.first_of_month()).or_default() += amount;
        }
        self
    }
}

/// Which extra figures the tariffs in force over `[from, to]` days need: (hours, months).
pub fn needs(plan: &Plan, resource: Resource, from: Date, to: Date) -> (bool, bool) {
    let later = plan.tariffs.iter().filter(|t| t.resource == resource && t.from > from && t.from <= to);
    plan.tariff(resource, from).into_iter().chain(later).fold((false, false), |(hours, months), t| match t.scheme {
        PriceScheme::Flat => (hours, months),
        PriceScheme::TimeOfUse(_) => (true, months),
        PriceScheme::Blocks(_) => (hours, true),
    })
}

/// The figures priced at the projection's price.
pub struct Projected<'a> {
    pub forecast: Option<&'a Forecast>,
    pub baseline: Option<&'a BaselineFigure>,
    pub target: Option<&'a TargetFigure>,
}

/// A day's use at `tariff`.
fn day_cost(tariff: &Tariff, day: Date, amount: f64, used: &SchemeUse) -> f64 {
    match &tariff.scheme {
        PriceScheme::Flat => amount * tariff.vnd_per_unit,
        PriceScheme::TimeOfUse(tou) => match used.hours.get(&day) {
            Some(hours) => {
                let sunday = day.weekday() == Weekday::Sunday;
                hours.iter().map(|&(hour, kwh)| tou.hour_cost(sunday, hour, kwh)).sum()
            }
            None => amount * tariff.vnd_per_unit,
        },
        PriceScheme::Blocks(blocks) => match used.months.get(&day.first_of_month()) {
            Some(&month) if month > 0.0 => amount * blocks.month_cost(month) / month,
            _ => amount * tariff.vnd_per_unit,
        },
    }
}

/// The period's cost: each day at the tariff in force that day; forecast, baseline and target
/// at the tariff in force on `last_day` (with time-of-use prices or blocks, at the average
/// price actually paid so far, else the headline price).
pub fn cost(
    plan: &Plan,
    resource: Resource,
    days: &[(Date, f64)],
    used: &SchemeUse,
    last_day: Date,
    projected: Projected<'_>,
) -> Option<Cost> {
    let Projected { forecast, baseline, target } = projected;
    let projection = plan.tariff(resource, last_day)?.clone();
    let mut tariffs: Vec<Tariff> = Vec::new();
    let (mut actual_vnd, mut priced, mut unpriced) = (0.0, 0.0, 0.0);
    for (day, amount) in days {
        match plan.tariff(resource, *day) {
            Some(t) => {
                actual_vnd += day_cost(t, *day, *amount, used);
                priced += amount;
                if *amount > 0.0 && !tariffs.contains(t) {
                    tariffs.push(t.clone());
                }
            }
            None => unpriced += amount,
        }
    }
    let unit_price = match projection.scheme {
        PriceScheme::Flat => projection.vnd_per_unit,
        _ if priced > 0.0 => actual_vnd / priced,
        _ => projection.vnd_per_unit,
    };
    let price = |amount: f64| amount * unit_price;
    let forecast_vnd = forecast.map(|f| match f.method {
        ForecastMethod::Final => actual_vnd,
        _ => actual_vnd + price(f.amount - days.iter().map(|(_, a)| a).sum::<f64>()),
    });
    Some(Cost {
        actual_vnd,
        forecast_vnd,
        baseline_vnd: baseline.map(|b| price(b.amount)),
        target_vnd: target.map(|t| price(t.amount)),
        tariffs,
        projection_tariff: projection,
        unpriced,
    })
}
