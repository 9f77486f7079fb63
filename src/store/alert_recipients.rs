//! Who is told of alerts, as an admin keeps the list: seeded once from `[[alerts.recipients]]`,
//! then edited on the Người nhận cảnh báo page or through the API, each change with its audit
//! line (before and after) in the change's own transaction. The alert engine reads the list
//! every round, so a change takes effect without a restart. Methods block: call them from
//! `spawn_blocking`.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::AlertBook;
use super::StoreError;
use super::audit::{self, Actor, AuditDetail};
use crate::config::RecipientFields;

/// A recipient as kept, with its id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeptRecipient {
    pub id: i64,
    #[serde(flatten)]
    pub fields: RecipientFields,
}

const COLUMNS: &str = "id, name, role, department, email, webhook, quiet_hours, digest_at";

fn kept(row: &Row<'_>) -> Result<KeptRecipient, rusqlite::Error> {
    Ok(KeptRecipient {
        id: row.get(0)?,
        fields: RecipientFields {
            name: row.get(1)?,
            role: row.get(2)?,
            department: row.get(3)?,
            email: row.get(4)?,
            webhook: row.get(5)?,
            quiet_hours: row.get(6)?,
            digest_at: row.get(7)?,
        },
    })
}

fn by_id(conn: &Connection, id: i64) -> Result<Option<KeptRecipient>, rusqlite::Error> {
    conn.query_row(&format!("SELECT {COLUMNS} FROM alert_recipients WHERE id = ?1"), [id], kept).optional()
}

fn insert(conn: &Connection, f: &RecipientFields) -> Result<i64, rusqlite::Error> {
    conn.execute(
        "INSERT INTO alert_recipients (name, role, department, email, webhook, quiet_hours, digest_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![f.name, f.role, f.department, f.email, f.webhook, f.quiet_hours, f.digest_at],
    )?;
    Ok(conn.last_insert_rowid())
}

fn as_json(r: &KeptRecipient) -> serde_json::Value {
    serde_json::to_value(r).unwrap_or_default()
}

impl AlertBook {
    /// Every recipient, in the order they were added.
    pub fn recipients(&self) -> Result<Vec<KeptRecipient>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM alert_recipients ORDER BY id"))?;
            stmt.query_map([], kept)?.collect()
        })
    }

    /// Keep the config's recipients if the list has never held one (a list an admin emptied
    /// stays empty: SQLite remembers the ids an AUTOINCREMENT table gave). Returns how many
    /// were kept.
    pub fn seed_recipients(&self, from_config: &[RecipientFields]) -> Result<usize, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let ever: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'alert_recipients')
                     OR EXISTS (SELECT 1 FROM alert_recipients)",
                [],
                |r| r.get(0),
            )?;
            if ever {
                return Ok(0);
            }
            for fields in from_config {
                insert(&tx, fields)?;
            }
            tx.commit()?;
            Ok(from_config.len())
        })
    }

    /// Add a recipient (already checked) with its audit line.
    pub fn add_recipient(&self, fields: &RecipientFields, actor: &Actor) -> Result<KeptRecipient, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let id = insert(&tx, fields)?;
            let added = KeptRecipient { id, fields: fields.clone() };
            let detail = AuditDetail { target: format!("recipient {id}"), before: None, after: Some(as_json(&added)) };
            audit::insert(&tx, actor, "alert_recipient.add", detail)?;
            tx.commit()?;
            Ok(added)
        })
    }

    /// Replace a recipient's fields (already checked) with its audit line; `None`: no such id.
    pub fn update_recipient(
        &self,
        id: i64,
        fields: &RecipientFields,
        actor: &Actor,
    ) -> Result<Option<KeptRecipient>, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some(before) = by_id(&tx, id)? else { return Ok(None) };
            tx.execute(
                "UPDATE alert_recipients SET name = ?2, role = ?3, department = ?4, email = ?5, webhook = ?6,
                     quiet_hours = ?7, digest_at = ?8 WHERE id = ?1",
                params![
                    id,
                    fields.name,
                    fields.role,
                    fields.department,
                    fields.email,
                    fields.webhook,
                    fields.quiet_hours,
                    fields.digest_at
                ],
            )?;
            let after = KeptRecipient { id, fields: fields.clone() };
            let detail = AuditDetail {
                target: format!("recipient {id}"),
                before: Some(as_json(&before)),
                after: Some(as_json(&after)),
            };
            audit::insert(&tx, actor, "alert_recipient.update", detail)?;
            tx.commit()?;
            Ok(Some(after))
        })
    }

    /// Remove a recipient with its audit line; `None`: no such id.
    pub fn delete_recipient(&self, id: i64, actor: &Actor) -> Result<Option<KeptRecipient>, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some(before) = by_id(&tx, id)? else { return Ok(None) };
            tx.execute("DELETE FROM alert_recipients WHERE id = ?1", [id])?;
            let detail = AuditDetail { target: format!("recipient {id}"), before: Some(as_json(&before)), after: None };
            audit::insert(&tx, actor, "alert_recipient.delete", detail)?;
            tx.commit()?;
            Ok(Some(before))
        })
    }
}
