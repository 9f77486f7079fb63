//! `[backup]`: the service copies the store every day at a local time into a folder, keeping
//! the newest few copies. Without the section it takes none (`xanh backup FILE` still works).

use std::path::PathBuf;

use jiff::civil::Time;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BackupSection {
    folder: PathBuf,
    #[serde(default = "default_at")]
    at: String,
    #[serde(default = "default_keep")]
    keep: u32,
}

fn default_at() -> String {
    "02:00".to_owned()
}

fn default_keep() -> u32 {
    7
}

/// The daily backup: at `at` (the office's local time), into `folder`, keeping `keep` copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupConfig {
    pub folder: PathBuf,
    pub at: Time,
    pub keep: usize,
}

pub(super) fn resolve_backup(
    backup: Option<&BackupSection>,
    problem: &mut impl FnMut(String, String, String),
) -> Option<BackupConfig> {
    let backup = backup?;
    if backup.folder.as_os_str().is_empty() {
        problem(
            "backup.folder".into(),
            "is empty".into(),
            "name the folder for the daily copies, such as \"/var/backups/xanh\" (best on another disk)".into(),
        );
    }
    let at = match Time::strptime("%H:%M", backup.at.trim()) {
        Ok(at) => Some(at),
        Err(_) => {
            problem(
                "backup.at".into(),
                format!("`{}` is not a time of day", backup.at),
                "write hours and minutes in 24-hour form, in the office's time zone, such as \"02:30\"".into(),
            );
            None
        }
    };
    if backup.keep == 0 {
        problem(
            "backup.keep".into(),
            "is 0, which would delete every copy it takes".into(),
            "keep 1 or more of the newest copies, such as 7 (a week)".into(),
        );
    }
    Some(BackupConfig { folder: backup.folder.clone(), at: at?, keep: backup.keep.max(1) as usize })
}
