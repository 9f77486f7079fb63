//! Sends the queued notifications through the channels: each from the store's outbox, so what
//! could not be sent is tried again later (backoff doubling from `alerts.retry_after_s` up to an
//! hour) and survives a restart. A channel that fails or hangs delays only its own messages.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

use super::blocking;
use crate::notify::{Channel, Notification, SendError};
use crate::store::{AlertBook, StoreError};

/// The longest one attempt may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

pub struct Dispatcher {
    book: Arc<AlertBook>,
    channels: Vec<Box<dyn Channel>>,
    retry_after: Duration,
}

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub failed: usize,
}

impl Dispatcher {
    pub fn new(book: Arc<AlertBook>, channels: Vec<Box<dyn Channel>>, retry_after: Duration) -> Dispatcher {
        Dispatcher { book, channels, retry_after }
    }

    /// Try every notification due at `now` once.
    pub async fn send_due(&self, now: Timestamp) -> Result<Pass, StoreError> {
        let due = blocking(&self.book, move |book| book.due(now, 100)).await?;
        let mut pass = Pass::default();
        for item in due {
            let outcome = match serde_json::from_value::<Notification>(item.notification.clone()) {
                Ok(notification) => self.send(&notification).await,
                Err(e) => Err(SendError::Permanent(format!("the queued notification cannot be read: {e}"))),
            };
            let id = item.id;
            let result = match outcome {
                Ok(()) => {
                    pass.sent += 1;
                    blocking(&self.book, move |book| book.mark_sent(id, now)).await
                }
                Err(error) => {
                    pass.failed += 1;
                    tracing::warn!(recipient = %item.recipient, attempts = item.attempts + 1, %error, "an alert notification was not sent");
                    let retry_at = match &error {
                        SendError::Retryable(_) => Some(now + backoff(self.retry_after, item.attempts)),
                        SendError::Permanent(_) => None,
                    };
                    let text = error.to_string();
                    blocking(&self.book, move |book| book.mark_failed(id, &text, retry_at, now)).await
                }
            };
            result?;
        }
        Ok(pass)
    }

    async fn send(&self, notification: &Notification) -> Result<(), SendError> {
        let Some(channel) = self.channels.iter().find(|c| c.accepts(&notification.to)) else {
            return Err(SendError::Retryable(format!("no channel is configured for {:?}", notification.to)));
        };
        match tokio::time::timeout(SEND_TIMEOUT, channel.send(notification)).await {
            Ok(result) => result,
            Err(_) => Err(SendError::Retryable(format!("no answer within {} s", SEND_TIMEOUT.as_secs()))),
        }
    }

    /// Send what is due every second until shutdown.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.send_due(Timestamp::now()).await {
                tracing::error!(error = %e, "the alert outbox could not be read");
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }
}

/// The wait after `attempts` failed attempts: `first`, doubled each time, at most an hour.
fn backoff(first: Duration, attempts: u32) -> SignedDuration {
    let wait = first.saturating_mul(2u32.saturating_pow(attempts.min(20))).min(MAX_BACKOFF);
    SignedDuration::try_from(wait).unwrap_or(SignedDuration::from_hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_an_hour() {
        let first = Duration::from_secs(60);
        assert_eq!(backoff(first, 0), SignedDuration::from_secs(60));
        assert_eq!(backoff(first, 1), SignedDuration::from_secs(120));
        assert_eq!(backoff(first, 3), SignedDuration::from_secs(480));
        assert_eq!(backoff(first, 30), SignedDuration::from_hours(1));
    }
}
