//! How a figure was computed, in words and numbers a person can check by hand ("Cách tính"):
//! the actual to date, the baseline and where it came from, its scaling to the period, the
//! calendar years it counted on, the target rule, the saving, the forecast and the status.
//! The API carries it as `explain`; the pages show its lines.

use serde::Serialize;

use super::progress::{BaselineFigure, BaselineSource, ForecastMethod, Progress, Status};
use crate::config::Basis;
use crate::domain::{CalendarYear, Resource};
use crate::locale::{self, Lang};

/// One step of the computation, in Vietnamese and in English.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExplainLine {
    /// actual, baseline, calendar, target, saving, forecast, status, refused.
    pub key: &'static str,
    pub vi: String,
    pub en: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Explain {
    pub lines: Vec<ExplainLine>,
    /// The years a working-day baseline counted days off for, and how each is known.
    pub calendar: Vec<CalendarYear>,
    /// Why no baseline was computed, when one could not be: the message names the key to set.
    pub baseline_refused: Option<String>,
}

/// A working-day baseline refused: no holiday calendar for these years.
#[derive(Debug, Clone, PartialEq)]
pub struct NoCalendar {
    pub years: Vec<i16>,
    pub resource: Resource,
}

impl NoCalendar {
    /// Why, and the keys to set.
    pub fn message(&self, lang: Lang) -> String {
        let years = self.years.iter().map(i16::to_string).collect::<Vec<_>>().join(", ");
        let resource = self.resource.as_str();
        match lang {
            Lang::Vi => format!(
                "Chưa có lịch ngày nghỉ lễ năm {years}: không tính mốc cơ sở theo ngày làm việc \
                 (baselines.{resource} = \"per_working_day\"). Khai báo các ngày nghỉ năm {years} \
                 trong office.holidays (YYYY-MM-DD) và ngày làm bù trong office.make_up_days, \
                 hoặc đặt baselines.{resource} = \"total\"."
            ),
            Lang::En => format!(
                "There is no holiday calendar for {years}: no baseline by working days \
                 (baselines.{resource} = \"per_working_day\"). List that year's days off in \
                 office.holidays (YYYY-MM-DD) and weekend days worked in office.make_up_days, \
                 or set baselines.{resource} = \"total\"."
            ),
        }
    }
}

impl Explain {
    pub fn line(&self, key: &str) -> Option<&ExplainLine> {
        self.lines.iter().find(|l| l.key == key)
    }
}

/// A basis' unit in words: ngày, ngày làm việc, người-ngày, m²-ngày.
fn basis_unit(basis: Basis, lang: Lang) -> &'static str {
    match basis {
        Basis::Total => lang.pick("ngày", "days"),
        Basis::PerWorkingDay => lang.pick("ngày làm việc", "working days"),
        Basis::PerPerson => lang.pick("người-ngày", "person-days"),
        Basis::PerM2 => lang.pick("m²-ngày", "m²-days"),
    }
}

/// A count of days (whole, or to the hundredth for a part of a day).
fn count(value: f64, lang: Lang) -> String {
    let decimals = if (value - value.round()).abs() < 1e-9 { 0 } else { 2 };
    locale::number(value, decimals, lang)
}

fn percent(value: f64, lang: Lang) -> String {
    format!("{} %", locale::number(value, 1, lang))
}

/// Every step of `p`, in both languages. `calendar` is the years behind a working-day
/// baseline; `refused` why there is no baseline, if there is a reason to give.
pub fn of_progress(p: &Progress, calendar: Vec<CalendarYear>, refused: Option<NoCalendar>) -> Explain {
    let mut lines = Vec::new();
    let both =
        |key: &'static str, make: &dyn Fn(Lang) -> String| ExplainLine { key, vi: make(Lang::Vi), en: make(Lang::En) };
    let q = |v: f64, lang: Lang| locale::quantity(p.resource, v, lang);
    let day =
        |text: &str| text.get(..10).map(|d| format!("{}/{}/{}", &d[8..10], &d[5..7], &d[..4])).unwrap_or_default();
    lines.push(both("actual", &|lang| {
        format!(
            "{} {} {} {}: {}",
            lang.pick("Thực tế: dùng từ", "Actual: used from"),
            day(&p.from),
            lang.pick("đến", "to"),
            p.as_of.get(11..16).map(|t| format!("{t} {}", day(&p.as_of))).unwrap_or_default(),
            q(p.actual, lang)
        )
    }));
    if let Some(reason) = &refused {
        lines.push(both("refused", &|lang| reason.message(lang)));
    }
    if let Some(b) = &p.baseline {
        lines.push(both("baseline", &|lang| baseline_line(b, p, lang)));
    }
    if !calendar.is_empty() {
        lines.push(both("calendar", &|lang| {
            let years: Vec<String> = calendar
                .iter()
                .map(|y| {
                    let status = match lang {
                        Lang::Vi => y.status.vietnamese(),
                        Lang::En => y.status.english(),
                    };
                    format!("{} {}: {status}", lang.pick("năm", "year"), y.year)
                })
                .collect();
            format!("{} {}", lang.pick("Lịch ngày nghỉ lễ, Tết:", "Public holiday calendar:"), years.join("; "))
        }));
    }
    if let (Some(t), Some(b)) = (&p.target, &p.baseline) {
        lines.push(both("target", &|lang| {
            let scope = match (t.department_rule, t.rule_period) {
                (true, Some(period)) => {
                    format!("{} {period}", lang.pick("riêng của phòng, kỳ", "the department's own, for"))
                }
                (true, None) => lang.pick("riêng của phòng, mọi kỳ", "the department's own, every period").to_owned(),
                (false, Some(period)) => format!("{} {period}", lang.pick("toàn văn phòng, kỳ", "office-wide, for")),
                (false, None) => lang.pick("toàn văn phòng, mọi kỳ", "office-wide, every period").to_owned(),
            };
            format!(
                "{} {} ({}: {scope}; {}): {} × (100 % − {}) = {}",
                lang.pick("Mục tiêu: tiết kiệm", "Target: save"),
                percent(t.saving_percent, lang),
                lang.pick("quy tắc", "rule"),
                lang.pick("kế hoạch tiết kiệm, trang Kế hoạch", "the saving plan, Plan page"),
                q(b.amount, lang),
                percent(t.saving_percent, lang),
                q(t.amount, lang)
            )
        }));
    }
    if let (Some(s), Some(b)) = (p.saving_percent, &p.baseline) {
        lines.push(both("saving", &|lang| {
            format!(
                "{} ({} − {}) / {} = {}",
                lang.pick("Tiết kiệm đến nay:", "Saved to date:"),
                q(b.to_date, lang),
                q(p.actual, lang),
                q(b.to_date, lang),
                percent(s, lang)
            )
        }));
    }
    if let Some(f) = &p.forecast {
        lines.push(both("forecast", &|lang| match (f.method, &p.last_year) {
            (ForecastMethod::Final, _) => {
                format!("{} {}", lang.pick("Kỳ đã kết thúc: dự báo bằng thực tế,", "The period is over: the forecast is the actual,"), q(f.amount, lang))
            }
            (ForecastMethod::LastYear, Some(ly)) => {
                let pace = if ly.to_date > 0.0 && p.actual > 0.0 { p.actual / ly.to_date } else { 1.0 };
                format!(
                    "{} {} + ({} − {}) × {} = {}",
                    lang.pick(
                        "Dự báo theo cùng kỳ năm trước (phần còn lại của năm trước, nhân nhịp độ năm nay):",
                        "Forecast from last year (the rest of last year's period at this year's pace):"
                    ),
                    q(p.actual, lang),
                    q(ly.total, lang),
                    q(ly.to_date, lang),
                    locale::number(pace, 3, lang),
                    q(f.amount, lang)
                )
            }
            _ => format!(
                "{} {}",
                lang.pick(
                    "Dự báo theo xu hướng (bình quân mỗi ngày làm việc và mỗi ngày nghỉ đến nay, nhân các ngày còn lại):",
                    "Forecast from the trend (the average working day and day off so far, over the days left):"
                ),
                q(f.amount, lang)
            ),
        }));
    }
    if let (Some(status), Some(t)) = (p.status, &p.target) {
        lines.push(both("status", &|lang| status_line(status, p, t.amount, lang)));
    }
    Explain { lines, calendar, baseline_refused: refused.map(|r| r.message(Lang::Vi)) }
}

fn baseline_line(b: &BaselineFigure, p: &Progress, lang: Lang) -> String {
    let q = |v: f64| locale::quantity(p.resource, v, lang);
    let source = match b.source {
        BaselineSource::Computed => lang.pick("tính từ số liệu công tơ", "computed from the meters").to_owned(),
        BaselineSource::Entered if b.note.is_empty() => lang.pick("nhập tay", "entered by hand").to_owned(),
        BaselineSource::Entered => format!("{}: {}", lang.pick("nhập tay", "entered by hand"), b.note),
    };
    let unit = basis_unit(b.basis, lang);
    format!(
        "{} {} {} {} ({source}) × {} / {} {unit} = {} {}; {} × {} / {} {unit} = {}",
        lang.pick("Mốc cơ sở:", "Baseline:"),
        q(b.reference_amount),
        lang.pick("trong kỳ", "over"),
        b.reference,
        count(b.period_weight, lang),
        count(b.reference_weight, lang),
        q(b.amount),
        lang.pick("cả kỳ", "for the period"),
        lang.pick("đến nay", "to date"),
        count(b.to_date_weight, lang),
        count(b.reference_weight, lang),
        q(b.to_date)
    )
}

fn status_line(status: Status, p: &Progress, target: f64, lang: Lang) -> String {
    let q = |v: f64| locale::quantity(p.resource, v, lang);
    let word = match lang {
        Lang::Vi => status.vietnamese(),
        Lang::En => status.english(),
    };
    let forecast = p.forecast.as_ref().map(|f| f.amount).unwrap_or(p.actual);
    let baseline = p.baseline.as_ref().map(|b| b.amount).unwrap_or_default();
    let rule = match (status, p.finished) {
        (Status::Dat, true) => format!(
            "{} {} ≤ {} {}",
            lang.pick("thực tế", "actual"),
            q(p.actual),
            lang.pick("mục tiêu", "target"),
            q(target)
        ),
        (Status::KhongDat, true) => format!(
            "{} {} > {} {}",
            lang.pick("thực tế", "actual"),
            q(p.actual),
            lang.pick("mục tiêu", "target"),
            q(target)
        ),
        (Status::Dat, false) => format!(
            "{} {} ≤ {} {}",
            lang.pick("dự báo", "forecast"),
            q(forecast),
            lang.pick("mục tiêu", "target"),
            q(target)
        ),
        (Status::CoNguyCo, _) => format!(
            "{} {} > {} {} {} ≤ {} {}",
            lang.pick("dự báo", "forecast"),
            q(forecast),
            lang.pick("mục tiêu", "target"),
            q(target),
            lang.pick("nhưng", "but"),
            lang.pick("mốc cơ sở", "baseline"),
            q(baseline)
        ),
        (Status::KhongDat, false) => format!(
            "{} {} > {} {}",
            lang.pick("dự báo", "forecast"),
            q(forecast),
            lang.pick("mốc cơ sở", "baseline"),
            q(baseline)
        ),
    };
    format!("{} {word}: {rule}", lang.pick("Trạng thái:", "Status:"))
}
