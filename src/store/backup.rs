//! A consistent copy of the embedded SQLite file taken while the service runs, its check, and
//! putting one back. Readings, users, tokens and the audit log are all in that one file.

use std::fs::File;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rusqlite::Connection;

use super::StoreError;
use super::accounts::{ACCOUNTS_VERSION, accounts_version};
use super::from_ms;
use super::lock::ServiceLock;
use super::sqlite::{SCHEMA_VERSION, newer_schema_message, schema_version};

/// What a store file holds, as `xanh backup` and `xanh restore` report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSummary {
    pub schema_version: i64,
    pub readings: u64,
    /// The first and the last reading's time; `None` without readings.
    pub span: Option<(Timestamp, Timestamp)>,
    pub users: u64,
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub summary: StoreSummary,
    /// Where the store that was replaced was kept, if there was one.
    pub previous: Option<PathBuf>,
}

/// How the scheduled daily backups went, for the health report: the last failure, kept until
/// a backup succeeds.
#[derive(Debug, Default)]
pub struct BackupStatus {
    failure: std::sync::Mutex<Option<BackupFailure>>,
}

/// A scheduled backup that failed: when it was due and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFailure {
    pub at: Timestamp,
    pub error: String,
}

impl BackupStatus {
    pub fn failed(&self, at: Timestamp, error: String) {
        *self.lock() = Some(BackupFailure { at, error });
    }

    pub fn succeeded(&self) {
        *self.lock() = None;
    }

    /// The failure not yet made good by a later backup.
    pub fn failure(&self) -> Option<BackupFailure> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<BackupFailure>> {
        self.failure.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn failed(path: &Path, reason: impl std::fmt::Display) -> StoreError {
    StoreError::File { path: path.display().to_string(), reason: reason.to_string() }
}

/// Copy the store at `store` to the new file `to`, in one read transaction (`VACUUM INTO`), so
/// that writers go on meanwhile and the copy is the store as it was at one instant.
pub fn backup(store: &Path, to: &Path) -> Result<StoreSummary, StoreError> {
    if !store.is_file() {
        return Err(failed(store, "there is no store here; fix: check [store] path in the config"));
    }
    if to.exists() {
        return Err(failed(to, "already exists; fix: give a new file name (a backup never overwrites)"));
    }
    let partial = with_suffix(to, ".partial");
    let _ = std::fs::remove_file(&partial);
    let conn = Connection::open(store).map_err(|e| failed(store, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(|e| failed(store, e))?;
    let copied = conn.execute("VACUUM INTO ?1", [partial.to_string_lossy()]).map_err(|e| failed(to, e));
    drop(conn);
    if let Err(e) = copied.and_then(|_| durable_rename(&partial, to)) {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    check(to)
}

/// Check a store file (a backup) without changing it: SQLite's integrity check and a schema
/// this version knows; what it holds.
pub fn check(file: &Path) -> Result<StoreSummary, StoreError> {
    if !file.is_file() {
        return Err(failed(file, "there is no such file"));
    }
    let conn =
        Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| failed(file, e))?;
    let not_a_store = |e: rusqlite::Error| failed(file, format!("is not a Xanh store ({e})"));
    let problems: Vec<String> = conn
        .prepare("PRAGMA integrity_check(5)")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) => not_a_store(e),
            _ => failed(file, format!("is damaged: {e}; fix: use another backup")),
        })?;
    if problems != ["ok"] {
        return Err(failed(file, format!("is damaged: {}; fix: use another backup", problems.join("; "))));
    }
    let version = schema_version(&conn).map_err(not_a_store)?;
    if version > SCHEMA_VERSION {
        return Err(failed(file, newer_schema_message(version, SCHEMA_VERSION)));
    }
    let accounts = accounts_version(&conn).map_err(not_a_store)?;
    if accounts > ACCOUNTS_VERSION {
        return Err(failed(
            file,
            format!("its users and tokens: {}", newer_schema_message(accounts, ACCOUNTS_VERSION)),
        ));
    }
    if version == 0 && accounts == 0 {
        return Err(failed(file, "is not a Xanh store (it records no schema version)"));
    }
    // Users may be added (`xanh user add`) before the service first creates the readings.
    let (readings, first, last): (i64, Option<i64>, Option<i64>) = if version > 0 {
        conn.query_row("SELECT count(*), min(ts), max(ts) FROM readings", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(not_a_store)?
    } else {
        (0, None, None)
    };
    let users: i64 = if accounts > 0 {
        conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0)).map_err(not_a_store)?
    } else {
        0
    };
    Ok(StoreSummary {
        schema_version: version,
        readings: readings as u64,
        span: first.zip(last).map(|(first, last)| (from_ms(first), from_ms(last))),
        users: users as u64,
    })
}

/// Put the backup `from` in place of the store at `store`, once checked; refused while a
/// service uses the store. The store it replaces is kept beside it, copied as `store` does.
pub fn restore(from: &Path, store: &Path) -> Result<Restored, StoreError> {
    let _lock = ServiceLock::acquire(store)?;
    if store.exists() && same_file(from, store)? {
        return Err(failed(from, "is the store itself; fix: give a backup file made by xanh backup"));
    }
    let summary = check(from)?;
    let previous = if store.exists() {
        let stamp = Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string();
        let aside = with_suffix(store, &format!(".before-restore-{stamp}"));
        backup(store, &aside)?;
        Some(aside)
    } else {
        if let Some(dir) = store.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| failed(dir, e))?;
        }
        None
    };
    let partial = with_suffix(store, ".partial");
    std::fs::copy(from, &partial).map_err(|e| failed(&partial, e))?;
    // The old store's write-ahead log must not be replayed over the restored file.
    for leftover in [with_suffix(store, "-wal"), with_suffix(store, "-shm")] {
        match std::fs::remove_file(&leftover) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(failed(&leftover, e)),
            _ => {}
        }
    }
    durable_rename(&partial, store)?;
    Ok(Restored { summary, previous })
}

fn same_file(a: &Path, b: &Path) -> Result<bool, StoreError> {
    let canonical = |path: &Path| std::fs::canonicalize(path).map_err(|e| failed(path, e));
    Ok(canonical(a)? == canonical(b)?)
}

/// `path` with `suffix` added to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Make `from` durable, then give it the name `to`, durably: a power cut leaves the old file
/// or the whole new one.
fn durable_rename(from: &Path, to: &Path) -> Result<(), StoreError> {
    File::open(from).and_then(|f| f.sync_all()).map_err(|e| failed(from, e))?;
    std::fs::rename(from, to).map_err(|e| failed(to, e))?;
    let dir = to.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| failed(dir, e))
}
