//! `[mqtt]`: the embedded broker (listeners, clients, TLS) or an external one (address, TLS,
//! shared subscriptions), and how Xanh's ingestor connects.

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::parse_addr;
use crate::domain::{PasswordDigest, ShareGroup, TopicFilter};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct MqttSection {
    pub(super) embedded: bool,
    pub(super) listen: String,
    pub(super) host: Option<String>,
    /// Absent: 1883, or 8883 with `[mqtt.tls]`.
    pub(super) port: Option<u16>,
    pub(super) client_id: String,
    pub(super) username: Option<String>,
    pub(super) keep_alive_s: u64,
    pub(super) inflight: u16,
    pub(super) allow_anonymous: bool,
    pub(super) clients: Vec<ClientEntry>,
    pub(super) tls: Option<TlsEntry>,
    pub(super) shared_group: Option<String>,
    pub(super) max_connections: usize,
    pub(super) max_connections_per_address: usize,
    pub(super) connect_timeout_s: u64,
}

/// A gateway or meter allowed to connect to the embedded broker.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClientEntry {
    username: String,
    password_hash: String,
    publish: Vec<String>,
}

/// `[mqtt.tls]`: the embedded broker's TLS listener (`listen`, `cert`, `key`), or TLS to an
/// external broker (`ca_file`, `client_cert`, `client_key`); which keys apply is checked
/// against `embedded`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TlsEntry {
    listen: Option<String>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    ca_file: Option<PathBuf>,
    client_cert: Option<PathBuf>,
    client_key: Option<PathBuf>,
}

pub(super) const DEFAULT_TLS_LISTEN: &str = "0.0.0.0:8883";

impl Default for MqttSection {
    fn default() -> Self {
        Self {
            embedded: true,
            listen: "127.0.0.1:1883".to_owned(),
            host: None,
            port: None,
            client_id: "xanh-ingest".to_owned(),
            username: None,
            keep_alive_s: 30,
            inflight: 100,
            allow_anonymous: false,
            clients: Vec::new(),
            tls: None,
            shared_group: None,
            max_connections: 200,
            max_connections_per_address: 20,
            connect_timeout_s: 10,
        }
    }
}

/// Which broker the ingestor reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broker {
    /// Start the built-in broker and read from it.
    Embedded(EmbeddedBroker),
    /// Connect to a broker run elsewhere (Mosquitto, EMQX…).
    External(ExternalBroker),
}

/// A broker run elsewhere, and how Xanh shares it with other instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalBroker {
    pub host: String,
    pub port: u16,
    pub tls: Option<ClientTls>,
    /// Instances of one group split the devices' messages (`$share/<group>/…`) and send each
    /// other what they stored, so that each holds every reading.
    pub shared_group: Option<ShareGroup>,
}

/// TLS to an external broker; the files are read and checked when ingest starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientTls {
    /// The CA that signed the broker's certificate (PEM); `None`: the system's trusted roots.
    pub ca_file: Option<PathBuf>,
    /// A client certificate chain and its key (PEM), for a broker that asks for one.
    pub client_auth: Option<ClientAuth>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAuth {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The built-in broker: where it listens and who may connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedBroker {
    pub listen: SocketAddr,
    /// Empty: any client may connect without a password (only allowed on a loopback address
    /// unless `allow_anonymous`); otherwise only these, plus Xanh's own ingestor.
    pub clients: Vec<BrokerClient>,
    pub tls: Option<BrokerTls>,
    /// Connections held at once, from everyone; each takes three file descriptors, so this
    /// stays well below the process's limit to leave room for the web server.
    pub max_connections: usize,
    /// Connections held at once from one address.
    pub max_connections_per_address: usize,
    /// How long a new connection may take to send its CONNECT.
    pub connect_timeout: Duration,
}

/// A gateway or meter with its password hash and the topics it may publish on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerClient {
    pub username: String,
    pub password_hash: PasswordDigest,
    pub publish: Vec<TopicFilter>,
}

/// The embedded broker's TLS listener; the files are read when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerTls {
    pub listen: SocketAddr,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The username Xanh's own ingestor uses on the embedded broker; no configured client may take it.
pub const INGEST_USERNAME: &str = "xanh-ingest";

#[derive(Clone)]
pub struct MqttConfig {
    pub broker: Broker,
    pub client_id: String,
    pub username: Option<String>,
    /// From `XANH_MQTT_PASSWORD` only, never from the file.
    pub password: Option<String>,
    pub keep_alive: Duration,
    /// QoS 1 messages the broker may send before Xanh acknowledges them.
    pub inflight: u16,
}

impl fmt::Debug for MqttConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MqttConfig")
            .field("broker", &self.broker)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "(set)"))
            .field("keep_alive", &self.keep_alive)
            .field("inflight", &self.inflight)
            .finish()
    }
}

/// The embedded broker's listeners and clients. An open broker (no clients) must stay on a
/// loopback address unless the config says `allow_anonymous = true`.
/// The broker and how Xanh's ingestor connects to it; the password comes from the environment.
pub(super) fn resolve_mqtt(
    mqtt: MqttSection,
    password: Option<String>,
    problem: &mut impl FnMut(String, String, String),
) -> Option<MqttConfig> {
    let broker = if mqtt.embedded {
        resolve_embedded(&mqtt, problem).map(Broker::Embedded)
    } else {
        resolve_external(&mqtt, problem).map(Broker::External)
    };
    if mqtt.client_id.is_empty() || mqtt.client_id.len() > 23 * 4 {
        problem(
            "mqtt.client_id".into(),
            "must be a non-empty, stable id so that the broker keeps Xanh's session".into(),
            "set client_id = \"xanh-ingest\" (a different one for each running instance)".into(),
        );
    }
    if mqtt.inflight == 0 {
        problem("mqtt.inflight".into(), "is 0, which would stop all delivery".into(), "use a value such as 100".into());
    }
    Some(MqttConfig {
        broker: broker?,
        client_id: mqtt.client_id,
        username: mqtt.username,
        password,
        keep_alive: Duration::from_secs(mqtt.keep_alive_s.max(5)),
        inflight: mqtt.inflight,
    })
}

pub(super) fn resolve_embedded(
    mqtt: &MqttSection,
    problem: &mut impl FnMut(String, String, String),
) -> Option<EmbeddedBroker> {
    let listen = parse_addr(&mqtt.listen, "mqtt.listen", problem);
    if mqtt.shared_group.is_some() {
        problem(
            "mqtt.shared_group".into(),
            "applies to an external broker only (the embedded broker serves one instance), and mqtt.embedded is true"
                .into(),
            "remove it, or set embedded = false and point every instance at the same broker with host".into(),
        );
    }
    let tls = mqtt.tls.as_ref().and_then(|tls| {
        for (key, set) in [
            ("mqtt.tls.ca_file", tls.ca_file.is_some()),
            ("mqtt.tls.client_cert", tls.client_cert.is_some()),
            ("mqtt.tls.client_key", tls.client_key.is_some()),
        ] {
            if set {
                problem(
                    key.into(),
                    "applies to TLS to an external broker, and mqtt.embedded is true".into(),
                    "remove it; the embedded broker's TLS listener takes listen, cert and key".into(),
                );
            }
        }
        let listen = parse_addr(tls.listen.as_deref().unwrap_or(DEFAULT_TLS_LISTEN), "mqtt.tls.listen", problem);
        let required = |key: &str, path: &Option<PathBuf>, problem: &mut dyn FnMut(String, String, String)| {
            if path.is_none() {
                problem(
                    key.into(),
                    "is missing: the embedded broker's TLS listener needs its certificate and key".into(),
                    "give the PEM file's path, such as cert = \"/etc/xanh/mqtt.crt\" and key = \"/etc/xanh/mqtt.key\""
                        .into(),
                );
            }
            path.clone()
        };
        let cert = required("mqtt.tls.cert", &tls.cert, problem);
        let key = required("mqtt.tls.key", &tls.key, problem);
        Some(BrokerTls { listen: listen?, cert: cert?, key: key? })
    });
    let mut clients = Vec::new();
    let mut seen = HashSet::new();
    for (i, entry) in mqtt.clients.iter().enumerate() {
        let key = |name: &str| format!("mqtt.clients[{i}] (\"{}\").{name}", entry.username);
        let username_ok = !entry.username.is_empty()
            && entry.username.len() <= 64
            && entry.username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !username_ok {
            problem(
                key("username"),
                format!("`{}` is not a username this broker accepts", entry.username),
                "use 1 to 64 letters, digits, `-`, `_` or `.`, such as \"tang-1\"".into(),
            );
        } else if entry.username == INGEST_USERNAME {
            problem(
                key("username"),
                format!("`{INGEST_USERNAME}` is the name Xanh's own ingestor uses on the embedded broker"),
                "choose another username".into(),
            );
        } else if !seen.insert(entry.username.as_str()) {
            problem(
                key("username"),
                "is given to another client too".into(),
                "give each client its own username".into(),
            );
        }
        let hash = PasswordDigest::parse(&entry.password_hash).map_err(|why| {
            problem(
                key("password_hash"),
                why,
                "run `xanh mqtt-password`, type the password, and paste the line it prints (starting $argon2id$)"
                    .into(),
            )
        });
        let mut publish = Vec::new();
        for text in &entry.publish {
            match TopicFilter::try_from(text.clone()) {
                Ok(filter) => publish.push(filter),
                Err(e) => problem(
                    key("publish"),
                    e.to_string(),
                    "list the topics it may publish on, such as [\"gateways/tang-1/#\"]".into(),
                ),
            }
        }
        if let Ok(password_hash) = hash {
            clients.push(BrokerClient { username: entry.username.clone(), password_hash, publish });
        }
    }
    if mqtt.allow_anonymous && !mqtt.clients.is_empty() {
        problem(
            "mqtt.allow_anonymous".into(),
            "is true, but with [[mqtt.clients]] configured every client must log in".into(),
            "remove allow_anonymous, or remove the clients to run an open broker".into(),
        );
    }
    if mqtt.clients.is_empty() && !mqtt.allow_anonymous {
        let open = [("mqtt.listen", listen), ("mqtt.tls.listen", tls.as_ref().map(|t| t.listen))];
        for (key, addr) in open {
            if let Some(addr) = addr.filter(|a| !a.ip().is_loopback()) {
                problem(
                    key.into(),
                    format!("{addr} can be reached from other machines, and with no [[mqtt.clients]] anyone there could publish readings"),
                    "add [[mqtt.clients]] with username, password_hash and publish (see README), listen on 127.0.0.1, or set allow_anonymous = true (or XANH_MQTT_ALLOW_ANONYMOUS=true) to accept an open broker".into(),
                );
            }
        }
    }
    for (key, value, example) in [
        ("mqtt.max_connections", mqtt.max_connections, "200"),
        ("mqtt.max_connections_per_address", mqtt.max_connections_per_address, "20"),
        ("mqtt.connect_timeout_s", mqtt.connect_timeout_s as usize, "10"),
    ] {
        if value == 0 {
            problem(key.into(), "is 0, which would let no client in".into(), format!("use a value such as {example}"));
        }
    }
    if mqtt.max_connections_per_address > mqtt.max_connections {
        problem(
            "mqtt.max_connections_per_address".into(),
            format!(
                "is {}, more than mqtt.max_connections ({})",
                mqtt.max_connections_per_address, mqtt.max_connections
            ),
            "make it at most max_connections".into(),
        );
    }
    Some(EmbeddedBroker {
        listen: listen?,
        clients,
        tls,
        max_connections: mqtt.max_connections,
        max_connections_per_address: mqtt.max_connections_per_address,
        connect_timeout: Duration::from_secs(mqtt.connect_timeout_s),
    })
}

/// An external broker: where it is, TLS to it, and the shared subscription's group.
pub(super) fn resolve_external(
    mqtt: &MqttSection,
    problem: &mut impl FnMut(String, String, String),
) -> Option<ExternalBroker> {
    for (key, set) in [("mqtt.clients", !mqtt.clients.is_empty()), ("mqtt.allow_anonymous", mqtt.allow_anonymous)] {
        if set {
            problem(
                key.into(),
                "applies to the embedded broker only, and mqtt.embedded is false".into(),
                "remove it and set users, topic limits and TLS on your broker (README: \"Securing the broker\")".into(),
            );
        }
    }
    let tls = mqtt.tls.as_ref().map(|tls| {
        for (key, set) in [("mqtt.tls.listen", tls.listen.is_some()), ("mqtt.tls.cert", tls.cert.is_some()), ("mqtt.tls.key", tls.key.is_some())] {
            if set {
                problem(
                    key.into(),
                    "applies to the embedded broker's TLS listener, and mqtt.embedded is false".into(),
                    "remove it; for TLS to an external broker give ca_file (and client_cert with client_key if the broker asks for a client certificate)".into(),
                );
            }
        }
        let client_auth = match (&tls.client_cert, &tls.client_key) {
            (Some(cert), Some(key)) => Some(ClientAuth { cert: cert.clone(), key: key.clone() }),
            (None, None) => None,
            (Some(_), None) | (None, Some(_)) => {
                problem(
                    "mqtt.tls.client_cert".into(),
                    "and mqtt.tls.client_key go together: only one is given".into(),
                    "give both the client certificate and its key (PEM), or neither".into(),
                );
                None
            }
        };
        ClientTls { ca_file: tls.ca_file.clone(), client_auth }
    });
    let shared_group = mqtt.shared_group.as_ref().and_then(|group| {
        ShareGroup::try_from(group.clone())
            .map_err(|e| {
                problem(
                    "mqtt.shared_group".into(),
                    e.to_string(),
                    "give every instance of the group the same plain name, such as shared_group = \"xanh\"".into(),
                )
            })
            .ok()
    });
    let port = mqtt.port.unwrap_or(if tls.is_some() { 8883 } else { 1883 });
    match mqtt.host.as_deref().map(str::trim) {
        Some(host) if !host.is_empty() => Some(ExternalBroker { host: host.to_owned(), port, tls, shared_group }),
        _ => {
            problem(
                "mqtt.host".into(),
                "is not set but mqtt.embedded is false".into(),
                "set host = \"broker.example\" (and port), or embedded = true".into(),
            );
            None
        }
    }
}
