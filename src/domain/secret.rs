//! Password hashes: argon2id in the PHC string format (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`),
//! so that a config file or a database never holds a password itself.

use std::fmt;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHashString, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, Params};

/// The most memory a stored hash may ask for each check (64 MiB): a hash with a larger cost
/// would let anyone who can connect make Xanh spend that memory per attempt.
const MAX_MEMORY_KIB: u32 = 64 * 1024;
const MAX_PASSES: u32 = 10;

/// A checked argon2id hash; hashing and checking take tens of milliseconds of CPU on
/// purpose, so callers on an async runtime run them on a blocking thread.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordDigest(PasswordHashString);

impl PasswordDigest {
    /// Hash `password` with a fresh salt and argon2's default (OWASP) cost: 19 MiB, 2 passes.
    pub fn hash(password: &str) -> PasswordDigest {
        let salt = SaltString::generate(&mut OsRng);
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .expect("the default argon2 parameters and a generated salt are always valid");
        PasswordDigest(hash.serialize())
    }

    /// Read a PHC string such as `xanh mqtt-password` prints; the error says what is wrong.
    pub fn parse(text: &str) -> Result<PasswordDigest, String> {
        let hash = PasswordHash::new(text.trim()).map_err(|e| format!("is not a PHC password hash ({e})"))?;
        if hash.algorithm != argon2::ARGON2ID_IDENT {
            return Err(format!("uses `{}`, not argon2id", hash.algorithm));
        }
        let params = Params::try_from(&hash).map_err(|e| format!("has unusable argon2 parameters ({e})"))?;
        if params.m_cost() > MAX_MEMORY_KIB || params.t_cost() > MAX_PASSES {
            return Err(format!(
                "asks for m={} KiB and t={}, more than the {MAX_MEMORY_KIB} KiB and {MAX_PASSES} passes allowed",
                params.m_cost(),
                params.t_cost()
            ));
        }
        if hash.hash.is_none() || hash.salt.is_none() {
            return Err("has no salt or no hash part".into());
        }
        Ok(PasswordDigest(hash.serialize()))
    }

    /// Whether `password` is the one hashed here (constant time in the hash comparison).
    pub fn verify(&self, password: &str) -> bool {
        Argon2::default().verify_password(password.as_bytes(), &self.0.password_hash()).is_ok()
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Never printed: a hash is not a password, but it is what an offline guesser needs.
impl fmt::Debug for PasswordDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordDigest(argon2id)")
    }
}

/// A random secret of 32 bytes from the operating system, as 64 hex digits.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_checks_its_own_password_only_and_reads_back() {
        let digest = PasswordDigest::hash("mật khẩu tầng 1");
        assert!(digest.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", digest.as_str());
        let read = PasswordDigest::parse(digest.as_str()).unwrap();
        assert!(read.verify("mật khẩu tầng 1"));
        assert!(!read.verify("mật khẩu tầng 2"));
        assert!(!read.verify(""));
    }

    #[test]
    fn plain_text_other_algorithms_and_huge_costs_are_refused() {
        let plain = PasswordDigest::parse("hunter2").unwrap_err();
        assert!(plain.contains("not a PHC password hash"), "{plain}");
        let argon2i = "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let old = PasswordDigest::parse(argon2i).unwrap_err();
        assert!(old.contains("not argon2id"), "{old}");
        let huge = "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(PasswordDigest::parse(huge).unwrap_err().contains("m=4194304"));
    }

    #[test]
    fn random_secrets_differ() {
        let (a, b) = (random_secret(), random_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
