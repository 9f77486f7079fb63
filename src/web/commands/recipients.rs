//! An admin keeps the list of who is told of alerts: the page's forms and the API do the same.
//! The alert engine reads the list each round, so a change counts from the next round.

use crate::auth::Principal;
use crate::config::RecipientFields;
use crate::notify::Address;
use crate::store::alert_recipients::KeptRecipient;
use crate::web::{ApiError, AppState};

/// The fields checked against the configured departments and webhooks, written the way the
/// config writes them ("07:00", no empty strings).
fn checked(state: &AppState, fields: RecipientFields) -> Result<RecipientFields, ApiError> {
    let blank_is_none = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let fields = RecipientFields {
        name: fields.name.trim().to_owned(),
        role: fields.role.trim().to_owned(),
        department: blank_is_none(fields.department),
        email: blank_is_none(fields.email),
        webhook: blank_is_none(fields.webhook),
        quiet_hours: blank_is_none(fields.quiet_hours),
        digest_at: blank_is_none(fields.digest_at),
    };
    if fields.name.is_empty() {
        return Err(ApiError::BadRequest("`name` is empty: give the person's name and title".into()));
    }
    let recipient = fields.resolve("recipient", &state.config().departments).map_err(ApiError::BadRequest)?;
    if let Address::Webhook(name) = &recipient.address
        && !state.config().notify.webhooks.iter().any(|w| &w.name == name)
    {
        return Err(ApiError::BadRequest(format!(
            "recipient.webhook: `{name}` is not a configured webhook; fix: use the name of a [[notify.webhook]] entry"
        )));
    }
    Ok(RecipientFields::from(&recipient))
}

pub async fn add(state: &AppState, who: &Principal, fields: RecipientFields) -> Result<KeptRecipient, ApiError> {
    let fields = checked(state, fields)?;
    let actor = super::actor(who);
    Ok(crate::alerts::blocking(&state.alerts.book(), move |book| book.add_recipient(&fields, &actor)).await?)
}

pub async fn update(
    state: &AppState,
    who: &Principal,
    id: i64,
    fields: RecipientFields,
) -> Result<KeptRecipient, ApiError> {
    let fields = checked(state, fields)?;
    let actor = super::actor(who);
    crate::alerts::blocking(&state.alerts.book(), move |book| book.update_recipient(id, &fields, &actor))
        .await?
        .ok_or_else(|| not_found(id))
}

pub async fn delete(state: &AppState, who: &Principal, id: i64) -> Result<KeptRecipient, ApiError> {
    let actor = super::actor(who);
    crate::alerts::blocking(&state.alerts.book(), move |book| book.delete_recipient(id, &actor))
        .await?
        .ok_or_else(|| not_found(id))
}

fn not_found(id: i64) -> ApiError {
    ApiError::NotFound(format!("there is no recipient {id}: GET /api/v1/alerts/recipients lists them"))
}
