//! The reports `[reports]` asks for: on the first working day of each month (quarter, year)
//! by the office's calendar, the report of the period just over is made as PDF and DOCX,
//! kept in the store and its e-mails queued in the alerts' outbox (the alerts' dispatcher
//! sends them, retrying with backoff). Checked at start-up, so a day missed while the service
//! was down is caught up, and again whenever the office's date changes.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::Date;
use tokio::sync::watch;

use crate::analysis::figures::FigureError;
use crate::analysis::period_report::period_report;
use crate::config::{Config, Recipient, RecipientRole, ReportPeriodKind, ReportRecipients};
use crate::domain::Office;
use crate::domain::period::NamedPeriod;
use crate::ingest::ConfigInForce;
use crate::notify::{Address, Attachment, Notification};
use crate::reports::{self, ReportError, ReportFormat, content::period_words};
use crate::store::alerts::Queued;
use crate::store::{AlertBook, ReportShelf, StoreError, StoreReads};

/// What time it is: the system's clock, or a test's.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// How long to wait before trying again after a failed pass.
const RETRY_AFTER: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
enum ScheduleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Figure(#[from] FigureError),
    #[error(transparent)]
    Report(#[from] ReportError),
}

pub(super) struct ReportSchedule {
    pub config: ConfigInForce,
    pub store: Arc<dyn StoreReads>,
    pub shelf: Arc<ReportShelf>,
    /// The alert recipients an admin keeps: HC-QT's e-mails get the reports.
    pub book: Arc<AlertBook>,
    pub clock: Clock,
}

impl ReportSchedule {
    /// Make what is due whenever the office's date changes, until shutdown.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut done_for: Option<Date> = None;
        loop {
            let today = (self.clock)().to_zoned(self.config.get().office.timezone.clone()).date();
            let mut wait = Duration::from_secs(1);
            if done_for != Some(today) {
                match self.make_due(today).await {
                    Ok(()) => done_for = Some(today),
                    Err(e) => {
                        tracing::error!(error = %e, "a scheduled report could not be made; tried again in a minute");
                        wait = RETRY_AFTER;
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }

    /// Make and keep each report due on `today` that is not kept yet.
    async fn make_due(&self, today: Date) -> Result<(), ScheduleError> {
        let config = self.config.get();
        for period in due(&config.office, &config.reports.periods, today) {
            let key = period.to_string();
            let shelf = Arc::clone(&self.shelf);
            let asked = key.clone();
            if blocking(move || shelf.has(&asked)).await? {
                continue;
            }
            let now = (self.clock)();
            let figures = period_report(self.store.as_ref(), &config, &period, now).await?;
            let letterhead = config.letterhead.clone();
            let (pdf, docx) = tokio::task::spawn_blocking(move || {
                let pdf = reports::render(&figures, &letterhead, today, ReportFormat::Pdf)?;
                let docx = reports::render(&figures, &letterhead, today, ReportFormat::Docx)?;
                Ok::<_, ReportError>((pdf, docx))
            })
            .await
            .map_err(|e| StoreError::Worker(e.to_string()))??;
            let (book, in_force) = (Arc::clone(&self.book), Arc::clone(&config));
            let recipients = blocking(move || crate::alerts::recipients::in_force(&book, &in_force)).await?;
            let mail = mail(&config, &recipients, &period, &pdf);
            let (shelf, kept_key, recipients) = (Arc::clone(&self.shelf), key.clone(), mail.len());
            let kept = blocking(move || shelf.keep(&kept_key, today, now, &pdf, &docx, &mail)).await?;
            if kept {
                tracing::info!(period = %key, recipients, "scheduled report made and kept");
            }
        }
        Ok(())
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| StoreError::Worker(e.to_string()))?
}

/// The periods whose reports are due on `today`: for each kind, the one just over, once the
/// first working day of the next has come (before it, nothing: the one before was made on
/// its own day).
fn due(office: &Office, kinds: &[ReportPeriodKind], today: Date) -> Vec<NamedPeriod> {
    kinds
        .iter()
        .filter_map(|&kind| {
            let current = containing(kind, today);
            let start = current.days().0;
            let previous = containing(kind, start.yesterday().ok()?);
            (today >= first_working_day(office, start)).then_some(previous)
        })
        .collect()
}

/// The period of `kind` that holds `day`.
fn containing(kind: ReportPeriodKind, day: Date) -> NamedPeriod {
    match kind {
        ReportPeriodKind::Month => NamedPeriod::Month(day.year(), day.month()),
        ReportPeriodKind::Quarter => NamedPeriod::Quarter(day.year(), (day.month() - 1) / 3 + 1),
        ReportPeriodKind::Year => NamedPeriod::Year(day.year()),
    }
}

/// The first day from `from` on that the office works (a month without one falls back to
/// `from` itself).
fn first_working_day(office: &Office, from: Date) -> Date {
    std::iter::successors(Some(from), |d| d.tomorrow().ok())
        .take(31)
        .find(|&d| office.is_working_day(d))
        .unwrap_or(from)
}

/// The e-mails of `period`'s report, one per recipient, with the PDF attached; queued once
/// per recipient and period.
fn mail(config: &Config, alert_recipients: &[Recipient], period: &NamedPeriod, pdf: &[u8]) -> Vec<Queued> {
    let addresses: Vec<String> = match &config.reports.recipients {
        ReportRecipients::Nobody => Vec::new(),
        ReportRecipients::Addresses(addresses) => addresses.clone(),
        ReportRecipients::AlertsHcQt => alert_recipients
            .iter()
            .filter(|r| r.role == RecipientRole::HcQt)
            .filter_map(|r| match &r.address {
                Address::Email(email) => Some(email.clone()),
                Address::Webhook(_) => None,
            })
            .collect(),
    };
    let words = period_words(period);
    let office = &config.office.name;
    addresses
        .into_iter()
        .map(|to| {
            let notification = Notification {
                to: Address::Email(to.clone()),
                subject: format!("[Xanh] Báo cáo sử dụng tiết kiệm điện, nước, giấy {words} — {office}"),
                text: format!(
                    "Kính gửi anh/chị,\n\nXanh đã lập báo cáo kết quả sử dụng tiết kiệm điện, nước, giấy {words} của {office}. \
                     Bản PDF để trình ký được đính kèm; bản DOCX để chỉnh sửa có trên trang Báo cáo của Xanh.\n"
                ),
                event: serde_json::json!({ "report": period.to_string() }),
                attachments: vec![Attachment {
                    file_name: reports::file_name(period, ReportFormat::Pdf),
                    content_type: ReportFormat::Pdf.content_type().to_owned(),
                    bytes: pdf.to_vec(),
                }],
            };
            Queued {
                recipient: to.clone(),
                notification: serde_json::to_value(&notification).expect("a notification is JSON"),
                not_before: None,
                dedup: Some(format!("report:{period}:{to}")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn office(holidays: &str) -> Office {
        let text = format!("[office]\nname = \"Văn phòng thử\"\nholidays = [{holidays}]\n");
        Config::parse("xanh.toml", &text, &|_| None).unwrap_or_else(|e| panic!("{e}")).office
    }

    #[test]
    fn november_is_due_on_the_first_working_day_of_december_not_on_a_holiday_before_it() {
        let office = office("\"2026-12-01\"");
        let month = [ReportPeriodKind::Month];
        assert_eq!(due(&office, &month, date(2026, 11, 30)), [NamedPeriod::Month(2026, 10)]);
        assert_eq!(due(&office, &month, date(2026, 12, 1)), [], "a holiday: November waits");
        assert_eq!(due(&office, &month, date(2026, 12, 2)), [NamedPeriod::Month(2026, 11)]);
        assert_eq!(due(&office, &month, date(2026, 12, 20)), [NamedPeriod::Month(2026, 11)], "caught up later");
    }

    #[test]
    fn a_weekend_waits_for_monday_and_quarters_and_years_come_with_their_month() {
        let office = office("");
        let all = [ReportPeriodKind::Month, ReportPeriodKind::Quarter, ReportPeriodKind::Year];
        // 1 August 2026 is a Saturday.
        assert_eq!(due(&office, &[ReportPeriodKind::Month], date(2026, 8, 1)), []);
        assert_eq!(due(&office, &[ReportPeriodKind::Month], date(2026, 8, 2)), []);
        assert_eq!(
            due(&office, &all, date(2026, 8, 3)),
            [NamedPeriod::Month(2026, 7), NamedPeriod::Quarter(2026, 2), NamedPeriod::Year(2025)]
        );
        // 1 January 2027 is New Year's Day (the shipped calendar); the 2nd and 3rd a weekend.
        assert_eq!(
            due(&office, &all, date(2027, 1, 4)),
            [NamedPeriod::Month(2026, 12), NamedPeriod::Quarter(2026, 4), NamedPeriod::Year(2026)]
        );
        assert_eq!(due(&office, &all, date(2027, 1, 1)), [], "New Year's Day: 2026 waits");
    }
}
