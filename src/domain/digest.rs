//! A stored password hash as the config gives it: argon2id in the PHC string format
//! (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), so that a config file never holds a password.
//! Hashing and checking are `crate::auth::password`'s.

use std::fmt;

use argon2::Params;
use argon2::password_hash::{PasswordHash, PasswordHashString};

/// The most memory a stored hash may ask for each check (64 MiB): a hash with a larger cost
/// would let anyone who can connect make Xanh spend that memory per attempt.
const MAX_MEMORY_KIB: u32 = 64 * 1024;
const MAX_PASSES: u32 = 10;

/// A checked argon2id PHC string.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordDigest(PasswordHashString);

impl PasswordDigest {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::password::{Password, verify};

    #[test]
    fn a_hash_made_by_auth_reads_back_and_checks_its_password() {
        let hash = Password::new("mật khẩu tầng 1").unwrap().hash().unwrap();
        let digest = PasswordDigest::parse(&hash).unwrap();
        assert!(digest.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", digest.as_str());
        assert!(verify("mật khẩu tầng 1", digest.as_str()));
        assert!(!verify("mật khẩu tầng 2", digest.as_str()));
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
}
