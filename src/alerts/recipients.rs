//! Who hears of which alert, and the one message each gets per round: HC-QT hears of every
//! alert, a department's head of the alerts about their department. A round that raises many
//! alerts at once (every meter silent after a network cut) gives each recipient one grouped
//! message, not one per alert.

use crate::config::{Recipient, RecipientRole};
use crate::notify::Notification;
use crate::store::alerts::{AlertChanges, AlertRecord, Queued};

/// Whether `recipient` hears of `alert`.
pub fn concerns(recipient: &Recipient, alert: &AlertRecord) -> bool {
    match &recipient.role {
        RecipientRole::HcQt => true,
        RecipientRole::DepartmentHead(department) => alert.department.as_deref() == Some(department.as_str()),
    }
}

/// The notifications of one round: one per recipient with anything to hear.
pub fn compose(recipients: &[Recipient], changes: &AlertChanges) -> Vec<Queued> {
    recipients
        .iter()
        .filter_map(|recipient| {
            let raised: Vec<&AlertRecord> = changes.raised.iter().filter(|a| concerns(recipient, a)).collect();
            let resolved: Vec<&AlertRecord> = changes.resolved.iter().filter(|a| concerns(recipient, a)).collect();
            if raised.is_empty() && resolved.is_empty() {
                return None;
            }
            let notification = notification(recipient, &raised, &resolved);
            Some(Queued {
                recipient: format!("{} <{}>", recipient.name, address_text(&notification.to)),
                notification: serde_json::to_value(&notification).unwrap_or_default(),
            })
        })
        .collect()
}

fn address_text(address: &crate::notify::Address) -> &str {
    match address {
        crate::notify::Address::Email(to) | crate::notify::Address::Webhook(to) => to,
    }
}

fn notification(recipient: &Recipient, raised: &[&AlertRecord], resolved: &[&AlertRecord]) -> Notification {
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
        "raised": raised.iter().map(|a| event_of(a)).collect::<Vec<_>>(),
        "resolved": resolved.iter().map(|a| event_of(a)).collect::<Vec<_>>(),
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

/// An alert as the API and the webhook's JSON give it.
pub fn event_of(alert: &AlertRecord) -> serde_json::Value {
    serde_json::json!({
        "id": alert.id,
        "rule": alert.rule.code(),
        "resource": alert.resource,
        "meter": alert.meter,
        "department": alert.department,
        "severity": alert.severity.code(),
        "started": alert.started.to_string(),
        "resolved": alert.resolved.map(|t| t.to_string()),
        "last_value": alert.last_value,
        "message": alert.message,
        "acknowledged": alert.ack.as_ref().map(|a| serde_json::json!({
            "by": a.by, "at": a.at.to_string(), "comment": a.comment,
        })),
    })
}
