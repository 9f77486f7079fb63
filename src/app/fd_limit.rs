//! The open-file limit: raised at start from the usual soft limit (1 024 under systemd) to the
//! hard limit where the system allows, so that the web server's and the broker's connection
//! caps, set below it, are what refuses a flood of clients, never a lack of descriptors.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Descriptors kept for everything that is not a client connection: the store's files, the
/// log, the broker's own sockets, the TLS relay's outgoing half.
pub const RESERVED: u64 = 256;

/// The limit after [`raise`]: what the process may open now, and what it could before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdLimit {
    pub soft: u64,
    pub was: u64,
}

impl FdLimit {
    /// How many client connections the web server and the broker may each hold: half of
    /// what is left after [`RESERVED`], so that neither can starve the other.
    pub fn share(&self) -> usize {
        usize::try_from(self.soft.saturating_sub(RESERVED) / 2).unwrap_or(usize::MAX).max(1)
    }
}

/// Raise the soft open-file limit to the hard one (where allowed), and say in the log what it
/// is. An unlimited or unknown limit counts as a large one.
pub fn raise() -> FdLimit {
    let current = getrlimit(Resource::Nofile);
    let was = current.current.unwrap_or(u64::MAX);
    let wanted = current.maximum;
    let soft = if wanted.is_some_and(|hard| hard > was) || (wanted.is_none() && current.current.is_some()) {
        match setrlimit(Resource::Nofile, Rlimit { current: wanted, maximum: current.maximum }) {
            Ok(()) => wanted.unwrap_or(u64::MAX),
            Err(e) => {
                tracing::warn!(soft = was, error = %e, "cannot raise the open-file limit; connection caps stay below it");
                was
            }
        }
    } else {
        was
    };
    let limit = FdLimit { soft, was };
    if soft > was {
        tracing::info!(from = was, to = soft, "open-file limit raised");
    } else {
        tracing::info!(limit = soft, "open-file limit");
    }
    limit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_ends_at_the_hard_limit() {
        let limit = raise();
        let now = getrlimit(Resource::Nofile);
        assert_eq!(now.current.unwrap_or(u64::MAX), limit.soft);
        assert_eq!(now.current, now.maximum, "the soft limit is the hard one");
        assert!(limit.soft >= limit.was);
    }
}
