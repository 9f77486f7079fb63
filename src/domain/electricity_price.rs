//! How EVN prices a kWh for an office: one price (a state administrative office, by voltage
//! level), time-of-use prices (giờ bình thường / cao điểm / thấp điểm, with hours that differ
//! between Monday–Saturday and Sunday) or stepped monthly blocks (bậc thang). The hours and
//! prices are the admin's to copy from the bill or EVN's notice: the Ministry revises them, so
//! none are built in. A scheme is checked once here, from the shape the config, the API and
//! the store all write.

use serde::{Deserialize, Serialize};

/// Half-hours in a day: windows are given to the half hour.
const SLOTS: usize = 48;

/// A time-of-use band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Giờ bình thường.
    Normal,
    /// Giờ cao điểm.
    Peak,
    /// Giờ thấp điểm.
    OffPeak,
}

impl Band {
    pub fn vietnamese(self) -> &'static str {
        match self {
            Band::Normal => "giờ bình thường",
            Band::Peak => "giờ cao điểm",
            Band::OffPeak => "giờ thấp điểm",
        }
    }
}

/// Hours of a band, as written: `from` to `to` (HH:MM on the hour or half hour, `to` may be
/// 24:00); a window whose `to` is before its `from` runs past midnight (22:00–04:00).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub from: String,
    pub to: String,
    pub band: Band,
}

/// Time-of-use prices as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeOfUseSpec {
    pub normal_vnd: f64,
    pub peak_vnd: f64,
    pub off_peak_vnd: f64,
    pub monday_saturday: Vec<Window>,
    pub sunday: Vec<Window>,
}

/// A block of a month's use: kWh above the previous block's bound up to `up_to_kwh` (none:
/// the last block, open-ended) at `price_vnd` a kWh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Block {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_to_kwh: Option<f64>,
    pub price_vnd: f64,
}

/// The days a window list is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayGroup {
    MondayToSaturday,
    Sunday,
}

impl DayGroup {
    fn english(self) -> &'static str {
        match self {
            DayGroup::MondayToSaturday => "Monday–Saturday",
            DayGroup::Sunday => "Sunday",
        }
    }
    fn vietnamese(self) -> &'static str {
        match self {
            DayGroup::MondayToSaturday => "thứ Hai–thứ Bảy",
            DayGroup::Sunday => "Chủ nhật",
        }
    }
}

/// Why a scheme was refused; each says what to fix, in English and Vietnamese.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemeError {
    /// A price that is negative or not a number; names the price.
    NotAPrice {
        en: &'static str,
        vi: &'static str,
        value: f64,
    },
    /// A window time not on the hour or half hour.
    NotATime {
        group: DayGroup,
        text: String,
    },
    /// A window from a time to the same time.
    EmptyWindow {
        group: DayGroup,
        at: String,
    },
    /// Two windows both cover the half hour starting at `at`.
    Overlap {
        group: DayGroup,
        at: String,
    },
    /// No window covers the half hour starting at `at`.
    Gap {
        group: DayGroup,
        at: String,
    },
    NoBlocks,
    /// Both time-of-use prices and blocks were given.
    Both,
    /// Block `row` (from 1) has a bound not above the one before (or not a positive number).
    NotIncreasing {
        row: usize,
    },
    /// A block before the last has no bound, or the last has one.
    OpenEnd {
        row: usize,
    },
}

impl SchemeError {
    pub fn english(&self) -> String {
        match self {
            SchemeError::NotAPrice { en, value, .. } => format!("the {en} {value} is not a price: give VND, 0 or more"),
            SchemeError::NotATime { group, text } => {
                format!("`{text}` ({}) is not a time on the hour or half hour: write it as 09:30", group.english())
            }
            SchemeError::EmptyWindow { group, at } => {
                format!("a {} window runs from {at} to {at}: give it an end", group.english())
            }
            SchemeError::Overlap { group, at } => {
                format!("two {} windows both cover {at}: each half hour belongs to one window", group.english())
            }
            SchemeError::Gap { group, at } => {
                format!("no {} window covers {at}: the windows must cover 00:00–24:00", group.english())
            }
            SchemeError::NoBlocks => "no blocks given: give at least one, the last without a bound".into(),
            SchemeError::Both => "both time-of-use prices and blocks given: an electricity price is one of them".into(),
            SchemeError::NotIncreasing { row } => {
                format!("block {row}'s bound is not above the one before: bounds must increase")
            }
            SchemeError::OpenEnd { row } => {
                format!("block {row}: every block but the last needs a bound, and the last has none")
            }
        }
    }

    pub fn vietnamese(&self) -> String {
        match self {
            SchemeError::NotAPrice { vi, value, .. } => {
                format!("{vi} {value} không phải là giá: hãy nhập số đồng từ 0 trở lên")
            }
            SchemeError::NotATime { group, text } => {
                format!("`{text}` ({}) không phải là giờ tròn hoặc rưỡi: hãy viết như 09:30", group.vietnamese())
            }
            SchemeError::EmptyWindow { group, at } => {
                format!("Khung giờ ({}) từ {at} đến {at} không có độ dài: hãy sửa giờ kết thúc", group.vietnamese())
            }
            SchemeError::Overlap { group, at } => format!(
                "Các khung giờ ({}) chồng lên nhau lúc {at}: mỗi nửa giờ chỉ thuộc một khung",
                group.vietnamese()
            ),
            SchemeError::Gap { group, at } => {
                format!("Các khung giờ ({}) bỏ trống lúc {at}: các khung phải phủ kín 00:00–24:00", group.vietnamese())
            }
            SchemeError::NoBlocks => "Chưa có bậc nào: hãy nhập ít nhất một bậc, bậc cuối không có giới hạn".into(),
            SchemeError::Both => "Đã nhập cả giá theo giờ và giá bậc thang: một mức giá điện chỉ theo một cách".into(),
            SchemeError::NotIncreasing { row } => {
                format!("Giới hạn của bậc {row} không lớn hơn bậc trước: giới hạn các bậc phải tăng dần")
            }
            SchemeError::OpenEnd { row } => {
                format!("Bậc {row}: mọi bậc trừ bậc cuối phải có giới hạn kWh, bậc cuối thì không")
            }
        }
    }
}

fn check_price(value: f64, en: &'static str, vi: &'static str) -> Result<f64, SchemeError> {
    if value.is_finite() && value >= 0.0 { Ok(value) } else { Err(SchemeError::NotAPrice { en, vi, value }) }
}

/// `HH:MM` on the hour or half hour as a half-hour index; 24:00 is 48.
fn slot(text: &str, group: DayGroup) -> Result<usize, SchemeError> {
    let not_a_time = || SchemeError::NotATime { group, text: text.trim().to_owned() };
    let (h, m) = text.trim().split_once(':').ok_or_else(not_a_time)?;
    let (h, m): (usize, usize) = (h.parse().map_err(|_| not_a_time())?, m.parse().map_err(|_| not_a_time())?);
    let index = match m {
        0 => h * 2,
        30 => h * 2 + 1,
        _ => return Err(not_a_time()),
    };
    if index > SLOTS { Err(not_a_time()) } else { Ok(index) }
}

fn slot_name(index: usize) -> String {
    format!("{:02}:{:02}", index / 2, index % 2 * 30)
}

/// The band of each half hour of a day, from windows that cover the day exactly once.
fn bands(windows: &[Window], group: DayGroup) -> Result<[Band; SLOTS], SchemeError> {
    let mut day: [Option<Band>; SLOTS] = [None; SLOTS];
    for w in windows {
        let (from, to) = (slot(&w.from, group)?, slot(&w.to, group)?);
        if from == to {
            return Err(SchemeError::EmptyWindow { group, at: slot_name(from) });
        }
        // 00:00–24:00 is the whole day; 22:00–04:00 runs past midnight.
        let length = match (to + SLOTS - from) % SLOTS {
            0 => SLOTS,
            n => n,
        };
        for at in (from..from + length).map(|i| i % SLOTS) {
            if day[at].replace(w.band).is_some() {
                return Err(SchemeError::Overlap { group, at: slot_name(at) });
            }
        }
    }
    let mut out = [Band::Normal; SLOTS];
    for (at, band) in day.iter().enumerate() {
        out[at] = band.ok_or_else(|| SchemeError::Gap { group, at: slot_name(at) })?;
    }
    Ok(out)
}

/// Checked time-of-use prices.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeOfUse {
    spec: TimeOfUseSpec,
    monday_saturday: [Band; SLOTS],
    sunday: [Band; SLOTS],
}

impl TimeOfUse {
    pub fn new(spec: TimeOfUseSpec) -> Result<TimeOfUse, SchemeError> {
        check_price(spec.normal_vnd, "normal-hours price", "Giá giờ bình thường")?;
        check_price(spec.peak_vnd, "peak price", "Giá giờ cao điểm")?;
        check_price(spec.off_peak_vnd, "off-peak price", "Giá giờ thấp điểm")?;
        let monday_saturday = bands(&spec.monday_saturday, DayGroup::MondayToSaturday)?;
        let sunday = bands(&spec.sunday, DayGroup::Sunday)?;
        Ok(TimeOfUse { spec, monday_saturday, sunday })
    }

    pub fn spec(&self) -> &TimeOfUseSpec {
        &self.spec
    }

    fn price(&self, band: Band) -> f64 {
        match band {
            Band::Normal => self.spec.normal_vnd,
            Band::Peak => self.spec.peak_vnd,
            Band::OffPeak => self.spec.off_peak_vnd,
        }
    }

    /// The cost of `kwh` used in the local hour starting at `hour` (0–23) of a day; an hour
    /// split between two bands at the half hour is taken as used evenly.
    pub fn hour_cost(&self, sunday: bool, hour: usize, kwh: f64) -> f64 {
        let day = if sunday { &self.sunday } else { &self.monday_saturday };
        let (first, second) = (day[(hour * 2) % SLOTS], day[(hour * 2 + 1) % SLOTS]);
        kwh / 2.0 * (self.price(first) + self.price(second))
    }
}

/// Checked monthly blocks: bounds increasing, the last open-ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Blocks(Vec<Block>);

impl Blocks {
    pub fn new(blocks: Vec<Block>) -> Result<Blocks, SchemeError> {
        if blocks.is_empty() {
            return Err(SchemeError::NoBlocks);
        }
        let mut previous = 0.0;
        for (i, block) in blocks.iter().enumerate() {
            let row = i + 1;
            check_price(block.price_vnd, "block price", "Giá của bậc")?;
            match (block.up_to_kwh, row == blocks.len()) {
                (None, true) => {}
                (Some(_), true) | (None, false) => return Err(SchemeError::OpenEnd { row }),
                (Some(bound), false) => {
                    if !(bound.is_finite() && bound > previous) {
                        return Err(SchemeError::NotIncreasing { row });
                    }
                    previous = bound;
                }
            }
        }
        Ok(Blocks(blocks))
    }

    pub fn blocks(&self) -> &[Block] {
        &self.0
    }

    /// The cost of a month's `kwh`: each block's share at its price.
    pub fn month_cost(&self, kwh: f64) -> f64 {
        let mut lower = 0.0;
        let mut cost = 0.0;
        for block in &self.0 {
            let upper = block.up_to_kwh.unwrap_or(f64::INFINITY);
            cost += (kwh.min(upper) - lower).max(0.0) * block.price_vnd;
            lower = upper;
        }
        cost
    }
}

/// How a price from a date prices electricity.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum PriceScheme {
    /// One price a kWh (the tariff's own).
    #[default]
    Flat,
    TimeOfUse(TimeOfUse),
    Blocks(Blocks),
}

impl PriceScheme {
    /// The scheme that the written parts give: neither is a flat price.
    pub fn from_parts(
        time_of_use: Option<TimeOfUseSpec>,
        blocks: Option<Vec<Block>>,
    ) -> Result<PriceScheme, SchemeError> {
        match (time_of_use, blocks) {
            (None, None) => Ok(PriceScheme::Flat),
            (Some(spec), None) => Ok(PriceScheme::TimeOfUse(TimeOfUse::new(spec)?)),
            (None, Some(blocks)) => Ok(PriceScheme::Blocks(Blocks::new(blocks)?)),
            (Some(_), Some(_)) => Err(SchemeError::Both),
        }
    }

    /// The written parts again: (time of use, blocks).
    pub fn parts(&self) -> (Option<&TimeOfUseSpec>, Option<&[Block]>) {
        match self {
            PriceScheme::Flat => (None, None),
            PriceScheme::TimeOfUse(t) => (Some(&t.spec), None),
            PriceScheme::Blocks(b) => (None, Some(&b.0)),
        }
    }

    /// The price shown as the tariff's one figure: the normal-hours price, or the first block's.
    pub fn headline_vnd(&self) -> Option<f64> {
        match self {
            PriceScheme::Flat => None,
            PriceScheme::TimeOfUse(t) => Some(t.spec.normal_vnd),
            PriceScheme::Blocks(b) => b.0.first().map(|b| b.price_vnd),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(from: &str, to: &str, band: Band) -> Window {
        Window { from: from.into(), to: to.into(), band }
    }

    fn spec(monday_saturday: Vec<Window>) -> TimeOfUseSpec {
        TimeOfUseSpec {
            normal_vnd: 2000.0,
            peak_vnd: 3000.0,
            off_peak_vnd: 1000.0,
            monday_saturday,
            sunday: vec![w("00:00", "24:00", Band::Normal)],
        }
    }

    #[test]
    fn windows_that_overlap_or_leave_a_gap_are_refused_in_vietnamese() {
        let overlap = TimeOfUse::new(spec(vec![w("22:00", "04:00", Band::OffPeak), w("03:30", "22:00", Band::Normal)]))
            .unwrap_err();
        assert_eq!(
            overlap.vietnamese(),
            "Các khung giờ (thứ Hai–thứ Bảy) chồng lên nhau lúc 03:30: mỗi nửa giờ chỉ thuộc một khung"
        );
        let gap = TimeOfUse::new(spec(vec![w("22:00", "04:00", Band::OffPeak), w("04:00", "21:30", Band::Normal)]))
            .unwrap_err();
        assert_eq!(
            gap.vietnamese(),
            "Các khung giờ (thứ Hai–thứ Bảy) bỏ trống lúc 21:30: các khung phải phủ kín 00:00–24:00"
        );
        let quarter = TimeOfUse::new(spec(vec![w("00:00", "09:15", Band::Normal)])).unwrap_err();
        assert!(quarter.vietnamese().starts_with("`09:15` (thứ Hai–thứ Bảy) không phải là giờ tròn"));
        let mut negative = spec(vec![w("00:00", "00:00", Band::Normal)]);
        negative.peak_vnd = -1.0;
        assert_eq!(
            TimeOfUse::new(negative).unwrap_err().vietnamese(),
            "Giá giờ cao điểm -1 không phải là giá: hãy nhập số đồng từ 0 trở lên"
        );
    }

    #[test]
    fn blocks_must_increase_and_end_open() {
        let b = |up_to_kwh: Option<f64>, price_vnd: f64| Block { up_to_kwh, price_vnd };
        let err = Blocks::new(vec![b(Some(100.0), 1.0), b(Some(100.0), 2.0), b(None, 3.0)]).unwrap_err();
        assert_eq!(err.vietnamese(), "Giới hạn của bậc 2 không lớn hơn bậc trước: giới hạn các bậc phải tăng dần");
        assert_eq!(Blocks::new(vec![b(Some(50.0), 1.0)]).unwrap_err(), SchemeError::OpenEnd { row: 1 });
        assert_eq!(
            Blocks::new(vec![b(Some(50.0), -5.0), b(None, 1.0)]).unwrap_err().vietnamese(),
            "Giá của bậc -5 không phải là giá: hãy nhập số đồng từ 0 trở lên"
        );
        // 50 kWh at 1 000 and 30 more at 1 500: 50 000 + 45 000.
        let blocks = Blocks::new(vec![b(Some(50.0), 1000.0), b(Some(100.0), 1500.0), b(None, 2000.0)]).unwrap();
        assert_eq!(blocks.month_cost(80.0), 95_000.0);
    }

    #[test]
    fn an_hour_split_at_the_half_hour_is_priced_half_and_half() {
        let tou = TimeOfUse::new(spec(vec![
            w("22:00", "04:00", Band::OffPeak),
            w("04:00", "09:30", Band::Normal),
            w("09:30", "11:30", Band::Peak),
            w("11:30", "22:00", Band::Normal),
        ]))
        .unwrap();
        // 09:00–10:00: half normal (2 000), half peak (3 000).
        assert_eq!(tou.hour_cost(false, 9, 10.0), 25_000.0);
        assert_eq!(tou.hour_cost(false, 23, 10.0), 10_000.0);
        assert_eq!(tou.hour_cost(true, 10, 10.0), 20_000.0);
    }
}
