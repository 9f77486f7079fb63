//! Login attempts, counted before the password is checked: per user name and address
//! together, per address, and per user name from everywhere (a ceiling well above one
//! address's share). Past a limit, attempts are refused without checking the password until
//! the window has passed; one attacker's address never locks the real person out.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed for one user name from one address within the window.
const PER_USER_AND_ADDRESS: usize = 5;
/// Failures allowed from one address within the window (several users behind one NAT).
const PER_ADDRESS: usize = 20;
/// Failures allowed for one user name from everywhere together: the ceiling on guessing one
/// password from many addresses. Well above what one address may try, so that an attacker
/// from one place never locks the real person out.
const PER_USER: usize = 100;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct LoginLimiter {
    attempts: Mutex<HashMap<Key, Vec<Instant>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    UserAt(String, Option<IpAddr>),
    Address(IpAddr),
    User(String),
}

/// An attempt counted before its password is checked; [`LoginLimiter::succeeded`] takes it
/// back when the password was right.
#[must_use]
pub struct Reservation {
    username: String,
    address: Option<IpAddr>,
    at: Instant,
}

impl LoginLimiter {
    /// Count an attempt of this user name from this address before its password is checked,
    /// so that parallel guesses cannot all pass the check; or how long until it may try again.
    pub fn reserve(&self, username: &str, address: Option<IpAddr>, now: Instant) -> Result<Reservation, Duration> {
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        // Forget stale entries now and then, so the map cannot grow without bound.
        if attempts.len() > 10_000 {
            attempts.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < WINDOW));
        }
        let mut wait = None;
        for (key, limit) in keys(username, address) {
            if let Some(times) = attempts.get_mut(&key) {
                times.retain(|t| now.duration_since(*t) < WINDOW);
                if times.len() >= limit {
                    let until = times[times.len() - limit] + WINDOW;
                    wait = wait.max(Some(until.saturating_duration_since(now)));
                }
            }
        }
        if let Some(wait) = wait {
            return Err(wait);
        }
        for (key, _) in keys(username, address) {
            attempts.entry(key).or_default().push(now);
        }
        Ok(Reservation { username: username.to_owned(), address, at: now })
    }

    /// The password was right: the attempt does not count, and this user's failures from
    /// this address are forgotten.
    pub fn succeeded(&self, reservation: Reservation) {
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        let Reservation { username, address, at } = reservation;
        for (key, _) in keys(&username, address) {
            if matches!(key, Key::UserAt(..)) {
                attempts.remove(&key);
            } else if let Some(times) = attempts.get_mut(&key)
                && let Some(i) = times.iter().rposition(|t| *t == at)
            {
                times.remove(i);
            }
        }
    }
}

fn keys(username: &str, address: Option<IpAddr>) -> Vec<(Key, usize)> {
    let mut keys = vec![
        (Key::UserAt(username.to_owned(), address), PER_USER_AND_ADDRESS),
        (Key::User(username.to_owned()), PER_USER),
    ];
    if let Some(address) = address {
        keys.push((Key::Address(address), PER_ADDRESS));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(limiter: &LoginLimiter, user: &str, address: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        limiter.reserve(user, address, now).map(drop)
    }

    #[test]
    fn five_failures_block_a_user_name_from_that_address_for_the_window() {
        let limiter = LoginLimiter::default();
        let start = Instant::now();
        let address = Some("10.0.0.7".parse().unwrap());
        for i in 0..PER_USER_AND_ADDRESS {
            assert_eq!(fail(&limiter, "lan", address, start), Ok(()), "attempt {i}");
        }
        assert_eq!(fail(&limiter, "lan", address, start), Err(WINDOW));
        assert_eq!(fail(&limiter, "mai", address, start), Ok(()), "another user may still try");
        assert_eq!(fail(&limiter, "lan", Some("10.0.0.9".parse().unwrap()), start), Ok(()), "from elsewhere");
        assert_eq!(fail(&limiter, "lan", address, start + WINDOW), Ok(()), "the window passed");
    }

    #[test]
    fn one_address_trying_many_names_is_blocked_too() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        let address = Some("10.0.0.8".parse().unwrap());
        for i in 0..PER_ADDRESS {
            fail(&limiter, &format!("user{i}"), address, now).unwrap();
        }
        assert!(fail(&limiter, "someone-else", address, now).is_err());
        assert!(fail(&limiter, "someone-else", Some("10.0.0.9".parse().unwrap()), now).is_ok());
    }

    #[test]
    fn many_addresses_guessing_one_name_meet_a_ceiling() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        for i in 0..PER_USER {
            let address = Some(IpAddr::from([10, 1, (i / 250) as u8, (i % 250) as u8]));
            fail(&limiter, "hcqt", address, now).unwrap();
        }
        assert!(fail(&limiter, "hcqt", Some("10.9.9.9".parse().unwrap()), now).is_err());
    }

    #[test]
    fn a_right_password_does_not_count() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        let address = Some("10.0.0.7".parse().unwrap());
        for _ in 0..50 {
            let reservation = limiter.reserve("lan", address, now).unwrap();
            limiter.succeeded(reservation);
        }
        assert!(fail(&limiter, "lan", address, now).is_ok());
    }
}
