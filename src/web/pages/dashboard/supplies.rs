//! The configured resources' panel (stationery, toner, fuel…): what the office, or the page's
//! department, was issued over the panel's period; or every department side by side.

use maud::{Markup, html};

use super::panels::{Context, PanelView};
use super::spec::{Group, Panel, PeriodSpec};
use crate::analysis::plan_in_force;
use crate::analysis::supplies::{self, SupplyFigures, SupplyUse};
use crate::locale;
use crate::web::ApiError;
use crate::web::pages::supplies::{amount, name, norm_cell, per_person, target_cell};

pub(super) async fn panel(ctx: &Context<'_>, panel: &Panel) -> Result<PanelView, ApiError> {
    let lang = ctx.lang;
    let (range, spec) = ctx.range(panel)?;
    let store = ctx.state.store.as_ref();
    let config = &ctx.config;
    let plan = plan_in_force::in_force(store, config).await?;
    // A period chosen by name (2026-Q3) takes the saving targets given for it too.
    let named = match spec {
        Some(PeriodSpec::Named(named)) => Some(named),
        _ => None,
    };
    let figures = supplies::over(store, config, &plan, range, named.as_ref(), ctx.now).await?;
    let body = if figures.is_empty() {
        html! { p.empty { (lang.pick("Chưa khai báo nguồn lực nào ngoài điện, nước, giấy ([[resources]]).", "No other resource is configured ([[resources]]).")) } }
    } else if panel.group == Group::Departments && ctx.department.is_none() {
        by_department(ctx, &figures)
    } else {
        let mine = |f: &SupplyFigures| match &ctx.department {
            Some(d) => f.departments.iter().find(|u| u.department.as_ref() == Some(d)).cloned(),
            None => Some(f.office.clone()),
        };
        html! {
            div.table-wrap { table.supplies {
                thead { tr {
                    th { (lang.pick("Nguồn lực", "Resource")) }
                    th.num { (lang.pick("Đã dùng", "Used")) }
                    th.num { (lang.pick("Giá trị", "Value")) }
                    th.num { (lang.pick("Theo đầu người", "Per person")) }
                    th.num { (lang.pick("So với định mức", "Against the norm")) }
                    th.num { (lang.pick("Tiết kiệm so với năm gốc", "Saved against the baseline year")) }
                } }
                tbody { @for f in &figures { @if let Some(used) = mine(f) {
                    tr data-supply=(f.resource.as_str()) {
                        th { (name(f, lang)) }
                        td.num data-figure="amount" { (amount(f, used.amount, lang)) }
                        td.num data-figure="value" { (locale::number(used.value_vnd, 0, lang)) " đ" }
                        td.num data-figure="per-person" { (per_person(f, &used, lang)) }
                        td.num data-figure="against-norm" { (norm_cell(&used, lang)) }
                        td.num data-figure="against-target" { (target_cell(&used, lang)) }
                    }
                } } }
            } }
        }
    };
    let mut title = format!("{} — {}", lang.pick("Nguồn lực khác", "Other resources"), ctx.period_label(&range, spec));
    if let Some(department) = ctx.department.as_ref().and_then(|d| config.department(d)) {
        title = format!("{title} — {}", department.name);
    }
    Ok(PanelView { title, resource: None, body, chart: None })
}

/// Every department's use of every configured resource, and per person, then the office.
fn by_department(ctx: &Context<'_>, figures: &[SupplyFigures]) -> Markup {
    let lang = ctx.lang;
    let rows = ctx
        .config
        .departments
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), d.name.as_str(), i))
        .map(|(id, name, i)| (id, name, figures.iter().map(|f| &f.departments[i]).collect::<Vec<_>>()));
    let office: Vec<&SupplyUse> = figures.iter().map(|f| &f.office).collect();
    html! {
        div.table-wrap { table.supplies {
            thead { tr {
                th { (lang.pick("Phòng, ban", "Department")) }
                @for f in figures {
                    th.num { (name(f, lang)) }
                    th.num { (lang.pick("/người", "/person")) }
                }
            } }
            tbody {
                @for (id, department, used) in rows {
                    tr data-row=(id) {
                        th { (department) }
                        @for (f, u) in figures.iter().zip(&used) {
                            td.num data-figure=(format!("{}-amount", f.resource)) {
                                (amount(f, u.amount, lang))
                                @if u.norm.as_ref().is_some_and(|n| n.over) { " " span.badge.over data-over="true" { (lang.pick("vượt định mức", "over the norm")) } }
                            }
                            td.num data-figure=(format!("{}-per-person", f.resource)) { (per_person(f, u, lang)) }
                        }
                    }
                }
                tr.total data-row="ca-van-phong" {
                    th { (lang.pick("Cả văn phòng", "Whole office")) }
                    @for (f, u) in figures.iter().zip(&office) {
                        td.num data-figure=(format!("{}-amount", f.resource)) { strong { (amount(f, u.amount, lang)) } }
                        td.num data-figure=(format!("{}-per-person", f.resource)) { (per_person(f, u, lang)) }
                    }
                }
            }
        } }
    }
}
