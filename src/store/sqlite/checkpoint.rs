//! Checkpoints off the commit path: a thread of its own copies the WAL back into the store's
//! file, so that the writer's commits (whose acknowledgements wait on them) pay only their
//! own WAL write and fsync.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold, and under
//! MQTT, with a commit per batch of about a thousand readings, that was every few commits: the
//! copy and the store file's fsync held that batch's acknowledgements back. The writer keeps
//! an automatic checkpoint only far above the background one's threshold, so that the WAL
//! stays bounded even if this thread falls behind or cannot open the file.

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::schema::open_connection;

/// The least time between two background checkpoints while commits go on.
const INTERVAL: Duration = Duration::from_millis(250);
/// WAL pages after which the writer checkpoints in its commit anyway (about 40 MiB).
pub(super) const WRITER_PAGES: i64 = 10_000;

/// Tells the checkpoint thread that the writer committed. Dropping it ends the thread and
/// waits for it, so that the store's closing stays synchronous: the last connection to close
/// copies the WAL into the file, and a copy of the file made once the store is closed is
/// whole.
pub(super) struct Checkpointer {
    commits: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Start the thread on a connection of its own to `path`; `None` if it cannot open one
    /// (the writer's own automatic checkpoint then keeps the WAL bounded).
    pub(super) fn start(path: &Path) -> Option<Checkpointer> {
        let conn = match open_connection(path) {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "store: no background checkpoints; the writer checkpoints in its commits");
                return None;
            }
        };
        let (commits, received) = sync_channel(1);
        let spawned = std::thread::Builder::new().name("xanh-checkpoint".into()).spawn(move || run(&conn, &received));
        match spawned {
            Ok(thread) => Some(Checkpointer { commits: Some(commits), thread: Some(thread) }),
            Err(e) => {
                tracing::warn!(error = %e, "store: no background checkpoints; the writer checkpoints in its commits");
                None
            }
        }
    }

    /// The writer committed: the WAL has grown.
    pub(super) fn committed(&self) {
        // Full: the thread has a commit to look at already. Disconnected: the thread ended
        // (it only does by a panic, logged then); the writer's own threshold bounds the WAL.
        if let Some(commits) = &self.commits {
            let _ = commits.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.commits.take();
        if let Some(thread) = self.thread.take() {
            // Err: the thread panicked, which the panic hook has logged.
            let _ = thread.join();
        }
    }
}

fn run(conn: &Connection, commits: &Receiver<()>) {
    let mut committed = commits.recv().is_ok();
    while committed {
        // PASSIVE: copies what no reader still needs and never waits for the writer or the
        // readers; what it leaves is copied at a later pass.
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "store: a background checkpoint failed; trying again after the next commit");
        }
        // At most one pass an interval, each copying a page once however many commits wrote
        // it; a commit meanwhile calls for another pass right after, and the store's closing
        // ends the wait.
        let next = Instant::now() + INTERVAL;
        committed = false;
        while let Some(left) = next.checked_duration_since(Instant::now()) {
            match commits.recv_timeout(left) {
                Ok(()) => committed = true,
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        if !committed {
            committed = commits.recv().is_ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::SqliteStore;

    /// The checkpoint thread's connection closed after the store's own, and by then a copy of
    /// the file alone (a backup by `cp`, a test's copy) could have none of the tables.
    #[test]
    fn a_closed_store_is_whole_in_its_file_alone() {
        for round in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("xanh.db");
            drop(SqliteStore::open(&path, &jiff::tz::TimeZone::UTC, "UTC", &[]).unwrap());
            let copy = dir.path().join("copy.db");
            std::fs::copy(&path, &copy).unwrap();
            let conn = rusqlite::Connection::open(&copy).unwrap();
            let tables: i64 =
                conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'readings'", [], |r| r.get(0)).unwrap();
            assert_eq!(tables, 1, "round {round}: the file alone has no readings table once the store is closed");
        }
    }
}
