//! Publishing simulated readings over MQTT, no faster than the ingestor keeps up.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use jiff::{SignedDuration, Timestamp};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

use super::{Model, SimReading, grid, progress};
use crate::config::{Broker, Config};

/// An MQTT client that publishes with QoS 1 and knows when the broker has every message.
pub(super) struct Publisher {
    client: AsyncClient,
    acked: Arc<AtomicU64>,
    published: AtomicU64,
    /// Messages a second; a broker acknowledges a publisher long before its subscribers
    /// have read the message, so the publisher must not outrun the ingestor.
    rate: u32,
    started: std::time::Instant,
}

impl Publisher {
    pub(super) async fn connect(config: &Config, rate: u32) -> anyhow::Result<Publisher> {
        let (host, port, tls) = match &config.mqtt.broker {
            Broker::Embedded(embedded) => {
                let listen = embedded.listen;
                let host = if listen.ip().is_unspecified() { "127.0.0.1".to_owned() } else { listen.ip().to_string() };
                (host, listen.port(), None)
            }
            Broker::External(external) => {
                let tls = external
                    .tls
                    .as_ref()
                    .map(|t| crate::ingest::mqtt::tls::client_config(t, &config.source))
                    .transpose()?;
                (external.host.clone(), external.port, tls)
            }
        };
        let mut options = MqttOptions::new(format!("xanh-simulator-{}", std::process::id()), host.clone(), port);
        if let Some(tls) = tls {
            options.set_transport(rumqttc::Transport::tls_with_config(rumqttc::TlsConfiguration::Rustls(tls)));
        }
        options.set_keep_alive(Duration::from_secs(30)).set_inflight(200);
        if let Some(user) = &config.mqtt.username {
            options.set_credentials(user.clone(), config.mqtt.password.clone().unwrap_or_default());
        }
        let (client, mut eventloop) = AsyncClient::new(options, 1000);
        let acked = Arc::new(AtomicU64::new(0));
        let (connected_tx, connected_rx) = tokio::sync::oneshot::channel();
        let counter = Arc::clone(&acked);
        tokio::spawn(async move {
            let mut connected = Some(connected_tx);
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        if let Some(tx) = connected.take() {
                            let _ = tx.send(Ok(()));
                        }
                    }
                    Ok(Event::Incoming(Packet::PubAck(_))) => {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        if let Some(tx) = connected.take() {
                            let _ = tx.send(Err(e.to_string()));
                            return;
                        }
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        match tokio::time::timeout(Duration::from_secs(10), connected_rx).await {
            Ok(Ok(Ok(()))) => Ok(Publisher {
                client,
                acked,
                published: AtomicU64::new(0),
                rate: rate.max(1),
                started: std::time::Instant::now(),
            }),
            Ok(Ok(Err(e))) => {
                anyhow::bail!("cannot connect to the MQTT broker at {host}:{port}: {e}; is `xanh serve` running?")
            }
            _ => anyhow::bail!("no answer from the MQTT broker at {host}:{port} within 10 s; is `xanh serve` running?"),
        }
    }

    pub(super) async fn publish(&self, readings: Vec<SimReading>) -> anyhow::Result<()> {
        for reading in readings {
            self.client
                .publish(reading.topic.as_str(), QoS::AtLeastOnce, false, reading.payload())
                .await
                .context("publishing a simulated reading")?;
            let published = self.published.fetch_add(1, Ordering::Relaxed) + 1;
            if published.is_multiple_of(100) {
                let due = Duration::from_secs_f64(published as f64 / f64::from(self.rate));
                if let Some(ahead) = due.checked_sub(self.started.elapsed()) {
                    tokio::time::sleep(ahead).await;
                }
            }
        }
        Ok(())
    }

    /// Wait until the broker has acknowledged everything published.
    pub(super) async fn drain(&self) {
        let target = self.published.load(Ordering::Relaxed);
        for _ in 0..3000 {
            if self.acked.load(Ordering::Relaxed) >= target {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        eprintln!("simulate: the broker did not acknowledge every message within 30 s");
    }

    pub(super) async fn history(
        &self,
        model: &mut Model,
        from: Timestamp,
        to: Timestamp,
        interval: SignedDuration,
    ) -> anyhow::Result<Timestamp> {
        let mut last = from;
        let mut shown = -5;
        for (start, end) in grid(from, to, interval) {
            self.publish(model.advance(start, end)).await?;
            last = end;
            progress(end.as_millisecond() - from.as_millisecond(), from, to, &mut shown);
        }
        self.drain().await;
        eprintln!("\rsimulate: published {} readings of history", self.published.load(Ordering::Relaxed));
        Ok(last)
    }

    pub(super) async fn live(&self, model: &mut Model, mut last: Timestamp, every: Duration) -> anyhow::Result<()> {
        eprintln!("simulate: publishing live every {every:?}; Ctrl-C stops");
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = tokio::signal::ctrl_c() => break,
            }
            let now = Timestamp::now();
            self.publish(model.advance(last, now)).await?;
            last = now;
        }
        self.drain().await;
        Ok(())
    }
}
