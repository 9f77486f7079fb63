//! `[meetings]`: the share of a department's meetings to hold paperless.

use serde::Deserialize;

/// The movement's aim when `[meetings]` is left out: every meeting paperless.
const DEFAULT_TARGET_PERCENT: f64 = 100.0;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MeetingsSection {
    target_percent: Option<f64>,
}

pub(super) fn resolve_meetings(raw: &MeetingsSection, problem: &mut impl FnMut(String, String, String)) -> f64 {
    match raw.target_percent {
        None => DEFAULT_TARGET_PERCENT,
        Some(t) if t.is_finite() && t > 0.0 && t <= 100.0 => t,
        Some(t) => {
            problem(
                "meetings.target_percent".into(),
                format!("{t} is not a share"),
                "give the share of meetings to hold paperless, above 0 and at most 100".into(),
            );
            DEFAULT_TARGET_PERCENT
        }
    }
}
