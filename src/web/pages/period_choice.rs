//! The period a page shows, chosen from a list instead of typed as a code: this month, last
//! month, this quarter, this year, last year and the movement's two phases, each named as
//! a heading says it (Giai đoạn 1 (2026–06/2028)).

use jiff::ToSpan;
use jiff::civil::Date;
use maud::{Markup, html};

use crate::domain::period::{NamedPeriod, Phase};
use crate::locale::{self, Lang};

/// The page's period from its address: `default` when none is given; when the address holds
/// something else than a period, `default` and a message in the page's language.
pub(super) fn chosen(given: Option<&str>, default: NamedPeriod, lang: Lang) -> (NamedPeriod, Option<String>) {
    let Some(text) = given.map(str::trim).filter(|t| !t.is_empty()) else { return (default, None) };
    match NamedPeriod::parse(text) {
        Ok(period) => (period, None),
        Err(_) => {
            let shown = locale::period_name(default, lang);
            let message = match lang {
                Lang::Vi => format!("“{text}” không phải một kỳ: hãy chọn kỳ trong danh sách. Đang hiển thị {shown}."),
                Lang::En => format!("“{text}” is not a period: choose one from the list. Showing {shown}."),
            };
            (default, Some(message))
        }
    }
}

/// The periods offered on `today`, each with its name.
fn offered(today: Date, lang: Lang) -> Vec<(NamedPeriod, String)> {
    let month = |d: Date| NamedPeriod::Month(d.year(), d.month());
    let last_month = today.first_of_month().checked_sub(1.month()).unwrap_or(today);
    let quarter = NamedPeriod::Quarter(today.year(), (today.month() - 1) / 3 + 1);
    let choices = [
        (month(today), lang.pick("Tháng này", "This month")),
        (month(last_month), lang.pick("Tháng trước", "Last month")),
        (quarter, lang.pick("Quý này", "This quarter")),
        (NamedPeriod::Year(today.year()), lang.pick("Năm nay", "This year")),
        (NamedPeriod::Year(today.year() - 1), lang.pick("Năm trước", "Last year")),
    ];
    let mut offered: Vec<(NamedPeriod, String)> = choices
        .into_iter()
        .map(|(period, relative)| (period, format!("{relative} ({})", locale::period_name(period, lang))))
        .collect();
    for phase in [Phase::One, Phase::Two] {
        let period = NamedPeriod::Phase(phase);
        offered.push((period, locale::period_name(period, lang)));
    }
    offered
}

/// The period list of a page's form (`name="period"`), `chosen` selected; a period from the
/// address that the list does not hold (another month) joins it.
pub(super) fn select(chosen: NamedPeriod, today: Date, lang: Lang) -> Markup {
    list(lang.pick("Kỳ", "Period"), Some(chosen), None, today, lang)
}

/// A period list under `label` whose first choice, `none`, sends no period.
pub(super) fn select_or_none(label: &str, none: &str, today: Date, lang: Lang) -> Markup {
    list(label, None, Some(none), today, lang)
}

/// A period list under `label` with `chosen` selected.
pub(super) fn select_labelled(label: &str, chosen: NamedPeriod, today: Date, lang: Lang) -> Markup {
    list(label, Some(chosen), None, today, lang)
}

fn list(label: &str, chosen: Option<NamedPeriod>, none: Option<&str>, today: Date, lang: Lang) -> Markup {
    let mut periods = offered(today, lang);
    if let Some(chosen) = chosen
        && !periods.iter().any(|(p, _)| *p == chosen)
    {
        periods.push((chosen, locale::period_name(chosen, lang)));
    }
    html! {
        label { (label)
            select name="period" {
                @if let Some(none) = none { option value="" { (none) } }
                @for (period, name) in &periods {
                    option value=(period.to_string()) selected[Some(*period) == chosen] { (name) }
                }
            }
        }
    }
}
