//! `[reports]`: the reports the service makes by itself on the first working day of each
//! month, quarter and year (the period just over), keeps in the store, lists on the Báo cáo
//! page and e-mails. Off unless the section says `scheduled = true`.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReportsSection {
    #[serde(default)]
    scheduled: bool,
    #[serde(default = "default_periods")]
    periods: Vec<String>,
    #[serde(default)]
    recipients: Option<RecipientsEntry>,
}

/// `recipients = "hc_qt"` or `recipients = ["a@example.gov.vn", …]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RecipientsEntry {
    Word(String),
    Addresses(Vec<String>),
}

fn default_periods() -> Vec<String> {
    vec!["month".into(), "quarter".into(), "year".into()]
}

/// Which kind of period a scheduled report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReportPeriodKind {
    Month,
    Quarter,
    Year,
}

/// Who receives the scheduled reports by e-mail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ReportRecipients {
    /// Nobody: the reports are kept and listed only.
    #[default]
    Nobody,
    /// The e-mail addresses of the alert recipients (kept by an admin, seeded from
    /// `[[alerts.recipients]]`) whose role is HC-QT.
    AlertsHcQt,
    /// These e-mail addresses.
    Addresses(Vec<String>),
}

/// `[reports]` as the service uses it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportsConfig {
    pub scheduled: bool,
    /// In the order month, quarter, year; each at most once.
    pub periods: Vec<ReportPeriodKind>,
    pub recipients: ReportRecipients,
}

pub(super) fn resolve_reports(
    section: ReportsSection,
    problem: &mut impl FnMut(String, String, String),
) -> ReportsConfig {
    let mut periods = Vec::new();
    for word in &section.periods {
        match word.trim() {
            "month" => periods.push(ReportPeriodKind::Month),
            "quarter" => periods.push(ReportPeriodKind::Quarter),
            "year" => periods.push(ReportPeriodKind::Year),
            other => problem(
                "reports.periods".into(),
                format!("`{other}` is not a kind of period"),
                "list any of \"month\", \"quarter\", \"year\", such as periods = [\"month\", \"year\"]".into(),
            ),
        }
    }
    periods.sort();
    periods.dedup();
    let recipients = match section.recipients {
        None => ReportRecipients::Nobody,
        Some(RecipientsEntry::Word(word)) if word.trim() == "hc_qt" => ReportRecipients::AlertsHcQt,
        Some(RecipientsEntry::Word(word)) => {
            problem(
                "reports.recipients".into(),
                format!("`{word}` is neither \"hc_qt\" nor a list of addresses"),
                "write recipients = \"hc_qt\" (the alerts' HC-QT recipients) or recipients = [\"van.thu@example.gov.vn\"]"
                    .into(),
            );
            ReportRecipients::Nobody
        }
        Some(RecipientsEntry::Addresses(addresses)) => {
            for address in &addresses {
                if !address.contains('@') || address.contains(char::is_whitespace) {
                    problem(
                        "reports.recipients".into(),
                        format!("`{address}` is not an e-mail address"),
                        "write each as name@example.gov.vn".into(),
                    );
                }
            }
            ReportRecipients::Addresses(addresses)
        }
    };
    ReportsConfig { scheduled: section.scheduled, periods, recipients }
}
