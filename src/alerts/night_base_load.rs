//! The rule "night base load above its usual level": what an electricity meter draws in the
//! small hours (the median of 00:00–05:00) against the median of the same figure over the
//! previous two weeks' nights. A server room's new heater, air conditioning left on in a room
//! nobody uses: things no working-hours figure shows.

use jiff::Timestamp;

use super::rules::{condition, date_error, en, for_meter, last_whole_night, vi};
use crate::analysis::figures::FigureError;
use crate::analysis::waste::{Hourly, NIGHT_HOURS, nights};
use crate::config::Config;
use crate::domain::consumption::HOUR_MS;
use crate::domain::period::local_midnight;
use crate::domain::{AlertRule, Condition, Resource, Severity, TimeRange};
use crate::store::{Resolution, StoreReads};

/// The nights the usual level is learned from.
const LEARN_NIGHTS: i64 = 14;
/// Fewer nights with any use than this, and there is no usual level yet.
const MIN_NIGHTS: usize = 7;
/// A rise smaller than this (kW) is noise, whatever its ratio.
const MIN_RISE_KW: f64 = 0.2;

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) { (values[middle - 1] + values[middle]) / 2.0 } else { values[middle] })
}

/// Each electricity meter whose last whole night's base load is above
/// `alerts.night_base_load_ratio` times the median of the nights before it.
pub async fn night_base_load(
    store: &dyn StoreReads,
    config: &Config,
    now: Timestamp,
) -> Result<Vec<Condition>, FigureError> {
    let tz = &config.office.timezone;
    let last_night = last_whole_night(now, tz)?;
    let last_end = local_midnight(last_night, tz)?.as_millisecond() + i64::from(NIGHT_HOURS.end) * HOUR_MS;
    let first = local_midnight(last_night.checked_sub(jiff::Span::new().days(LEARN_NIGHTS)).map_err(date_error)?, tz)?;
    let range = TimeRange::new(first, Timestamp::from_millisecond(last_end).map_err(date_error)?)?;
    let ratio = config.alerts.night_base_load_ratio;
    let mut found = Vec::new();
    for meter in config.meters.iter().filter(|m| m.resource == Resource::Electricity) {
        if config.alerts.settings_for(meter).off.contains(&AlertRule::NightBaseLoad) {
            continue;
        }
        // The night counts only once the meter has reported after it: its hours are then whole.
        if store.readings(meter.id.clone(), last_end, i64::MAX, 1).await?.is_empty() {
            continue;
        }
        let rows = store.consumption(vec![meter.id.clone()], range, Resolution::Hour).await?;
        let mut bases: Vec<(jiff::civil::Date, f64)> = nights(&Hourly::from_rows(&range, &rows), tz)
            .into_iter()
            // A night without any use is a night without readings (a building always draws).
            .filter(|(_, hours)| hours.iter().any(|kwh| *kwh > 0.0))
            .filter_map(|(date, mut hours)| median(&mut hours).map(|base| (date, base)))
            .collect();
        let Some((latest, base)) = bases.pop().filter(|(date, _)| *date == last_night) else { continue };
        if bases.len() < MIN_NIGHTS {
            continue;
        }
        let Some(usual) = median(&mut bases.iter().map(|(_, b)| *b).collect::<Vec<_>>()) else { continue };
        if base <= usual * ratio || base - usual < MIN_RISE_KW {
            continue;
        }
        let night = latest.strftime("%d/%m/%Y");
        let rise = (base / usual.max(f64::MIN_POSITIVE) - 1.0) * 100.0;
        let message = format!(
            "{}: điện nền đêm {night} là {} kW, cao hơn {}% so với mức thường ({} kW, trung vị {} đêm trước)",
            meter.name,
            vi(base, 2),
            vi(rise, 0),
            vi(usual, 2),
            bases.len(),
        );
        let message_en = format!(
            "{}: night base load on {night} was {} kW, {}% above its usual level ({} kW, median of the {} nights before)",
            meter.name,
            en(base, 2),
            en(rise, 0),
            en(usual, 2),
            bases.len(),
        );
        let key = format!("night_base_load/{}", meter.id);
        let condition = condition(AlertRule::NightBaseLoad, key, Severity::Warning, message, message_en);
        found.push(for_meter(condition, meter, base));
    }
    Ok(found)
}
