//! Who may connect to the embedded broker and what each client may publish.
//!
//! rumqttd 0.20 has no per-client publish ACL, so the gate ([`super::gate`]) asks here at each
//! CONNECT (login, client id, last will) and each PUBLISH, before anything reaches rumqttd.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;

use crate::auth::password::{decoy_hash, verify};
use crate::config::BrokerClient;
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

/// The embedded broker's clients, or none (an open broker).
pub struct Access {
    clients: HashMap<String, Client>,
    /// Each client id a configured client logged in with, and that client's username: no
    /// other client may take it (and so end that client's session) while Xanh runs.
    bound_ids: Mutex<HashMap<String, String>>,
    checks: Semaphore,
    waiting: AtomicUsize,
}

impl Access {
    /// Anyone may connect and publish anywhere.
    pub fn open() -> Access {
        Access {
            clients: HashMap::new(),
            bound_ids: Mutex::default(),
            checks: Semaphore::new(CONCURRENT_CHECKS),
            waiting: AtomicUsize::new(0),
        }
    }

    /// Only `clients` may connect.
    pub fn with_clients(clients: &[BrokerClient]) -> Access {
        let clients = clients
            .iter()
            .map(|c| {
                (c.username.clone(), Client { password_hash: c.password_hash.clone(), publish: c.publish.clone() })
            })
            .collect();
        Access { clients, ..Access::open() }
    }

    pub fn is_open(&self) -> bool {
        self.clients.is_empty()
    }

    /// Whether a CONNECT with these credentials may go on. The argon2 check runs on a
    /// blocking thread, never on the runtime.
    pub async fn check_login(self: Arc<Self>, client_id: &str, username: &str, password: String) -> bool {
        let waiting = Waiting::join(&self.waiting);
        if waiting.ahead >= MAX_WAITING_CHECKS {
            tracing::warn!(%username, %client_id, "embedded broker: refused a login, too many logins are waiting to be checked");
            return false;
        }
        let permit = self.checks.acquire().await;
        drop(waiting);
        let Ok(_permit) = permit else { return false };
        let access = Arc::clone(&self);
        let name = username.to_owned();
        let (known, matches) = tokio::task::spawn_blocking(move || match access.clients.get(&name) {
            Some(client) => (true, verify(&password, client.password_hash.as_str())),
            // As long as a wrong password takes, so that the time tells nothing.
            None => (false, verify(&password, decoy_hash())),
        })
        .await
        .unwrap_or((false, false));
        match (known, matches) {
            (true, true) => true,
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

    /// Bind `client_id` to `username` on its first login; false if another client has it.
    pub fn bind_client_id(&self, client_id: &str, username: &str) -> bool {
        let mut bound = self.bound_ids.lock().unwrap_or_else(|p| p.into_inner());
        match bound.get(client_id) {
            Some(owner) if owner != username => {
                tracing::warn!(%username, %client_id, owner = %owner, "embedded broker: refused a client that used another client's client id, which would end that client's session");
                false
            }
            Some(_) => true,
            None => {
                bound.insert(client_id.to_owned(), username.to_owned());
                true
            }
        }
    }

    /// Whether `username` (as logged in) may publish on `topic`.
    pub fn may_publish(&self, username: Option<&str>, topic: &str) -> bool {
        if self.is_open() {
            return true;
        }
        username
            .and_then(|name| self.clients.get(name))
            .is_some_and(|client| client.publish.iter().any(|filter| filter.matches(topic)))
    }

    pub fn allowed_topics(&self, username: Option<&str>) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn access() -> Access {
        let client = |name: &str| BrokerClient {
            username: name.into(),
            // Never checked here.
            password_hash: PasswordDigest::parse(
                "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            )
            .unwrap(),
            publish: vec![TopicFilter::try_from(format!("gateways/{name}/#")).unwrap()],
        };
        Access::with_clients(&[client("tang-1"), client("tang-2")])
    }

    #[test]
    fn each_client_publishes_on_its_own_topics_only() {
        let access = access();
        assert!(access.may_publish(Some("tang-1"), "gateways/tang-1/dien"));
        assert!(!access.may_publish(Some("tang-1"), "gateways/tang-2/dien"));
        assert!(!access.may_publish(None, "gateways/tang-1/dien"));
        assert!(Access::open().may_publish(None, "gateways/tang-2/dien"));
    }

    #[test]
    fn a_client_id_stays_with_the_client_that_first_used_it() {
        let access = access();
        assert!(access.bind_client_id("gw-1", "tang-1"));
        assert!(!access.bind_client_id("gw-1", "tang-2"), "tang-2 must not take tang-1's session");
        assert!(access.bind_client_id("gw-1", "tang-1"), "tang-1 reconnects");
        assert!(access.bind_client_id("gw-2", "tang-2"));
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
}
