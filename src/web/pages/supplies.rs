//! The configured resources (stationery, toner, fuel) as the pages write them, and their
//! sections on the council's page.

use maud::{Markup, html};

use crate::analysis::score_report::ScoreReport;
use crate::analysis::supplies::{SupplyFigures, SupplyUse};
use crate::analysis::supply_targets::SupplyTarget;
use crate::domain::Measure;
use crate::locale::{self, Lang};

/// A resource's figure as the page writes it: 1.500.000 đ, 12,5 lít.
pub(crate) fn amount(figures: &SupplyFigures, value: f64, lang: Lang) -> String {
    match figures.measure {
        Measure::Value => format!("{} đ", locale::number(value, 0, lang)),
        Measure::Quantity => format!("{} {}", locale::number(value, 1, lang), figures.unit),
    }
}

pub(crate) fn per_person(figures: &SupplyFigures, used: &SupplyUse, lang: Lang) -> String {
    match (used.per_person, figures.measure) {
        (None, _) => "—".into(),
        (Some(v), Measure::Value) => format!("{} đ", locale::number(v, 0, lang)),
        (Some(v), Measure::Quantity) => format!("{} {}", locale::number(v, 2, lang), figures.unit),
    }
}

pub(crate) fn name(figures: &SupplyFigures, lang: Lang) -> &str {
    lang.pick(&figures.name_vi, &figures.name_en)
}

/// Use in percent of the norm, flagged when over it; "—" without a norm.
pub(crate) fn norm_cell(used: &SupplyUse, lang: Lang) -> Markup {
    html! {
        @match &used.norm {
            None => { "—" }
            Some(norm) => {
                (norm.percent.map(|p| format!("{} %", locale::number(p, 1, lang))).unwrap_or_else(|| "—".into()))
                @if norm.over { " " span.badge.over data-over="true" { (lang.pick("vượt định mức", "over the norm")) } }
            }
        }
    }
}

/// The saving achieved against the baseline year, with the target's verdict; "chưa có số liệu
/// năm gốc" without the baseline year's slips; "—" without a target or before the period.
pub(crate) fn target_cell(used: &SupplyUse, lang: Lang) -> Markup {
    html! {
        @match &used.target {
            None => { "—" }
            Some(target) => span title=(target.explain) {
                @match (target.saving_achieved_percent, target.on_track) {
                    _ if target.reference_amount.is_none() => { (lang.pick("chưa có số liệu năm gốc", "no baseline-year figures")) }
                    (Some(saved), Some(on_track)) => {
                        (format!("{} %", locale::number(saved, 1, lang))) " "
                        @if on_track {
                            span.badge.ok data-on-track="true" { (lang.pick("đạt mục tiêu", "on target")) }
                        } @else {
                            span.badge.over data-on-track="false" { (lang.pick("không đạt mục tiêu", "off target")) }
                        }
                    }
                    _ => { "—" }
                }
            }
        }
    }
}

/// The saving target over the period (the baseline less the saving), in the resource's unit.
fn target_amount(f: &SupplyFigures, used: &SupplyUse, lang: Lang) -> String {
    match used.target.as_ref().and_then(|t| t.target_to_date) {
        Some(target) => amount(f, target, lang),
        None => "—".into(),
    }
}

/// The norm's allowance over the period, in its measure.
fn allowance(f: &SupplyFigures, used: &SupplyUse, lang: Lang) -> String {
    match &used.norm {
        None => "—".into(),
        Some(norm) => match norm.measure {
            Measure::Value => format!("{} đ", locale::number(norm.allowance, 0, lang)),
            Measure::Quantity => format!("{} {}", locale::number(norm.allowance, 1, lang), f.unit),
        },
    }
}

/// A section per configured resource under the metered ones: each department's use, value
/// and per person against the norm with the points it gives, then the office.
pub(super) fn score_sections(report: &ScoreReport, lang: Lang) -> Markup {
    html! {
        @for f in &report.supplies {
            section data-supply=(f.resource.as_str()) {
                h3 { (name(f, lang)) " (" (f.unit) ")" }
                div.table-wrap { table {
                    thead { tr {
                        th { (lang.pick("Phòng, ban", "Department")) } th { (lang.pick("Đã dùng", "Used")) }
                        th { (lang.pick("Giá trị (đồng)", "Value (VND)")) } th { (lang.pick("Theo đầu người", "Per person")) }
                        th { "CO2e (kg)" } th { (lang.pick("Định mức cả kỳ", "Norm for the period")) }
                        th { (lang.pick("So với định mức", "Against the norm")) }
                        th { (lang.pick("Mục tiêu tiết kiệm", "Saving target")) } th { (lang.pick("Tiết kiệm so với năm gốc", "Saved against the baseline year")) }
                        th { (lang.pick("Điểm", "Points")) }
                    } }
                    tbody {
                        @for d in &report.departments {
                            @if let Some(used) = f.departments.iter().find(|u| u.department.as_ref() == Some(&d.department)) {
                                tr data-department=(d.department.as_str()) {
                                    td { (d.name) }
                                    (cells(f, used, lang))
                                    @match d.criteria.iter().find(|c| c.supply.as_ref() == Some(&f.resource)) {
                                        Some(c) => td.num data-figure="points" title=(c.explain) { (super::meetings::points_cell(c, lang)) }
                                        None => td data-figure="status" { (lang.pick("không chấm điểm", "not scored")) }
                                    }
                                }
                            }
                        }
                        tr.office-total data-department="ca-van-phong" {
                            th { (lang.pick("Cả văn phòng", "Whole office")) }
                            (cells(f, &f.office, lang))
                            td {}
                        }
                    }
                } }
                @for d in &report.departments {
                    @if let Some(norm) = f.departments.iter().find(|u| u.department.as_ref() == Some(&d.department)).and_then(|u| u.norm.as_ref()) {
                        details.explain data-explain=(format!("{}-{}", d.department, f.resource)) {
                            summary { (lang.pick("Định mức và căn cứ", "The norm and its source")) " — " (d.name) }
                            p { (norm.explain) }
                        }
                    }
                }
                @for (id, whom, target) in targets(report, f, lang) {
                    details.explain data-explain=(format!("{id}-{}-target", f.resource)) {
                        summary { (lang.pick("Mục tiêu tiết kiệm và năm gốc", "The saving target and its baseline year")) " — " (whom) }
                        p { (target.explain) }
                    }
                }
            }
        }
    }
}

/// Each department's saving target of a resource, then the office's: (row id, name, target).
fn targets<'a>(report: &'a ScoreReport, f: &'a SupplyFigures, lang: Lang) -> Vec<(&'a str, &'a str, &'a SupplyTarget)> {
    let departments = report.departments.iter().filter_map(|d| {
        let used = f.departments.iter().find(|u| u.department.as_ref() == Some(&d.department))?;
        Some((d.department.as_str(), d.name.as_str(), used.target.as_ref()?))
    });
    let office = f.office.target.as_ref().map(|t| ("ca-van-phong", lang.pick("Cả văn phòng", "Whole office"), t));
    departments.chain(office).collect()
}

fn cells(f: &SupplyFigures, used: &SupplyUse, lang: Lang) -> Markup {
    html! {
        td.num data-figure="amount" { (amount(f, used.amount, lang)) }
        td.num data-figure="value" { (locale::number(used.value_vnd, 0, lang)) }
        td.num data-figure="per-person" { (per_person(f, used, lang)) }
        td.num data-figure="co2e" { (used.co2e_kg.map(|kg| locale::number(kg, 1, lang)).unwrap_or_else(|| "—".into())) }
        td.num data-figure="norm" { (allowance(f, used, lang)) }
        td.num data-figure="against-norm" { (norm_cell(used, lang)) }
        td.num data-figure="target" { (target_amount(f, used, lang)) }
        td.num data-figure="against-target" { (target_cell(used, lang)) }
    }
}
