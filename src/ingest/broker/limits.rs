//! What one address, and all of them together, may hold of the embedded broker: connections
//! (each takes three file descriptors: the client's, the gate's to rumqttd and rumqttd's own)
//! and password checks, so that a flood from one address leaves room for every other gateway
//! and for the web server.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Failed logins from one address within [`FAILURE_WINDOW`] after which its logins are
/// refused without a check until the window has passed.
const MAX_FAILURES: u32 = 10;
const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Logins of one address waiting for or in a password check at once; more are refused at once.
const CHECKS_PER_ADDRESS: usize = 2;
/// Addresses remembered for their failures beyond which the stale ones are forgotten.
const REMEMBERED_ADDRESSES: usize = 10_000;

pub struct Limits {
    total: Arc<Semaphore>,
    per_address: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    connections: HashMap<IpAddr, usize>,
    checks: HashMap<IpAddr, usize>,
    failures: HashMap<IpAddr, (Instant, u32)>,
}

impl Limits {
    pub fn new(total: usize, per_address: usize) -> Arc<Limits> {
        Arc::new(Limits { total: Arc::new(Semaphore::new(total)), per_address, state: Mutex::default() })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A connection's place, or why there is none; given back when dropped.
    pub fn connection(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Full> {
        let permit = Arc::clone(&self.total).try_acquire_owned().map_err(|_| Full::Total)?;
        let mut state = self.state();
        let held = state.connections.entry(ip).or_default();
        if *held >= self.per_address {
            return Err(Full::Address);
        }
        *held += 1;
        Ok(Slot { limits: Arc::clone(self), ip, kind: Kind::Connection, _permit: Some(permit) })
    }

    /// A place for one password check of `ip`, or `None` if its logins are refused for now.
    pub fn login_check(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let mut state = self.state();
        if let Some((since, count)) = state.failures.get(&ip)
            && since.elapsed() < FAILURE_WINDOW
            && *count >= MAX_FAILURES
        {
            return None;
        }
        let checks = state.checks.entry(ip).or_default();
        if *checks >= CHECKS_PER_ADDRESS {
            return None;
        }
        *checks += 1;
        Some(Slot { limits: Arc::clone(self), ip, kind: Kind::Check, _permit: None })
    }

    /// Count a refused password from `ip`.
    pub fn failed_login(&self, ip: IpAddr) {
        let mut state = self.state();
        if state.failures.len() >= REMEMBERED_ADDRESSES {
            state.failures.retain(|_, (since, _)| since.elapsed() < FAILURE_WINDOW);
        }
        let entry = state.failures.entry(ip).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= FAILURE_WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }
}

/// Why a connection was not taken.
#[derive(Debug, PartialEq, Eq)]
pub enum Full {
    Total,
    Address,
}

enum Kind {
    Connection,
    Check,
}

/// A connection or a password check of one address; its place is given back when dropped.
pub struct Slot {
    limits: Arc<Limits>,
    ip: IpAddr,
    kind: Kind,
    _permit: Option<OwnedSemaphorePermit>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut state = self.limits.state();
        let counts = match self.kind {
            Kind::Connection => &mut state.connections,
            Kind::Check => &mut state.checks,
        };
        if let Some(count) = counts.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const TWO: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn one_address_cannot_take_every_connection_and_places_come_back() {
        let limits = Limits::new(3, 2);
        let first = limits.connection(ONE).unwrap();
        let _second = limits.connection(ONE).unwrap();
        assert_eq!(limits.connection(ONE).err(), Some(Full::Address));
        let _other = limits.connection(TWO).unwrap();
        assert_eq!(limits.connection(TWO).err(), Some(Full::Total));
        drop(first);
        assert!(limits.connection(ONE).is_ok());
    }

    #[test]
    fn failed_logins_stop_checks_for_that_address_only() {
        let limits = Limits::new(10, 10);
        for _ in 0..MAX_FAILURES {
            assert!(limits.login_check(ONE).is_some());
            limits.failed_login(ONE);
        }
        assert!(limits.login_check(ONE).is_none());
        assert!(limits.login_check(TWO).is_some());
    }

    #[test]
    fn one_address_waits_for_few_checks_at_once() {
        let limits = Limits::new(10, 10);
        let held: Vec<_> = (0..CHECKS_PER_ADDRESS).map(|_| limits.login_check(ONE).unwrap()).collect();
        assert!(limits.login_check(ONE).is_none());
        assert!(limits.login_check(TWO).is_some());
        drop(held);
        assert!(limits.login_check(ONE).is_some());
    }
}
