//! Stores written by every earlier schema version open and migrate; a store written by a newer
//! one is refused. Each earlier version's store is made here by applying only the first N
//! migrations, with rows in that version's columns, as that release would have left it.

use std::path::Path;

use rusqlite::Connection;

use super::SqliteStore;
use super::schema::{MIGRATIONS, SCHEMA_VERSION, open_connection, schema_version};
use crate::store::Accounts;

/// A store as the release with schema `version` left it, holding a reading and a rejected item.
fn store_at_version(path: &Path, version: usize) {
    let conn = open_connection(path).unwrap();
    for (applied, sql) in MIGRATIONS.iter().take(version).enumerate() {
        conn.execute_batch(sql).unwrap();
        conn.pragma_update(None, "user_version", applied as i64 + 1).unwrap();
    }
    if version >= 1 {
        conn.execute_batch(
            "INSERT INTO readings (meter, ts, value, period_start, source, entered_by, received_at)
                 VALUES ('dien-a', 1793552400000, 1234.5, NULL, 'mqtt', NULL, 1793552401000);
             INSERT INTO rejected (received_at, source, topic, payload, meter, reason, detail)
                 VALUES (1793552402000, 'mqtt', 'xanh/dien-a/reading', X'7B7D', 'dien-a', 'bad_payload', 'no value');",
        )
        .unwrap();
    }
}

fn open(path: &Path) -> Result<SqliteStore, crate::store::StoreError> {
    let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    SqliteStore::open(path, &tz, "Asia/Ho_Chi_Minh", &[])
}

/// Every table's and index's definition, to compare a migrated store with a new one.
fn schema(path: &Path) -> Vec<(String, String)> {
    let conn = Connection::open(path).unwrap();
    let mut statement = conn
        .prepare("SELECT name, coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap()
}

#[test]
fn a_store_of_every_earlier_schema_version_opens_migrates_and_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new.db");
    drop(open(&new).unwrap());
    for version in 0..=MIGRATIONS.len() {
        let path = dir.path().join(format!("schema-{version}.db"));
        store_at_version(&path, version);
        drop(open(&path).unwrap_or_else(|e| panic!("schema version {version}: {e}")));
        let conn = Connection::open(&path).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), SCHEMA_VERSION, "from version {version}");
        let kept: (i64, i64) = conn
            .query_row("SELECT (SELECT count(*) FROM readings), (SELECT count(*) FROM rejected)", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        let expected = if version >= 1 { (1, 1) } else { (0, 0) };
        assert_eq!(kept, expected, "from version {version}");
        assert_eq!(schema(&path), schema(&new), "a store migrated from version {version} differs from a new one");
    }
}

#[test]
fn a_store_written_by_a_newer_xanh_is_refused_naming_the_file_both_versions_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("xanh.db");
    drop(open(&path).unwrap());
    Connection::open(&path).unwrap().pragma_update(None, "user_version", SCHEMA_VERSION + 3).unwrap();
    let error = open(&path).err().expect("a newer store is refused").to_string();
    assert!(error.starts_with(&format!("cannot open the store at {}: ", path.display())), "{error}");
    assert!(error.contains(&format!("schema version {}", SCHEMA_VERSION + 3)), "{error}");
    assert!(error.contains(&format!("knows versions up to {SCHEMA_VERSION}")), "{error}");
    assert!(error.contains("fix: run the newer xanh again, or restore a backup"), "{error}");
    // Refused before anything was written: the store is still the newer one.
    assert_eq!(schema_version(&Connection::open(&path).unwrap()).unwrap(), SCHEMA_VERSION + 3);
}

#[test]
fn users_written_by_a_newer_xanh_are_refused_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("xanh.db");
    drop(Accounts::open(&path).unwrap());
    Connection::open(&path).unwrap().execute("INSERT INTO accounts_schema (version) VALUES (99)", []).unwrap();
    let error = Accounts::open(&path).err().expect("newer accounts are refused").to_string();
    assert!(error.contains("its users and tokens: it was written by a newer Xanh (schema version 99"), "{error}");
}

/// The outbox's attachments: a 4-byte "file" queued as a JSON array of numbers (what schema
/// versions before the base64 one wrote) reads back, after the upgrade, as base64 text that
/// gives the same bytes.
#[test]
fn queued_attachments_written_as_arrays_of_numbers_become_base64() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("xanh.db");
    let base64_version = MIGRATIONS.iter().position(|sql| sql.contains("xanh_attachments_as_base64")).unwrap();
    store_at_version(&path, base64_version);
    let old = r#"{"to":{"channel":"email","to":"van.thu@ubnd-tinh.gov.vn"},"subject":"Báo cáo","text":"","event":{},"attachments":[{"file_name":"a.pdf","content_type":"application/pdf","bytes":[37,80,68,70]}]}"#;
    Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO alert_outbox (created_at, recipient, notification, next_at) VALUES (0, 'van.thu', ?1, 0)",
            [old],
        )
        .unwrap();
    drop(open(&path).unwrap());
    let text: String =
        Connection::open(&path).unwrap().query_row("SELECT notification FROM alert_outbox", [], |r| r.get(0)).unwrap();
    let notification: crate::notify::Notification = serde_json::from_str(&text).unwrap();
    assert_eq!(notification.attachments[0].bytes, b"%PDF", "{text}");
    assert!(text.contains(r#""bytes":"JVBERg==""#), "{text}");
    assert_eq!(notification.subject, "Báo cáo");
}
