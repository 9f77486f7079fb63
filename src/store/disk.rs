//! Free space where the store writes: SQLite fails every write once the disk is full, so the
//! health report warns while there is still room.

use std::path::Path;

/// Bytes an unprivileged process can still write in the folder that holds `store_file`.
pub fn free_bytes(store_file: &Path) -> std::io::Result<u64> {
    let folder = match store_file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let stats = rustix::fs::statvfs(folder)?;
    Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_is_that_of_the_store_folder() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_bytes(&dir.path().join("xanh.db")).unwrap();
        assert!(free > 0, "a test folder has room");
        assert!(free_bytes(&dir.path().join("missing/xanh.db")).is_err(), "a folder that does not exist is an error");
    }
}
