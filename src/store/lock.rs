//! The lock a running service holds on its store, so that `xanh restore` can tell it runs.
//!
//! A lock file beside the store rather than the web or broker ports: the ports can differ
//! between the config a restore is given and the one the service runs with, while the store
//! path is what both act on; and the system releases the lock when the process ends, even
//! killed, so a stale lock never blocks a restore.

use std::fs::{File, OpenOptions};

use rustix::fs::{FlockOperation, flock};
use rustix::io::Errno;
use std::path::{Path, PathBuf};

use super::StoreError;

/// Held while it lives; released when dropped or when the process ends.
pub struct ServiceLock {
    _file: File,
}

impl ServiceLock {
    /// Take the lock of the store at `store`, or say who holds it.
    pub fn acquire(store: &Path) -> Result<ServiceLock, StoreError> {
        let path = lock_path(store);
        let failed = |reason: String| StoreError::File { path: path.display().to_string(), reason };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| failed(format!("cannot create {}: {e}", dir.display())))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| failed(e.to_string()))?;
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(ServiceLock { _file: file }),
            Err(Errno::WOULDBLOCK) => Err(failed(format!(
                "the store {} is in use by a running xanh (xanh serve or xanh restore holds this lock); \
                 fix: stop the service first (systemctl stop xanh) and try again",
                store.display()
            ))),
            Err(e) => Err(failed(e.to_string())),
        }
    }
}

fn lock_path(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}
