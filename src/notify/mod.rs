//! How Xanh's messages leave it for people and other systems: e-mail and webhooks.
//!
//! A [`Notification`] is what one recipient gets, already worded (Vietnamese first) by the
//! module that raised it (alerts, reports). A [`Channel`] delivers one; callers keep what
//! could not be sent in the store and try again later, so a channel never queues in memory
//! and never retries by itself.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

/// One message for one recipient, as a channel sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Where it goes: an e-mail address or a configured webhook's name.
    pub to: Address,
    /// A one-line summary (the e-mail subject).
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The machine-readable event (the webhook's JSON body; e-mail ignores it).
    pub event: serde_json::Value,
    /// Files sent along (e.g. a PNG chart of the night in question).
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "channel", content = "to", rename_all = "snake_case")]
pub enum Address {
    Email(String),
    Webhook(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Why a notification was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later (connection refused, timeout, 5xx, SMTP 4xx).
    #[error("tạm thời không gửi được: {0}")]
    Retryable(String),
    /// Trying again will not help (address refused, 4xx, misconfiguration).
    #[error("không gửi được: {0}")]
    Permanent(String),
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;

/// A way out of Xanh. Implementations: `email::Smtp`, `webhook::Webhook`.
pub trait Channel: Send + Sync {
    /// Whether this channel delivers to `to` (an e-mail channel takes `Address::Email`).
    fn accepts(&self, to: &Address) -> bool;
    /// Deliver one notification, once; the caller decides about retrying.
    fn send<'a>(&'a self, notification: &'a Notification) -> SendFuture<'a>;
}
