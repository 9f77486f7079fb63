//! Where the config file and the store's setup disagree. After a store is seeded, the store
//! holds the office's setup (docs/setup.md); a file edited afterwards is compared with it at
//! start-up, key by key, so that no edit is silently applied or ignored.

use serde::Serialize;
use serde_json::Value;

use super::{DepartmentSpec, FileCalendar, MeterSpec};
use crate::domain::{CalendarDay, DayKind, YearDays, YearStatus};

/// One key on which the file and the store disagree; the store's value is in force.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetupDifference {
    /// As the file would write it: `meters ("dien-a").topic`.
    pub key: String,
    /// The file's value as TOML text; `None`: the file does not have it.
    pub file: Option<String>,
    /// The store's value; `None`: the store does not have it.
    pub store: Option<String>,
}

/// What the file has that the store lacks (to be added), and the keys of the meters both
/// have that differ, with the meters only the store has.
pub fn compare_meters<'f>(file: &'f [MeterSpec], store: &[MeterSpec]) -> (Vec<&'f MeterSpec>, Vec<SetupDifference>) {
    compare("meters", file, store, |s| (&s.id, &s.name))
}

/// As [`compare_meters`], for the departments.
pub fn compare_departments<'f>(
    file: &'f [DepartmentSpec],
    store: &[DepartmentSpec],
) -> (Vec<&'f DepartmentSpec>, Vec<SetupDifference>) {
    compare("departments", file, store, |s| (&s.id, &s.name))
}

/// `section`'s entries the file has and the store lacks, and the differences, each entry
/// known by its id (`id_name` gives its id and name).
fn compare<'f, T: Serialize>(
    section: &str,
    file: &'f [T],
    store: &[T],
    id_name: impl Fn(&T) -> (&String, &String),
) -> (Vec<&'f T>, Vec<SetupDifference>) {
    let id = |entry: &T| id_name(entry).0.clone();
    let mut new = Vec::new();
    let mut differences = Vec::new();
    for entry in file {
        match store.iter().find(|s| id(s) == id(entry)) {
            None => new.push(entry),
            Some(kept) => differences.extend(compare_keys(section, &id(kept), entry, kept)),
        }
    }
    for kept in store.iter().filter(|s| !file.iter().any(|f| id(f) == id(s))) {
        let (kept_id, name) = id_name(kept);
        differences.push(SetupDifference {
            key: format!("{section} (\"{kept_id}\")"),
            file: None,
            store: Some(name.clone()),
        });
    }
    (new, differences)
}

/// Where the file's calendar says otherwise than the years the store holds (`stored`: the
/// latest of each year): a year of `[[office.calendar]]` key by key, and a day of
/// `office.holidays` or `office.make_up_days` in such a year that the store has otherwise.
/// Days the store has and the file does not list were set in the web app: not a difference.
pub fn compare_calendar(file: &FileCalendar, stored: &[YearDays]) -> Vec<SetupDifference> {
    let shown = |day: &CalendarDay| match (day.kind, day.reason.is_empty()) {
        (kind, true) => kind.as_str().to_owned(),
        (kind, false) => format!("{} ({})", kind.as_str(), day.reason),
    };
    let status = |s: YearStatus| match s {
        YearStatus::Official => "official",
        _ => "provisional",
    };
    let mut differences = Vec::new();
    for kept in stored {
        let year = kept.year.year;
        let kept_day = |date| kept.days.iter().find(|d| d.date == date);
        if let Some(set) = file.years.iter().find(|y| y.year.year == year) {
            if set.year.status != kept.year.status {
                differences.push(SetupDifference {
                    key: format!("office.calendar ({year}).status"),
                    file: Some(status(set.year.status).into()),
                    store: Some(status(kept.year.status).into()),
                });
            }
            let mut dates: Vec<_> = set.days.iter().chain(&kept.days).map(|d| d.date).collect();
            dates.sort();
            dates.dedup();
            for date in dates {
                let in_file = set.days.iter().find(|d| d.date == date);
                let in_store = kept_day(date);
                if in_file != in_store {
                    let list = match in_file.or(in_store).map(|d| d.kind) {
                        Some(DayKind::Worked) => "working_days",
                        _ => "days_off",
                    };
                    differences.push(SetupDifference {
                        key: format!("office.calendar ({year}).{list} (\"{date}\")"),
                        file: in_file.map(shown),
                        store: in_store.map(shown),
                    });
                }
            }
        }
        let listed = [
            ("office.holidays", &file.holidays, DayKind::Off),
            ("office.make_up_days", &file.make_up_days, DayKind::Worked),
        ];
        for (key, dates, kind) in listed {
            for &date in dates.iter().filter(|d| d.year() == year) {
                let in_store = kept_day(date);
                if in_store.map(|d| d.kind) != Some(kind) {
                    differences.push(SetupDifference {
                        key: format!("{key} (\"{date}\")"),
                        file: Some(kind.as_str().into()),
                        store: in_store.map(shown),
                    });
                }
            }
        }
    }
    differences
}

fn compare_keys<T: Serialize>(section: &str, id: &str, file: &T, store: &T) -> Vec<SetupDifference> {
    let as_map = |entry: &T| match serde_json::to_value(entry) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let (file_keys, store_keys) = (as_map(file), as_map(store));
    let mut keys: Vec<&String> = file_keys.keys().chain(store_keys.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|key| file_keys.get(*key) != store_keys.get(*key))
        .map(|key| SetupDifference {
            key: format!("{section} (\"{id}\").{key}"),
            file: file_keys.get(key).map(Value::to_string),
            store: store_keys.get(key).map(Value::to_string),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(id: &str, topic: Option<&str>) -> MeterSpec {
        MeterSpec {
            id: id.into(),
            name: format!("Công tơ {id}"),
            resource: "electricity".into(),
            department: None,
            parent: None,
            kind: "counter".into(),
            unit: "kWh".into(),
            format: "generic".into(),
            topic: topic.map(Into::into),
            register_max: None,
            max_rate: None,
            expected_interval: None,
            field: None,
            channel: None,
            device_id: None,
        }
    }

    #[test]
    fn a_file_day_the_store_year_has_otherwise_is_named_and_the_store_own_days_are_not() {
        use crate::domain::CalendarYear;
        use jiff::civil::date;
        let day = |d, kind, reason: &str| CalendarDay { date: d, kind, reason: reason.into() };
        let year = |status| CalendarYear { year: 2027, status, source: String::new() };
        let stored = [YearDays {
            year: year(YearStatus::Official),
            days: vec![day(date(2027, 2, 8), DayKind::Off, "Tết"), day(date(2027, 2, 9), DayKind::Off, "")],
        }];
        let file = FileCalendar {
            years: vec![YearDays {
                year: year(YearStatus::Provisional),
                days: vec![day(date(2027, 2, 8), DayKind::Off, "Tết")],
            }],
            holidays: vec![date(2027, 2, 12), date(2027, 2, 9), date(2028, 1, 3)],
            make_up_days: vec![],
        };
        let keys: Vec<(String, Option<String>)> =
            compare_calendar(&file, &stored).into_iter().map(|d| (d.key, d.store)).collect();
        assert_eq!(
            keys,
            [
                ("office.calendar (2027).status".to_owned(), Some("official".to_owned())),
                ("office.calendar (2027).days_off (\"2027-02-09\")".to_owned(), Some("off".to_owned())),
                ("office.holidays (\"2027-02-12\")".to_owned(), None),
            ]
        );
    }

    #[test]
    fn new_meters_are_added_and_changed_keys_are_named_one_by_one() {
        let file = [spec("a", Some("x/a")), spec("b", None), spec("c", None)];
        let store = [spec("a", Some("y/a")), spec("b", None), spec("d", None)];
        let (new, differences) = compare_meters(&file, &store);
        assert_eq!(new.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["c"]);
        assert_eq!(
            differences,
            [
                SetupDifference {
                    key: "meters (\"a\").topic".into(),
                    file: Some("\"x/a\"".into()),
                    store: Some("\"y/a\"".into())
                },
                SetupDifference { key: "meters (\"d\")".into(), file: None, store: Some("Công tơ d".into()) },
            ]
        );
    }
}
