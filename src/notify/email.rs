//! The e-mail channel: one message per notification over SMTP (lettre), protected by STARTTLS
//! or TLS (plain only to a relay on this machine), with the configured login. The subject and
//! body are UTF-8, so Vietnamese arrives as written; attachments (a PNG chart) ride along.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment as MailAttachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{Address, Channel, Notification, SendError, SendFuture};
use crate::config::{EmailConfig, SmtpSecurity};

/// Sends to `Address::Email` through the configured SMTP server.
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The most one message may take, from connecting to the server's last answer.
    timeout: Duration,
}

/// Why the e-mail channel cannot be built from its settings (said as a config problem).
#[derive(Debug, thiserror::Error)]
#[error("{key}: {problem}")]
pub struct SmtpSetupError {
    pub key: &'static str,
    pub problem: String,
    pub fix: String,
}

impl Smtp {
    /// Read the CA file (if any) and set up the transport; nothing is sent or connected yet.
    pub fn new(config: &EmailConfig) -> Result<Smtp, SmtpSetupError> {
        let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.as_str())
            .port(config.port)
            .timeout(Some(config.timeout));
        let builder = match config.security {
            SmtpSecurity::StartTls => builder.tls(Tls::Required(tls_parameters(config)?)),
            SmtpSecurity::Tls => builder.tls(Tls::Wrapper(tls_parameters(config)?)),
            SmtpSecurity::Plain => builder.tls(Tls::None),
        };
        let builder = match &config.login {
            Some(login) => builder.credentials(Credentials::new(login.username.clone(), login.password.clone())),
            None => builder,
        };
        Ok(Smtp { transport: builder.build(), from: config.from.clone(), timeout: config.timeout })
    }

    async fn deliver(&self, notification: &Notification) -> Result<(), SendError> {
        let Address::Email(to) = &notification.to else {
            return Err(SendError::Permanent(format!("{:?} is not an e-mail address", notification.to)));
        };
        let to: Mailbox =
            to.parse().map_err(|e| SendError::Permanent(format!("`{to}` is not an e-mail address: {e}")))?;
        let message = self.message(to, notification)?;
        // lettre's own timeout bounds connecting only: a server that takes the connection and
        // then says nothing would hold the send until it hangs up.
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Ok(sent) => sent.map(|_| ()).map_err(classify),
            Err(_) => {
                Err(SendError::Retryable(format!("the SMTP server did not finish within {} s", self.timeout.as_secs())))
            }
        }
    }

    fn message(&self, to: Mailbox, notification: &Notification) -> Result<Message, SendError> {
        let builder = Message::builder().from(self.from.clone()).to(to).subject(notification.subject.as_str());
        let text = SinglePart::plain(notification.text.clone());
        let built = if notification.attachments.is_empty() {
            builder.singlepart(text)
        } else {
            let mut parts = MultiPart::mixed().singlepart(text);
            for attachment in &notification.attachments {
                let content_type = ContentType::parse(&attachment.content_type).map_err(|e| {
                    SendError::Permanent(format!(
                        "attachment `{}` has the content type `{}`, which is not one ({e})",
                        attachment.file_name, attachment.content_type
                    ))
                })?;
                parts = parts.singlepart(
                    MailAttachment::new(attachment.file_name.clone()).body(attachment.bytes.clone(), content_type),
                );
            }
            builder.multipart(parts)
        };
        built.map_err(|e| SendError::Permanent(format!("the message cannot be written: {e}")))
    }
}

fn tls_parameters(config: &EmailConfig) -> Result<TlsParameters, SmtpSetupError> {
    let mut parameters = TlsParameters::builder(config.host.clone());
    if let Some(path) = &config.ca_file {
        let fix = "give the certificate (-----BEGIN CERTIFICATE-----) of the CA that signed the SMTP server's certificate, or leave ca_file out to trust the system's roots";
        let pem = std::fs::read(path).map_err(|e| SmtpSetupError {
            key: "notify.email.ca_file",
            problem: format!("`{}` cannot be read: {e}", path.display()),
            fix: fix.into(),
        })?;
        let certificate = Certificate::from_pem(&pem).map_err(|e| SmtpSetupError {
            key: "notify.email.ca_file",
            problem: format!("`{}` is not a PEM certificate: {e}", path.display()),
            fix: fix.into(),
        })?;
        parameters = parameters.certificate_store(CertificateStore::None).add_root_certificate(certificate);
    }
    parameters.build_rustls().map_err(|e| SmtpSetupError {
        key: "notify.email.ca_file",
        problem: format!("TLS cannot be set up: {e}"),
        fix: "check the CA file, or install the ca-certificates package for the system's roots".into(),
    })
}

/// The server's 5xx (a refused address, a wrong password) will not change by trying again;
/// a 4xx, a connection that failed or timed out, or TLS that failed (a certificate being
/// renewed) may.
fn classify(error: lettre::transport::smtp::Error) -> SendError {
    if error.is_permanent() || error.is_client() {
        SendError::Permanent(error.to_string())
    } else {
        SendError::Retryable(error.to_string())
    }
}

impl Channel for Smtp {
    fn accepts(&self, to: &Address) -> bool {
        matches!(to, Address::Email(_))
    }

    fn send<'a>(&'a self, notification: &'a Notification) -> SendFuture<'a> {
        Box::pin(self.deliver(notification))
    }
}
