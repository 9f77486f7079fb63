//! Who hears of which alert, and the one message each gets per round: HC-QT hears of every
//! alert, a department's head of the alerts about their department. A round that raises many
//! alerts at once (every meter silent after a network cut) gives each recipient one grouped
//! message, not one per alert.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::charts::night::NightChart;
use crate::config::{Recipient, RecipientRole};
use crate::domain::period::local_rfc3339;
use crate::domain::{Condition, Severity};
use crate::locale::Lang;
use crate::notify::{Attachment, Notification};
use crate::store::alerts::{AlertChanges, AlertRecord, Queued};
use crate::store::{AlertBook, StoreError};

/// The recipients as an admin keeps them now, checked against the configured departments. One
/// that no longer checks (its department was removed from the config) is left out, with a
/// WARN, until an admin fixes it on the page.
pub fn in_force(book: &AlertBook, config: &crate::config::Config) -> Result<Vec<Recipient>, StoreError> {
    let kept = book.recipients()?;
    Ok(kept
        .into_iter()
        .filter_map(|r| match r.fields.resolve("recipient", &config.departments) {
            Ok(recipient) => Some(recipient),
            Err(problem) => {
                tracing::warn!(id = r.id, %problem, "an alert recipient is left out: fix it on the recipients page");
                None
            }
        })
        .collect())
}

/// Whether `recipient` hears of `alert`.
pub fn concerns(recipient: &Recipient, alert: &AlertRecord) -> bool {
    match &recipient.role {
        RecipientRole::HcQt => true,
        RecipientRole::DepartmentHead(department) => alert.department.as_deref() == Some(department.as_str()),
    }
}

/// The notifications of one round at `now`: one per recipient with anything to hear (not to
/// those who take a daily digest), held until the end of their quiet hours unless it raises a
/// critical alert. A raised alert about a night (a leak) carries that night's chart, drawn from
/// its condition among `found`.
pub fn compose(
    recipients: &[Recipient],
    changes: &AlertChanges,
    found: &[Condition],
    now: Timestamp,
    tz: &TimeZone,
) -> Vec<Queued> {
    let charts = night_charts(&changes.raised, found);
    recipients
        .iter()
        .filter(|recipient| recipient.digest_at.is_none())
        .filter_map(|recipient| {
            let raised: Vec<&AlertRecord> = changes.raised.iter().filter(|a| concerns(recipient, a)).collect();
            let resolved: Vec<&AlertRecord> = changes.resolved.iter().filter(|a| concerns(recipient, a)).collect();
            if raised.is_empty() && resolved.is_empty() {
                return None;
            }
            let urgent = raised.iter().any(|a| a.severity == Severity::Critical);
            let not_before = recipient.quiet_hours.filter(|_| !urgent).and_then(|quiet| quiet.end_after(now, tz));
            let mut notification = notification(recipient, &raised, &resolved, tz);
            notification.attachments = raised
                .iter()
                .filter_map(|a| charts.iter().find(|(id, _)| *id == a.id))
                .map(|(_, c)| c.clone())
                .collect();
            Some(queued(recipient, &notification, not_before, None))
        })
        .collect()
}

/// The night's chart of each raised alert whose condition has a night, by alert id. A chart
/// that cannot be drawn is left out (the message still goes) and logged.
fn night_charts(raised: &[AlertRecord], found: &[Condition]) -> Vec<(i64, Attachment)> {
    raised
        .iter()
        .filter_map(|alert| {
            let condition = found.iter().find(|c| c.key == alert.key && !c.night.is_empty())?;
            let night_of = condition.night[0].0.date();
            let chart = NightChart {
                title: format!("Lưu lượng nước đêm {}", night_of.strftime("%d/%m/%Y")),
                unit: "lít/giờ".into(),
                points: condition.night.clone(),
                lang: Lang::Vi,
                colour: WATER_BLUE,
            };
            match chart.png() {
                Ok(bytes) => Some((
                    alert.id,
                    Attachment {
                        file_name: format!("dem-{}.png", night_of.strftime("%d-%m-%Y")),
                        content_type: "image/png".into(),
                        bytes,
                    },
                )),
                Err(error) => {
                    tracing::warn!(alert = alert.id, %error, "the night's chart could not be drawn");
                    None
                }
            }
        })
        .collect()
}

/// The water line's colour, as on the dashboard.
const WATER_BLUE: (u8, u8, u8) = (21, 101, 192);

/// How long after `digest_at` the day's digest may still go (a service down at that time).
const DIGEST_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_hours(2);

/// A digest recipient's message for the day of `now`: the alerts still active and those
/// resolved in the last day; `None` when there is nothing to tell or `now` is not within
/// [`DIGEST_WINDOW`] of `digest_at`.
pub fn digest(
    recipient: &Recipient,
    active: &[AlertRecord],
    resolved: &[AlertRecord],
    now: Timestamp,
    tz: &TimeZone,
) -> Option<Queued> {
    let at = recipient.digest_at?;
    let local = now.to_zoned(tz.clone());
    let late = local.time().duration_since(at);
    if late.is_negative() || late >= DIGEST_WINDOW {
        return None;
    }
    let active: Vec<&AlertRecord> = active.iter().filter(|a| concerns(recipient, a)).collect();
    let resolved: Vec<&AlertRecord> = resolved.iter().filter(|a| concerns(recipient, a)).collect();
    if active.is_empty() && resolved.is_empty() {
        return None;
    }
    let mut n = notification(recipient, &active, &resolved, tz);
    let day = local.date().strftime("%d/%m/%Y").to_string();
    n.subject =
        format!("[Xanh] Tổng hợp cảnh báo ngày {day}: {} đang diễn ra, {} đã hết", active.len(), resolved.len());
    n.text = n.text.replacen("Cảnh báo mới:", "Đang diễn ra:", 1);
    let key = format!("digest/{}/{}", recipient.name, local.date());
    Some(queued(recipient, &n, None, Some(key)))
}

fn queued(
    recipient: &Recipient,
    notification: &Notification,
    not_before: Option<Timestamp>,
    dedup: Option<String>,
) -> Queued {
    Queued {
        recipient: format!("{} <{}>", recipient.name, address_text(&notification.to)),
        notification: serde_json::to_value(notification).unwrap_or_default(),
        not_before,
        dedup,
    }
}

fn address_text(address: &crate::notify::Address) -> &str {
    match address {
        crate::notify::Address::Email(to) | crate::notify::Address::Webhook(to) => to,
    }
}

fn notification(
    recipient: &Recipient,
    raised: &[&AlertRecord],
    resolved: &[&AlertRecord],
    tz: &TimeZone,
) -> Notification {
    let subject = match (raised, resolved) {
        ([one], []) => format!("[Xanh] Cảnh báo: {}", one.message),
        ([], [one]) => format!("[Xanh] Đã hết: {}", one.message),
        _ => {
            let mut parts = Vec::new();
            if !raised.is_empty() {
                parts.push(format!("{} cảnh báo mới ({})", raised.len(), rule_counts(raised)));
            }
            if !resolved.is_empty() {
                parts.push(format!("{} cảnh báo đã hết", resolved.len()));
            }
            format!("[Xanh] {}", parts.join(", "))
        }
    };
    let mut text = format!("Kính gửi {},\n\n", recipient.name);
    if !raised.is_empty() {
        text.push_str("Cảnh báo mới:\n");
        for alert in raised {
            text.push_str(&format!("- [{}] {}\n", alert.rule.name(true), alert.message));
        }
        text.push('\n');
    }
    if !resolved.is_empty() {
        text.push_str("Đã trở lại bình thường:\n");
        for alert in resolved {
            text.push_str(&format!("- [{}] {}\n", alert.rule.name(true), alert.message));
        }
        text.push('\n');
    }
    text.push_str("Xem và xác nhận trên trang Cảnh báo của Xanh (/alerts).\n");
    let event = serde_json::json!({
        "raised": raised.iter().map(|a| event_of(a, tz)).collect::<Vec<_>>(),
        "resolved": resolved.iter().map(|a| event_of(a, tz)).collect::<Vec<_>>(),
    });
    Notification { to: recipient.address.clone(), subject, text, event, attachments: Vec::new() }
}

/// "Công tơ mất tín hiệu × 23, Rò rỉ nước ban đêm × 1"
fn rule_counts(alerts: &[&AlertRecord]) -> String {
    let mut counts: std::collections::BTreeMap<crate::domain::AlertRule, usize> = std::collections::BTreeMap::new();
    for alert in alerts {
        *counts.entry(alert.rule).or_default() += 1;
    }
    counts.into_iter().map(|(rule, n)| format!("{} × {n}", rule.name(true))).collect::<Vec<_>>().join(", ")
}

/// An alert as the webhook's JSON and its MQTT topic give it: the API's fields, times in the
/// office's time zone as the API gives them.
pub fn event_of(alert: &AlertRecord, tz: &TimeZone) -> serde_json::Value {
    serde_json::json!({
        "id": alert.id,
        "rule": alert.rule.code(),
        "resource": alert.resource,
        "meter": alert.meter,
        "department": alert.department,
        "severity": alert.severity.code(),
        "started": local_rfc3339(alert.started, tz),
        "resolved": alert.resolved.map(|t| local_rfc3339(t, tz)),
        "last_value": alert.last_value,
        "message": alert.message,
        "acknowledged": alert.ack.as_ref().map(|a| serde_json::json!({
            "by": a.by, "at": local_rfc3339(a.at, tz), "comment": a.comment,
        })),
    })
}
