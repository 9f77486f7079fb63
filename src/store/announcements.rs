//! The announcements devices made of themselves (`ingest::announce`), kept in the embedded
//! SQLite database so that the new devices' list survives a restart: the embedded broker
//! keeps no retained message over one. Kept whole each time it changes (a few hundred
//! kilobytes at most). Methods block: call them from `spawn_blocking`.

use std::path::Path;
use std::sync::Mutex;

use jiff::Timestamp;
use rusqlite::{Connection, TransactionBehavior, params};

use super::{StoreError, from_ms, ms};

/// One kept announcement: the key it is kept under, its payload, when it was heard.
pub type KeptAnnouncement = (String, Vec<u8>, Timestamp);

pub struct AnnouncementShelf {
    conn: Mutex<Connection>,
}

impl AnnouncementShelf {
    /// Open the kept announcements of the store at `path`; the store's own migrations (run by
    /// `store::open`) made their table.
    pub fn open(path: &Path) -> Result<AnnouncementShelf, StoreError> {
        let open_error = |reason: String| StoreError::Open { path: path.display().to_string(), reason };
        let conn = super::sqlite::open_writer(path).map_err(|e| open_error(e.to_string()))?;
        Ok(AnnouncementShelf { conn: Mutex::new(conn) })
    }

    /// Keep exactly these, in one transaction.
    pub fn replace(&self, kept: &[KeptAnnouncement]) -> Result<(), StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM device_announcements", [])?;
        for (key, payload, heard_at) in kept {
            tx.execute(
                "INSERT INTO device_announcements (key, payload, heard_at) VALUES (?1, ?2, ?3)",
                params![key, payload, ms(*heard_at)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn all(&self) -> Result<Vec<KeptAnnouncement>, StoreError> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let mut stmt = conn.prepare("SELECT key, payload, heard_at FROM device_announcements ORDER BY key")?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, i64>(2)?)))?;
        let kept: Result<Vec<_>, _> = rows.map(|r| r.map(|(key, payload, at)| (key, payload, from_ms(at)))).collect();
        Ok(kept?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_kept_is_read_back_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("xanh.db");
        let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
        let _store = super::super::sqlite::SqliteStore::open(&path, &tz, "Asia/Ho_Chi_Minh", &[]).unwrap();
        let shelf = AnnouncementShelf::open(&path).unwrap();
        let at = Timestamp::from_millisecond(1_765_000_000_000).unwrap();
        let first = vec![
            ("zigbee2mqtt/bridge/devices".to_owned(), b"[]".to_vec(), at),
            ("a/online".to_owned(), b"true".to_vec(), at),
        ];
        shelf.replace(&first).unwrap();
        assert_eq!(shelf.all().unwrap(), [first[1].clone(), first[0].clone()]);
        shelf.replace(&first[..1]).unwrap();
        assert_eq!(shelf.all().unwrap(), first[..1]);
    }
}
