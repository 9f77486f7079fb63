//! The MQTT channel: each active alert as a retained message on `xanh/alerts/<rule>/<id>`
//! (its JSON, as the API gives it), cleared with an empty retained payload once it resolves,
//! so that Home Assistant or Node-RED can react. Through whichever broker Xanh uses; what is
//! published is followed in the store (`alerts.mqtt_state`), so a broker that is down gets the
//! changes once it is back, and after a restart.

use std::sync::Arc;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS, Transport};
use tokio::sync::watch;

use super::blocking;
use super::recipients::event_of;
use crate::store::alerts::{AlertRecord, MqttChange};
use crate::store::{AlertBook, StoreError};

/// The topic of an alert.
pub fn topic(alert: &AlertRecord) -> String {
    format!("xanh/alerts/{}/{}", alert.rule.code(), alert.id)
}

/// How long the broker has to acknowledge one message.
const ACK_WAIT: Duration = Duration::from_secs(10);

/// Where and as whom the publisher connects.
#[derive(Clone)]
pub struct BrokerAddress {
    pub host: String,
    pub port: u16,
    pub client_id: String,
    pub credentials: Option<(String, String)>,
    pub tls: Option<Arc<tokio_rustls::rustls::ClientConfig>>,
}

pub struct Publisher {
    book: Arc<AlertBook>,
    broker: BrokerAddress,
    /// The office's time zone, for the times in the payload.
    tz: jiff::tz::TimeZone,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the MQTT broker: {0}")]
    Broker(String),
}

impl Publisher {
    pub fn new(book: Arc<AlertBook>, broker: BrokerAddress, tz: jiff::tz::TimeZone) -> Publisher {
        Publisher { book, broker, tz }
    }

    fn connect(&self) -> (AsyncClient, EventLoop) {
        let mut options = MqttOptions::new(self.broker.client_id.clone(), self.broker.host.clone(), self.broker.port);
        options.set_keep_alive(Duration::from_secs(30)).set_clean_session(true);
        if let Some((user, password)) = &self.broker.credentials {
            options.set_credentials(user.clone(), password.clone());
        }
        if let Some(tls) = &self.broker.tls {
            options.set_transport(Transport::tls_with_config(rumqttc::TlsConfiguration::Rustls(Arc::clone(tls))));
        }
        AsyncClient::new(options, 10)
    }

    /// Publish (or clear) every retained topic not yet in line with the alerts, one at a time,
    /// each marked in the store once the broker acknowledged it. Returns how many.
    pub async fn publish_pending(&self) -> Result<usize, PublishError> {
        let pending = blocking(&self.book, |book| book.mqtt_pending(100)).await?;
        if pending.is_empty() {
            return Ok(0);
        }
        let (client, mut events) = self.connect();
        let mut done = 0;
        for change in pending {
            let (alert, payload, published) = match change {
                MqttChange::Publish(alert) => {
                    let payload = event_of(&alert, &self.tz).to_string().into_bytes();
                    (alert, payload, true)
                }
                MqttChange::Clear(alert) => (alert, Vec::new(), false),
            };
            client
                .publish(topic(&alert), QoS::AtLeastOnce, true, payload)
                .await
                .map_err(|e| PublishError::Broker(e.to_string()))?;
            tokio::time::timeout(ACK_WAIT, acknowledged(&mut events))
                .await
                .map_err(|_| PublishError::Broker(format!("no acknowledgement within {} s", ACK_WAIT.as_secs())))??;
            let id = alert.id;
            blocking(&self.book, move |book| book.mark_mqtt(id, published)).await?;
            done += 1;
        }
        let _ = client.disconnect().await;
        let _ = tokio::time::timeout(Duration::from_secs(1), async { while events.poll().await.is_ok() {} }).await;
        Ok(done)
    }

    /// Publish what changed every second until shutdown.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut failing = false;
        loop {
            match self.publish_pending().await {
                Ok(_) => failing = false,
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(error = %e, "alerts could not be published on MQTT; trying again");
                }
                Err(_) => {}
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }
}

/// Drive the connection until the broker acknowledges the message just sent.
async fn acknowledged(events: &mut EventLoop) -> Result<(), PublishError> {
    loop {
        match events.poll().await {
            Ok(Event::Incoming(Packet::PubAck(_))) => return Ok(()),
            Ok(Event::Incoming(Packet::ConnAck(ack))) if ack.code != rumqttc::ConnectReturnCode::Success => {
                return Err(PublishError::Broker(format!("refused the connection: {:?}", ack.code)));
            }
            Ok(_) => {}
            Err(e) => return Err(PublishError::Broker(e.to_string())),
        }
    }
}
