//! The council's table for a period: each department's progress on every resource, its
//! electronic documents, the points the rubric gives them, the total, the classification and
//! the rank. The API, the page and the exports all show this one report.

use jiff::Timestamp;
use serde::Serialize;

use super::common_area::{CommonArea, common_area};
use super::documents::{self, DocumentShare};
use super::figures::FigureError;
use super::meetings::{self, MeetingShare};
use super::points::{self, CriterionScore, Standing};
use super::progress::{Progress, ProgressQuery, progress_with};
use super::series::select_meters;
use super::supplies::{self, SupplyFigures};
use crate::config::{Config, Criterion, Plan, Rubric};
use crate::domain::TimeRange;
use crate::domain::consumption::floor_hour;
use crate::domain::period::NamedPeriod;
use crate::domain::period::local_rfc3339;
use crate::domain::{DepartmentId, Resource};
use crate::locale::Lang;
use crate::store::StoreReads;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepartmentScore {
    pub department: DepartmentId,
    pub name: String,
    /// Electricity, water, paper, documents; then paperless meetings once the office counts
    /// them, and each configured resource with a norm in force (the same list for every
    /// department).
    pub criteria: Vec<CriterionScore>,
    pub total: f64,
    /// How the total came from the criteria's points (Vietnamese).
    pub total_explain: String,
    pub classification: String,
    pub rank: usize,
    /// Electricity, water, paper.
    pub resources: Vec<Progress>,
    pub documents: DocumentShare,
    /// Paperless meetings: share, trend and target, shown beside the documents.
    pub meetings: MeetingShare,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreReport {
    pub period: NamedPeriod,
    pub from: String,
    pub to: String,
    pub as_of: String,
    pub max_points: f64,
    /// In the config's order.
    pub departments: Vec<DepartmentScore>,
    /// Electricity, water, paper: what the building's main meters counted beyond the
    /// departments' own meters; a resource without a building meter is left out.
    pub common_areas: Vec<CommonArea>,
    /// The configured resources (stationery, toner, fuel) issued over the period.
    pub supplies: Vec<SupplyFigures>,
}

impl ScoreReport {
    /// The criteria's names, as the table's columns: every department has the same criteria.
    pub fn criterion_names(&self, lang: Lang) -> Vec<String> {
        let Some(first) = self.departments.first() else {
            return Criterion::CORE.iter().map(|c| criterion_name(*c, lang).to_owned()).collect();
        };
        first
            .criteria
            .iter()
            .map(|c| match &c.supply {
                Some(id) => self
                    .supplies
                    .iter()
                    .find(|f| &f.resource == id)
                    .map(|f| lang.pick(&f.name_vi, &f.name_en).to_owned())
                    .unwrap_or_else(|| id.to_string()),
                None => criterion_name(c.criterion, lang).to_owned(),
            })
            .collect()
    }
}

fn criterion_name(criterion: Criterion, lang: Lang) -> &'static str {
    match criterion {
        Criterion::Electricity => lang.pick("Điện", "Electricity"),
        Criterion::Water => lang.pick("Nước", "Water"),
        Criterion::Paper => lang.pick("Giấy", "Paper"),
        Criterion::Documents => lang.pick("Văn bản điện tử", "E-documents"),
        Criterion::Meetings => lang.pick("Họp không giấy", "Paperless meetings"),
        Criterion::Supply => lang.pick("Nguồn lực khác", "Other resource"),
    }
}

/// Score every department over `period` with the plan given.
/// The report for a period with the plan in force now: the config's plan with the app's edits.
pub async fn report_in_force(
    store: &dyn StoreReads,
    config: &Config,
    period: &NamedPeriod,
    now: Timestamp,
) -> Result<ScoreReport, FigureError> {
    let plan = super::plan_in_force::in_force(store, config).await?;
    scores(store, config, &plan, period, now).await
}

pub async fn scores(
    store: &dyn StoreReads,
    config: &Config,
    plan: &Plan,
    period: &NamedPeriod,
    now: Timestamp,
) -> Result<ScoreReport, FigureError> {
    let tz = &config.office.timezone;
    let range = period.range(tz)?;
    let rubric = &config.rubric;
    let shares = documents::shares(store, config, period, now).await?;
    let meeting_shares = meetings::shares(store, config, period, now).await?;
    // Meetings are scored once the office counts them in the period.
    let meetings_scored = rubric.meetings.points > 0.0 && meeting_shares.last().is_some_and(|office| office.held > 0);
    let supplies = supplies::all(store, config, plan, period, now).await?;
    // A resource is scored when a norm is in force for the office over the period.
    let normed: Vec<&SupplyFigures> =
        supplies.iter().filter(|figures| rubric.supplies.points > 0.0 && figures.office.norm.is_some()).collect();
    let mut departments = Vec::new();
    for ((department, share), meetings) in config.departments.iter().zip(shares).zip(meeting_shares) {
        let mut resources = Vec::new();
        let mut criteria = Vec::new();
        for resource in Resource::ALL {
            let query = ProgressQuery { resource, department: Some(department.id.clone()), period: *period };
            let p = progress_with(store, config, plan, &query, now).await?;
            let has_meter = !select_meters(&config.meters, resource, Some(&department.id)).is_empty();
            let entered = plan.baselines.entered(resource, Some(&department.id)).is_some();
            let standing = if !has_meter && !entered {
                Standing::NotApplicable
            } else if p.saving_percent.is_none() || p.actual <= 0.0 || p.target.is_none() {
                Standing::MissingData
            } else {
                Standing::Scored
            };
            let target = p.target.as_ref().map(|t| t.saving_percent);
            criteria.push(points::score(rubric, criterion_of(resource), standing, p.saving_percent, target));
            resources.push(p);
        }
        let standing = if share.share_percent.is_none() || !share.missing_months.is_empty() {
            Standing::MissingData
        } else {
            Standing::Scored
        };
        criteria.push(points::score(
            rubric,
            Criterion::Documents,
            standing,
            share.share_percent,
            rubric.documents.target_percent,
        ));
        if meetings_scored {
            criteria.push(meetings_score(rubric, &meetings));
        }
        for figures in &normed {
            let norm = figures
                .departments
                .iter()
                .find(|u| u.department.as_ref() == Some(&department.id))
                .and_then(|u| u.norm.as_ref());
            criteria.push(points::norm_score(
                rubric,
                &figures.resource,
                norm.and_then(|n| n.percent),
                norm.map(|n| n.over),
            ));
        }
        let total = points::total(rubric, &criteria);
        let total_explain = points::total_line(rubric, &criteria, total);
        let classification = points::classify(rubric, total, &criteria).to_owned();
        departments.push(DepartmentScore {
            department: department.id.clone(),
            name: department.name.clone(),
            criteria,
            total,
            total_explain,
            classification,
            rank: 0,
            resources,
            documents: share,
            meetings,
        });
    }
    let totals: Vec<f64> = departments.iter().map(|d| d.total).collect();
    for (department, rank) in departments.iter_mut().zip(points::ranks(&totals)) {
        department.rank = rank;
    }
    let mut common_areas = Vec::new();
    for resource in Resource::ALL {
        let until = jiff::Timestamp::from_millisecond(floor_hour(now.as_millisecond())).unwrap_or(now);
        let to_date = TimeRange::new(range.from(), until.clamp(range.from(), range.to()));
        if let Ok(to_date) = to_date {
            common_areas.extend(common_area(store, config, resource, to_date).await?);
        }
    }
    let as_of = departments.first().and_then(|d| d.resources.first()).map(|p| p.as_of.clone()).unwrap_or_default();
    Ok(ScoreReport {
        period: *period,
        from: local_rfc3339(range.from(), tz),
        to: local_rfc3339(range.to(), tz),
        as_of,
        max_points: rubric.max_points(),
        departments,
        common_areas,
        supplies,
    })
}

/// A department with months not entered loses the rule's points for missing data; one that
/// entered every month and held no meeting is not scored on them.
fn meetings_score(rubric: &Rubric, share: &MeetingShare) -> CriterionScore {
    let standing = if !share.missing_months.is_empty() {
        Standing::MissingData
    } else if share.share_percent.is_none() {
        Standing::NotApplicable
    } else {
        Standing::Scored
    };
    let mut score =
        points::score(rubric, Criterion::Meetings, standing, share.share_percent, Some(share.target_percent));
    if standing == Standing::NotApplicable {
        score.explain =
            "Không họp trong kỳ: không chấm tiêu chí này; tổng điểm quy đổi về thang điểm đầy đủ".to_owned();
    }
    score
}

fn criterion_of(resource: Resource) -> Criterion {
    match resource {
        Resource::Electricity => Criterion::Electricity,
        Resource::Water => Criterion::Water,
        Resource::Paper => Criterion::Paper,
    }
}
