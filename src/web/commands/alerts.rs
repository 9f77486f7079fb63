//! A person acknowledges an alert with a comment: the page's form and the API do the same.

use crate::auth::Principal;
use crate::store::alerts::AlertRecord;
use crate::web::{ApiError, AppState};

/// The shortest and longest comment an acknowledgement takes.
const COMMENT_CHARS: std::ops::RangeInclusive<usize> = 3..=1000;

pub async fn acknowledge(state: &AppState, who: &Principal, id: i64, comment: &str) -> Result<AlertRecord, ApiError> {
    let comment = comment.trim();
    if !COMMENT_CHARS.contains(&comment.chars().count()) {
        return Err(ApiError::BadRequest(format!(
            "`comment` must say what was done, in {} to {} characters",
            COMMENT_CHARS.start(),
            COMMENT_CHARS.end()
        )));
    }
    state
        .alerts
        .acknowledge(id, super::actor(who), comment.to_owned())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no alert {id}")))
}
