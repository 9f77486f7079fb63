//! Who may connect to the embedded broker and what each client may publish.
//!
//! rumqttd 0.20 checks logins through an async handler but has no per-client publish ACL (its
//! only topic check is a fixed `/tenants/<org>/` prefix taken from TLS client certificates).
//! Its listener takes the MQTT codec as a parameter (`Server<P: Protocol>`), cloned for each
//! connection, so [`TopicGuard`] wraps the v4 codec: it remembers the CONNECT's username and
//! refuses a PUBLISH outside that client's topics before the packet reaches the router, which
//! closes the connection without a PUBACK (MQTT 3.1.1 §3.3.5 allows exactly this).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::BytesMut;
use rumqttd::protocol::v4::V4;
use rumqttd::protocol::{self, Packet, Protocol};
use tokio::sync::Semaphore;

use crate::auth::password::{decoy_hash, verify};
use crate::auth::secret::{random_secret, same};
use crate::config::{BrokerClient, INGEST_USERNAME};
use crate::domain::{PasswordDigest, TopicFilter};

/// Password checks running at once: each takes ~19 MiB and a core for tens of milliseconds.
const CONCURRENT_CHECKS: usize = 2;
/// CONNECTs waiting for a check beyond which new ones are refused at once, so that a flood
/// of logins cannot queue unbounded work.
const MAX_WAITING_CHECKS: usize = 64;

struct Client {
    password_hash: PasswordDigest,
    publish: Vec<TopicFilter>,
}

/// The login Xanh's ingestor uses on its own embedded broker.
#[derive(Clone)]
pub struct IngestLogin {
    pub username: String,
    pub password: String,
}

/// The embedded broker's clients, or none (an open broker).
pub struct Access {
    clients: HashMap<String, Client>,
    ingest: Option<(IngestLogin, String)>,
    checks: Semaphore,
    waiting: AtomicUsize,
}

impl Access {
    /// Anyone may connect and publish anywhere.
    pub fn open() -> Access {
        Access {
            clients: HashMap::new(),
            ingest: None,
            checks: Semaphore::new(CONCURRENT_CHECKS),
            waiting: AtomicUsize::new(0),
        }
    }

    /// Only `clients` and Xanh's ingestor (client id `ingest_client_id`) may connect. The
    /// ingestor's password is made here, in memory, for this run: it is never written down.
    pub fn with_clients(clients: &[BrokerClient], ingest_client_id: &str) -> Access {
        let clients = clients
            .iter()
            .map(|c| {
                (c.username.clone(), Client { password_hash: c.password_hash.clone(), publish: c.publish.clone() })
            })
            .collect();
        let login = IngestLogin { username: INGEST_USERNAME.to_owned(), password: random_secret() };
        Access { clients, ingest: Some((login, ingest_client_id.to_owned())), ..Access::open() }
    }

    pub fn is_open(&self) -> bool {
        self.ingest.is_none()
    }

    pub fn ingest_login(&self) -> Option<IngestLogin> {
        self.ingest.as_ref().map(|(login, _)| login.clone())
    }

    /// Whether a CONNECT with these credentials may go on. The argon2 check runs on a
    /// blocking thread, never on the broker's runtime.
    pub async fn check_login(self: Arc<Self>, client_id: String, username: String, password: String) -> bool {
        let Some((ingest, ingest_client_id)) = &self.ingest else { return true };
        if username == ingest.username {
            let matches = same(&password, &ingest.password);
            if !matches {
                tracing::warn!(%client_id, "embedded broker: refused a login as Xanh's own ingestor: wrong password");
            }
            return matches;
        }
        if &client_id == ingest_client_id {
            tracing::warn!(%username, %client_id, "embedded broker: refused a client that used Xanh's own client id, which would end Xanh's session");
            return false;
        }
        let waiting = Waiting::join(&self.waiting);
        if waiting.ahead >= MAX_WAITING_CHECKS {
            tracing::warn!(%username, %client_id, "embedded broker: refused a login, too many logins are waiting to be checked");
            return false;
        }
        let permit = self.checks.acquire().await;
        drop(waiting);
        let Ok(_permit) = permit else { return false };
        let access = Arc::clone(&self);
        let name = username.clone();
        let (known, matches) = tokio::task::spawn_blocking(move || match access.clients.get(&name) {
            Some(client) => (true, verify(&password, client.password_hash.as_str())),
            // As long as a wrong password takes, so that the time tells nothing.
            None => (false, verify(&password, decoy_hash())),
        })
        .await
        .unwrap_or((false, false));
        match (known, matches) {
            (true, true) => {
                tracing::info!(%username, %client_id, "embedded broker: client logged in");
                true
            }
            (true, false) => {
                tracing::warn!(%username, %client_id, "embedded broker: refused a login: wrong password");
                false
            }
            (false, _) => {
                tracing::warn!(%username, %client_id, "embedded broker: refused a login: unknown username");
                false
            }
        }
    }

    /// Whether `username` (as logged in) may publish on `topic`. Xanh's ingestor publishes nothing.
    fn may_publish(&self, username: Option<&str>, topic: &str) -> bool {
        if self.is_open() {
            return true;
        }
        username
            .and_then(|name| self.clients.get(name))
            .is_some_and(|client| client.publish.iter().any(|filter| filter.matches(topic)))
    }

    fn allowed_topics(&self, username: Option<&str>) -> String {
        let topics: Vec<&str> = username
            .and_then(|name| self.clients.get(name))
            .map(|client| client.publish.iter().map(TopicFilter::as_str).collect())
            .unwrap_or_default();
        topics.join(", ")
    }
}

/// A place in the queue of logins waiting for a check, given up when dropped (even if the
/// login's task is cancelled while it waits).
struct Waiting<'a> {
    count: &'a AtomicUsize,
    ahead: usize,
}

impl<'a> Waiting<'a> {
    fn join(count: &'a AtomicUsize) -> Waiting<'a> {
        Waiting { count, ahead: count.fetch_add(1, Ordering::SeqCst) }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The MQTT 3.1.1 codec with the publish limits: one per connection (rumqttd clones the
/// listener's), so it knows who logged in on this connection.
pub struct TopicGuard {
    access: Arc<Access>,
    codec: V4,
    username: Option<String>,
}

impl TopicGuard {
    pub fn new(access: Arc<Access>) -> TopicGuard {
        TopicGuard { access, codec: V4, username: None }
    }

    /// Refuse `topic` unless this connection's client may publish on it. rumqttd's protocol
    /// errors have no "not authorized"; any error closes the connection, and the log says why.
    fn check(&self, topic: &[u8], what: &str) -> Result<(), protocol::Error> {
        let topic = std::str::from_utf8(topic).map_err(|_| protocol::Error::TopicNotUtf8)?;
        if self.access.may_publish(self.username.as_deref(), topic) {
            return Ok(());
        }
        tracing::warn!(
            username = self.username.as_deref().unwrap_or("(none)"),
            topic,
            allowed = %self.access.allowed_topics(self.username.as_deref()),
            "embedded broker: refused a {what} outside the client's topics and closed its connection"
        );
        Err(protocol::Error::InvalidProtocol)
    }
}

impl Clone for TopicGuard {
    /// A fresh guard for a new connection: nobody has logged in on it yet.
    fn clone(&self) -> Self {
        TopicGuard::new(Arc::clone(&self.access))
    }
}

impl Protocol for TopicGuard {
    fn read_mut(&mut self, stream: &mut BytesMut, max_size: usize) -> Result<Packet, protocol::Error> {
        let packet = self.codec.read_mut(stream, max_size)?;
        match &packet {
            // rumqttd checks the password right after reading this packet and drops the
            // connection if it is wrong, so no PUBLISH is read under a name not checked.
            Packet::Connect(_, _, will, _, login) => {
                self.username = login.as_ref().map(|l| l.username.clone());
                if let Some(will) = will {
                    self.check(&will.topic, "last-will message")?;
                }
            }
            Packet::Publish(publish, _) => self.check(&publish.topic, "publish")?,
            _ => {}
        }
        Ok(packet)
    }

    fn write(&self, packet: Packet, write: &mut BytesMut) -> Result<usize, protocol::Error> {
        self.codec.write(packet, write)
    }
}

#[cfg(test)]
mod tests {
    use rumqttd::protocol::{Connect, LastWill, Login, Publish, QoS};

    use super::*;

    fn access() -> Arc<Access> {
        let client = BrokerClient {
            username: "tang-1".into(),
            // Never checked here: the guard only limits topics.
            password_hash: PasswordDigest::parse(
                "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            )
            .unwrap(),
            publish: vec![TopicFilter::try_from("gateways/tang-1/#".to_owned()).unwrap()],
        };
        Arc::new(Access::with_clients(&[client], "xanh-ingest"))
    }

    /// The bytes a client would send: CONNECT (as `username`, with a last will on
    /// `will_topic` if given), then one PUBLISH per topic.
    fn wire(username: &str, will_topic: Option<&str>, topics: &[&str]) -> BytesMut {
        let mut bytes = BytesMut::new();
        let connect = Connect { keep_alive: 30, client_id: "gw".into(), clean_session: true };
        let will = will_topic.map(|t| LastWill {
            topic: t.to_owned().into(),
            message: "offline".into(),
            qos: QoS::AtMostOnce,
            retain: false,
        });
        let login = Login { username: username.into(), password: "p".into() };
        V4.write(Packet::Connect(connect, None, will, None, Some(login)), &mut bytes).unwrap();
        for topic in topics {
            V4.write(Packet::Publish(Publish::new(topic.to_string(), "1".to_owned(), false), None), &mut bytes)
                .unwrap();
        }
        bytes
    }

    #[test]
    fn the_guard_lets_through_own_topics_and_stops_at_the_first_other() {
        let mut guard = TopicGuard::new(access());
        let mut bytes = wire(
            "tang-1",
            Some("gateways/tang-1/status"),
            &["gateways/tang-1/dien", "gateways/tang-2/dien", "gateways/tang-1/nuoc"],
        );
        assert!(matches!(guard.read_mut(&mut bytes, 1024), Ok(Packet::Connect(..))));
        assert!(matches!(guard.read_mut(&mut bytes, 1024), Ok(Packet::Publish(..))));
        assert!(guard.read_mut(&mut bytes, 1024).is_err(), "tang-2's topic must be refused");

        // A new connection starts with nobody logged in, whatever the last one was.
        let mut fresh = guard.clone();
        let mut bytes = wire("tang-1", None, &[]);
        V4.write(
            Packet::Publish(Publish::new("gateways/tang-1/dien".to_owned(), "1".to_owned(), false), None),
            &mut bytes,
        )
        .unwrap();
        assert!(fresh.read_mut(&mut bytes, 1024).is_ok());
        assert!(fresh.read_mut(&mut bytes, 1024).is_ok());
    }

    #[test]
    fn the_guard_refuses_a_last_will_elsewhere_and_publishes_by_xanh_itself() {
        let mut guard = TopicGuard::new(access());
        let mut bytes = wire("tang-1", Some("xanh/dien-a/reading"), &[]);
        assert!(guard.read_mut(&mut bytes, 1024).is_err());

        let mut guard = TopicGuard::new(access());
        let mut bytes = wire(INGEST_USERNAME, None, &["gateways/tang-1/dien"]);
        assert!(guard.read_mut(&mut bytes, 1024).is_ok());
        assert!(guard.read_mut(&mut bytes, 1024).is_err(), "Xanh's ingestor publishes nothing");
    }

    #[test]
    fn a_place_in_the_login_queue_is_given_up_when_dropped() {
        let count = AtomicUsize::new(0);
        let first = Waiting::join(&count);
        let second = Waiting::join(&count);
        assert_eq!((first.ahead, second.ahead), (0, 1));
        drop(first);
        drop(second);
        assert_eq!(Waiting::join(&count).ahead, 0);
    }

    #[test]
    fn an_open_broker_guards_nothing() {
        let mut guard = TopicGuard::new(Arc::new(Access::open()));
        let mut bytes = wire("anyone", Some("x/y"), &["gateways/tang-2/dien"]);
        assert!(guard.read_mut(&mut bytes, 1024).is_ok());
        assert!(guard.read_mut(&mut bytes, 1024).is_ok());
    }
}
