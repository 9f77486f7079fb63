//! A person's change and its line in the audit log commit in one transaction, so that neither
//! is kept without the other (a client that hangs up mid-request leaves both or neither).

use jiff::Timestamp;
use rusqlite::{Connection, params};
use serde_json::Value;

use super::ms;

/// Who made a change: the name recorded (`lan` or `lan/gateway-tang-1`) and their address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub address: Option<String>,
}

/// What the audit line says about the change, once the change is known.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditDetail {
    pub target: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// The audit line of a change whose outcome is an `R`: written by the store in the change's
/// transaction, described from the outcome (how many readings were stored, the old value).
pub struct AuditLine<R> {
    actor: Actor,
    action: String,
    describe: Box<dyn FnOnce(&R) -> AuditDetail + Send>,
}

impl<R> AuditLine<R> {
    pub fn new(actor: Actor, action: &str, describe: impl FnOnce(&R) -> AuditDetail + Send + 'static) -> Self {
        AuditLine { actor, action: action.to_owned(), describe: Box::new(describe) }
    }

    /// Add the line inside the caller's open transaction.
    pub(crate) fn insert(self, conn: &Connection, outcome: &R) -> Result<(), rusqlite::Error> {
        let detail = (self.describe)(outcome);
        insert(conn, &self.actor, &self.action, detail)
    }
}

/// Add one line to the audit log on `conn` (inside its transaction, if one is open).
pub(crate) fn insert(
    conn: &Connection,
    actor: &Actor,
    action: &str,
    detail: AuditDetail,
) -> Result<(), rusqlite::Error> {
    conn.execute(
        "INSERT INTO audit (at, actor, address, action, target, before, after) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            ms(Timestamp::now()),
            actor.name,
            actor.address,
            action,
            detail.target,
            detail.before.map(|v| v.to_string()),
            detail.after.map(|v| v.to_string())
        ],
    )?;
    Ok(())
}
