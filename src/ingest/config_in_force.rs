//! The config as every reader of the meters sees it now: the file's settings with the meter
//! table ingest reads (docs/setup.md). A meter added, changed or retired in the web app is in
//! the next figure, alert, report and page without a restart.

use std::sync::{Arc, Mutex};

use crate::config::Config;

use super::Pipeline;

/// Cheap to clone; the clones share one pipeline and one kept config.
#[derive(Clone)]
pub struct ConfigInForce {
    file: Arc<Config>,
    pipeline: Pipeline,
    /// The config last built and the version of the meter table it holds, rebuilt only when
    /// the table has been replaced since.
    kept: Arc<Mutex<(u64, Arc<Config>)>>,
}

impl ConfigInForce {
    /// `file`'s settings with `pipeline`'s meters, now and after each change to them.
    pub fn new(file: Arc<Config>, pipeline: Pipeline) -> ConfigInForce {
        let kept = Arc::new(Mutex::new((pipeline.meters_version(), with_meters(&file, &pipeline))));
        ConfigInForce { file, pipeline, kept }
    }

    /// The config now, its meters those ingest reads (retired ones too: their history stays
    /// in the figures).
    pub fn get(&self) -> Arc<Config> {
        // Read before the meters: a change in between is caught by the next call.
        let version = self.pipeline.meters_version();
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.0 != version {
            *kept = (version, with_meters(&self.file, &self.pipeline));
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

fn with_meters(file: &Config, pipeline: &Pipeline) -> Arc<Config> {
    let in_table = pipeline.meters();
    let retired_meters = in_table.iter().filter_map(|(meter, from)| Some((meter.id.clone(), (*from)?))).collect();
    let meters = in_table.into_iter().map(|(meter, _)| meter).collect();
    Arc::new(Config { meters, retired_meters, ..file.clone() })
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
}
