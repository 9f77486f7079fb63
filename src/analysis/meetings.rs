//! Paperless meetings per department and for the office over a named period: the share held
//! paperless, its trend against the period just before (as many months), the target, and the
//! months already over without counts. Entered and read like the electronic documents.

use jiff::Timestamp;
use serde::Serialize;

use super::documents::months_of;
use super::figures::FigureError;
use crate::config::Config;
use crate::domain::period::NamedPeriod;
use crate::domain::{DepartmentId, Month};
use crate::store::{MeetingRecord, StoreReads};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeetingShare {
    /// `None`: the whole office.
    pub department: Option<DepartmentId>,
    pub held: u64,
    pub paperless: u64,
    /// Paperless in percent of the meetings held; `None` when none were counted.
    pub share_percent: Option<f64>,
    /// The share over the months just before the period, as many as it has.
    pub previous_share_percent: Option<f64>,
    /// `share_percent − previous_share_percent`, in percentage points.
    pub trend_points: Option<f64>,
    pub target_percent: f64,
    /// Whether the share reached the target; `None` without counts.
    pub reached: Option<bool>,
    #[serde(serialize_with = "month_codes")]
    pub missing_months: Vec<Month>,
}

fn month_codes<S: serde::Serializer>(months: &[Month], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(months.iter().map(|m| m.to_string()))
}

/// The shares of every configured department, in config order, then the office's.
pub async fn shares(
    store: &dyn StoreReads,
    config: &Config,
    period: &NamedPeriod,
    now: Timestamp,
) -> Result<Vec<MeetingShare>, FigureError> {
    let (first, last_exclusive) = months_of(period);
    let mut before = first;
    let mut month = first;
    while month < last_exclusive {
        before = previous(before);
        month = month.next();
    }
    let records = store.meetings(before, last_exclusive).await?;
    let (earlier, current): (Vec<&MeetingRecord>, Vec<&MeetingRecord>) =
        records.iter().partition(|r| r.count.month() < first);
    let this_month = Month::of(now.to_zoned(config.office.timezone.clone()).date());
    let mut over = Vec::new();
    let mut month = first;
    while month < last_exclusive && month < this_month {
        over.push(month);
        month = month.next();
    }
    let target = config.meetings_target_percent;
    let share = |department: Option<&DepartmentId>| {
        let mine = |records: &[&MeetingRecord]| -> (u64, u64) {
            records
                .iter()
                .filter(|r| department.is_none_or(|d| r.count.department() == d))
                .fold((0, 0), |(h, p), r| (h + u64::from(r.count.held()), p + u64::from(r.count.paperless())))
        };
        let percent = |(held, paperless): (u64, u64)| (held > 0).then(|| paperless as f64 / held as f64 * 100.0);
        let (held, paperless) = mine(&current);
        let share_percent = percent((held, paperless));
        let previous_share_percent = percent(mine(&earlier));
        let entered: Vec<Month> = current
            .iter()
            .filter(|r| department.is_none_or(|d| r.count.department() == d))
            .map(|r| r.count.month())
            .collect();
        MeetingShare {
            department: department.cloned(),
            held,
            paperless,
            share_percent,
            previous_share_percent,
            trend_points: share_percent.zip(previous_share_percent).map(|(now, before)| now - before),
            target_percent: target,
            reached: share_percent.map(|s| s >= target),
            missing_months: over.iter().filter(|m| !entered.contains(m)).copied().collect(),
        }
    };
    let mut out: Vec<MeetingShare> = config.departments.iter().map(|d| share(Some(&d.id))).collect();
    out.push(share(None));
    Ok(out)
}

fn previous(month: Month) -> Month {
    let first = month.first_day();
    Month::of(first.yesterday().unwrap_or(first))
}
