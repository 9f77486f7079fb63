//! Password checks run on a fixed pool of threads with a bounded queue: a burst of logins
//! waits its turn or is refused as busy. Each thread keeps one Argon2 buffer (19 MiB) for all
//! its checks, so memory neither grows with the number of parallel logins nor stays behind
//! in the allocator after a burst.

use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

/// A job gets its thread's Argon2 working memory.
type Job = Box<dyn FnOnce(&mut Vec<argon2::Block>) + Send>;

pub struct HashingPool {
    jobs: SyncSender<Job>,
}

/// The queue is full: the caller answers "busy, try again".
#[derive(Debug)]
pub struct Busy;

impl HashingPool {
    /// `threads` hashing at once, `queued` more waiting.
    pub fn new(threads: usize, queued: usize) -> HashingPool {
        let (jobs, receiver) = mpsc::sync_channel::<Job>(queued);
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..threads.max(1) {
            let receiver = Arc::clone(&receiver);
            let spawned = std::thread::Builder::new().name(format!("xanh-hash-{n}")).spawn(move || {
                let mut memory = Vec::new();
                loop {
                    let job = receiver.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    match job {
                        Ok(job) => job(&mut memory),
                        Err(_) => return,
                    }
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        HashingPool { jobs }
    }

    /// Run `work` on the pool with its thread's Argon2 memory and wait for its result, or
    /// `Busy` when the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<argon2::Block>) -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _ = done.send(work(memory));
        });
        match self.jobs.try_send(job) {
            Ok(()) => result.await.map_err(|_| Busy),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Err(Busy),
        }
    }
}
