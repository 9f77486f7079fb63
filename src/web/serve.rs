//! The web server's connections: at most `max_connections` open at once (when all are taken,
//! the oldest one serving no request is closed for a new client, or the new one waits), at
//! most `max_connections_per_address` from one address (more are closed), each request's
//! headers within `header_timeout` (an idle kept-alive connection is closed after it too) and
//! its whole body within `body_timeout`. A client that sends slowly or not at all therefore
//! holds a connection for a bounded time, and never the descriptors the broker and the store
//! need.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::AbortHandle;
use tower_service::Service;

use crate::config::WebLimits;

/// Serve `router` on `listener` until `stop` turns true, then let open requests finish.
pub async fn serve(listener: TcpListener, router: Router, limits: WebLimits, mut stop: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let per_address = PerAddress::default();
    let open = Open::default();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or a connection reset before it was taken: wait a
                    // moment rather than spin.
                    tracing::warn!(error = %e, "the web server cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut stop) => break,
        };
        let Some(held) = per_address.take(peer.ip(), limits.max_connections_per_address) else {
            tracing::debug!(%peer, "web connection closed: its address holds too many");
            continue;
        };
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                // Every slot is taken: close the oldest connection that is not serving a
                // request (idle, or still sending its headers), or wait for one to end.
                open.close_oldest_idle();
                tokio::select! {
                    slot = Arc::clone(&slots).acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                    _ = stopped(&mut stop) => break,
                }
            }
        };
        let serving = Arc::new(AtomicUsize::new(0));
        let router = router.clone();
        let body_timeout = limits.body_timeout;
        let counter = Arc::clone(&serving);
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let request = request.map(|body| Body::new(Deadline::new(body, body_timeout)));
            let mut router = router.clone();
            let serving = Serving::start(&counter);
            async move {
                let response = router.call(request).await.unwrap_or_else(|never| match never {});
                drop(serving);
                Ok::<_, Infallible>(response)
            }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        let mut connections = open.lock();
        let id = connections.next_id;
        connections.next_id += 1;
        let listed = Listed { open: open.clone(), id };
        let task = tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "web connection ended");
            }
            drop((slot, held, listed));
        });
        connections.by_age.insert(id, (serving, task.abort_handle()));
    }
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await.is_err() {
        tracing::warn!("web requests still open after 10 s were dropped at shutdown");
    }
}

/// The open connections, oldest first, with how many requests each is serving.
#[derive(Clone, Default)]
struct Open(Arc<Mutex<Connections>>);

#[derive(Default)]
struct Connections {
    next_id: u64,
    by_age: BTreeMap<u64, (Arc<AtomicUsize>, AbortHandle)>,
}

impl Open {
    fn lock(&self) -> std::sync::MutexGuard<'_, Connections> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Close the oldest connection serving no request; a browser opens a new one unharmed.
    fn close_oldest_idle(&self) {
        let task = {
            let mut connections = self.lock();
            let idle = connections.by_age.iter().find(|(_, (serving, _))| serving.load(Ordering::Acquire) == 0);
            // Taken off the list at once, so that the next new client picks another one.
            let id = idle.map(|(id, _)| *id);
            id.and_then(|id| connections.by_age.remove(&id)).map(|(_, task)| task)
        };
        // Aborted with the list unlocked: the task's end takes the lock to leave the list.
        if let Some(task) = task {
            tracing::debug!("every web connection slot is taken: the oldest idle connection is closed");
            task.abort();
        }
    }
}

/// A connection's place in [`Open`], given up when its task ends or is aborted.
struct Listed {
    open: Open,
    id: u64,
}

impl Drop for Listed {
    fn drop(&mut self) {
        self.open.lock().by_age.remove(&self.id);
    }
}

/// One request being served on a connection.
struct Serving(Arc<AtomicUsize>);

impl Serving {
    fn start(counter: &Arc<AtomicUsize>) -> Serving {
        counter.fetch_add(1, Ordering::AcqRel);
        Serving(Arc::clone(counter))
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How many connections each client address holds.
#[derive(Clone, Default)]
struct PerAddress(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One connection counted against its address until dropped.
struct Held {
    counts: PerAddress,
    address: IpAddr,
}

impl PerAddress {
    fn take(&self, address: IpAddr, limit: usize) -> Option<Held> {
        let mut counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let count = counts.entry(address).or_default();
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(Held { counts: self.clone(), address })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.address);
            }
        }
    }
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is dropped here, before anything else awaits.
    let _ = stop.wait_for(|stopping| *stopping).await;
}

/// A request body that fails once its time is up, however slowly it trickles in.
struct Deadline {
    body: Incoming,
    timer: Pin<Box<tokio::time::Sleep>>,
    timeout: Duration,
}

impl Deadline {
    fn new(body: Incoming, timeout: Duration) -> Deadline {
        Deadline { body, timer: Box::pin(tokio::time::sleep(timeout)), timeout }
    }
}

impl http_body::Body for Deadline {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(axum::Error::new)));
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(format!(
                "the request body did not arrive within {} s (web.body_timeout_s)",
                self.timeout.as_secs()
            ))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
