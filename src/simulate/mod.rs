//! A simulated office: realistic readings for every configured meter, published over MQTT (or
//! written straight into the store to seed a long history). The demo, the tests and the
//! benchmarks all use it.
//!
//! Working hours are 7:00–11:30 and 13:30–17:00 on weekdays, with a lunch dip; nights and
//! weekends run at base load. Electricity follows floor area, water and printing follow
//! headcount. A meter above others (a building main meter) reads what its sub-meters read
//! plus the common areas' use, so the figures add up the way a real building's do.

mod publisher;

use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::config::Config;
use crate::domain::period::{local_midnight, local_rfc3339};
use crate::domain::{
    Calendar, Conversion, DocumentCount, Format, Meter, MeterId, MeterKind, Month, Origin, Resource, SHEETS_PER_REAM,
    Source, Topic,
};
use crate::ingest::Pipeline;
use crate::ingest::formats::RawValue;
use crate::store::{Store, StoreReads};
use publisher::Publisher;

/// Where simulated readings go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Mqtt,
    Store,
}

#[derive(Debug, Clone)]
pub struct SimulateOptions {
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub interval: Duration,
    /// Go on publishing live at this pace after the history; `None` stops after it.
    pub live_every: Option<Duration>,
    pub target: Target,
    pub seed: u64,
    /// Most messages a second to publish over MQTT.
    pub rate: u32,
}

/// One simulated reading, in the unit the meter reports in.
#[derive(Debug, Clone, PartialEq)]
pub struct SimReading {
    pub meter: MeterId,
    pub topic: Topic,
    pub ts: Timestamp,
    pub value: f64,
}

impl SimReading {
    /// The generic-format payload a device would send.
    pub fn payload(&self) -> String {
        format!(r#"{{"value": {}, "ts": "{}"}}"#, self.value, self.ts)
    }
}

/// How busy the office is at a local time: 1 in working hours, a dip at lunch, 0 at night
/// and at weekends.
pub fn occupancy(local: &jiff::Zoned) -> f64 {
    if matches!(local.weekday(), Weekday::Saturday | Weekday::Sunday) {
        return 0.0;
    }
    let hour = f64::from(local.hour()) + f64::from(local.minute()) / 60.0;
    match hour {
        h if (6.5..7.0).contains(&h) => 0.4,
        h if (7.0..11.5).contains(&h) => 1.0,
        h if (11.5..13.5).contains(&h) => 0.35,
        h if (13.5..17.0).contains(&h) => 1.0,
        h if (17.0..18.0).contains(&h) => 0.25,
        _ => 0.0,
    }
}

/// What one meter serves, for its own load.
#[derive(Debug, Clone, Copy, Default)]
struct Served {
    headcount: f64,
    area_m2: f64,
    /// A building meter also carries halls, lifts, pumps and the server room.
    common: bool,
}

struct SimMeter {
    id: MeterId,
    topic: Topic,
    resource: Resource,
    kind: MeterKind,
    conversion: Conversion,
    served: Served,
    children: Vec<usize>,
    /// Canonical register value (counters) or amount not yet issued (delta meters).
    register: f64,
    rng: u64,
    /// How heavily its department uses what it has (0,7–1,3): departments differ.
    intensity: f64,
    /// The share of the working load left running after hours: lights and air conditioning
    /// nobody switches off (the demo office's wasteful department).
    left_on: f64,
    /// Water running at night for a week: the demo office's leak.
    leak: Option<Leak>,
    /// Where its register wraps back to zero, as configured.
    register_max: Option<f64>,
}

/// The demo leak's flow, m³ an hour.
const DEMO_LEAK_PER_HOUR: f64 = 0.4;

/// A leak: `per_hour` canonical units running from 22:00 to 05:00 on the nights that begin
/// on the days of `[first, first + 7 days)`.
#[derive(Debug, Clone, Copy)]
struct Leak {
    first: Date,
    per_hour: f64,
}

impl Leak {
    fn running(&self, local: &jiff::Zoned) -> bool {
        let night_of = if local.hour() < 5 { local.date().yesterday().ok() } else { Some(local.date()) };
        let in_week = night_of.is_some_and(|d| {
            d >= self.first && self.first.checked_add(jiff::Span::new().days(7)).is_ok_and(|end| d < end)
        });
        in_week && (local.hour() >= 22 || local.hour() < 5)
    }
}

impl SimMeter {
    fn noise(&mut self) -> f64 {
        // xorshift64*: deterministic per meter and seed, no dependency needed.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let x = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        0.8 + 0.4 * ((x >> 11) as f64 / (1u64 << 53) as f64)
    }

    /// Canonical amount per hour used by what this meter serves itself (not its children).
    fn own_rate(&self, occupancy: f64, local: &jiff::Zoned) -> f64 {
        let leak = match self.leak {
            Some(leak) if leak.running(local) => leak.per_hour,
            _ => 0.0,
        };
        let occupancy = occupancy.max(self.left_on);
        self.intensity * self.base_rate(occupancy) + leak
    }

    fn base_rate(&self, occupancy: f64) -> f64 {
        let s = self.served;
        let common = if s.common { 1.0 } else { 0.0 };
        match self.resource {
            // Lights, air conditioning and computers by floor area; standby at night.
            Resource::Electricity => s.area_m2 * (2.5 + 37.5 * occupancy) / 1000.0 + common * (3.0 + 6.0 * occupancy),
            // About 40 litres a person a working day, plus cleaning.
            Resource::Water => s.headcount * 0.006 * occupancy + common * 0.03 * occupancy,
            // Pages printed.
            Resource::Paper => s.headcount * 2.5 * occupancy,
        }
    }
}

/// The simulated office: one register per configured meter.
pub struct Model {
    meters: Vec<SimMeter>,
    /// Children before parents, so a parent can add up what its children used.
    order: Vec<usize>,
    tz: TimeZone,
    /// Days the office is closed although they fall on a weekday.
    calendar: Calendar,
}

fn seed_for(id: &str, seed: u64) -> u64 {
    // FNV-1a of the id, mixed with the seed; never zero, which xorshift cannot leave.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (hash ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1
}

impl Model {
    pub fn new(config: &Config, seed: u64) -> Model {
        let index: HashMap<&MeterId, usize> = config.meters.iter().enumerate().map(|(i, m)| (&m.id, i)).collect();
        let mut meters: Vec<SimMeter> = config
            .meters
            .iter()
            .map(|m| {
                let rng = seed_for(m.id.as_str(), seed);
                let start = match m.resource {
                    Resource::Electricity => 10_000.0 + (rng % 40_000) as f64,
                    Resource::Water => 1_000.0 + (rng % 4_000) as f64,
                    Resource::Paper => 20_000.0 + (rng % 80_000) as f64,
                };
                SimMeter {
                    id: m.id.clone(),
                    topic: m.topic.clone(),
                    resource: m.resource,
                    kind: m.kind,
                    conversion: m.conversion,
                    served: served_by(m, config),
                    children: Vec::new(),
                    register: if m.kind == MeterKind::Counter { start } else { 0.0 },
                    rng,
                    intensity: 1.0,
                    left_on: 0.0,
                    leak: None,
                    register_max: m.register_max,
                }
            })
            .collect();
        for (i, m) in config.meters.iter().enumerate() {
            if let Some(parent) = m.parent.as_ref().and_then(|p| index.get(p)) {
                meters[*parent].children.push(i);
            }
        }
        let mut order = Vec::with_capacity(meters.len());
        let mut placed = vec![false; meters.len()];
        fn place(i: usize, meters: &[SimMeter], placed: &mut [bool], order: &mut Vec<usize>) {
            if placed[i] {
                return;
            }
            placed[i] = true;
            for &child in &meters[i].children {
                place(child, meters, placed, order);
            }
            order.push(i);
        }
        for i in 0..meters.len() {
            place(i, &meters, &mut placed, &mut order);
        }
        Model { meters, order, tz: config.office.timezone.clone(), calendar: config.office.calendar.clone() }
    }

    /// The demo office: departments use what they have more or less heavily (0,7–1,3 times),
    /// the largest department with its own electricity meter leaves half its load running
    /// after hours, and the building's water meter leaks at night for the week that begins on
    /// `leak_from`. What the department, waste and leak pages are there to find.
    pub fn demo(mut self, leak_from: Date) -> Model {
        for meter in self.meters.iter_mut().filter(|m| !m.served.common) {
            meter.intensity = 0.7 + 0.6 * ((meter.rng >> 20) % 1000) as f64 / 1000.0;
        }
        let wasteful = self
            .meters
            .iter()
            .enumerate()
            .filter(|(_, m)| m.resource == Resource::Electricity && m.served.area_m2 > 0.0 && !m.served.common)
            .max_by(|(_, a), (_, b)| a.served.area_m2.total_cmp(&b.served.area_m2))
            .map(|(i, _)| i);
        if let Some(i) = wasteful {
            self.meters[i].left_on = 0.5;
        }
        let building_water = self.meters.iter_mut().find(|m| m.resource == Resource::Water && m.served.common);
        if let Some(meter) = building_water {
            meter.leak = Some(Leak { first: leak_from, per_hour: DEMO_LEAK_PER_HOUR });
        }
        self
    }

    /// From now on `meter`'s department leaves `share` of its working load running after hours
    /// (air conditioning nobody switches off any more).
    pub fn leave_on(&mut self, meter: &MeterId, share: f64) {
        if let Some(meter) = self.meters.iter_mut().find(|m| m.id == *meter) {
            meter.left_on = share;
        }
    }

    /// The demo leak (400 L an hour, 22:00–05:00, for a week of nights from `first`) behind
    /// `meter` instead (a department's sub-meter: its parent sees it too).
    pub fn with_leak(mut self, meter: &MeterId, first: Date) -> Model {
        if let Some(leaking) = self.meters.iter_mut().find(|m| m.id == *meter) {
            leaking.leak = Some(Leak { first, per_hour: DEMO_LEAK_PER_HOUR });
        }
        self
    }

    /// A clerk's reading of the building's electricity meter a minute after `at`, with its
    /// last digit dropped (725 131 typed as 72 513): held for review, never counted.
    pub fn typo(&self, at: Timestamp) -> Option<SimReading> {
        let meter = self
            .meters
            .iter()
            .find(|m| m.resource == Resource::Electricity && m.kind == MeterKind::Counter && m.served.common)?;
        let dropped = (meter.register.floor() / 10.0).floor();
        Some(SimReading {
            meter: meter.id.clone(),
            topic: meter.topic.clone(),
            ts: at.checked_add(SignedDuration::from_mins(1)).ok()?,
            value: meter.conversion.from_canonical(dropped),
        })
    }

    /// The meter whose load is left running after hours, if any.
    pub fn wasteful_meter(&self) -> Option<&MeterId> {
        self.meters.iter().find(|m| m.left_on > 0.0).map(|m| &m.id)
    }

    /// Go on from what the store holds: each counter reads on from its last stored value
    /// (canonical), so that a second run never looks like a register restarting or wrapping.
    fn continue_from(&mut self, last: &HashMap<MeterId, f64>) {
        for meter in &mut self.meters {
            if let (MeterKind::Counter, Some(value)) = (meter.kind, last.get(&meter.id)) {
                meter.register = *value;
            }
        }
    }

    /// Advance every register over `[from, to)` and return the readings taken at `to`.
    /// Delta meters give a reading only when something was issued.
    pub fn advance(&mut self, from: Timestamp, to: Timestamp) -> Vec<SimReading> {
        let mut used = vec![0.0; self.meters.len()];
        // Sub-steps of at most 5 minutes follow the working day's edges closely enough.
        let span = to.as_millisecond() - from.as_millisecond();
        let steps = (span / 300_000).max(1);
        let step_hours = span as f64 / steps as f64 / 3_600_000.0;
        for k in 0..steps {
            let mid = from.as_millisecond() + (2 * k + 1) * span / (2 * steps);
            let local = Timestamp::from_millisecond(mid).unwrap_or(from).to_zoned(self.tz.clone());
            let occ = if self.calendar.is_day_off(local.date()) { 0.0 } else { occupancy(&local) };
            // Each meter's own use only; a parent adds its children's once, below.
            for &i in &self.order {
                used[i] += self.meters[i].own_rate(occ, &local) * step_hours;
            }
        }
        let mut readings = Vec::with_capacity(self.meters.len());
        for &i in &self.order {
            let noise = self.meters[i].noise();
            // A parent adds its children's (already noisy) use to its own noisy use.
            let children: f64 = self.meters[i].children.iter().map(|&c| used[c]).sum();
            let own = used[i] * noise;
            used[i] = own + children;
            let meter = &mut self.meters[i];
            let value = match (meter.kind, meter.resource) {
                (MeterKind::Counter, Resource::Paper) => {
                    // A page counter moves in whole pages.
                    meter.register += used[i];
                    meter.register.floor()
                }
                (MeterKind::Counter, _) => {
                    meter.register += used[i];
                    // A register with a configured top wraps there, as the real one does.
                    if let Some(max) = meter.register_max.filter(|max| meter.register >= *max) {
                        meter.register -= max;
                    }
                    (meter.register * 1000.0).round() / 1000.0
                }
                (MeterKind::Delta, _) => {
                    meter.register += used[i];
                    let unit_size = meter.conversion.to_canonical(1.0).max(1.0);
                    let issue = if meter.resource == Resource::Paper { SHEETS_PER_REAM } else { unit_size };
                    if meter.register < issue {
                        continue;
                    }
                    let whole = (meter.register / issue).floor() * issue;
                    meter.register -= whole;
                    whole
                }
            };
            readings.push(SimReading {
                meter: meter.id.clone(),
                topic: meter.topic.clone(),
                ts: to,
                value: meter.conversion.from_canonical(value),
            });
        }
        readings
    }
}

/// What a meter serves itself: its department, or for a building meter every department that
/// no sub-meter below it covers.
fn served_by(meter: &Meter, config: &Config) -> Served {
    if let Some(d) = meter.department.as_ref().and_then(|d| config.department(d)) {
        return Served { headcount: f64::from(d.headcount), area_m2: d.area_m2, common: false };
    }
    let covered: Vec<_> = config
        .meters
        .iter()
        .filter(|m| m.parent.as_ref() == Some(&meter.id))
        .filter_map(|m| m.department.as_ref())
        .collect();
    let rest = config.departments.iter().filter(|d| !covered.contains(&&d.id));
    let mut served = Served { common: true, ..Served::default() };
    for d in rest {
        served.headcount += f64::from(d.headcount);
        served.area_m2 += d.area_m2;
    }
    served
}

/// Run the simulator as the command line asked.
pub async fn run(config: &Config, options: SimulateOptions) -> anyhow::Result<()> {
    let tz = &config.office.timezone;
    let now = Timestamp::now();
    let from = match options.from {
        Some(date) => local_midnight(date, tz)?,
        None => local_midnight(Date::new(now.to_zoned(tz.clone()).year(), 1, 1)?, tz)?,
    };
    let to = match options.to {
        Some(date) => local_midnight(date, tz)?.min(now),
        None => now,
    };
    let interval = SignedDuration::try_from(options.interval)?;
    // The simulator speaks the generic format only; a device's own format comes from it.
    let (generic, skipped): (Vec<Meter>, Vec<Meter>) =
        config.meters.iter().cloned().partition(|m| m.format == Format::Generic);
    if !skipped.is_empty() {
        let ids: Vec<&str> = skipped.iter().map(|m| m.id.as_str()).collect();
        eprintln!(
            "simulate: skipping meters with a device format (their devices publish for them): {}",
            ids.join(", ")
        );
    }
    let config = &Config { meters: generic, ..config.clone() };
    // The leak runs the history's last week: the waste page looks for flows that never stop
    // in the last week of its period, so the newcomer's first look finds it.
    let leak_from = to.to_zoned(tz.clone()).date().checked_sub(jiff::Span::new().days(7))?;
    let mut model = Model::new(config, options.seed).demo(leak_from);
    let store = crate::store::open(config)?.store;
    model.continue_from(&last_stored(&*store, config, from).await?);
    let months = write_documents(&*store, config, from, to, options.seed).await?;
    eprintln!("simulate: document counts for {months} department-months");
    eprintln!("simulate: {} meters, history {} → {} every {:?}", config.meters.len(), from, to, options.interval);
    match options.target {
        Target::Store => {
            let pipeline = Pipeline::new(&config.meters, config.ingest, config.office.timezone.clone());
            let last = write_history(&mut model, &*store, &pipeline, config, from, to, interval).await?;
            if let Some(typo) = model.typo(last) {
                let meter = config.meters.iter().find(|m| m.id == typo.meter).context("the typo's meter")?;
                let origin = Origin {
                    source: Source::Manual,
                    received_at: Timestamp::now(),
                    topic: None,
                    payload: typo.payload().into_bytes(),
                    sender: None,
                };
                let raw = RawValue { value: typo.value, ts: Some(typo.ts), period_start: None };
                store.write(vec![pipeline.validate(meter, raw, origin)]).await?;
            }
            if let Some(every) = options.live_every {
                eprintln!("simulate: history stored; live readings go over MQTT");
                let client = Publisher::connect(config, options.rate).await?;
                client.live(&mut model, last, every).await?;
            }
        }
        Target::Mqtt => {
            // The service holds the store; the simulator only needed to know where to go on from.
            drop(store);
            let client = Publisher::connect(config, options.rate).await?;
            let last = client.history(&mut model, from, to, interval).await?;
            if let Some(typo) = model.typo(last) {
                client.publish(vec![typo]).await?;
                client.drain().await;
            }
            if let Some(every) = options.live_every {
                client.live(&mut model, last, every).await?;
            }
        }
    }
    Ok(())
}

/// Each simulated meter's last stored value, to go on from. History that would overlap
/// stored readings is refused, naming the meters: republished from another start, their
/// counters would interleave with the stored ones and read as resets and wraps.
async fn last_stored(
    store: &dyn StoreReads,
    config: &Config,
    from: Timestamp,
) -> anyhow::Result<HashMap<MeterId, f64>> {
    let tz = &config.office.timezone;
    let simulated: Vec<&MeterId> = config.meters.iter().map(|m| &m.id).collect();
    let status: Vec<_> = store.meter_status().await?.into_iter().filter(|s| simulated.contains(&&s.meter)).collect();
    let overlapping: Vec<&str> =
        status.iter().filter(|s| s.last_ts.is_some_and(|last| last > from)).map(|s| s.meter.as_str()).collect();
    if let Some(latest) = status.iter().filter_map(|s| s.last_ts).max().filter(|_| !overlapping.is_empty()) {
        let date = latest.to_zoned(tz.clone()).date();
        let start = if local_midnight(date, tz)? < latest { date.tomorrow()? } else { date };
        anyhow::bail!(
            "simulate: the store already has readings after the start of this history ({}) for {}; \
             publishing it would mix two histories of the same meters. The last is at {}: start \
             after it with `--from {start}`, or simulate into a new store",
            local_rfc3339(from, tz),
            overlapping.join(", "),
            local_rfc3339(latest, tz)
        );
    }
    Ok(status.into_iter().filter_map(|s| Some((s.meter, s.last_value?))).collect())
}

/// E-document counts for every department and every whole month of the history that has
/// none yet (counts people entered are kept): about 8 documents a person a month, more of
/// them electronic month after month, the share differing by department.
async fn write_documents(
    store: &dyn Store,
    config: &Config,
    from: Timestamp,
    to: Timestamp,
    seed: u64,
) -> anyhow::Result<usize> {
    let tz = &config.office.timezone;
    let first = Month::of(from.to_zoned(tz.clone()).date());
    let end = Month::of(to.to_zoned(tz.clone()).date());
    let existing = store.documents(first, end).await?;
    let mut written = 0;
    let mut month = first;
    let mut index = 0u32;
    while month < end {
        for department in &config.departments {
            if existing.iter().any(|r| r.count.month == month && r.count.department == department.id) {
                continue;
            }
            let lean = (seed_for(department.id.as_str(), seed) % 30) as f64 / 100.0;
            let total = (f64::from(department.headcount) * 8.0).round() as u32;
            let share = (0.5 + lean + 0.02 * f64::from(index)).min(0.97);
            let electronic = (f64::from(total) * share).round() as u32;
            let count =
                DocumentCount { department: department.id.clone(), month, electronic, paper: total - electronic };
            store.set_documents(count, "simulate".into(), None).await?;
            written += 1;
        }
        month = month.next();
        index += 1;
    }
    Ok(written)
}

/// The grid of history times: `from + k × interval`, up to `to`.
fn grid(from: Timestamp, to: Timestamp, interval: SignedDuration) -> impl Iterator<Item = (Timestamp, Timestamp)> {
    let mut previous = from;
    std::iter::from_fn(move || {
        let next = previous.checked_add(interval).ok()?;
        if next > to {
            return None;
        }
        let step = (previous, next);
        previous = next;
        Some(step)
    })
}

fn progress(done: i64, from: Timestamp, to: Timestamp, last: &mut i64) {
    let total = (to.as_millisecond() - from.as_millisecond()).max(1);
    let percent = done * 100 / total;
    if percent >= *last + 5 {
        *last = percent;
        eprint!("\rsimulate: {percent:>3} %");
        let _ = std::io::stderr().flush();
    }
}

async fn write_history(
    model: &mut Model,
    store: &dyn Store,
    pipeline: &Pipeline,
    config: &Config,
    from: Timestamp,
    to: Timestamp,
    interval: SignedDuration,
) -> anyhow::Result<Timestamp> {
    let meters: HashMap<&MeterId, &Meter> = config.meters.iter().map(|m| (&m.id, m)).collect();
    let received_at = Timestamp::now();
    let mut batch = Vec::new();
    let mut last = from;
    let mut shown = -5;
    let mut stored = 0usize;
    for (start, end) in grid(from, to, interval) {
        for reading in model.advance(start, end) {
            let meter = meters[&reading.meter];
            let origin = Origin { source: Source::Import, received_at, topic: None, payload: Vec::new(), sender: None };
            let raw = RawValue { value: reading.value, ts: Some(reading.ts), period_start: None };
            batch.push(pipeline.validate(meter, raw, origin));
        }
        last = end;
        if batch.len() >= 20_000 {
            stored += store.write(std::mem::take(&mut batch)).await?.stored;
            progress(end.as_millisecond() - from.as_millisecond(), from, to, &mut shown);
        }
    }
    stored += store.write(batch).await?.stored;
    eprintln!("\rsimulate: stored {stored} readings");
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::parse("test.toml", crate::config::BUILT_IN_DEFAULT, &|_| None).unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_office_uses_more_at_work_than_at_night() {
        let config = config();
        let mut model = Model::new(&config, 1);
        let read = |r: &[SimReading], id: &str| r.iter().find(|r| r.meter.as_str() == id).unwrap().value;
        let t = |s: &str| at(&format!("2026-11-23T{s}:00+07:00")); // a Monday
        let midnight = model.advance(t("00:00"), t("00:00"));
        let one = model.advance(t("00:00"), t("01:00"));
        let nine = model.advance(t("01:00"), t("09:00"));
        let ten = model.advance(t("09:00"), t("10:00"));
        let night = read(&one, "dien-tong-hop") - read(&midnight, "dien-tong-hop");
        let work = read(&ten, "dien-tong-hop") - read(&nine, "dien-tong-hop");
        // 168 m² at 2.5 W/m² by night and 40 W/m² at work, give or take 20 % noise.
        assert!((0.3..0.55).contains(&night), "night {night}");
        assert!(work > 8.0 * night, "work {work}, night {night}");

        // The main meter reads what its sub-meters used plus its own common areas' use, the
        // same whatever the reading interval (an hour here, twelve 5-minute steps).
        let used = |id: &str| read(&ten, id) - read(&midnight, id);
        let subs: f64 = config
            .meters
            .iter()
            .filter(|m| m.parent.as_ref().is_some_and(|p| p.as_str() == "dien-toa-nha"))
            .map(|m| used(m.id.as_str()))
            .sum();
        assert!(used("dien-toa-nha") > subs, "main {} ≤ subs {subs}", used("dien-toa-nha"));
        let main = model.meters.iter().find(|m| m.id.as_str() == "dien-toa-nha").unwrap();
        let busiest_hour = main.own_rate(1.0, &t("10:00").to_zoned(config.office.timezone.clone()));
        let common = used("dien-toa-nha") - subs;
        assert!(
            common <= 1.2 * 10.0 * busiest_hour,
            "common areas {common} kWh over 10 h, at most {busiest_hour} an hour"
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_readings() {
        let config = config();
        let (a, b) = (at("2026-11-23T00:00:00+07:00"), at("2026-11-23T12:00:00+07:00"));
        assert_eq!(Model::new(&config, 7).advance(a, b), Model::new(&config, 7).advance(a, b));
    }

    #[test]
    fn weekends_and_nights_are_empty_offices() {
        let tz = TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
        let local = |s: &str| at(s).to_zoned(tz.clone());
        assert_eq!(occupancy(&local("2026-11-28T10:00:00+07:00")), 0.0); // Saturday
        assert_eq!(occupancy(&local("2026-11-27T10:00:00+07:00")), 1.0); // Friday morning
        assert!(occupancy(&local("2026-11-27T12:00:00+07:00")) < 0.5); // lunch
        assert_eq!(occupancy(&local("2026-11-27T22:00:00+07:00")), 0.0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_second_run_goes_on_from_the_stored_readings_and_never_overlaps_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("xanh.db").display().to_string();
        let env = |name: &str| (name == "XANH_STORE_PATH").then(|| path.clone());
        let config = Config::parse("test.toml", crate::config::BUILT_IN_DEFAULT, &env).unwrap();
        let day = |d: &str| d.parse::<Date>().unwrap();
        let options = |from: &str, to: &str, seed| SimulateOptions {
            from: Some(day(from)),
            to: Some(day(to)),
            interval: Duration::from_secs(3600),
            live_every: None,
            target: Target::Store,
            seed,
            rate: 1000,
        };
        run(&config, options("2026-10-28", "2026-11-04", 1)).await.unwrap();
        // Another run, another seed, from where the first stopped: its counters go on.
        run(&config, options("2026-11-04", "2026-11-06", 2)).await.unwrap();

        let store = crate::store::open(&config).unwrap().store;
        let (rejected, count) = store.rejected(10).await.unwrap();
        // Only each run's dropped-digit typo, held for review.
        assert_eq!(count, 2, "{rejected:?}");
        assert!(rejected.iter().all(|r| r.reason == "held_for_review" && r.meter.as_deref() == Some("dien-toa-nha")));
        // E-document counts for every department for each whole month of the history:
        // October, not November (not over).
        let counted =
            store.documents(Month::parse("2026-09").unwrap(), Month::parse("2026-12").unwrap()).await.unwrap();
        assert_eq!(counted.len(), config.departments.len(), "{counted:?}");
        assert!(counted.iter().all(|r| r.count.month == Month::parse("2026-10").unwrap() && r.count.electronic > 0));
        // The building meter (a 6-digit register) used exactly what its register rose by:
        // no restart read as a wrap or a reset.
        let meter: MeterId = "dien-toa-nha".parse().unwrap();
        let (from, to) = (local_midnight(day("2026-11-02"), &config.office.timezone).unwrap(), Timestamp::now());
        let readings = store.readings(meter.clone(), from.as_millisecond(), to.as_millisecond(), 1000).await.unwrap();
        let rise = readings.first().unwrap().value - readings.last().unwrap().value;
        let range = crate::domain::TimeRange::new(from, to).unwrap();
        let rows = store.consumption(vec![meter], range, crate::store::Resolution::Hour).await.unwrap();
        let used: f64 = rows.iter().map(|(_, amount)| amount).sum();
        assert!(rise > 0.0 && (used - rise).abs() < 1e-6, "used {used}, register rose {rise}");

        // History over stored readings is refused, naming the meters and where to start.
        let refused = run(&config, options("2026-11-05", "2026-11-07", 3)).await.unwrap_err().to_string();
        assert!(refused.contains("dien-toa-nha") && refused.contains("--from 2026-11-06"), "{refused}");
    }

    #[test]
    fn the_demo_office_has_a_wasteful_department_a_night_leak_and_holidays() {
        let config = config();
        let t = |s: &str| at(&format!("{s}+07:00"));
        let leak_from: Date = "2026-11-09".parse().unwrap();
        let mut model = Model::new(&config, 1).demo(leak_from);
        let wasteful = model.wasteful_meter().cloned().expect("one department is wasteful");
        let used = |model: &mut Model, id: &str, from: &str, to: &str| {
            let before = model.advance(t(from), t(from));
            let after = model.advance(t(from), t(to));
            let read = |r: &[SimReading]| r.iter().find(|r| r.meter.as_str() == id).unwrap().value;
            read(&after) - read(&before)
        };
        // A weekday: the wasteful department uses at night half what it uses at work; the
        // others a sixteenth (2,5 against 40 W/m²).
        let night = used(&mut model, wasteful.as_str(), "2026-11-04T22:00:00", "2026-11-04T23:00:00");
        let work = used(&mut model, wasteful.as_str(), "2026-11-05T09:00:00", "2026-11-05T10:00:00");
        assert!(night > 0.4 * work, "{wasteful}: night {night}, work {work}");
        let other = if wasteful.as_str() == "dien-tong-hop" { "dien-kinh-te" } else { "dien-tong-hop" };
        let night = used(&mut model, other, "2026-11-05T22:00:00", "2026-11-05T23:00:00");
        let work = used(&mut model, other, "2026-11-06T09:00:00", "2026-11-06T10:00:00");
        assert!(night < 0.15 * work, "{other}: night {night}, work {work}");
        // The building's water runs at 02:00 in the leak's week, not the week before.
        let leaking = used(&mut model, "nuoc-toa-nha", "2026-11-12T02:00:00", "2026-11-12T03:00:00");
        let before = used(&mut model, "nuoc-toa-nha", "2026-11-05T02:00:00", "2026-11-05T03:00:00");
        assert!(leaking > 0.3 && before < 0.01, "leak {leaking}, the week before {before}");
        // 2 September (a holiday, a Wednesday) runs at base load, not as a working day.
        assert!(config.office.calendar.is_day_off("2026-09-02".parse().unwrap()), "a holiday of the shipped calendar");
        let holiday = used(&mut model, other, "2026-09-02T09:00:00", "2026-09-02T10:00:00");
        let working = used(&mut model, other, "2026-09-03T09:00:00", "2026-09-03T10:00:00");
        assert!(holiday < 0.15 * working, "holiday {holiday}, a working day {working}");
    }

    #[test]
    fn a_register_wraps_at_its_configured_top() {
        let config = config();
        let mut model = Model::new(&config, 1);
        let main = model.meters.iter().position(|m| m.id.as_str() == "dien-toa-nha").unwrap();
        assert_eq!(model.meters[main].register_max, Some(1_000_000.0));
        model.meters[main].register = 999_990.0;
        let (a, b) = (at("2026-11-23T09:00:00+07:00"), at("2026-11-23T10:00:00+07:00"));
        let reading = model.advance(a, b).into_iter().find(|r| r.meter.as_str() == "dien-toa-nha").unwrap();
        // A working hour uses far more than 10 kWh: the register has gone round.
        assert!(reading.value < 1_000.0, "{}", reading.value);
    }
}
