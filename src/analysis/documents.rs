//! The share of documents issued electronically, per department and for the office, over a
//! named period; months already over without counts are missing data.

use jiff::Timestamp;
use serde::Serialize;

use super::figures::FigureError;
use crate::config::Config;
use crate::domain::period::NamedPeriod;
use crate::domain::{DepartmentId, Month};
use crate::store::{DocumentRecord, StoreReads};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentShare {
    /// `None`: the whole office.
    pub department: Option<DepartmentId>,
    pub electronic: u64,
    pub paper: u64,
    /// Electronic in percent of all documents; `None` when none were counted.
    pub share_percent: Option<f64>,
    /// Months of the period already over without counts (for the office: entered by no
    /// department at all).
    #[serde(serialize_with = "month_codes")]
    pub missing_months: Vec<Month>,
}

fn month_codes<S: serde::Serializer>(months: &[Month], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(months.iter().map(|m| m.to_string()))
}

/// The months a period touches, first and the one after its last.
pub fn months_of(period: &NamedPeriod) -> (Month, Month) {
    let (first, last_exclusive) = period.days();
    let last = last_exclusive.yesterday().unwrap_or(last_exclusive);
    (Month::of(first), Month::of(last).next())
}

/// The shares of every configured department, in config order, then the office's.
pub async fn shares(
    store: &dyn StoreReads,
    config: &Config,
    period: &NamedPeriod,
    now: Timestamp,
) -> Result<Vec<DocumentShare>, FigureError> {
    let (first, last_exclusive) = months_of(period);
    let records = store.documents(first, last_exclusive).await?;
    let this_month = Month::of(now.to_zoned(config.office.timezone.clone()).date());
    let mut over = Vec::new();
    let mut month = first;
    while month < last_exclusive && month < this_month {
        over.push(month);
        month = month.next();
    }
    let mut out: Vec<DocumentShare> = config.departments.iter().map(|d| share(Some(&d.id), &records, &over)).collect();
    out.push(share(None, &records, &over));
    Ok(out)
}

fn share(department: Option<&DepartmentId>, records: &[DocumentRecord], over: &[Month]) -> DocumentShare {
    let mine: Vec<&DocumentRecord> =
        records.iter().filter(|r| department.is_none_or(|d| &r.count.department == d)).collect();
    let electronic: u64 = mine.iter().map(|r| u64::from(r.count.electronic)).sum();
    let paper: u64 = mine.iter().map(|r| u64::from(r.count.paper)).sum();
    let total = electronic + paper;
    DocumentShare {
        department: department.cloned(),
        electronic,
        paper,
        share_percent: (total > 0).then(|| electronic as f64 / total as f64 * 100.0),
        missing_months: over.iter().filter(|m| !mine.iter().any(|r| r.count.month == **m)).copied().collect(),
    }
}
