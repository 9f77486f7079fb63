//! The audit log page (admins): who did what, when and from where, newest first, a page at a
//! time; filtered by person, action and days; each change shown field by field, in words.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use jiff::ToSpan;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::layout;
use crate::locale::{self, Lang};
use crate::store::accounts::{AuditFilter, AuditRecord};
use crate::web::auth::Admin;
use crate::web::{ApiError, AppState};

/// Lines a page shows.
const PAGE: usize = 50;

#[derive(Deserialize)]
pub struct AuditParams {
    lang: Option<String>,
    /// A person's name as the log records it.
    who: Option<String>,
    action: Option<String>,
    /// The first and the last day shown (both included), as 28/11/2026.
    from: Option<String>,
    to: Option<String>,
    /// Lines older than this id: the next page.
    before: Option<i64>,
}

/// A filter field: `None` when empty.
fn chosen(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

pub async fn audit_page(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<AuditParams>,
) -> Result<Markup, ApiError> {
    let who = admin.principal();
    let lang = Lang::from_query(params.lang.as_deref());
    let tz = &state.config().office.timezone;
    let mut errors = Vec::new();
    let mut day = |field: &Option<String>, label: &str| {
        let text = chosen(field)?;
        let parsed = locale::parse_date(&text);
        if parsed.is_none() {
            errors.push(match lang {
                Lang::Vi => format!("{label}: “{text}” không phải ngày, hãy viết như 28/11/2026."),
                Lang::En => format!("{label}: “{text}” is not a day; write it as 28/11/2026."),
            });
        }
        parsed
    };
    let from = day(&params.from, lang.pick("Từ ngày", "From"));
    let to = day(&params.to, lang.pick("Đến ngày", "To"));
    let start_of = |d: jiff::civil::Date| d.to_zoned(tz.clone()).ok().map(|z| z.timestamp());
    let filter = AuditFilter {
        actor: chosen(&params.who),
        action: chosen(&params.action),
        from: from.and_then(start_of),
        until: to.and_then(|d| d.checked_add(1.day()).ok()).and_then(start_of),
    };
    let choices = state.auth.audit_choices().await?;
    let mut records = state.auth.audit_log(filter.clone(), params.before, PAGE + 1).await?;
    let more = records.len() > PAGE;
    records.truncate(PAGE);

    // The filter kept in every paging link.
    let query = |before: Option<i64>| {
        let mut pairs = vec![("lang", lang.code().to_owned())];
        for (key, value) in
            [("who", &params.who), ("action", &params.action), ("from", &params.from), ("to", &params.to)]
        {
            if let Some(v) = chosen(value) {
                pairs.push((key, v));
            }
        }
        if let Some(id) = before {
            pairs.push(("before", id.to_string()));
        }
        format!("/admin/audit?{}", serde_urlencoded::to_string(pairs).unwrap_or_default())
    };
    let body = html! {
        main.admin.audit {
            h2 { (lang.pick("Nhật ký thao tác", "Audit log")) }
            form.controls method="get" action="/admin/audit" {
                input type="hidden" name="lang" value=(lang.code());
                label { (lang.pick("Người thực hiện", "Who")) select name="who" {
                    option value="" { (lang.pick("Tất cả", "Everyone")) }
                    @for actor in &choices.actors {
                        option value=(actor) selected[filter.actor.as_ref() == Some(actor)] { (actor) }
                    }
                } }
                label { (lang.pick("Thao tác", "Action")) select name="action" {
                    option value="" { (lang.pick("Tất cả", "All")) }
                    @for action in &choices.actions {
                        option value=(action) selected[filter.action.as_ref() == Some(action)] { (locale::audit_action(action, lang)) }
                    }
                } }
                label { (lang.pick("Từ ngày", "From")) input name="from" value=[params.from.as_deref()] placeholder="01/11/2026" inputmode="numeric"; }
                label { (lang.pick("Đến ngày", "To")) input name="to" value=[params.to.as_deref()] placeholder="30/11/2026" inputmode="numeric"; }
                button type="submit" { (lang.pick("Lọc", "Filter")) }
            }
            @for error in &errors { p.message.error role="alert" data-result="error" { (error) } }
            p.downloads { a href="/api/v1/export/audit.csv" download { (lang.pick("Tải toàn bộ nhật ký (CSV)", "Download the whole log (CSV)")) } }
            @if records.is_empty() {
                p.empty { (lang.pick("Không có thao tác nào khớp bộ lọc.", "No action matches the filter.")) }
            }
            ol.audit-list {
                @for r in &records { (line(r, &state, lang)) }
            }
            nav.pages {
                @if params.before.is_some() { a href=(query(None)) { (lang.pick("← Mới nhất", "← Newest")) } }
                @if more { @if let Some(last) = records.last() {
                    a href=(query(Some(last.id))) rel="next" { (lang.pick("Cũ hơn →", "Older →")) }
                } }
            }
        }
    };
    Ok(layout(&state, lang, "/admin/audit", None, Some(who), body))
}

/// One line of the log: when, who from where, the action in words, its object, and what
/// changed, field by field.
fn line(r: &AuditRecord, state: &AppState, lang: Lang) -> Markup {
    let changes = changes(r.before.as_ref(), r.after.as_ref());
    html! {
        li.audit-item data-action=(r.action) data-id=(r.id) {
            p.meta {
                time { (locale::date_time(r.at, &state.config().office.timezone, lang)) }
                " · " span.actor { (r.actor) }
                @if let Some(address) = &r.address { " · " span.address { (address) } }
            }
            p { strong.action { (locale::audit_action(&r.action, lang)) } " — " span.target { (r.target) } }
            @if !changes.is_empty() {
                ul.changes {
                    @for (path, (before, after)) in &changes {
                        li data-field=(path.join(".")) {
                            span.field { (path.iter().map(|k| locale::audit_field(k, lang)).collect::<Vec<_>>().join(" › ")) ": " }
                            @match (before, after) {
                                (Some(b), Some(a)) if b != a => { del { (readable(b, lang)) } " → " ins { (readable(a, lang)) } }
                                (_, Some(a)) => { span.value { (readable(a, lang)) } }
                                (Some(b), None) => { del { (readable(b, lang)) } " → —" }
                                (None, None) => {}
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Each field's value before and after, by its path in the objects (nested objects opened).
type Changes<'a> = BTreeMap<Vec<&'a str>, (Option<&'a Value>, Option<&'a Value>)>;

fn changes<'a>(before: Option<&'a Value>, after: Option<&'a Value>) -> Changes<'a> {
    fn fields<'a>(value: &'a Value, path: Vec<&'a str>, out: &mut Vec<(Vec<&'a str>, &'a Value)>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    let mut inner = path.clone();
                    inner.push(key);
                    fields(v, inner, out);
                }
            }
            Value::Null if path.is_empty() => {}
            other if path.is_empty() => out.push((vec!["value"], other)),
            other => out.push((path, other)),
        }
    }
    let mut changes = Changes::new();
    let mut found = Vec::new();
    if let Some(before) = before {
        fields(before, Vec::new(), &mut found);
    }
    for (path, value) in found.drain(..) {
        changes.entry(path).or_default().0 = Some(value);
    }
    if let Some(after) = after {
        fields(after, Vec::new(), &mut found);
    }
    for (path, value) in found {
        changes.entry(path).or_default().1 = Some(value);
    }
    changes
}

/// A value as people read it: text without quotes, numbers the language's way, lists joined.
fn readable(value: &Value, lang: Lang) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::Bool(b) => lang.pick(if *b { "có" } else { "không" }, if *b { "yes" } else { "no" }).to_owned(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) if i.unsigned_abs() < 10_000 => i.to_string(),
            (_, Some(f)) if f.fract() == 0.0 => locale::number(f, 0, lang),
            (_, Some(f)) => locale::number(f, 3, lang).trim_end_matches('0').to_owned(),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "—".to_owned(),
        Value::Array(items) => items.iter().map(|i| readable(i, lang)).collect::<Vec<_>>().join("; "),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{}: {}", locale::audit_field(k, lang), readable(v, lang)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}
