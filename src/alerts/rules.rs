//! The rules: what the figures say now, as conditions. Each rule reads what it needs from the
//! store (or ingest's status) and words each condition in Vietnamese and English.

use jiff::{SignedDuration, Timestamp, Zoned};

use crate::analysis::figures::FigureError;
use crate::analysis::progress::{ProgressQuery, Status, progress_with};
use crate::analysis::series::select_meters;
use crate::analysis::waste::{Hourly, NIGHT_HOURS, is_working_hour};
use crate::config::Config;
use crate::domain::consumption::HOUR_MS;
use crate::domain::period::local_midnight;
use crate::domain::{AlertRule, Condition, Meter, MeterId, NamedPeriod, Resource, Severity, TimeRange};
use crate::ingest::broker::drops::LastDrop;
use crate::locale::{self, Lang};
use crate::store::{OutboxStatus, Resolution, StoreReads};

/// Nights looked back at to say since when water has been running.
const LEAK_LOOKBACK_NIGHTS: i64 = 7;
/// The working hours an off-hours stretch is compared with.
const WORKING_LOOKBACK_DAYS: i64 = 14;
/// An off-hours stretch is judged once it has this many whole hours, and over at most a day.
const OFF_HOURS_MIN: usize = 2;
const OFF_HOURS_MAX: usize = 24;
/// A meter is silent after this many times its expected interval (unless configured).
pub const SILENT_GRACE: f64 = 1.5;
/// How many rejected items the two rejected-input rules look through each round.
const REJECTED_SCAN: usize = 5000;
/// How long the embedded broker's dropping messages stays an alert after the last drop.
const BROKER_DROPS_WINDOW: SignedDuration = SignedDuration::from_mins(15);

pub(super) fn vi(value: f64, decimals: usize) -> String {
    locale::number(value, decimals, Lang::Vi)
}

pub(super) fn en(value: f64, decimals: usize) -> String {
    locale::number(value, decimals, Lang::En)
}

pub(super) fn condition(
    rule: AlertRule,
    key: String,
    severity: Severity,
    message: String,
    message_en: String,
) -> Condition {
    Condition {
        rule,
        key,
        resource: None,
        meter: None,
        department: None,
        severity,
        last_value: None,
        message,
        message_en,
        once: false,
        night: Vec::new(),
    }
}

pub(super) fn for_meter(c: Condition, meter: &Meter, value: f64) -> Condition {
    Condition {
        resource: Some(meter.resource),
        meter: Some(meter.id.clone()),
        department: meter.department.clone(),
        last_value: Some(value),
        ..c
    }
}

/// The date of the last night whose hours (00:00–05:00) are all over at `now`.
pub(super) fn last_whole_night(now: Timestamp, tz: &jiff::tz::TimeZone) -> Result<jiff::civil::Date, FigureError> {
    let local = now.to_zoned(tz.clone());
    if local.hour() >= NIGHT_HOURS.end { Ok(local.date()) } else { local.date().yesterday().map_err(date_error) }
}

pub(super) fn date_error(e: jiff::Error) -> FigureError {
    FigureError::BadQuery(format!("a date out of range: {e}"))
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Night water flow that never reached zero in the last whole night (00:00–05:00), with the
/// litres lost since the first such night in a row and their cost.
pub async fn night_leak(
    store: &dyn StoreReads,
    config: &Config,
    now: Timestamp,
) -> Result<Vec<Condition>, FigureError> {
    let tz = &config.office.timezone;
    let last_night = last_whole_night(now, tz)?;
    let today = now.to_zoned(tz.clone()).date();
    let mut found = Vec::new();
    for meter in config.meters.iter().filter(|m| m.resource == Resource::Water) {
        let settings = config.alerts.settings_for(meter);
        if settings.off.contains(&AlertRule::NightLeak) {
            continue;
        }
        let threshold_m3 = settings.leak_litres_per_hour / 1000.0;
        let last_start = local_midnight(last_night, tz)?.as_millisecond();
        let last_end = last_start + i64::from(NIGHT_HOURS.end) * HOUR_MS;
        // The night counts only once the meter has reported after it: its hours are then whole.
        if store.readings(meter.id.clone(), last_end, i64::MAX, 1).await?.is_empty() {
            continue;
        }
        let first = local_midnight(
            last_night.checked_sub(jiff::Span::new().days(LEAK_LOOKBACK_NIGHTS)).map_err(date_error)?,
            tz,
        )?;
        let range = TimeRange::new(first, ts(last_end))?;
        let rows = store.consumption(vec![meter.id.clone()], range, Resolution::Hour).await?;
        let nights = crate::analysis::waste::nights(&Hourly::from_rows(&range, &rows), tz);
        let mut running = nights.iter().rev().take_while(|(_, hours)| hours.iter().all(|v| *v >= threshold_m3));
        let Some((latest, latest_hours)) = running.next() else { continue };
        if *latest != last_night {
            continue;
        }
        let since_date = running.last().map(|(date, _)| *date).unwrap_or(*latest);
        let since = local_midnight(since_date, tz)?;
        let rate_m3 = latest_hours.iter().copied().fold(f64::INFINITY, f64::min);
        let hours = now.duration_since(since).as_secs_f64() / 3600.0;
        let lost_m3 = rate_m3 * hours;
        let litres = lost_m3 * 1000.0;
        // The price in force, entered in the app or the config's, per m³ whatever unit it is given in.
        let plan = crate::analysis::plan_in_force::in_force(store, config).await?;
        let price = plan.tariff(Resource::Water, today).map(|t| t.vnd_per_unit);
        let (cost_vi, cost_en) = match price {
            Some(p) => (format!(" (≈ {} đồng)", vi(lost_m3 * p, 0)), format!(" (≈ {} VND)", en(lost_m3 * p, 0))),
            None => (String::new(), String::new()),
        };
        let message = format!(
            "{}: nước chảy suốt đêm {}, thấp nhất {} lít/giờ; ước tính đã mất {} lít{} kể từ {}",
            meter.name,
            last_night.strftime("%d/%m/%Y"),
            vi(rate_m3 * 1000.0, 1),
            vi(litres, 0),
            cost_vi,
            locale::date_time(since, tz, Lang::Vi),
        );
        let message_en = format!(
            "{}: water ran all night on {}, at least {} L/h; about {} L lost{} since {}",
            meter.name,
            last_night.strftime("%d/%m/%Y"),
            en(rate_m3 * 1000.0, 1),
            en(litres, 0),
            cost_en,
            locale::date_time(since, tz, Lang::En),
        );
        let key = format!("night_leak/{}", meter.id);
        let night =
            latest_hours.iter().zip(NIGHT_HOURS).map(|(m3, hour)| (latest.at(hour, 0, 0, 0), m3 * 1000.0)).collect();
        found.push(Condition {
            night,
            ..for_meter(condition(AlertRule::NightLeak, key, Severity::Critical, message, message_en), meter, litres)
        });
    }
    Ok(found)
}

/// Each department's electricity in the current stretch outside working hours (nights,
/// weekends, holidays), per hour, above a share of its usual working-hours use per hour.
pub async fn off_hours(store: &dyn StoreReads, config: &Config, now: Timestamp) -> Result<Vec<Condition>, FigureError> {
    let mut found = Vec::new();
    for department in &config.departments {
        let own = config
            .meters
            .iter()
            .filter(|m| m.resource == Resource::Electricity && m.department.as_ref() == Some(&department.id));
        let Some(first) = own.clone().next() else { continue };
        let settings = config.alerts.settings_for(first);
        if settings.off.contains(&AlertRule::OffHours) {
            continue;
        }
        let meters = select_meters(&config.meters, Resource::Electricity, Some(&department.id));
        let Some(stretch) = off_hours_stretch(store, config, meters, now).await? else { continue };
        let share = stretch.off_per_hour / stretch.working_per_hour;
        if share <= settings.off_hours_share {
            continue;
        }
        let hours = stretch.hours;
        let message = format!(
            "{}: dùng điện ngoài giờ làm việc {} kWh/giờ trong {hours} giờ qua, bằng {} % mức trong giờ làm việc ({} kWh/giờ); tổng {} kWh",
            department.name,
            vi(stretch.off_per_hour, 1),
            vi(share * 100.0, 0),
            vi(stretch.working_per_hour, 1),
            vi(stretch.total, 1)
        );
        let message_en = format!(
            "{}: electricity outside working hours {} kWh/h over the last {hours} hours, {} % of its working-hours use ({} kWh/h); {} kWh in all",
            department.name,
            en(stretch.off_per_hour, 1),
            en(share * 100.0, 0),
            en(stretch.working_per_hour, 1),
            en(stretch.total, 1)
        );
        let key = format!("off_hours/{}", department.id);
        let mut c = condition(AlertRule::OffHours, key, Severity::Warning, message, message_en);
        c.resource = Some(Resource::Electricity);
        c.department = Some(department.id.clone());
        c.last_value = Some(stretch.total);
        found.push(c);
    }
    Ok(found)
}

/// The whole hours since working hours last ended (at most a day), against the working hours
/// of the last two weeks.
struct Stretch {
    hours: usize,
    total: f64,
    off_per_hour: f64,
    working_per_hour: f64,
}

async fn off_hours_stretch(
    store: &dyn StoreReads,
    config: &Config,
    meters: Vec<MeterId>,
    now: Timestamp,
) -> Result<Option<Stretch>, FigureError> {
    let office = &config.office;
    let now_hour = now.as_millisecond() - now.as_millisecond().rem_euclid(HOUR_MS);
    let range = TimeRange::new(ts(now_hour - WORKING_LOOKBACK_DAYS * 24 * HOUR_MS), ts(now_hour))?;
    let rows = store.consumption(meters, range, Resolution::Hour).await?;
    let hourly = Hourly::from_rows(&range, &rows);
    let working = |start: &Zoned| office.is_working_day(start.date()) && is_working_hour(office, start);
    let local = |i: usize| ts(range.from_ms() + i as i64 * HOUR_MS).to_zoned(office.timezone.clone());
    let (mut working_sum, mut working_hours) = (0.0, 0u32);
    for (i, value) in hourly.values.iter().enumerate() {
        if working(&local(i)) && *value > 0.0 {
            working_sum += value;
            working_hours += 1;
        }
    }
    let stretch: Vec<f64> = (0..hourly.values.len())
        .rev()
        .take_while(|i| !working(&local(*i)))
        .take(OFF_HOURS_MAX)
        .map(|i| hourly.values[i])
        .collect();
    if working_hours == 0 || stretch.len() < OFF_HOURS_MIN {
        return Ok(None);
    }
    let total: f64 = stretch.iter().sum();
    Ok(Some(Stretch {
        hours: stretch.len(),
        total,
        off_per_hour: total / stretch.len() as f64,
        working_per_hour: working_sum / f64::from(working_hours),
    }))
}

/// Meters silent past [`SILENT_GRACE`] times their expected interval (or the configured
/// `silent_after_minutes`).
pub async fn silent_meters(
    store: &dyn StoreReads,
    config: &Config,
    now: Timestamp,
) -> Result<Vec<Condition>, FigureError> {
    let status = store.meter_status().await?;
    let tz = &config.office.timezone;
    let mut found = Vec::new();
    for meter in &config.meters {
        // A retired meter has stopped for good: its silence is expected.
        if config.retired_meters.get(&meter.id).is_some_and(|from| *from <= now) {
            continue;
        }
        let settings = config.alerts.settings_for(meter);
        // Half an interval's grace: a meter reporting hourly whose message comes a minute late
        // is not silent.
        let Some(after) = settings.silent_after.or(meter.expected_interval.map(|i| i.mul_f64(SILENT_GRACE))) else {
            continue;
        };
        if settings.off.contains(&AlertRule::SilentMeter) {
            continue;
        }
        let Some(seen) = status.iter().find(|s| s.meter == meter.id).and_then(|s| s.last_seen) else { continue };
        let silent = now.duration_since(seen);
        if silent <= SignedDuration::try_from(after).unwrap_or(SignedDuration::MAX) {
            continue;
        }
        let minutes = silent.as_secs_f64() / 60.0;
        let span = std::time::Duration::try_from(silent).unwrap_or_default();
        let message = format!(
            "{}: không gửi số liệu từ {} (đã {})",
            meter.name,
            locale::date_time(seen, tz, Lang::Vi),
            locale::span(span, Lang::Vi)
        );
        let message_en = format!(
            "{}: silent since {} ({})",
            meter.name,
            locale::date_time(seen, tz, Lang::En),
            locale::span(span, Lang::En)
        );
        let key = format!("silent_meter/{}", meter.id);
        found.push(for_meter(
            condition(AlertRule::SilentMeter, key, Severity::Warning, message, message_en),
            meter,
            minutes,
        ));
    }
    Ok(found)
}

/// The office's forecast for the current month, quarter and year crossing its target (status
/// "có nguy cơ" or "không đạt"): raised once per period.
pub async fn forecast(store: &dyn StoreReads, config: &Config, now: Timestamp) -> Result<Vec<Condition>, FigureError> {
    let plan = crate::analysis::plan_in_force::in_force(store, config).await?;
    let today = now.to_zoned(config.office.timezone.clone()).date();
    let (year, month) = (today.year(), today.month());
    let periods =
        [NamedPeriod::Month(year, month), NamedPeriod::Quarter(year, (month - 1) / 3 + 1), NamedPeriod::Year(year)];
    let mut found = Vec::new();
    for resource in [Resource::Electricity, Resource::Water, Resource::Paper] {
        if config.alerts.settings_for_resource(resource).off.contains(&AlertRule::Forecast) {
            continue;
        }
        for period in periods {
            let query = ProgressQuery { resource, department: None, period };
            let progress = progress_with(store, config, &plan, &query, now).await?;
            let status = match progress.status {
                Some(status @ (Status::CoNguyCo | Status::KhongDat)) => status,
                _ => continue,
            };
            let (Some(forecast), Some(target)) = (&progress.forecast, &progress.target) else { continue };
            let unit_vi = locale::unit(resource, Lang::Vi);
            let unit_en = locale::unit(resource, Lang::En);
            let message = format!(
                "{} kỳ {period}: {}, dự báo {} {unit_vi}, mục tiêu {} {unit_vi}",
                locale::resource_name(resource, Lang::Vi),
                status.vietnamese(),
                vi(forecast.amount, 0),
                vi(target.amount, 0)
            );
            let message_en = format!(
                "{} for {period}: {}, forecast {} {unit_en}, target {} {unit_en}",
                locale::resource_name(resource, Lang::En),
                status.english(),
                en(forecast.amount, 0),
                en(target.amount, 0)
            );
            let severity = if status == Status::KhongDat { Severity::Critical } else { Severity::Warning };
            let key = format!("forecast/{}/{period}", resource.as_str());
            let mut c = condition(AlertRule::Forecast, key, severity, message, message_en);
            c.resource = Some(resource);
            c.last_value = Some(forecast.amount);
            c.once = true;
            found.push(c);
        }
    }
    Ok(found)
}

/// Readings held for review longer than allowed, and rejected input piling up from one topic
/// within the last hour. Returns the conditions of both rules.
pub async fn rejected_input(
    store: &dyn StoreReads,
    config: &Config,
    now: Timestamp,
) -> Result<Vec<Condition>, FigureError> {
    let held_before = now - SignedDuration::try_from(config.alerts.held_after).unwrap_or(SignedDuration::MAX);
    let hour_ago = now - SignedDuration::from_hours(1);
    let (mut held, mut oldest_held) = (0u64, None::<Timestamp>);
    let mut by_topic: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    let mut before = None;
    let mut scanned = 0;
    loop {
        let (page, _) = store.rejected_page(before, 500).await?;
        for item in &page {
            if item.reason == "held_for_review" {
                if item.received_at < held_before {
                    held += 1;
                    oldest_held = Some(oldest_held.map_or(item.received_at, |t: Timestamp| t.min(item.received_at)));
                }
            } else if item.received_at >= hour_ago {
                let from = item.topic.clone().unwrap_or_else(|| item.source.clone());
                *by_topic.entry(from).or_default() += 1;
            }
        }
        scanned += page.len();
        match page.last() {
            Some(last) if page.len() == 500 && scanned < REJECTED_SCAN => before = Some(last.id),
            _ => break,
        }
    }
    let mut found = Vec::new();
    let tz = &config.office.timezone;
    if let Some(oldest) = oldest_held {
        let message = format!(
            "{held} số liệu chờ xem xét quá {} giờ (cũ nhất nhận lúc {}): mở trang Số liệu bị từ chối để chấp nhận hoặc loại bỏ",
            config.alerts.held_after.as_secs() / 3600,
            locale::date_time(oldest, tz, Lang::Vi)
        );
        let message_en = format!(
            "{held} readings held for review for over {} hours (oldest received {}): accept or reject them on the Rejected readings page",
            config.alerts.held_after.as_secs() / 3600,
            locale::date_time(oldest, tz, Lang::En)
        );
        let mut c = condition(AlertRule::HeldReadings, "held_readings".into(), Severity::Warning, message, message_en);
        c.last_value = Some(held as f64);
        found.push(c);
    }
    for (topic, count) in by_topic.into_iter().filter(|(_, n)| *n >= config.alerts.rejected_per_hour) {
        let message = format!("{count} bản tin từ {topic} bị từ chối trong một giờ qua");
        let message_en = format!("{count} messages from {topic} rejected in the last hour");
        let key = format!("rejected_input/{topic}");
        let mut c = condition(AlertRule::RejectedInput, key, Severity::Warning, message, message_en);
        c.last_value = Some(count as f64);
        found.push(c);
    }
    Ok(found)
}

/// The store cannot take a write, or its disk has less free space than `store.min_free_mb`.
pub async fn store_health(store: &dyn StoreReads, config: &Config) -> Vec<Condition> {
    let mut found = Vec::new();
    if let Err(e) = store.check().await {
        found.push(condition(
            AlertRule::StoreUnwritable,
            "store_unwritable".into(),
            Severity::Critical,
            format!("Không ghi được dữ liệu vào kho: {e}"),
            format!("The store cannot take writes: {e}"),
        ));
    }
    let path = config.store.embedded_path();
    if let Ok(free) = crate::store::disk::free_bytes(path)
        && free < config.store_min_free_bytes
    {
        let mb = free as f64 / 1_048_576.0;
        let mut c = condition(
            AlertRule::StoreUnwritable,
            "store_unwritable/disk".into(),
            Severity::Critical,
            format!("Ổ đĩa của kho dữ liệu sắp đầy: còn {} MB", vi(mb, 0)),
            format!("The store's disk is nearly full: {} MB free", en(mb, 0)),
        );
        c.last_value = Some(mb);
        found.push(c);
    }
    found
}

/// The InfluxDB outbox has waited past its alert age.
pub fn influx_outbox(outbox: Option<&OutboxStatus>, now: Timestamp) -> Vec<Condition> {
    let Some(outbox) = outbox else { return Vec::new() };
    let snapshot = outbox.snapshot();
    if !outbox.overdue(&snapshot, now) {
        return Vec::new();
    }
    let pending = snapshot.pending as f64;
    let mut c = condition(
        AlertRule::InfluxOutbox,
        "influx_outbox".into(),
        Severity::Warning,
        format!("{} điểm chờ ghi vào InfluxDB quá thời hạn cảnh báo (số liệu vẫn an toàn trong kho)", vi(pending, 0)),
        format!("{} points have waited for InfluxDB past the alert age (nothing is lost)", en(pending, 0)),
    );
    c.last_value = Some(pending);
    vec![c]
}

/// The external broker's session was lost within the last hour (`lost_at`: when Xanh last saw
/// the count of lost sessions grow).
pub fn mqtt_session(lost_at: Option<Timestamp>, lost: u64, now: Timestamp) -> Vec<Condition> {
    match lost_at {
        Some(at) if now.duration_since(at) < SignedDuration::from_hours(1) => {
            let mut c = condition(
                AlertRule::MqttSession,
                "mqtt_session".into(),
                Severity::Critical,
                "Mất phiên với máy chủ MQTT: bản tin gửi trong lúc mất phiên có thể không đến".into(),
                "The MQTT broker lost Xanh's session: messages sent meanwhile may be missing".into(),
            );
            c.last_value = Some(lost as f64);
            vec![c]
        }
        _ => Vec::new(),
    }
}

/// The embedded broker dropped messages for a subscriber that fell behind (Home Assistant, a
/// dashboard) within the last 15 minutes. Xanh's own readings are stored at the gate and not
/// affected; the other subscriber missed them.
pub fn broker_drops(last: Option<&LastDrop>, dropped: u64, now: Timestamp) -> Vec<Condition> {
    match last {
        Some(drop) if now.duration_since(drop.at) < BROKER_DROPS_WINDOW => {
            let mut c = condition(
                AlertRule::BrokerDrops,
                "broker_drops".into(),
                Severity::Warning,
                format!(
                    "Máy chủ MQTT nội bộ đã bỏ {} bản tin của một thiết bị nhận chậm (bộ lọc {}); số liệu của Xanh không bị mất. Nếu cần, dùng Mosquitto",
                    vi(dropped as f64, 0),
                    drop.filter
                ),
                format!(
                    "The embedded MQTT broker dropped {} messages for a slow subscriber (filter {}); Xanh's readings are not affected. Use Mosquitto if that subscriber needs them all",
                    en(dropped as f64, 0),
                    drop.filter
                ),
            );
            c.last_value = Some(dropped as f64);
            vec![c]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_drops_stay_an_alert_for_15_minutes_after_the_last_drop() {
        let at: Timestamp = "2026-12-01T01:00:00Z".parse().unwrap();
        let drop = LastDrop { at, filter: "bulk/#".into() };
        let later = |minutes: i64| at + SignedDuration::from_mins(minutes);
        let raised = broker_drops(Some(&drop), 5000, later(14));
        assert_eq!(raised.len(), 1);
        assert_eq!((raised[0].rule, raised[0].last_value), (AlertRule::BrokerDrops, Some(5000.0)));
        assert!(raised[0].message.contains("5.000") && raised[0].message.contains("bulk/#"), "{}", raised[0].message);
        assert!(broker_drops(Some(&drop), 5000, later(15)).is_empty(), "resolved 15 minutes after the last drop");
        assert!(broker_drops(None, 0, later(0)).is_empty(), "no drop, no alert");
    }
}
