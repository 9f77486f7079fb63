//! The gate: Xanh's own MQTT listener in front of rumqttd, so that a device's reading is
//! acknowledged only after it is committed.
//!
//! rumqttd acknowledges a QoS 1 PUBLISH as soon as it has routed it. So every client connects
//! here (plain or through TLS) and the gate reads its MQTT 3.1.1 frames: it checks the CONNECT
//! (login, client id, last will) itself, and passes each PUBLISH on a meter's topic through
//! the pipeline and the store before forwarding the frame, unchanged and in order, to rumqttd on
//! 127.0.0.1. rumqttd's PUBACK therefore follows the commit; it still routes every message to
//! subscribers (Home Assistant, Node-RED) and keeps sessions, subscriptions and retained
//! messages. rumqttd accepts only CONNECTs the gate has rewritten with this run's secret, so
//! its loopback port is of no use around the gate. A store that cannot write leaves the frames
//! waiting here: the gate stops reading that connection and the device slows down.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use jiff::Timestamp;
use rumqttd::protocol::v4::{self, V4};
use rumqttd::protocol::{ConnAck, ConnectReturnCode, Login, Packet, Protocol};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};

use super::access::Access;
use super::commit::{Closed, Queue};
use super::limits::{Limits, Slot};
use crate::ingest::Pipeline;
use crate::ingest::mqtt::IngestStatus;

/// The largest MQTT packet the gate reads: more than any meter sends, so that an oversized
/// payload is still kept among the rejected (its start) rather than cut off unseen.
pub const MAX_PACKET: usize = 1024 * 1024;
/// Frames of one connection read and not yet forwarded: the device's back-pressure.
const WAITING_FRAMES: usize = 1024;
/// How long a connection being closed for a shutdown waits for rumqttd's last PUBACKs.
const LAST_ACKS: Duration = Duration::from_millis(500);

/// What every connection shares.
pub struct Gate {
    pub access: Arc<Access>,
    pub limits: Arc<Limits>,
    pub pipeline: Pipeline,
    pub commits: Queue,
    pub status: Arc<IngestStatus>,
    /// rumqttd's listener on 127.0.0.1 and the password it takes from the gate only.
    pub backend: SocketAddr,
    pub backend_secret: String,
    /// Xanh's own clients' ids, which no client may take.
    pub reserved_client_ids: Vec<String>,
    pub connect_timeout: Duration,
    pub shutdown: watch::Receiver<bool>,
}

/// Who ended a connection.
#[derive(PartialEq, Eq)]
enum EndedBy {
    Client,
    Broker,
    Shutdown,
}

/// A frame read from the client, and the commit it must wait for before rumqttd gets it.
struct Forward {
    frame: BytesMut,
    after: Option<oneshot::Receiver<()>>,
}

impl Gate {
    /// Serve one client until it or rumqttd closes, or Xanh stops; `slot` is its place
    /// among the connections.
    pub async fn serve<S>(self: Arc<Self>, client: S, peer: SocketAddr, slot: Slot)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (mut from_client, mut to_client) = tokio::io::split(client);
        let mut buffer = BytesMut::with_capacity(4096);
        let mut shutdown = self.shutdown.clone();
        let first = tokio::select! {
            first = tokio::time::timeout(self.connect_timeout, next_frame(&mut from_client, &mut buffer)) => first,
            _ = shutdown.wait_for(|stopping| *stopping) => return,
        };
        let connect = match first {
            Ok(Ok(Some(frame))) => frame,
            Ok(_) => return,
            Err(_) => {
                return tracing::info!(%peer, "embedded broker: closed a connection that sent no CONNECT within {} s", self.connect_timeout.as_secs());
            }
        };
        let Ok(Packet::Connect(connect, _, will, _, login)) = V4.read_mut(&mut connect.clone(), MAX_PACKET) else {
            return tracing::info!(%peer, "embedded broker: closed a connection whose first packet was not an MQTT 3.1.1 CONNECT");
        };
        let username = match self.admit(peer, &connect.client_id, login).await {
            Ok(username) => username,
            Err(code) => return refuse(&mut to_client, code).await,
        };
        if let Some(will) = &will {
            let topic = std::str::from_utf8(&will.topic).unwrap_or_default();
            if !self.may_publish(username.as_deref(), topic, "last-will message") {
                return refuse(&mut to_client, ConnectReturnCode::NotAuthorized).await;
            }
        }
        let mut backend = match TcpStream::connect(self.backend).await {
            Ok(backend) => backend,
            Err(e) => {
                tracing::error!(error = %e, "embedded broker: the gate cannot reach rumqttd on {}", self.backend);
                return refuse(&mut to_client, ConnectReturnCode::ServiceUnavailable).await;
            }
        };
        let _ = backend.set_nodelay(true);
        let login = Login { username: username.clone().unwrap_or_default(), password: self.backend_secret.clone() };
        let mut rewritten = BytesMut::new();
        if V4.write(Packet::Connect(connect, None, will, None, Some(login)), &mut rewritten).is_err()
            || backend.write_all(&rewritten).await.is_err()
        {
            return;
        }
        let (mut from_backend, to_backend) = backend.into_split();
        let mut back = tokio::spawn(async move {
            let _ = tokio::io::copy(&mut from_backend, &mut to_client).await;
            let _ = to_client.shutdown().await;
        });
        let (frames, waiting) = mpsc::channel(WAITING_FRAMES);
        let forwarder = tokio::spawn(forward(waiting, to_backend));
        let ended = Arc::clone(&self).read(from_client, buffer, username, frames, &mut back).await;
        // Everything read is committed and forwarded before the connection ends, and
        // rumqttd's last acknowledgements get a moment to reach the client.
        let _ = forwarder.await;
        if ended != EndedBy::Broker {
            let _ = tokio::time::timeout(LAST_ACKS, &mut back).await;
        }
        back.abort();
        drop(slot);
    }

    /// Read the client's frames until it closes, rumqttd closes or Xanh stops, committing
    /// each PUBLISH on a meter's topic and queueing every frame in order for rumqttd.
    async fn read<R: AsyncRead + Unpin>(
        self: Arc<Self>,
        mut from_client: R,
        mut buffer: BytesMut,
        username: Option<String>,
        frames: mpsc::Sender<Forward>,
        back: &mut tokio::task::JoinHandle<()>,
    ) -> EndedBy {
        let mut shutdown = self.shutdown.clone();
        loop {
            let frame = tokio::select! {
                frame = next_frame(&mut from_client, &mut buffer) => frame,
                _ = shutdown.wait_for(|stopping| *stopping) => return EndedBy::Shutdown,
                // rumqttd closed the connection (a session taken over, a protocol error).
                _ = &mut *back => return EndedBy::Broker,
            };
            let Ok(Some(frame)) = frame else { return EndedBy::Client };
            let mut after = None;
            let mut last = false;
            match V4.read_mut(&mut frame.clone(), MAX_PACKET) {
                Ok(Packet::Publish(publish, _)) => {
                    let Ok(topic) = std::str::from_utf8(&publish.topic) else { return EndedBy::Client };
                    if !self.may_publish(username.as_deref(), topic, "publish") {
                        return EndedBy::Client;
                    }
                    if self.pipeline.ingests(topic) {
                        self.status.count_message();
                        let items = self.pipeline.from_mqtt(topic, &publish.payload, Timestamp::now());
                        match self.commits.send(items).await {
                            Ok(committed) => after = Some(committed),
                            Err(Closed) => return EndedBy::Shutdown,
                        }
                    }
                }
                Ok(Packet::Disconnect(..)) => last = true,
                Ok(Packet::Connect(..)) | Err(_) => return EndedBy::Client,
                Ok(_) => {}
            }
            if frames.send(Forward { frame, after }).await.is_err() || last {
                return EndedBy::Client;
            }
        }
    }

    /// Let in a client (its username if it logged in), or say why not.
    async fn admit(
        &self,
        peer: SocketAddr,
        client_id: &str,
        login: Option<Login>,
    ) -> Result<Option<String>, ConnectReturnCode> {
        if self.reserved_client_ids.iter().any(|own| own == client_id) {
            tracing::warn!(%peer, %client_id, "embedded broker: refused a client that used Xanh's own client id");
            return Err(ConnectReturnCode::ClientIdentifierNotValid);
        }
        if self.access.is_open() {
            return Ok(login.map(|l| l.username));
        }
        let Some(login) = login else { return Err(ConnectReturnCode::BadUserNamePassword) };
        let Some(_check) = self.limits.login_check(peer.ip()) else {
            tracing::warn!(%peer, username = %login.username, "embedded broker: refused a login unchecked: too many failed or waiting logins from this address");
            return Err(ConnectReturnCode::NotAuthorized);
        };
        if !Arc::clone(&self.access).check_login(client_id, &login.username, login.password).await {
            self.limits.failed_login(peer.ip());
            return Err(ConnectReturnCode::BadUserNamePassword);
        }
        if !self.access.bind_client_id(client_id, &login.username) {
            return Err(ConnectReturnCode::ClientIdentifierNotValid);
        }
        tracing::info!(%peer, username = %login.username, %client_id, "embedded broker: client logged in");
        Ok(Some(login.username))
    }

    fn may_publish(&self, username: Option<&str>, topic: &str, what: &str) -> bool {
        if self.access.may_publish(username, topic) {
            return true;
        }
        tracing::warn!(
            username = username.unwrap_or("(none)"),
            topic,
            allowed = %self.access.allowed_topics(username),
            "embedded broker: refused a {what} outside the client's topics and closed its connection"
        );
        false
    }
}

/// Hand frames to rumqttd in the order read, each PUBLISH once its commit is done.
async fn forward(mut frames: mpsc::Receiver<Forward>, mut to_backend: tokio::net::tcp::OwnedWriteHalf) {
    while let Some(Forward { frame, after }) = frames.recv().await {
        if let Some(committed) = after {
            // No answer: Xanh stopped before the commit, so the frame is not acknowledged.
            if committed.await.is_err() {
                return;
            }
        }
        if to_backend.write_all(&frame).await.is_err() {
            return;
        }
    }
}

/// The next whole MQTT frame, or `None` when the stream ends; an error for a malformed or
/// oversized one.
async fn next_frame<R: AsyncRead + Unpin>(from: &mut R, buffer: &mut BytesMut) -> std::io::Result<Option<BytesMut>> {
    loop {
        match v4::check(buffer.iter(), MAX_PACKET) {
            Ok(header) => return Ok(Some(buffer.split_to(header.frame_length()))),
            Err(rumqttd::protocol::Error::InsufficientBytes(_)) => {
                if from.read_buf(buffer).await? == 0 {
                    return Ok(None);
                }
            }
            Err(e) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())),
        }
    }
}

/// Answer a CONNECT with a refusal and close.
async fn refuse<W: AsyncWrite + Unpin>(to_client: &mut W, code: ConnectReturnCode) {
    let mut bytes = BytesMut::new();
    if V4.write(Packet::ConnAck(ConnAck { session_present: false, code }, None), &mut bytes).is_ok() {
        let _ = to_client.write_all(&bytes).await;
    }
    let _ = to_client.shutdown().await;
}
