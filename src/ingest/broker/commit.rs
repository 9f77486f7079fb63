//! The gate's one writer: what the devices' publishes became, from every connection, stored in
//! shared transactions (group commit), each publish told once its transaction has committed.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::domain::Incoming;
use crate::ingest::mqtt::{ErrorSource, IngestStatus};
use crate::store::Store;

const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What one PUBLISH became, and whom to tell when it is committed.
pub struct Commit {
    pub items: Vec<Incoming>,
    pub done: oneshot::Sender<()>,
}

/// Start the writer; it ends when every sender is gone and the last batch is committed.
pub fn spawn(
    store: Arc<dyn Store>,
    status: Arc<IngestStatus>,
    batch_size: usize,
) -> (mpsc::Sender<Commit>, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(batch_size.max(1) * 4);
    (tx, tokio::spawn(run(rx, store, status, batch_size)))
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
    }
}
