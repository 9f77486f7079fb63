//! The config as every reader of the meters sees it now: the file's settings with the meter
//! table ingest reads, the store's departments (docs/setup.md) and the calendar's years set in
//! the web app (docs/calendar.md). A meter or a department added or changed, or a day off set,
//! in the web app is in the next figure, alert, report and page without a restart.

use std::sync::{Arc, Mutex};

use crate::config::Config;
use crate::domain::{Department, YearDays};

use super::Pipeline;

/// The versions of the meter table, the departments and the calendar's years a config was
/// built with.
type Versions = (u64, u64, u64);

/// Cheap to clone; the clones share one pipeline and one kept config.
#[derive(Clone)]
pub struct ConfigInForce {
    file: Arc<Config>,
    pipeline: Pipeline,
    /// The departments in force and how many times they were replaced.
    departments: Arc<Mutex<(u64, Arc<Vec<Department>>)>>,
    /// The years of the calendar kept in the store (the latest of each year), and how many
    /// times they were set.
    calendar_years: Arc<Mutex<(u64, Arc<Vec<YearDays>>)>>,
    /// The config last built and the versions it holds, rebuilt only when one has changed.
    kept: Arc<Mutex<(Versions, Arc<Config>)>>,
}

impl ConfigInForce {
    /// `file`'s settings with `pipeline`'s meters, now and after each change to them.
    pub fn new(file: Arc<Config>, pipeline: Pipeline) -> ConfigInForce {
        let departments = Arc::new(file.departments.clone());
        let built = build(&file, &pipeline, &departments, &[]);
        ConfigInForce {
            kept: Arc::new(Mutex::new(((pipeline.meters_version(), 0, 0), built))),
            departments: Arc::new(Mutex::new((0, departments))),
            calendar_years: Arc::new(Mutex::new((0, Arc::new(Vec::new())))),
            file,
            pipeline,
        }
    }

    /// The config file's settings as read at start-up (the store's departments in them).
    pub fn file(&self) -> &Config {
        &self.file
    }

    /// The departments in force from now on (the store's, as checked).
    pub fn set_departments(&self, departments: Vec<Department>) {
        let mut kept = self.departments.lock().unwrap_or_else(|p| p.into_inner());
        *kept = (kept.0 + 1, Arc::new(departments));
    }

    /// Put the store's calendar years (oldest first; of a year, the latest is in force) in
    /// the place of the file's: every figure after this call counts with them.
    pub fn set_calendar_years(&self, years: Vec<YearDays>) {
        let mut set = self.calendar_years.lock().unwrap_or_else(|p| p.into_inner());
        *set = (set.0 + 1, Arc::new(years));
    }

    /// The config now, its meters those ingest reads (retired ones too: their history stays
    /// in the figures), its departments the store's, its calendar with the store's years in
    /// place of the file's.
    pub fn get(&self) -> Arc<Config> {
        // Read before the meters, departments and years: a change in between is caught by the
        // next call.
        let meters = self.pipeline.meters_version();
        let (departments_version, departments) = self.departments.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let (calendar_version, years) = self.calendar_years.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let versions = (meters, departments_version, calendar_version);
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.0 != versions {
            *kept = (versions, build(&self.file, &self.pipeline, &departments, &years));
        }
        Arc::clone(&kept.1)
    }
}

/// A config read as it is, for a program without a meter table of its own (a tool, a test).
impl From<Arc<Config>> for ConfigInForce {
    fn from(config: Arc<Config>) -> ConfigInForce {
        let pipeline = Pipeline::new(&config.meters, config.ingest, config.office.timezone.clone());
        ConfigInForce::new(config, pipeline)
    }
}

fn build(file: &Config, pipeline: &Pipeline, departments: &[Department], calendar_years: &[YearDays]) -> Arc<Config> {
    let in_table = pipeline.meters();
    let retired_meters = in_table.iter().filter_map(|(meter, from)| Some((meter.id.clone(), (*from)?))).collect();
    let meters = in_table.into_iter().map(|(meter, _)| meter).collect();
    let mut office = file.office.clone();
    for year in calendar_years {
        office.calendar.replace_year(year);
    }
    Arc::new(Config { meters, retired_meters, departments: departments.to_vec(), office, ..file.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::BUILT_IN_DEFAULT;

    #[test]
    fn a_meter_set_in_the_pipeline_is_in_the_next_config_and_not_before() {
        let config = Arc::new(Config::parse("default.toml", BUILT_IN_DEFAULT, &|_| None).unwrap());
        assert!(config.meters.len() > 1, "the default config has meters to drop");
        let pipeline = Pipeline::new(&config.meters, config.ingest, config.office.timezone.clone());
        let live = ConfigInForce::new(Arc::clone(&config), pipeline.clone());
        assert_eq!(live.get().meters.len(), config.meters.len());
        let first = live.get();
        assert!(Arc::ptr_eq(&first, &live.get()), "no change, no new config");
        pipeline.set_meters(&config.meters[..1], Default::default());
        assert_eq!(live.get().meters.len(), 1);
    }

    #[test]
    fn a_calendar_year_set_is_in_the_next_config() {
        use crate::domain::{CalendarDay, CalendarYear, DayKind, YearStatus};
        let config = Arc::new(Config::parse("default.toml", BUILT_IN_DEFAULT, &|_| None).unwrap());
        let live = ConfigInForce::from(Arc::clone(&config));
        // Friday 12/02/2027 is a working day in the shipped (provisional) 2027.
        let day = jiff::civil::date(2027, 2, 12);
        assert!(live.get().office.is_working_day(day));
        let year = CalendarYear { year: 2027, status: YearStatus::Official, source: "TB".into() };
        let days = vec![CalendarDay { date: day, kind: DayKind::Off, reason: "Tết".into() }];
        live.set_calendar_years(vec![YearDays { year, days }]);
        assert!(!live.get().office.is_working_day(day));
        // The shipped days of 2027 gave way to the year set.
        assert!(live.get().office.is_working_day(jiff::civil::date(2027, 2, 5)));
    }

    #[test]
    fn departments_set_are_in_the_next_config() {
        let config = Arc::new(Config::parse("default.toml", BUILT_IN_DEFAULT, &|_| None).unwrap());
        let pipeline = Pipeline::new(&config.meters, config.ingest, config.office.timezone.clone());
        let live = ConfigInForce::new(Arc::clone(&config), pipeline);
        let mut departments = config.departments.clone();
        departments[0].name = "Phòng mới đổi tên".into();
        live.set_departments(departments);
        assert_eq!(live.get().departments[0].name, "Phòng mới đổi tên");
        assert_eq!(live.get().meters.len(), config.meters.len(), "the meters stay");
    }
}
