//! The retention task `store.keep_raw_readings_days` asks for: once an hour, raw readings older
//! than the age are thinned to what the figures need (`Store::thin_readings`).

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::watch;

use crate::store::Store;

/// How often the task looks for readings that grew old enough: each pass then thins about
/// an hour of every meter, a moment's work.
const EVERY: Duration = Duration::from_secs(3600);

/// Thin old readings until the service stops.
pub(super) async fn run(store: Arc<dyn Store>, keep: Duration, mut shutdown: watch::Receiver<bool>) {
    loop {
        let before = Timestamp::now() - keep;
        match store.thin_readings(before).await {
            Ok(done) if done.removed > 0 => {
                tracing::info!(removed = done.removed, before = %before, "retention thinned old raw readings")
            }
            Ok(_) => {}
            Err(e) => tracing::error!("retention could not thin old raw readings: {e}; tried again in an hour"),
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.changed() => return,
        }
    }
}
