//! The office's meters changed in the web app: add, change, retire. Each change is checked
//! with the config file's own checks against every other meter, kept in the store with its
//! audit line, and read by ingest at once. The API, the admin pages and the adoption of
//! a device found on the broker (`commands::devices`) all come through here.

use jiff::civil::Date;
use serde_json::{Value, json};

use crate::config::{ConfigProblem, MeterSpec, check_meters};
use crate::domain::{DepartmentId, Meter, MeterId};
use crate::store::{AuditDetail, MeterChange, MeterRecord};
use crate::web::auth::Admin;
use crate::web::commands::meter_problems::in_vietnamese;
use crate::web::commands::{CommandError, audit_line, refused};
use crate::web::{ApiError, AppState};

/// One change to the meters (or the departments they name) at a time, so that each is
/// checked against the one before.
pub(super) static CHANGES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Whether a meter is added or an existing one changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    Add,
    Change,
}

/// Add a meter, or change one (its id stays; its resource, kind and unit stay once it has
/// readings, which they give a meaning to). A refusal is said in English (the API's) and in
/// Vietnamese (the meter form's).
pub async fn put(state: &AppState, admin: &Admin, spec: MeterSpec, put: Put) -> Result<MeterRecord, CommandError> {
    let _one_at_a_time = CHANGES.lock().await;
    let records = state.store.meter_setup().await?;
    let before = records.iter().find(|r| r.spec.id == spec.id);
    match (put, before) {
        (Put::Add, Some(_)) => {
            return Err(CommandError::Conflict {
                en: format!("a meter `{}` exists already: give the new meter its own id, or change that one", spec.id),
                vi: format!("Đã có công tơ mã `{}`: hãy đặt mã khác cho công tơ mới, hoặc sửa công tơ đó.", spec.id),
            });
        }
        (Put::Change, None) => return Err(not_found(&spec.id)),
        (Put::Change, Some(before)) => refuse_new_meaning(state, &before.spec, &spec).await?,
        (Put::Add, None) => {}
    }
    let mut specs: Vec<MeterSpec> = records.iter().map(|r| r.spec.clone()).collect();
    match specs.iter_mut().find(|s| s.id == spec.id) {
        Some(kept) => *kept = spec.clone(),
        None => specs.push(spec.clone()),
    }
    let meter = checked(state, &specs, &spec.id)?;
    let action = if put == Put::Add { "meters.add" } else { "meters.change" };
    let line = audit_line(admin.principal(), action, describe);
    let change = admin.store(state).put_meter(spec, meter, Some(line)).await?;
    reload(state).await?;
    Ok(change.after)
}

/// Retire a meter from a local date (readings from that day on are refused and kept among the
/// rejected), or put it back in use (`None`). Its readings stay.
pub async fn retire(
    state: &AppState,
    admin: &Admin,
    id: &str,
    from: Option<Date>,
) -> Result<MeterRecord, CommandError> {
    let id: MeterId = id.parse().map_err(|_| not_found(id))?;
    let _one_at_a_time = CHANGES.lock().await;
    let action = if from.is_some() { "meters.retire" } else { "meters.reinstate" };
    let line = audit_line(admin.principal(), action, describe);
    let change = admin.store(state).retire_meter(id.clone(), from, Some(line)).await?;
    let change = change.ok_or_else(|| not_found(id.as_str()))?;
    reload(state).await?;
    Ok(change.after)
}

fn not_found(id: &str) -> CommandError {
    CommandError::Failed(ApiError::NotFound(format!("no meter `{id}`")))
}

/// A meter's keys as the API answers them, with its retirement date.
pub fn record_json(record: &MeterRecord) -> Value {
    let mut value = serde_json::to_value(&record.spec).unwrap_or_default();
    value["retired_from"] = json!(record.retired_from.map(|d| d.to_string()));
    value
}

fn describe(change: &MeterChange) -> AuditDetail {
    AuditDetail {
        target: change.after.spec.id.clone(),
        before: change.before.as_ref().map(record_json),
        after: Some(record_json(&change.after)),
    }
}

/// The meter `id` of `specs` as checked, or every problem the change causes, each naming
/// the key and the fix.
fn checked(state: &AppState, specs: &[MeterSpec], id: &str) -> Result<Meter, CommandError> {
    let departments: Vec<DepartmentId> = state.config().departments.iter().map(|d| d.id.clone()).collect();
    let meters = check_meters(specs, &departments).map_err(|problems| {
        let vi: Vec<String> = problems.iter().map(in_vietnamese).collect();
        refused(say(&problems), vi.join("\n"))
    })?;
    let found = meters.into_iter().find(|m| m.id.as_str() == id);
    Ok(found.ok_or_else(|| ApiError::internal(format!("the checked meters lost `{id}`")))?)
}

fn say(problems: &[ConfigProblem]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| format!("{}: {}; fix: {}", p.key, p.problem, p.fix)).collect();
    lines.join("\n")
}

/// A meter's readings are values of its resource, in its unit, as a counter or as amounts:
/// changing those would change what its history means.
async fn refuse_new_meaning(state: &AppState, before: &MeterSpec, after: &MeterSpec) -> Result<(), CommandError> {
    if (&before.resource, &before.kind, &before.unit) == (&after.resource, &after.kind, &after.unit) {
        return Ok(());
    }
    let statuses = state.store.meter_status().await?;
    if statuses.iter().any(|s| s.meter.as_str() == before.id && s.readings > 0) {
        return Err(CommandError::Conflict {
            en: format!(
                "meter `{}` has readings in {} as a {} of {}: its resource, kind and unit stay; retire it and add a new meter instead",
                before.id, before.unit, before.kind, before.resource
            ),
            vi: format!(
                "Công tơ `{}` đã có số liệu ({}, {}): loại tài nguyên, kiểu công tơ và đơn vị giữ nguyên; hãy cho công tơ này thôi dùng và thêm một công tơ mới.",
                before.id, before.resource, before.unit
            ),
        });
    }
    Ok(())
}

/// Ingest reads the store's meters from now on.
async fn reload(state: &AppState) -> Result<(), ApiError> {
    let records = state.store.meter_setup().await?;
    let departments: Vec<DepartmentId> = state.config().departments.iter().map(|d| d.id.clone()).collect();
    state
        .pipeline
        .set_setup(&records, &departments)
        .map(|_| ())
        .map_err(|problems| ApiError::internal(format!("the stored meters do not check: {}", say(&problems))))
}

/// A day as a form or the API writes it: 2026-11-15 (a date input) or 15/11/2026.
pub fn parse_day(text: &str) -> Result<Date, ApiError> {
    let text = text.trim();
    let parsed = match text.split('/').collect::<Vec<_>>()[..] {
        [d, m, y] => format!("{y}-{m:0>2}-{d:0>2}").parse::<Date>(),
        _ => text.parse::<Date>(),
    };
    parsed.map_err(|_| ApiError::BadRequest(format!("`{text}` is not a day: write it as 2026-11-15 or 15/11/2026")))
}
