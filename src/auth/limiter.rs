//! Failed logins, counted per user name and per address: after too many in a window, further
//! attempts are refused without checking the password until the window has passed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed for one user name within the window.
const PER_USER: usize = 5;
/// Failures allowed from one address within the window (several users behind one NAT).
const PER_ADDRESS: usize = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<Key, Vec<Instant>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Address(IpAddr),
}

impl LoginLimiter {
    /// How long until this user name from this address may try again, if it may not now.
    pub fn blocked_for(&self, username: &str, address: Option<IpAddr>, now: Instant) -> Option<Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = None;
        for (key, limit) in keys(username, address) {
            if let Some(times) = failures.get_mut(&key) {
                times.retain(|t| now.duration_since(*t) < WINDOW);
                if times.len() >= limit {
                    let until = times[times.len() - limit] + WINDOW;
                    wait = wait.max(Some(until.saturating_duration_since(now)));
                }
            }
        }
        wait
    }

    pub fn failed(&self, username: &str, address: Option<IpAddr>, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        // Forget stale entries now and then, so the map cannot grow without bound.
        if failures.len() > 10_000 {
            failures.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < WINDOW));
        }
        for (key, _) in keys(username, address) {
            failures.entry(key).or_default().push(now);
        }
    }

    pub fn succeeded(&self, username: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(&Key::User(username.to_owned()));
    }
}

fn keys(username: &str, address: Option<IpAddr>) -> Vec<(Key, usize)> {
    let mut keys = vec![(Key::User(username.to_owned()), PER_USER)];
    if let Some(address) = address {
        keys.push((Key::Address(address), PER_ADDRESS));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_block_a_user_name_for_the_window() {
        let limiter = LoginLimiter::default();
        let start = Instant::now();
        let address = Some("10.0.0.7".parse().unwrap());
        for i in 0..PER_USER {
            assert_eq!(limiter.blocked_for("lan", address, start), None, "attempt {i}");
            limiter.failed("lan", address, start);
        }
        let wait = limiter.blocked_for("lan", address, start).unwrap();
        assert_eq!(wait, WINDOW);
        assert_eq!(limiter.blocked_for("mai", address, start), None, "another user may still try");
        assert_eq!(limiter.blocked_for("lan", address, start + WINDOW), None, "the window passed");
    }

    #[test]
    fn one_address_trying_many_names_is_blocked_too() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        let address = Some("10.0.0.8".parse().unwrap());
        for i in 0..PER_ADDRESS {
            limiter.failed(&format!("user{i}"), address, now);
        }
        assert!(limiter.blocked_for("someone-else", address, now).is_some());
        assert!(limiter.blocked_for("someone-else", Some("10.0.0.9".parse().unwrap()), now).is_none());
    }
}
