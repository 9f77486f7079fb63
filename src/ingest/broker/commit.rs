//! The gate's one writer: what the devices' publishes became, from every connection, stored in
//! shared transactions (group commit), each publish told once its transaction has committed.
//! The queue to it is bounded in bytes as well as in messages: a message holds a copy of its
//! payload (up to 1 MiB), so a count alone would let a slow store hold gigabytes.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::domain::Incoming;
use crate::ingest::mqtt::{ErrorSource, IngestStatus};
use crate::store::Store;

const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The most bytes of device messages queued for, or being written by, the writer; a
/// connection whose message does not fit waits (and so does its device, unacknowledged).
pub const QUEUE_BYTES: usize = 32 * 1024 * 1024;

/// What a queued item costs besides its payload: its topic, times and bookkeeping.
const ITEM_OVERHEAD: usize = 256;

/// What one PUBLISH became, and whom to tell when it is committed.
pub struct Commit {
    items: Vec<Incoming>,
    done: oneshot::Sender<()>,
    /// Its share of [`QUEUE_BYTES`], given back once it is committed.
    _bytes: OwnedSemaphorePermit,
}

/// The writer's queue, for the gate's connections.
#[derive(Clone)]
pub struct Queue {
    commits: mpsc::Sender<Commit>,
    bytes: Arc<Semaphore>,
    status: Arc<IngestStatus>,
}

/// The writer stopped: Xanh is shutting down.
#[derive(Debug)]
pub struct Closed;

impl Queue {
    /// Queue what one PUBLISH became, waiting while the queue is full; the receiver hears
    /// once it is committed.
    pub async fn send(&self, items: Vec<Incoming>) -> Result<oneshot::Receiver<()>, Closed> {
        let bytes = Arc::clone(&self.bytes).acquire_many_owned(cost(&items)).await.map_err(|_| Closed)?;
        let (done, committed) = oneshot::channel();
        self.status.enqueued(1);
        if self.commits.send(Commit { items, done, _bytes: bytes }).await.is_err() {
            self.status.dequeued(1);
            return Err(Closed);
        }
        Ok(committed)
    }
}

/// What queuing `items` costs of [`QUEUE_BYTES`] (a message larger than the whole budget takes
/// all of it).
fn cost(items: &[Incoming]) -> u32 {
    let bytes: usize = items
        .iter()
        .map(|item| {
            let origin = match item {
                Incoming::Reading(_, origin) => origin,
                Incoming::Rejected(rejection) => &rejection.origin,
            };
            origin.payload.len() + origin.topic.as_ref().map_or(0, String::len) + ITEM_OVERHEAD
        })
        .sum();
    bytes.clamp(1, QUEUE_BYTES) as u32
}

/// Start the writer; it ends when every queue handle is gone and the last batch is committed.
pub fn spawn(store: Arc<dyn Store>, status: Arc<IngestStatus>, batch_size: usize) -> (Queue, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(batch_size.max(1) * 4);
    let queue = Queue { commits: tx, bytes: Arc::new(Semaphore::new(QUEUE_BYTES)), status: Arc::clone(&status) };
    (queue, tokio::spawn(run(rx, store, status, batch_size)))
}

async fn run(mut queue: mpsc::Receiver<Commit>, store: Arc<dyn Store>, status: Arc<IngestStatus>, batch_size: usize) {
    while let Some(first) = queue.recv().await {
        let mut count = first.items.len();
        let mut commits = vec![first];
        while count < batch_size {
            match queue.try_recv() {
                Ok(commit) => {
                    count += commit.items.len();
                    commits.push(commit);
                }
                Err(_) => break,
            }
        }
        status.dequeued(commits.len());
        let batch: Vec<Incoming> = commits.iter().flat_map(|c| c.items.iter().cloned()).collect();
        let mut backoff = Duration::from_millis(100);
        loop {
            let started = std::time::Instant::now();
            match store.write(batch.clone()).await {
                Ok(report) => {
                    status.count_write(&batch, &report, started.elapsed());
                    status.recover(ErrorSource::Store);
                    break;
                }
                Err(e) => {
                    // Not acknowledged, so not lost: the devices wait (and slow down) meanwhile.
                    tracing::error!(error = %e, retry_in = ?backoff, "embedded broker: cannot store what devices sent; they wait for their acknowledgements");
                    status.fail(ErrorSource::Store, format!("store: {e}"));
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        for commit in commits {
            // A connection that has gone meanwhile needs no answer: its client sends again.
            let _ = commit.done.send(());
        }
        // The commits' bytes go back to the queue's budget as they are dropped here.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Origin, RejectReason, Rejection, Source};
    use crate::store::SqliteStore;

    /// A message of `bytes` that the store keeps among the rejected.
    fn message(bytes: usize) -> Vec<Incoming> {
        let origin = Origin {
            source: Source::Mqtt,
            received_at: jiff::Timestamp::now(),
            topic: Some("xanh/dien-a/reading".into()),
            payload: vec![b'x'; bytes],
            sender: None,
        };
        vec![Incoming::Rejected(Rejection {
            origin,
            meter: None,
            reason: RejectReason::Undecodable,
            detail: "không đọc được".into(),
        })]
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_store_that_cannot_write_holds_at_most_the_queue_bytes_of_messages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("xanh.db");
        let store = SqliteStore::open(&path, &jiff::tz::TimeZone::UTC, "UTC", &[]).unwrap();
        let status = Arc::new(IngestStatus::default());
        let (queue, writer) = spawn(Arc::new(store), Arc::clone(&status), 1000);
        // Another process holds the write lock: nothing is committed meanwhile.
        let holder = rusqlite::Connection::open(&path).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();

        const MIB: usize = 1024 * 1024;
        let mut waiting = Vec::new();
        loop {
            match tokio::time::timeout(Duration::from_millis(300), queue.send(message(MIB))).await {
                Ok(committed) => waiting.push(committed.unwrap()),
                Err(_) => break,
            }
            assert!(waiting.len() <= 64, "the queue took {} MiB and more", waiting.len());
        }
        // 1 MiB and its topic and bookkeeping each: 31 fit in 32 MiB, the 32nd waits.
        assert_eq!(waiting.len(), QUEUE_BYTES / (MIB + 19 + ITEM_OVERHEAD));

        holder.execute_batch("ROLLBACK").unwrap();
        for committed in waiting {
            tokio::time::timeout(Duration::from_secs(30), committed).await.unwrap().unwrap();
        }
        assert_eq!(status.snapshot().queued, 0);
        let committed = queue.send(message(MIB)).await.unwrap();
        committed.await.unwrap();
        drop(queue);
        writer.await.unwrap();
        assert_eq!(status.snapshot().rejected, 32);
    }
}
