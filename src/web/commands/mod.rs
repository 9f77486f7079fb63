//! What pages and the API both do to the store: each command checks the writer's rights, and
//! writes with its audit line, which the store commits in the same transaction.

pub mod alerts;
pub mod calendar;
pub mod corrections;
pub mod departments;
pub mod devices;
pub mod document_grid;
pub mod documents;
pub mod emission_factors;
pub mod meetings;
pub mod meter_problems;
pub mod meters;
pub mod plan;
pub mod recipients;
pub mod review;
pub mod slips;
pub mod staffing;
pub mod supply_norms;
pub mod supply_prices;
pub mod tariffs;

use serde_json::{Value, json};

use crate::auth::Principal;
use crate::domain::{Incoming, Resource};
use crate::locale::Lang;
use crate::store::{Actor, AuditDetail, AuditLine, WriteReport};
use crate::web::auth::{AccessDenied, Writer};
use crate::web::{ApiError, AppState};

/// Store what a writer sent, if every reading is for a meter they may write and names no one
/// else as who entered it (only an admin may): otherwise a 403 and nothing is stored. The
/// submission is recorded in the audit log as `action`, under who really sent it.
pub async fn write_as(
    state: &AppState,
    writer: &Writer,
    items: Vec<Incoming>,
    action: &str,
) -> Result<WriteReport, ApiError> {
    for item in &items {
        let meter = match item {
            Incoming::Reading(reading, _) => Some(&reading.meter),
            Incoming::Rejected(rejection) => rejection.meter.as_ref(),
        };
        if let Some(meter) = meter.and_then(|id| state.pipeline.meter(id)) {
            writer.check_meter(&meter).map_err(|denied| match denied {
                AccessDenied::Forbidden { message, .. } => ApiError::Forbidden(message),
                other => ApiError::internal(format!("{other:?}")),
            })?;
        }
        if let Incoming::Reading(reading, _) = item
            && let Some(named) = reading.entered_by.as_deref()
            && !writer.principal().may_enter_as(named)
        {
            return Err(ApiError::Forbidden(format!(
                "{} may not record readings as entered by `{named}`: leave `entered_by` out (readings are recorded as yours), only an admin names someone else",
                writer.principal().name()
            )));
        }
    }
    let summary: Vec<Value> = items
        .iter()
        .filter_map(|item| match item {
            Incoming::Reading(r, _) => {
                Some(json!({ "meter": r.meter, "ts": r.ts.to_string(), "value": r.value, "entered_by": r.entered_by }))
            }
            Incoming::Rejected(_) => None,
        })
        .take(AUDITED_READINGS)
        .collect();
    let count = items.len();
    let line = audit_line(writer.principal(), action, move |report: &WriteReport| AuditDetail {
        target: format!("{count} item(s)"),
        before: None,
        after: Some(
            json!({ "stored": report.stored, "duplicates": report.duplicates, "rejected": report.rejected, "readings": summary }),
        ),
    });
    Ok(writer.store(state).write_audited(items, Some(line)).await?)
}

/// How many readings of one submission the audit log lists (a CSV import can hold thousands;
/// the readings themselves keep who entered them).
const AUDITED_READINGS: usize = 20;

/// Who is acting, as the audit log names them.
pub fn actor(who: &Principal) -> Actor {
    Actor { name: who.name(), address: who.address.map(|a| a.to_string()) }
}

/// The audit line of `who`'s change, described from what the change did.
pub fn audit_line<R>(
    who: &Principal,
    action: &str,
    describe: impl FnOnce(&R) -> AuditDetail + Send + 'static,
) -> AuditLine<R> {
    AuditLine::new(actor(who), action, describe)
}

/// Why a change was not kept: refused in both languages (the API answers in English, the
/// page in its own), or the store failed.
#[derive(Debug)]
pub enum CommandError {
    Refused {
        en: String,
        vi: String,
    },
    /// Well formed, but what the store holds does not allow it (a 409).
    Conflict {
        en: String,
        vi: String,
    },
    Failed(ApiError),
}

impl CommandError {
    /// The refusal in the page's language; a failure stays an `ApiError` (a logged 500).
    pub fn refusal(self, lang: Lang) -> Result<String, ApiError> {
        match self {
            CommandError::Refused { en, vi } | CommandError::Conflict { en, vi } => Ok(match lang {
                Lang::Vi => vi,
                Lang::En => en,
            }),
            CommandError::Failed(e) => Err(e),
        }
    }

    /// As an API answer in `lang`: a refusal a 400, a conflict a 409.
    pub fn in_lang(self, lang: Lang) -> ApiError {
        match self {
            CommandError::Refused { en, vi } => ApiError::BadRequest(lang.pick(&vi, &en).to_owned()),
            CommandError::Conflict { en, vi } => ApiError::Conflict(lang.pick(&vi, &en).to_owned()),
            CommandError::Failed(e) => e,
        }
    }
}

impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> ApiError {
        match e {
            CommandError::Refused { en, .. } => ApiError::BadRequest(en),
            CommandError::Conflict { en, .. } => ApiError::Conflict(en),
            CommandError::Failed(e) => e,
        }
    }
}

impl From<ApiError> for CommandError {
    fn from(e: ApiError) -> CommandError {
        CommandError::Failed(e)
    }
}

impl From<crate::store::StoreError> for CommandError {
    fn from(e: crate::store::StoreError) -> CommandError {
        CommandError::Failed(e.into())
    }
}

/// A change refused, said in English (the API's) and in Vietnamese (the pages').
pub fn refused(en: impl Into<String>, vi: impl Into<String>) -> CommandError {
    CommandError::Refused { en: en.into(), vi: vi.into() }
}

/// A count sent as a JSON number or as text (1.234): a whole number from 0, or `None`.
pub fn whole_count(value: &Value) -> Option<u32> {
    let number = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => crate::ingest::manual::parse_number(s).ok(),
        _ => None,
    }?;
    (number.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&number)).then_some(number as u32)
}

/// A metered resource as a form or the API sent it.
pub fn resource_sent(sent: &str) -> Result<Resource, CommandError> {
    let sent = sent.trim();
    sent.parse().map_err(|_| {
        refused(
            format!("`{sent}` is not a resource: send electricity, water or paper"),
            format!("`{sent}` không phải là điện, nước hay giấy"),
        )
    })
}
