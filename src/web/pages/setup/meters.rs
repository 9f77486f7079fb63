//! Quản trị › Công tơ: the office's meters with their latest reading, a form to add one with
//! every key a `[[meters]]` entry has, and a meter's own page to change it or retire it from a
//! date (its readings stay). The forms run the same commands as `/api/v1/meters`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Redirect;
use maud::{Markup, html};
use serde::Deserialize;

use super::super::{back_to, csrf_field, layout};
use crate::config::MeterSpec;
use crate::domain::{Format, Resource, Unit};
use crate::ingest::manual::parse_number;
use crate::locale::{self, Lang};
use crate::store::MeterRecord;
use crate::web::auth::{Admin, CsrfForm};
use crate::web::commands::meters::{self, Put, parse_day};
use crate::web::commands::{CommandError, refused};
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct PageParams {
    pub(super) lang: Option<String>,
    ok: Option<String>,
    error: Option<String>,
}

pub async fn meters_page(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PageParams>,
) -> Result<Markup, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let records = state.store.meter_setup().await?;
    let statuses = state.store.meter_status().await?;
    let readings: HashMap<&str, u64> = statuses.iter().map(|s| (s.meter.as_str(), s.readings)).collect();
    let code = lang.code();
    let body = html! {
        main.admin.setup.meters {
            (result(&params))
            @if !state.setup_differences.is_empty() {
                section.differences data-differences=(state.setup_differences.len()) {
                    h2 { (lang.pick("Tệp cấu hình khác với thiết lập đang dùng", "The config file differs from the setup in force")) }
                    p { (lang.pick(
                        "Khi khởi động, tệp cấu hình ghi khác những mục dưới đây. Thiết lập lưu trong cơ sở dữ liệu (sửa trên các trang này) vẫn được dùng; hãy sửa ở đây, hoặc chép giá trị đang dùng vào tệp (xanh config export).",
                        "At start-up the config file said otherwise for the keys below. The setup kept in the store (changed on these pages) stays in force; change it here, or copy the values in force into the file (xanh config export)."
                    )) }
                    div.table-wrap { table {
                        thead { tr { th { (lang.pick("Mục", "Key")) } th { (lang.pick("Tệp ghi", "The file says")) } th { (lang.pick("Đang dùng", "In force")) } } }
                        tbody { @for d in state.setup_differences.iter() {
                            tr { td { code { (d.key) } } td { (d.file.as_deref().unwrap_or("—")) } td { (d.store.as_deref().unwrap_or("—")) } }
                        } }
                    } }
                }
            }
            section {
                h2 { (lang.pick("Công tơ", "Meters")) }
                div.table-wrap { table {
                    thead { tr {
                        th { (lang.pick("Mã", "Id")) } th { (lang.pick("Tên", "Name")) } th { (lang.pick("Loại tài nguyên", "Resource")) }
                        th { (lang.pick("Phòng, ban", "Department")) } th { (lang.pick("Chủ đề MQTT", "MQTT topic")) }
                        th { (lang.pick("Số liệu", "Readings")) } th { (lang.pick("Tình trạng", "State")) }
                    } }
                    tbody { @for r in &records {
                        @let spec = &r.spec;
                        tr data-meter=(spec.id) {
                            td { a href=(format!("/admin/meters/{}?lang={code}", spec.id)) { (spec.id) } }
                            td { (spec.name) }
                            td { (resource_name(&spec.resource, lang)) }
                            td { (department_name(&state, spec.department.as_deref(), lang)) }
                            td { code { (spec.topic.clone().unwrap_or_else(|| format!("xanh/{}/reading", spec.id))) } }
                            td.num { (locale::number(readings.get(spec.id.as_str()).copied().unwrap_or(0) as f64, 0, lang)) }
                            td data-state=(if r.retired_from.is_some() { "retired" } else { "in-use" }) { (state_text(r, lang)) }
                        }
                    } }
                } }
            }
            section {
                h2 { (lang.pick("Thêm công tơ", "Add a meter")) }
                p { (lang.pick(
                    "Công tơ mới được đọc ngay khi lưu, không cần khởi động lại. Mã công tơ giữ nguyên mãi; chủ đề để trống với định dạng generic là xanh/<mã>/reading.",
                    "A new meter is read as soon as it is saved, without a restart. Its id stays for good; with the generic format an empty topic means xanh/<id>/reading."
                )) }
                form.meter method="post" action=(format!("/admin/meters?lang={code}")) {
                    (csrf_field(admin.principal()))
                    label { (lang.pick("Mã công tơ", "Id")) input name="id" required pattern="[a-z0-9]+(-[a-z0-9]+)*" placeholder="dien-photo"; }
                    (meter_fields(&state, None, lang))
                    button type="submit" { (lang.pick("Thêm công tơ", "Add the meter")) }
                }
            }
        }
    };
    Ok(layout(&state, lang, "/admin/meters", None, Some(admin.principal()), body))
}

pub async fn meter_page(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Markup, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let records = state.store.meter_setup().await?;
    let record =
        records.iter().find(|r| r.spec.id == id).ok_or_else(|| ApiError::NotFound(format!("no meter `{id}`")))?;
    let code = lang.code();
    let tz = state.config().office.timezone.clone();
    let today = jiff::Timestamp::now().to_zoned(tz).date();
    let body = html! {
        main.admin.setup.meter {
            (result(&params))
            p { a href=(format!("/admin/meters?lang={code}")) { "← " (lang.pick("Các công tơ", "All meters")) } }
            section {
                h2 { (lang.pick("Công tơ", "Meter")) " " code { (id) } }
                p data-state=(if record.retired_from.is_some() { "retired" } else { "in-use" }) { (state_text(record, lang)) }
                form.meter method="post" action=(format!("/admin/meters/{id}?lang={code}")) {
                    (csrf_field(admin.principal()))
                    (meter_fields(&state, Some(&record.spec), lang))
                    button type="submit" { (lang.pick("Lưu thay đổi", "Save the changes")) }
                }
            }
            section {
                h2 { (lang.pick("Thôi dùng công tơ", "Retire the meter")) }
                p { (lang.pick(
                    "Công tơ có số liệu không bao giờ bị xoá: từ ngày thôi dùng, số liệu mới của nó bị từ chối (và được giữ lại kèm lý do); số liệu cũ vẫn được tính.",
                    "A meter with readings is never deleted: from the day it is retired its new readings are refused (and kept with the reason); its history still counts."
                )) }
                form.retire method="post" action=(format!("/admin/meters/{id}/retire?lang={code}")) {
                    (csrf_field(admin.principal()))
                    label { (lang.pick("Thôi dùng từ ngày", "Retired from")) input type="date" name="from" value=(record.retired_from.unwrap_or(today).to_string()); }
                    button type="submit" name="action" value="retire" { (lang.pick("Thôi dùng", "Retire")) }
                    @if record.retired_from.is_some() {
                        button type="submit" name="action" value="reinstate" { (lang.pick("Dùng lại", "Put back in use")) }
                    }
                }
            }
        }
    };
    Ok(layout(&state, lang, &format!("/admin/meters/{id}"), None, Some(admin.principal()), body))
}

/// The form's fields as posted: every key a `[[meters]]` entry has, empty for "not given".
#[derive(Deserialize)]
pub struct MeterForm {
    #[serde(default)]
    id: String,
    name: String,
    resource: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    parent: String,
    kind: String,
    unit: String,
    format: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    register_max: String,
    #[serde(default)]
    max_rate: String,
    #[serde(default)]
    expected_interval: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    device_id: String,
}

impl MeterForm {
    pub(super) fn into_spec(self, lang: Lang) -> Result<MeterSpec, String> {
        let text = |value: String| Some(value.trim().to_owned()).filter(|v| !v.is_empty());
        let number = |value: &str, name: &str| -> Result<Option<f64>, String> {
            match value.trim() {
                "" => Ok(None),
                v => parse_number(v).map(Some).map_err(|_| match lang {
                    Lang::Vi => format!("{name}: `{v}` không phải là số (viết như 100.000 hoặc 2,5)"),
                    Lang::En => format!("{name}: `{v}` is not a number (write 100000 or 2.5)"),
                }),
            }
        };
        let channel = match self.channel.trim() {
            "" => None,
            v => Some(v.parse::<i64>().map_err(|_| match lang {
                Lang::Vi => format!("channel: `{v}` không phải số kênh (đếm từ 0)"),
                Lang::En => format!("channel: `{v}` is not a channel number (counted from 0)"),
            })?),
        };
        Ok(MeterSpec {
            register_max: number(&self.register_max, "register_max")?,
            max_rate: number(&self.max_rate, "max_rate")?,
            channel,
            id: self.id.trim().to_owned(),
            name: self.name.trim().to_owned(),
            resource: self.resource,
            department: text(self.department),
            parent: text(self.parent),
            kind: self.kind,
            unit: self.unit,
            format: self.format,
            topic: text(self.topic),
            expected_interval: text(self.expected_interval),
            field: text(self.field),
            device_id: text(self.device_id),
        })
    }
}

pub async fn add_meter_form(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PageParams>,
    CsrfForm(form): CsrfForm<MeterForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let outcome = match form.into_spec(lang) {
        Ok(spec) => meters::put(&state, &admin, spec, Put::Add).await,
        Err(message) => Err(refused(message.clone(), message)),
    };
    Ok(match said_command(outcome, lang)? {
        Ok(record) => back_to(&format!("/admin/meters/{}", record.spec.id), lang, Ok(saved(&record, lang))),
        Err(message) => back_to("/admin/meters", lang, Err(message)),
    })
}

pub async fn change_meter_form(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(params): Query<PageParams>,
    CsrfForm(form): CsrfForm<MeterForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let outcome = match form.into_spec(lang) {
        Ok(spec) => meters::put(&state, &admin, MeterSpec { id: id.clone(), ..spec }, Put::Change).await,
        Err(message) => Err(refused(message.clone(), message)),
    };
    let page = format!("/admin/meters/{id}");
    Ok(back_to(&page, lang, said_command(outcome, lang)?.map(|record| saved(&record, lang))))
}

#[derive(Deserialize)]
pub struct RetireForm {
    #[serde(default)]
    from: String,
    action: String,
}

pub async fn retire_meter_form(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(params): Query<PageParams>,
    CsrfForm(form): CsrfForm<RetireForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let outcome = match form.action.as_str() {
        "reinstate" => meters::retire(&state, &admin, &id, None).await,
        _ => match parse_day(&form.from) {
            Ok(day) => meters::retire(&state, &admin, &id, Some(day)).await,
            Err(_) => Err(refused(
                format!("`{}` is not a day: write it as 15/11/2026", form.from.trim()),
                format!("“{}” không phải một ngày: hãy viết như 15/11/2026", form.from.trim()),
            )),
        },
    };
    let page = format!("/admin/meters/{id}");
    Ok(back_to(&page, lang, said_command(outcome, lang)?.map(|record| state_text(&record, lang))))
}

/// A command's outcome for the page: what the person can fix is said on the page, the rest
/// is the error page.
pub(super) fn said<T>(outcome: Result<T, ApiError>, lang: Lang) -> Result<Result<T, String>, ApiError> {
    let not_saved = lang.pick("Chưa lưu", "Not saved");
    match outcome {
        Ok(record) => Ok(Ok(record)),
        Err(ApiError::BadRequest(m) | ApiError::Conflict(m) | ApiError::NotFound(m)) => {
            Ok(Err(format!("{not_saved}: {m}")))
        }
        Err(other) => Err(other),
    }
}

/// As [`said`], for a command that words its refusals in both languages.
fn said_command<T>(outcome: Result<T, CommandError>, lang: Lang) -> Result<Result<T, String>, ApiError> {
    match outcome {
        Ok(record) => Ok(Ok(record)),
        Err(CommandError::Failed(e)) => said(Err(e), lang),
        Err(refusal) => Ok(Err(format!("{}: {}", lang.pick("Chưa lưu", "Not saved"), refusal.refusal(lang)?))),
    }
}

fn saved(record: &MeterRecord, lang: Lang) -> String {
    match lang {
        Lang::Vi => format!(
            "Đã lưu công tơ {} ({}); số liệu gửi tới được đọc theo thiết lập mới ngay.",
            record.spec.id, record.spec.name
        ),
        Lang::En => format!(
            "Saved meter {} ({}); readings are read by the new setup at once.",
            record.spec.id, record.spec.name
        ),
    }
}

fn state_text(record: &MeterRecord, lang: Lang) -> String {
    match (record.retired_from, lang) {
        (None, Lang::Vi) => "Đang dùng".into(),
        (None, Lang::En) => "In use".into(),
        (Some(day), Lang::Vi) => format!("Thôi dùng từ {}", day.strftime("%d/%m/%Y")),
        (Some(day), Lang::En) => format!("Retired from {}", day.strftime("%d/%m/%Y")),
    }
}

pub(super) fn result(params: &PageParams) -> Markup {
    html! {
        @if let Some(ok) = &params.ok { p.status.ok data-result="ok" { (ok) } }
        @if let Some(error) = &params.error { p.status.bad data-result="error" style="white-space: pre-line" { (error) } }
    }
}

pub(super) fn resource_name(text: &str, lang: Lang) -> String {
    text.parse::<Resource>().map(|r| locale::resource_name(r, lang).to_owned()).unwrap_or_else(|_| text.to_owned())
}

fn department_name(state: &AppState, id: Option<&str>, lang: Lang) -> String {
    match id {
        None => lang.pick("Toàn cơ quan", "Whole office").to_owned(),
        Some(id) => state
            .config()
            .departments
            .iter()
            .find(|d| d.id.as_str() == id)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| id.to_owned()),
    }
}

/// Every key of a meter but its id, filled from `spec` when changing one.
pub(super) fn meter_fields(state: &AppState, spec: Option<&MeterSpec>, lang: Lang) -> Markup {
    let value = |get: fn(&MeterSpec) -> Option<String>| spec.and_then(get).unwrap_or_default();
    let chosen = |get: fn(&MeterSpec) -> Option<String>, option: &str| spec.and_then(get).as_deref() == Some(option);
    let parents = state.pipeline.meters();
    // A device's announcement may leave a choice to the admin: nothing is chosen for them.
    let choose = lang.pick("— chọn —", "— choose —");
    let unsaid = |get: fn(&MeterSpec) -> &String| spec.is_some_and(|s| get(s).is_empty());
    html! {
        label { (lang.pick("Tên", "Name")) input name="name" required value=(value(|s| Some(s.name.clone()))) placeholder=(lang.pick("Máy photo tầng 2", "Photocopier, 2nd floor")); }
        label { (lang.pick("Loại tài nguyên", "Resource")) select name="resource" required {
            @if unsaid(|s| &s.resource) { option value="" selected { (choose) } }
            @for r in Resource::ALL { option value=(r.as_str()) selected[chosen(|s| Some(s.resource.clone()), r.as_str())] { (locale::resource_name(r, lang)) } }
        } }
        label { (lang.pick("Phòng, ban", "Department")) select name="department" {
            option value="" { (lang.pick("Toàn cơ quan", "Whole office")) }
            @for d in &state.config().departments { option value=(d.id.as_str()) selected[chosen(|s| s.department.clone(), d.id.as_str())] { (d.name) } }
        } }
        label { (lang.pick("Công tơ cấp trên", "Parent meter")) select name="parent" {
            option value="" { (lang.pick("Không có", "None")) }
            @for (m, _) in &parents { option value=(m.id.as_str()) selected[chosen(|s| s.parent.clone(), m.id.as_str())] { (m.name) " — " (m.id) } }
        } }
        label { (lang.pick("Kiểu công tơ", "Kind")) select name="kind" required {
            @if unsaid(|s| &s.kind) { option value="" selected { (choose) } }
            option value="counter" selected[chosen(|s| Some(s.kind.clone()), "counter")] { (lang.pick("chỉ số cộng dồn (counter)", "cumulative register (counter)")) }
            option value="delta" selected[chosen(|s| Some(s.kind.clone()), "delta")] { (lang.pick("lượng dùng mỗi lần (delta)", "amount per interval (delta)")) }
        } }
        label { (lang.pick("Đơn vị thiết bị gửi", "Unit the device sends")) select name="unit" required {
            @if unsaid(|s| &s.unit) { option value="" selected { (choose) } }
            @for u in Unit::ALL { option value=(u.config_name()) selected[chosen(|s| Some(s.unit.clone()), u.config_name())] { (u.config_name()) } }
        } }
        label { (lang.pick("Định dạng bản tin", "Payload format")) select name="format" required {
            @if unsaid(|s| &s.format) { option value="" selected { (choose) } }
            @for f in Format::ALL { option value=(f.config_name()) selected[chosen(|s| Some(s.format.clone()), f.config_name())] { (f.config_name()) } }
        } }
        label { (lang.pick("Chủ đề MQTT", "MQTT topic")) input name="topic" value=(value(|s| s.topic.clone())) placeholder="tele/may-photo/SENSOR"; }
        details open[spec.is_some_and(|s| s.register_max.is_some() || s.max_rate.is_some() || s.expected_interval.is_some() || s.field.is_some() || s.channel.is_some() || s.device_id.is_some())] {
            summary { (lang.pick("Thiết lập thêm", "More settings")) }
            label { (lang.pick("Giá trị quay vòng của thanh ghi (register_max)", "Register wrap-around value (register_max)")) input name="register_max" inputmode="decimal" value=(value(|s| s.register_max.map(|n| n.to_string().replace('.', ",")))) placeholder="100000"; }
            label { (lang.pick("Lượng dùng tối đa mỗi giờ (max_rate)", "Most it can use in an hour (max_rate)")) input name="max_rate" inputmode="decimal" value=(value(|s| s.max_rate.map(|n| n.to_string().replace('.', ",")))) placeholder="50"; }
            label { (lang.pick("Khoảng gửi dự kiến (expected_interval)", "Expected interval (expected_interval)")) input name="expected_interval" value=(value(|s| s.expected_interval.clone())) placeholder="15m"; }
            label { (lang.pick("Trường giá trị (field)", "Value field (field)")) input name="field" value=(value(|s| s.field.clone())) placeholder="total_m3"; }
            label { (lang.pick("Kênh, đếm từ 0 (channel)", "Channel, from 0 (channel)")) input name="channel" inputmode="numeric" value=(value(|s| s.channel.map(|c| c.to_string()))); }
            label { (lang.pick("Mã thiết bị vô tuyến (device_id)", "Radio device id (device_id)")) input name="device_id" value=(value(|s| s.device_id.clone())) placeholder="33225544"; }
        }
    }
}
