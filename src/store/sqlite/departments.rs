//! The departments as the web app keeps them, seeded once from the config file: added and
//! changed with their audit line in one transaction, never deleted. A department's id
//! changes only while nothing holds it (its meters, staffing, counts, slips).

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{Inner, audit_in, lock};
use crate::config::DepartmentSpec;
use crate::store::{AuditLine, DepartmentChange, DepartmentPut, DepartmentUse, StoreError};

/// The `meta` key set once the config file's departments were copied into the store.
const SEEDED: &str = "departments_seeded";

impl Inner {
    /// Copy the config file's departments into a store that never held any; `false` when the
    /// store already holds them (the file is then only compared with them).
    pub(super) fn seed_departments(&self, specs: &[DepartmentSpec]) -> Result<bool, StoreError> {
        let rows =
            specs.iter().map(|spec| Ok((spec.id.as_str(), to_json(spec)?))).collect::<Result<Vec<_>, StoreError>>()?;
        self.seed_once("departments", SEEDED, &rows)
    }

    pub(super) fn department_setup(&self) -> Result<Vec<DepartmentSpec>, StoreError> {
        let rows: Vec<String> = self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT spec FROM departments ORDER BY position, id")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect()
        })?;
        rows.iter().map(|spec| from_json(spec)).collect()
    }

    /// Add a department (`was`: `None`), or change the one that had the id `was`: its names
    /// and other keys always, its id only while nothing holds it.
    pub(super) fn put_department(
        &self,
        was: Option<String>,
        spec: DepartmentSpec,
        audit: Option<AuditLine<DepartmentChange>>,
    ) -> Result<DepartmentPut, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = match &was {
            Some(was) => match stored(&tx, was)? {
                Some(before) => Some(before),
                None => return Ok(DepartmentPut::NotFound),
            },
            None => None,
        };
        let id_changes = was.as_deref() != Some(spec.id.as_str());
        if id_changes && stored(&tx, &spec.id)?.is_some() {
            return Ok(DepartmentPut::Exists);
        }
        match &was {
            Some(was) if id_changes => {
                let uses = uses(&tx, was)?;
                if !uses.is_empty() {
                    return Ok(DepartmentPut::IdHeld(uses));
                }
                tx.execute(
                    "UPDATE departments SET id = ?2, spec = ?3 WHERE id = ?1",
                    params![was, spec.id, to_json(&spec)?],
                )?;
            }
            Some(was) => {
                tx.execute("UPDATE departments SET spec = ?2 WHERE id = ?1", params![was, to_json(&spec)?])?;
            }
            None => {
                tx.execute(
                    "INSERT INTO departments (id, position, spec)
                     VALUES (?1, (SELECT COALESCE(MAX(position), -1) + 1 FROM departments), ?2)",
                    params![spec.id, to_json(&spec)?],
                )?;
            }
        }
        let change = DepartmentChange { before, after: spec };
        audit_in(&tx, audit, &change)?;
        tx.commit()?;
        Ok(DepartmentPut::Kept(change))
    }
}

/// What the store holds under the department `id`.
fn uses(conn: &rusqlite::Connection, id: &str) -> Result<Vec<DepartmentUse>, StoreError> {
    let mut uses = Vec::new();
    let mut stmt =
        conn.prepare("SELECT id FROM meters WHERE json_extract(spec, '$.department') = ?1 ORDER BY position, id")?;
    let meters: Vec<String> = stmt.query_map([id], |r| r.get(0))?.collect::<Result<_, _>>()?;
    if !meters.is_empty() {
        uses.push(DepartmentUse::Meters(meters));
    }
    let tables = [
        ("staffing_changes", DepartmentUse::Staffing),
        ("documents", DepartmentUse::Documents),
        ("meetings", DepartmentUse::Meetings),
        ("issue_slips", DepartmentUse::IssueSlips),
        ("plan_edits", DepartmentUse::PlanEdits),
        ("alert_recipients", DepartmentUse::AlertRecipients),
    ];
    for (table, using) in tables {
        let held: bool =
            conn.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE department = ?1)"), [id], |r| {
                r.get(0)
            })?;
        if held {
            uses.push(using);
        }
    }
    Ok(uses)
}

fn stored(conn: &rusqlite::Connection, id: &str) -> Result<Option<DepartmentSpec>, StoreError> {
    let spec: Option<String> =
        conn.query_row("SELECT spec FROM departments WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    spec.as_deref().map(from_json).transpose()
}

fn from_json(spec: &str) -> Result<DepartmentSpec, StoreError> {
    serde_json::from_str(spec).map_err(|e| StoreError::Corrupt(format!("departments.spec: {e}")))
}

fn to_json(spec: &DepartmentSpec) -> Result<String, StoreError> {
    serde_json::to_string(spec).map_err(|e| StoreError::Corrupt(format!("departments.spec: {e}")))
}
