//! How Xanh's messages leave it for people and other systems: e-mail and webhooks.
//!
//! A [`Notification`] is what one recipient gets, already worded (Vietnamese first) by the
//! module that raised it (alerts, reports). A [`Channel`] delivers one; callers keep what
//! could not be sent in the store and try again later, so a channel never queues in memory
//! and never retries by itself.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, ConfigProblem, NotifyConfig};

pub mod email;
pub mod webhook;

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
    /// Base64 in the JSON kept in the outbox: an array of numbers took 3–4 bytes a byte.
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

/// An attachment's bytes as one base64 string (standard alphabet, padded).
mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
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

/// The channels `[notify]` configures, for the dispatcher: the e-mail channel, then each
/// webhook. Files they need (the SMTP server's CA) are read now, so a wrong path stops Xanh
/// at start-up (and `xanh check-config`) with the key to fix rather than failing each send.
pub fn channels(config: &NotifyConfig, config_file: &str) -> Result<Vec<Box<dyn Channel>>, ConfigError> {
    let mut channels: Vec<Box<dyn Channel>> = Vec::new();
    let mut problems = Vec::new();
    if let Some(email) = &config.email {
        match email::Smtp::new(email) {
            Ok(smtp) => channels.push(Box::new(smtp)),
            Err(e) => problems.push(ConfigProblem { key: e.key.into(), problem: e.problem, fix: e.fix }),
        }
    }
    for (i, webhook) in config.webhooks.iter().enumerate() {
        match webhook::Webhook::new(webhook) {
            Ok(hook) => channels.push(Box::new(hook)),
            Err(e) => {
                problems.push(ConfigProblem { key: format!("notify.webhook[{i}]"), problem: e.problem, fix: e.fix })
            }
        }
    }
    if problems.is_empty() { Ok(channels) } else { Err(ConfigError { file: config_file.to_owned(), problems }) }
}
