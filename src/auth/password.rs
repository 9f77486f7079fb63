//! Passwords, hashed with Argon2id (the library's defaults: 19 MiB, 2 passes, OWASP's
//! recommendation). Hashing takes tens of milliseconds on purpose, so callers run it off the
//! async runtime (`spawn_blocking`).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use password_hash::rand_core::OsRng;

use super::AuthError;

/// The shortest password accepted.
pub const MIN_LENGTH: usize = 10;
/// The longest, so that one request cannot make the server hash megabytes.
const MAX_BYTES: usize = 1024;

/// A password that meets the policy; it never appears in logs or `Debug` output.
pub struct Password(String);

impl Password {
    pub fn new(text: &str) -> Result<Password, AuthError> {
        let text = text.trim_end_matches(['\r', '\n']);
        if text.chars().count() < MIN_LENGTH {
            return Err(AuthError::Invalid(format!("the password must have at least {MIN_LENGTH} characters")));
        }
        if text.len() > MAX_BYTES {
            return Err(AuthError::Invalid(format!("the password must be at most {MAX_BYTES} bytes")));
        }
        Ok(Password(text.to_owned()))
    }

    /// The PHC string to store (`$argon2id$v=19$…`).
    pub fn hash(&self) -> Result<String, AuthError> {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AuthError::Internal(format!("hashing a password failed: {e}")))
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// Whether `attempt` matches the stored PHC string; a malformed hash matches nothing.
pub fn verify(attempt: &str, stored: &str) -> bool {
    if attempt.len() > MAX_BYTES {
        return false;
    }
    match PasswordHash::new(stored) {
        Ok(hash) => Argon2::default().verify_password(attempt.as_bytes(), &hash).is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, checked against when a login names no known user, so that
/// the answer takes as long as for a real user and does not reveal who exists.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| Password(super::secret::random_secret()).hash().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_matches_only_its_own_argon2id_hash() {
        let hash = Password::new("mật khẩu đủ dài").unwrap().hash().unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify("mật khẩu đủ dài", &hash));
        assert!(!verify("mật khẩu đủ dàI", &hash));
        assert!(!verify("mật khẩu đủ dài", "not a hash"));
        let again = Password::new("mật khẩu đủ dài").unwrap().hash().unwrap();
        assert_ne!(hash, again, "each hash has its own salt");
    }

    #[test]
    fn short_or_huge_passwords_are_refused() {
        assert!(Password::new("ngắn").is_err());
        assert!(Password::new(&"x".repeat(2000)).is_err());
        assert!(format!("{:?}", Password::new("mật khẩu đủ dài").unwrap()) == "Password(…)");
    }
}
