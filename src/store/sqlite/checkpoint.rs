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
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::schema::open_connection;

/// The least time between two background checkpoints while commits go on.
const INTERVAL: Duration = Duration::from_millis(250);
/// WAL pages after which the writer checkpoints in its commit anyway (about 40 MiB).
pub(super) const WRITER_PAGES: i64 = 10_000;

/// Tells the checkpoint thread that the writer committed; the thread ends when this drops.
pub(super) struct Checkpointer {
    commits: SyncSender<()>,
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
            Ok(_) => Some(Checkpointer { commits }),
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
        let _ = self.commits.try_send(());
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
