//! The webhook channel: `Notification::event` as a JSON POST to a configured URL, signed so
//! the receiver can tell it came from Xanh and is fresh (docs/notifications.md):
//!
//! - `X-Xanh-Timestamp`: the Unix time in seconds when it was sent;
//! - `X-Xanh-Signature`: `sha256=` and the hex HMAC-SHA256, keyed with the webhook's secret,
//!   of the timestamp, a `.`, and the body's bytes. Signing the timestamp with the body keeps
//!   a captured message from being replayed later under a new time.
//!
//! Redirects are not followed (the signed body must not travel somewhere else unasked).

use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::redirect::Policy;
use ring::hmac;
use tokio_rustls::rustls::crypto::ring as ring_provider;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use url::Url;

use super::{Address, Channel, Notification, SendError, SendFuture};
use crate::config::WebhookConfig;

pub const TIMESTAMP_HEADER: &str = "X-Xanh-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-Xanh-Signature";

/// Sends to `Address::Webhook(name)` for its own name.
pub struct Webhook {
    name: String,
    url: Url,
    key: hmac::Key,
    client: reqwest::Client,
}

/// Why a webhook cannot be set up (said as a config problem).
#[derive(Debug, thiserror::Error)]
#[error("{problem}")]
pub struct WebhookSetupError {
    pub problem: String,
    pub fix: String,
}

impl Webhook {
    pub fn new(config: &WebhookConfig) -> Result<Webhook, WebhookSetupError> {
        let mut roots = RootCertStore::empty();
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        if roots.is_empty() && config.url.scheme() == "https" {
            return Err(WebhookSetupError {
                problem: "this system has no trusted root certificates to check the receiver with".into(),
                fix: "install the ca-certificates package".into(),
            });
        }
        let tls = ClientConfig::builder_with_provider(Arc::new(ring_provider::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| WebhookSetupError {
                problem: format!("rustls refused its default protocol versions: {e}"),
                fix: "report this as a bug".into(),
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .redirect(Policy::none())
            .timeout(config.timeout)
            .user_agent(concat!("xanh/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WebhookSetupError {
                problem: format!("the HTTP client cannot be set up: {e}"),
                fix: "report this as a bug".into(),
            })?;
        Ok(Webhook {
            name: config.name.clone(),
            url: config.url.clone(),
            key: hmac::Key::new(hmac::HMAC_SHA256, config.secret.as_bytes()),
            client,
        })
    }

    async fn deliver(&self, notification: &Notification) -> Result<(), SendError> {
        let body = serde_json::to_vec(&notification.event)
            .map_err(|e| SendError::Permanent(format!("the event cannot be written as JSON: {e}")))?;
        let timestamp = jiff::Timestamp::now().as_second();
        let response = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature(&self.key, timestamp, &body))
            .body(body)
            .send()
            .await
            .map_err(|e| SendError::Retryable(format!("webhook `{}`: {}", self.name, describe(&e))))?;
        classify(&self.name, response.status())
    }
}

/// `sha256=` and the hex HMAC-SHA256 of `<timestamp>.<body>`.
fn signature(key: &hmac::Key, timestamp: i64, body: &[u8]) -> String {
    let mut context = hmac::Context::with_key(key);
    context.update(timestamp.to_string().as_bytes());
    context.update(b".");
    context.update(body);
    let tag = context.sign();
    let mut hex = String::with_capacity(7 + 64);
    hex.push_str("sha256=");
    for byte in tag.as_ref() {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// reqwest's own message says little ("error sending request"); its cause says why.
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "no answer within the timeout".into();
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// 2xx: delivered. 5xx, 408 and 429: the receiver may take it later. Any other answer
/// (a 4xx, a redirect) will not change by sending the same again.
fn classify(name: &str, status: StatusCode) -> Result<(), SendError> {
    if status.is_success() {
        Ok(())
    } else if status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
    {
        Err(SendError::Retryable(format!("webhook `{name}` answered {status}")))
    } else if status.is_redirection() {
        Err(SendError::Permanent(format!(
            "webhook `{name}` answered {status} (redirects are not followed: put the new address in its url)"
        )))
    } else {
        Err(SendError::Permanent(format!("webhook `{name}` refused the message: {status}")))
    }
}

impl Channel for Webhook {
    fn accepts(&self, to: &Address) -> bool {
        matches!(to, Address::Webhook(name) if *name == self.name)
    }

    fn send<'a>(&'a self, notification: &'a Notification) -> SendFuture<'a> {
        Box::pin(self.deliver(notification))
    }
}
