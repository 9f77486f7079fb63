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

/// As [`verify`], in Argon2 working memory the caller keeps for the next check: a thread that
/// checks passwords one after another then holds one buffer (19 MiB) for good, instead of
/// asking the allocator for a new one each time, which glibc keeps after a burst of logins.
pub fn verify_in(attempt: &str, stored: &str, memory: &mut Vec<argon2::Block>) -> bool {
    if attempt.len() > MAX_BYTES {
        return false;
    }
    let Ok(hash) = PasswordHash::new(stored) else { return false };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else { return false };
    let Ok(algorithm) = argon2::Algorithm::try_from(hash.algorithm) else { return false };
    let Ok(version) = hash.version.map(argon2::Version::try_from).transpose() else { return false };
    let Ok(params) = argon2::Params::try_from(&hash) else { return false };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    memory.resize(params.block_count(), argon2::Block::default());
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version.unwrap_or_default(), params);
    argon2.hash_password_into_with_memory(attempt.as_bytes(), salt, &mut out, &mut memory[..]).is_ok()
        && password_hash::Output::new(&out).is_ok_and(|out| out == expected)
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
        let mut memory = Vec::new();
        assert!(verify_in("mật khẩu đủ dài", &hash, &mut memory));
        assert!(!verify_in("mật khẩu đủ dàI", &hash, &mut memory));
        assert!(!verify_in("mật khẩu đủ dài", "not a hash", &mut memory));
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
