//! The config as every reader of the meters and departments sees it now: the file's settings
//! with the meter table ingest reads and the store's departments (docs/setup.md). A meter or a
//! department added or changed in the web app is in the next figure, alert, report and page
//! without a restart.

use std::sync::{Arc, Mutex};

use crate::config::Config;
use crate::domain::Department;

use super::Pipeline;

/// Cheap to clone; the clones share one pipeline and one kept config.
#[derive(Clone)]
pub struct ConfigInForce {
    file: Arc<Config>,
    pipeline: Pipeline,
    /// The departments in force and how many times they were replaced.
    departments: Arc<Mutex<(u64, Arc<Vec<Department>>)>>,
    /// The config last built and the versions of the meter table and departments it holds,
    /// rebuilt only when either has been replaced since.
    kept: Arc<Mutex<(Versions, Arc<Config>)>>,
}

/// The meter table's version and the departments'.
type Versions = (u64, u64);

impl ConfigInForce {
    /// `file`'s settings with `pipeline`'s meters, now and after each change to them.
    pub fn new(file: Arc<Config>, pipeline: Pipeline) -> ConfigInForce {
        let departments = Arc::new(file.departments.clone());
        let kept = with_setup(&file, &pipeline, &departments);
        ConfigInForce {
            kept: Arc::new(Mutex::new(((pipeline.meters_version(), 0), kept))),
            departments: Arc::new(Mutex::new((0, departments))),
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

    /// The config now, its meters those ingest reads (retired ones too: their history stays
    /// in the figures).
    pub fn get(&self) -> Arc<Config> {
        // Read before the meters: a change in between is caught by the next call.
        let meters_version = self.pipeline.meters_version();
        let (departments_version, departments) = self.departments.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let versions = (meters_version, departments_version);
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.0 != versions {
            *kept = (versions, with_setup(&self.file, &self.pipeline, &departments));
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

fn with_setup(file: &Config, pipeline: &Pipeline, departments: &[Department]) -> Arc<Config> {
    let in_table = pipeline.meters();
    let retired_meters = in_table.iter().filter_map(|(meter, from)| Some((meter.id.clone(), (*from)?))).collect();
    let meters = in_table.into_iter().map(|(meter, _)| meter).collect();
    Arc::new(Config { meters, retired_meters, departments: departments.to_vec(), ..file.clone() })
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
