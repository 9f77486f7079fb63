//! The daily backup `[backup]` asks for: at its local time, a copy of the store into its folder
//! (named by when it was taken), then the oldest copies beyond `keep` removed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Zoned;
use jiff::civil::Time;
use tokio::sync::watch;

use crate::config::BackupConfig;
use crate::store::{self, BackupStatus, StoreError, StoreSummary};

const PREFIX: &str = "xanh-";
const SUFFIX: &str = ".db";
const STAMP: &str = "%Y-%m-%d-%H%M";

/// Take the backups until the service stops, telling `status` how each went.
pub(super) async fn run(
    backup: BackupConfig,
    store: PathBuf,
    tz: jiff::tz::TimeZone,
    status: Arc<BackupStatus>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let now = Zoned::now().with_time_zone(tz.clone());
        let next = match next_run(&now, backup.at) {
            Ok(next) => next,
            Err(e) => {
                tracing::error!("daily backups stopped: cannot tell when the next is due: {e}");
                status.failed(now.timestamp(), format!("daily backups stopped: cannot tell when the next is due: {e}"));
                return;
            }
        };
        tracing::info!("next daily backup at {}", next.strftime("%H:%M %d/%m/%Y"));
        let wait = now.duration_until(&next).unsigned_abs();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
        let (config, from, due) = (backup.clone(), store.clone(), next.clone());
        let outcome = tokio::task::spawn_blocking(move || take(&from, &config, &due))
            .await
            .unwrap_or_else(|e| Err(StoreError::Worker(e.to_string())));
        record(&status, &next, outcome);
    }
}

/// Log how a scheduled backup went and keep a failure for the health report until one
/// succeeds.
fn record(status: &BackupStatus, due: &Zoned, outcome: Result<Taken, StoreError>) {
    match outcome {
        Ok(taken) => {
            tracing::info!(
                file = %taken.file.display(),
                readings = taken.summary.readings,
                users = taken.summary.users,
                removed = taken.removed.len(),
                "daily backup written"
            );
            status.succeeded();
        }
        Err(e) => {
            tracing::error!("daily backup failed: {e}; the next is tried tomorrow");
            status.failed(due.timestamp(), e.to_string());
        }
    }
}

/// The first time after `now` that the clock in `now`'s zone shows `at`.
fn next_run(now: &Zoned, at: Time) -> Result<Zoned, jiff::Error> {
    let today = now.date().to_datetime(at).to_zoned(now.time_zone().clone())?;
    if today > *now { Ok(today) } else { now.date().tomorrow()?.to_datetime(at).to_zoned(now.time_zone().clone()) }
}

/// What one scheduled backup did.
#[derive(Debug)]
struct Taken {
    file: PathBuf,
    summary: StoreSummary,
    removed: Vec<PathBuf>,
}

/// Copy the store into the folder as the backup due at `when`, then keep only the newest.
fn take(store: &Path, backup: &BackupConfig, when: &Zoned) -> Result<Taken, StoreError> {
    let folder = &backup.folder;
    std::fs::create_dir_all(folder)
        .map_err(|e| StoreError::File { path: folder.display().to_string(), reason: e.to_string() })?;
    let file = folder.join(format!("{PREFIX}{}{SUFFIX}", when.strftime(STAMP)));
    let summary = store::backup(store, &file)?;
    let removed = prune(folder, backup.keep)?;
    Ok(Taken { file, summary, removed })
}

/// Remove the oldest scheduled backups in `folder` beyond the newest `keep`; other files
/// (a copy taken by hand, anything else) are never touched.
fn prune(folder: &Path, keep: usize) -> Result<Vec<PathBuf>, StoreError> {
    let failed =
        |path: &Path, e: std::io::Error| StoreError::File { path: path.display().to_string(), reason: e.to_string() };
    let mut scheduled: Vec<(jiff::civil::DateTime, PathBuf)> = std::fs::read_dir(folder)
        .map_err(|e| failed(folder, e))?
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_str()?;
            let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
            let taken = jiff::civil::DateTime::strptime(STAMP, stamp).ok()?;
            Some((taken, path))
        })
        .collect();
    scheduled.sort();
    let excess = scheduled.len().saturating_sub(keep);
    let mut removed = Vec::new();
    for (_, path) in scheduled.into_iter().take(excess) {
        std::fs::remove_file(&path).map_err(|e| failed(&path, e))?;
        removed.push(path);
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::time;

    fn hanoi(text: &str) -> Zoned {
        format!("{text}[Asia/Ho_Chi_Minh]").parse().unwrap()
    }

    #[test]
    fn the_next_backup_is_today_at_the_hour_if_it_is_still_to_come_else_tomorrow() {
        let at = time(2, 30, 0, 0);
        assert_eq!(next_run(&hanoi("2026-12-31T01:00:00+07:00"), at).unwrap(), hanoi("2026-12-31T02:30:00+07:00"));
        assert_eq!(next_run(&hanoi("2026-12-31T02:30:00+07:00"), at).unwrap(), hanoi("2027-01-01T02:30:00+07:00"));
        assert_eq!(next_run(&hanoi("2026-12-31T23:59:00+07:00"), at).unwrap(), hanoi("2027-01-01T02:30:00+07:00"));
    }

    #[test]
    fn each_backup_is_a_checked_copy_and_only_the_newest_scheduled_ones_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("xanh.db");
        drop(crate::store::Accounts::open(&store).unwrap());
        let folder = dir.path().join("backups");
        let config = BackupConfig { folder: folder.clone(), at: time(2, 0, 0, 0), keep: 2 };
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("xanh-before-upgrade.db"), "a copy taken by hand").unwrap();
        std::fs::write(folder.join("ghi-chu.txt"), "ghi chú").unwrap();
        for day in ["2026-12-01", "2026-12-02", "2026-12-03"] {
            let taken = take(&store, &config, &hanoi(&format!("{day}T02:00:00+07:00"))).unwrap();
            assert!(crate::store::check(&taken.file).is_ok());
        }
        let mut left: Vec<String> =
            std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(
            left,
            ["ghi-chu.txt", "xanh-2026-12-02-0200.db", "xanh-2026-12-03-0200.db", "xanh-before-upgrade.db"]
        );
    }

    #[test]
    fn a_failed_backup_is_kept_for_health_until_one_succeeds() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("xanh.db");
        drop(crate::store::Accounts::open(&store).unwrap());
        // A file where the folder should be: the folder cannot be made.
        let blocked = dir.path().join("backups");
        std::fs::write(&blocked, "not a folder").unwrap();
        let config = BackupConfig { folder: blocked.join("xanh"), at: time(2, 0, 0, 0), keep: 2 };
        let status = BackupStatus::default();
        let first = hanoi("2026-12-01T02:00:00+07:00");
        record(&status, &first, take(&store, &config, &first));
        let failure = status.failure().expect("the failure is kept");
        assert_eq!(failure.at, first.timestamp());
        assert!(failure.error.contains(&blocked.join("xanh").display().to_string()), "{}", failure.error);

        let second = hanoi("2026-12-02T02:00:00+07:00");
        record(&status, &second, take(&store, &config, &second));
        assert_eq!(status.failure().map(|f| f.at), Some(second.timestamp()), "the latest failure is shown");

        std::fs::remove_file(&blocked).unwrap();
        let third = hanoi("2026-12-03T02:00:00+07:00");
        record(&status, &third, take(&store, &config, &third));
        assert_eq!(status.failure(), None, "a backup that succeeds clears it");
    }
}
