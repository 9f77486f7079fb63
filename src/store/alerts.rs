//! Alerts and their notification outbox, kept in the embedded SQLite database beside the
//! audit log (with either backend, as the accounts are). A round of evaluation reconciles the
//! conditions found with the active alerts and queues its notifications in one transaction, so
//! an alert raised is never left untold. Methods block: call them from `spawn_blocking`.

use std::path::Path;
use std::sync::Mutex;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};

use super::audit::{self, Actor, AuditDetail};
use super::{StoreError, from_ms, ms};
use crate::domain::{AlertRule, Condition, Severity};

/// One alert as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRecord {
    pub id: i64,
    pub rule: AlertRule,
    pub key: String,
    pub resource: Option<String>,
    pub meter: Option<String>,
    pub department: Option<String>,
    pub severity: Severity,
    pub started: Timestamp,
    pub updated: Timestamp,
    pub resolved: Option<Timestamp>,
    pub last_value: Option<f64>,
    pub message: String,
    pub message_en: String,
    pub ack: Option<Acknowledgement>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Acknowledgement {
    pub by: String,
    pub at: Timestamp,
    pub comment: String,
}

/// Which alerts a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertState {
    Active,
    Resolved,
    All,
}

/// What one round of evaluation changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertChanges {
    pub raised: Vec<AlertRecord>,
    pub resolved: Vec<AlertRecord>,
    /// Active alerts whose figures were brought up to date (not told again).
    pub updated: usize,
}

/// A notification to queue: for whom (a label for the page) and the message as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    pub recipient: String,
    pub notification: serde_json::Value,
    /// Not sent before this (the end of the recipient's quiet hours); `None`: at once.
    pub not_before: Option<Timestamp>,
    /// Queued at most once with this key (a daily digest's recipient and day).
    pub dedup: Option<String>,
}

/// A queued notification.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub id: i64,
    pub created: Timestamp,
    pub recipient: String,
    pub notification: serde_json::Value,
    pub attempts: u32,
    pub next_at: Timestamp,
    pub last_error: Option<String>,
    pub gave_up: bool,
}

/// How a retained MQTT topic should change for an alert.
#[derive(Debug, Clone, PartialEq)]
pub enum MqttChange {
    Publish(AlertRecord),
    Clear(AlertRecord),
}

pub struct AlertBook {
    conn: Mutex<Connection>,
}

const COLUMNS: &str = "id, rule, key, resource, meter, department, severity, started_at, updated_at, resolved_at, \
                       last_value, message, message_en, acked_by, acked_at, ack_comment";

fn corrupt(what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("{what}: `{value}` is not known to this version").into(),
    )
}

fn record(row: &Row<'_>) -> Result<AlertRecord, rusqlite::Error> {
    let rule: String = row.get(1)?;
    let severity: String = row.get(6)?;
    let acked_by: Option<String> = row.get(13)?;
    let acked_at: Option<i64> = row.get(14)?;
    Ok(AlertRecord {
        id: row.get(0)?,
        rule: AlertRule::parse(&rule).ok_or_else(|| corrupt("alerts.rule", &rule))?,
        key: row.get(2)?,
        resource: row.get(3)?,
        meter: row.get(4)?,
        department: row.get(5)?,
        severity: Severity::parse(&severity).ok_or_else(|| corrupt("alerts.severity", &severity))?,
        started: from_ms(row.get(7)?),
        updated: from_ms(row.get(8)?),
        resolved: row.get::<_, Option<i64>>(9)?.map(from_ms),
        last_value: row.get(10)?,
        message: row.get(11)?,
        message_en: row.get(12)?,
        ack: match (acked_by, acked_at) {
            (Some(by), Some(at)) => Some(Acknowledgement {
                by,
                at: from_ms(at),
                comment: row.get::<_, Option<String>>(15)?.unwrap_or_default(),
            }),
            _ => None,
        },
    })
}

fn by_id(conn: &Connection, id: i64) -> Result<Option<AlertRecord>, rusqlite::Error> {
    conn.query_row(&format!("SELECT {COLUMNS} FROM alerts WHERE id = ?1"), [id], record).optional()
}

impl AlertBook {
    /// Open the alerts of the store at `path`; the store's own migrations (run by
    /// `store::open`) made their tables.
    pub fn open(path: &Path) -> Result<AlertBook, StoreError> {
        let open_error = |reason: String| StoreError::Open { path: path.display().to_string(), reason };
        let conn = super::sqlite::open_writer(path).map_err(|e| open_error(e.to_string()))?;
        let has_table: bool = conn
            .query_row("SELECT count(*) > 0 FROM sqlite_master WHERE name = 'alerts'", [], |r| r.get(0))
            .map_err(|e| open_error(e.to_string()))?;
        if !has_table {
            return Err(open_error("its alerts table is missing: open the store first (it adds it)".into()));
        }
        Ok(AlertBook { conn: Mutex::new(conn) })
    }

    pub(super) fn with<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work(&mut conn)?)
    }

    /// Bring the alerts in line with the conditions found at `now` by the rules in `judged`
    /// (an active alert of a rule not judged this round stays as it is): a new condition is
    /// raised, one still true is updated, one no longer true is resolved. The notifications
    /// `compose` words for the changes are queued in the same transaction.
    pub fn reconcile(
        &self,
        now: Timestamp,
        conditions: &[Condition],
        judged: &[AlertRule],
        compose: impl FnOnce(&AlertChanges) -> Vec<Queued>,
    ) -> Result<AlertChanges, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let active: Vec<AlertRecord> = tx
                .prepare_cached(&format!("SELECT {COLUMNS} FROM alerts WHERE resolved_at IS NULL ORDER BY id"))?
                .query_map([], record)?
                .collect::<Result<_, _>>()?;
            let mut changes = AlertChanges::default();
            for condition in conditions {
                if let Some(alert) = active.iter().find(|a| a.key == condition.key) {
                    tx.execute(
                        "UPDATE alerts SET updated_at = ?2, last_value = ?3, message = ?4, message_en = ?5, severity = ?6 WHERE id = ?1",
                        params![
                            alert.id,
                            ms(now),
                            condition.last_value,
                            condition.message,
                            condition.message_en,
                            condition.severity.code()
                        ],
                    )?;
                    changes.updated += 1;
                    continue;
                }
                if condition.once {
                    let seen: bool =
                        tx.query_row("SELECT count(*) > 0 FROM alerts WHERE key = ?1", [&condition.key], |r| r.get(0))?;
                    if seen {
                        continue;
                    }
                }
                let id = insert(&tx, now, condition)?;
                changes.raised.extend(by_id(&tx, id)?);
            }
            for alert in active {
                if judged.contains(&alert.rule) && !conditions.iter().any(|c| c.key == alert.key) {
                    tx.execute(
                        "UPDATE alerts SET resolved_at = ?2, updated_at = ?2, mqtt_state = 'clear_pending' WHERE id = ?1",
                        params![alert.id, ms(now)],
                    )?;
                    changes.resolved.extend(by_id(&tx, alert.id)?);
                }
            }
            for queued in compose(&changes) {
                enqueue(&tx, now, &queued)?;
            }
            tx.commit()?;
            Ok(changes)
        })
    }

    /// Alerts in a state (and of one rule, when given), newest first: those with an id below
    /// `before` (all when `None`), at most `limit`, and how many there are in all.
    pub fn list(
        &self,
        state: AlertState,
        rule: Option<AlertRule>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<(Vec<AlertRecord>, u64), StoreError> {
        let filter = match state {
            AlertState::Active => "resolved_at IS NULL",
            AlertState::Resolved => "resolved_at IS NOT NULL",
            AlertState::All => "1",
        };
        let rule = rule.map(AlertRule::code);
        self.with(|conn| {
            let items = conn
                .prepare(&format!(
                    "SELECT {COLUMNS} FROM alerts WHERE {filter} AND (?3 IS NULL OR rule = ?3) AND id < ?1
                     ORDER BY id DESC LIMIT ?2"
                ))?
                .query_map(params![before.unwrap_or(i64::MAX), limit as i64, rule], record)?
                .collect::<Result<Vec<_>, _>>()?;
            let total: i64 = conn.query_row(
                &format!("SELECT count(*) FROM alerts WHERE {filter} AND (?1 IS NULL OR rule = ?1)"),
                params![rule],
                |r| r.get(0),
            )?;
            Ok((items, total as u64))
        })
    }

    /// Queue notifications outside a round (a daily digest); returns how many were new.
    pub fn enqueue(&self, now: Timestamp, queued: &[Queued]) -> Result<usize, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut added = 0;
            for q in queued {
                added += usize::from(enqueue(&tx, now, q)?);
            }
            tx.commit()?;
            Ok(added)
        })
    }

    /// Alerts resolved since `since`, newest first.
    pub fn resolved_since(&self, since: Timestamp) -> Result<Vec<AlertRecord>, StoreError> {
        self.with(|conn| {
            conn.prepare(&format!("SELECT {COLUMNS} FROM alerts WHERE resolved_at >= ?1 ORDER BY id DESC"))?
                .query_map([ms(since)], record)?
                .collect()
        })
    }

    pub fn get(&self, id: i64) -> Result<Option<AlertRecord>, StoreError> {
        self.with(|conn| by_id(conn, id))
    }

    /// A person's acknowledgement with a comment, and its audit line, in one transaction.
    /// `None`: no such alert.
    pub fn acknowledge(&self, id: i64, actor: &Actor, comment: &str) -> Result<Option<AlertRecord>, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some(before) = by_id(&tx, id)? else { return Ok(None) };
            tx.execute(
                "UPDATE alerts SET acked_by = ?2, acked_at = ?3, ack_comment = ?4 WHERE id = ?1",
                params![id, actor.name, ms(Timestamp::now()), comment],
            )?;
            let after = by_id(&tx, id)?;
            let detail = AuditDetail {
                target: format!("alert {id} ({})", before.key),
                before: before.ack.as_ref().map(|a| serde_json::json!({ "acked_by": a.by, "comment": a.comment })),
                after: Some(serde_json::json!({ "acked_by": actor.name, "comment": comment })),
            };
            audit::insert(&tx, actor, "alert.acknowledge", detail)?;
            tx.commit()?;
            Ok(after)
        })
    }

    /// Notifications due at `now`, oldest first.
    pub fn due(&self, now: Timestamp, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        self.outbox_where("sent_at IS NULL AND gave_up_at IS NULL AND next_at <= ?1 ORDER BY id", ms(now), limit)
    }

    /// Notifications whose last attempt failed and that are not sent yet (or were given up),
    /// newest first, for the page.
    pub fn failures(&self, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        self.outbox_where("sent_at IS NULL AND last_error IS NOT NULL AND ?1 = ?1 ORDER BY id DESC", 0, limit)
    }

    fn outbox_where(&self, filter: &str, value: i64, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        self.with(|conn| {
            conn.prepare(&format!(
                "SELECT id, created_at, recipient, notification, attempts, next_at, last_error, gave_up_at
                 FROM alert_outbox WHERE {filter} LIMIT ?2"
            ))?
            .query_map(params![value, limit as i64], |r| {
                let text: String = r.get(3)?;
                Ok(OutboxItem {
                    id: r.get(0)?,
                    created: from_ms(r.get(1)?),
                    recipient: r.get(2)?,
                    notification: serde_json::from_str(&text)
                        .map_err(|_| corrupt("alert_outbox.notification", &text))?,
                    attempts: r.get(4)?,
                    next_at: from_ms(r.get(5)?),
                    last_error: r.get(6)?,
                    gave_up: r.get::<_, Option<i64>>(7)?.is_some(),
                })
            })?
            .collect()
        })
    }

    pub fn mark_sent(&self, id: i64, now: Timestamp) -> Result<(), StoreError> {
        self.with(|conn| {
            conn.execute(
                "UPDATE alert_outbox SET sent_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
                params![id, ms(now)],
            )
            .map(drop)
        })
    }

    /// A failed attempt: tried again at `retry_at`, or given up when `None`.
    pub fn mark_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.with(|conn| {
            conn.execute(
                "UPDATE alert_outbox SET attempts = attempts + 1, last_error = ?2,
                     next_at = coalesce(?3, next_at), gave_up_at = CASE WHEN ?3 IS NULL THEN ?4 END
                 WHERE id = ?1",
                params![id, error, retry_at.map(ms), ms(now)],
            )
            .map(drop)
        })
    }

    /// The retained topics not yet in line with the alerts: active ones to publish, resolved
    /// ones to clear.
    pub fn mqtt_pending(&self, limit: usize) -> Result<Vec<MqttChange>, StoreError> {
        self.with(|conn| {
            conn.prepare(&format!(
                "SELECT {COLUMNS}, mqtt_state FROM alerts WHERE mqtt_state IN ('pending', 'clear_pending') ORDER BY id LIMIT ?1"
            ))?
            .query_map([limit as i64], |r| {
                let alert = record(r)?;
                Ok(if r.get::<_, String>(16)? == "pending" { MqttChange::Publish(alert) } else { MqttChange::Clear(alert) })
            })?
            .collect()
        })
    }

    /// The topic of `id` is now published (`true`) or cleared.
    pub fn mark_mqtt(&self, id: i64, published: bool) -> Result<(), StoreError> {
        let (from, to) = if published { ("pending", "published") } else { ("clear_pending", "cleared") };
        self.with(|conn| {
            conn.execute("UPDATE alerts SET mqtt_state = ?3 WHERE id = ?1 AND mqtt_state = ?2", params![id, from, to])
                .map(drop)
        })
    }
}

/// Queue one notification; `false` when its dedup key was queued before.
pub(super) fn enqueue(conn: &Connection, now: Timestamp, queued: &Queued) -> Result<bool, rusqlite::Error> {
    let added = conn.execute(
        "INSERT INTO alert_outbox (created_at, recipient, notification, next_at, dedup) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (dedup) DO NOTHING",
        params![
            ms(now),
            queued.recipient,
            queued.notification.to_string(),
            ms(queued.not_before.unwrap_or(now)),
            queued.dedup
        ],
    )?;
    Ok(added == 1)
}

fn insert(tx: &Transaction<'_>, now: Timestamp, c: &Condition) -> Result<i64, rusqlite::Error> {
    tx.execute(
        "INSERT INTO alerts (rule, key, resource, meter, department, severity, started_at, updated_at, last_value, message, message_en)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10)",
        params![
            c.rule.code(),
            c.key,
            c.resource.map(|r| r.as_str()),
            c.meter.as_ref().map(|m| m.as_str()),
            c.department.as_ref().map(|d| d.as_str()),
            c.severity.code(),
            ms(now),
            c.last_value,
            c.message,
            c.message_en
        ],
    )?;
    Ok(tx.last_insert_rowid())
}
