//! Random secrets (session ids, API tokens, CSRF tokens, setup links) and how they are kept:
//! only a hash is stored, so a copy of the database lets no one in.

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use password_hash::rand_core::{OsRng, RngCore};

/// 32 random bytes from the operating system, as 64 lowercase hex digits.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// The stored form of a high-entropy secret. A fast hash is enough: the secret itself has 256
/// random bits, so there is nothing to guess (unlike a password).
pub fn secret_hash(secret: &str) -> String {
    let mut hasher = Blake2b::<U32>::new();
    hasher.update(secret.as_bytes());
    hex(&hasher.finalize())
}

/// Compare two strings in time that depends only on their lengths.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (random_secret(), random_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(secret_hash(&a), secret_hash(&a));
        assert_ne!(secret_hash(&a), secret_hash(&b));
        assert!(!secret_hash(&a).contains(&a));
    }

    #[test]
    fn comparison_needs_the_whole_string() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
