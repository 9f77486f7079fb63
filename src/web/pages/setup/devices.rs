//! Quản trị › Thiết bị mới: topics that reached the broker but match no meter, with the format
//! ingest recognised in their latest message, the field and value it would read, how many
//! messages wait and when the last came; each with one form that adopts it as a meter (the
//! same command as `POST /api/v1/devices/adopt`), its earlier messages then stored.

use axum::extract::{Query, State};
use axum::response::Redirect;
use maud::{Markup, html};

use super::super::{back_to, csrf_field, layout};
use super::announced::announced_section;
use super::meters::{MeterForm, PageParams, meter_fields, result, said};
use crate::config::MeterSpec;
use crate::ingest::announce::new_devices;
use crate::ingest::found::FoundDevice;
use crate::locale::{self, Lang};
use crate::web::auth::{Admin, CsrfForm};
use crate::web::commands::devices::{Adopted, adopt};
use crate::web::{ApiError, AppState};

pub async fn devices_page(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PageParams>,
) -> Result<Markup, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let config = state.config();
    let tz = &config.office.timezone;
    let new = new_devices(state.store.as_ref(), &state.pipeline).await?;
    let devices = new.found;
    let code = lang.code();
    let body = html! {
        main.admin.setup.devices {
            (result(&params))
            section {
                h2 { (lang.pick("Thiết bị mới", "New devices")) }
                p { (lang.pick(
                    "Các chủ đề MQTT đã gửi tới nhưng chưa thuộc công tơ nào. Nhận một thiết bị là thêm công tơ cho nó; các bản tin nó đã gửi (đang nằm trong số liệu bị từ chối) được lưu vào công tơ mới.",
                    "MQTT topics that sent messages but belong to no meter. Adopting a device adds a meter for it; the messages it sent before (kept among the rejected) are stored into the new meter."
                )) }
                @if devices.is_empty() {
                    p.empty { (lang.pick("Chưa có thiết bị mới nào.", "No new devices yet.")) }
                } @else {
                    div.table-wrap { table {
                        thead { tr {
                            th { (lang.pick("Chủ đề MQTT", "MQTT topic")) } th { (lang.pick("Định dạng", "Format")) }
                            th { (lang.pick("Trường đọc", "Field read")) } th { (lang.pick("Giá trị cuối", "Last value")) }
                            th { (lang.pick("Số bản tin", "Messages")) } th { (lang.pick("Lần cuối", "Last seen")) }
                        } }
                        tbody { @for d in &devices {
                            @let read = d.recognised.as_ref();
                            tr data-topic=(d.topic) {
                                td { code { (d.topic) } }
                                td data-figure="format" { (read.map_or_else(|| lang.pick("không nhận ra", "not recognised").to_owned(), |r| r.format.config_name().to_owned())) }
                                td data-figure="field" { (read.and_then(|r| r.field).unwrap_or("—")) }
                                td.num data-figure="last-value" { (last_value(d, lang)) }
                                td.num data-figure="messages" { (locale::number(d.messages as f64, 0, lang)) }
                                td data-figure="last-seen" { (locale::date_time(d.last_seen, tz, lang)) }
                            }
                        } }
                    } }
                }
            }
            @for d in &devices {
                section.adopt data-topic=(d.topic) {
                    details {
                        summary { (lang.pick("Nhận thiết bị", "Adopt")) " " code { (d.topic) } }
                        form.adopt method="post" action=(format!("/admin/devices?lang={code}")) {
                            (csrf_field(admin.principal()))
                            label { (lang.pick("Mã công tơ", "Id")) input name="id" required pattern="[a-z0-9]+(-[a-z0-9]+)*" value=(d.suggested_id()); }
                            (meter_fields(&state, Some(&prefilled(d)), lang))
                            button type="submit" { (lang.pick("Nhận thành công tơ", "Adopt as a meter")) }
                        }
                    }
                }
            }
            (announced_section(&state, &admin, &new.announced, lang))
        }
    };
    Ok(layout(&state, lang, "/admin/devices", None, Some(admin.principal()), body))
}

pub async fn adopt_device_form(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PageParams>,
    CsrfForm(form): CsrfForm<MeterForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let outcome = match form.into_spec(lang) {
        Ok(spec) => adopt(&state, &admin, spec).await,
        Err(message) => Err(ApiError::BadRequest(message)),
    };
    Ok(back_to("/admin/devices", lang, said(outcome, lang)?.map(|adopted| adopted_text(&adopted, lang))))
}

fn adopted_text(adopted: &Adopted, lang: Lang) -> String {
    let spec = &adopted.meter.spec;
    let topic = spec.topic.as_deref().unwrap_or_default();
    match lang {
        Lang::Vi => format!(
            "Đã nhận thiết bị {topic} thành công tơ {} ({}); {} số liệu gửi trước đây đã được lưu.",
            spec.id, spec.name, adopted.history.stored
        ),
        Lang::En => format!(
            "Adopted {topic} as meter {} ({}); {} earlier readings stored.",
            spec.id, spec.name, adopted.history.stored
        ),
    }
}

/// The value with the unit the format says, or the bare value where only the device knows.
fn last_value(device: &FoundDevice, lang: Lang) -> String {
    match &device.recognised {
        None => "—".to_owned(),
        Some(read) => {
            let value = locale::number(read.value, 3, lang);
            match read.unit {
                Some(unit) => format!("{value} {}", unit.config_name()),
                None => value,
            }
        }
    }
}

/// The meter the device says it is, as far as it says: its format, field, unit and resource;
/// a cumulative register, which every recognised energy and water format sends.
fn prefilled(device: &FoundDevice) -> MeterSpec {
    let read = device.recognised.as_ref();
    let unit = read.and_then(|r| r.unit);
    MeterSpec {
        id: device.suggested_id(),
        name: device.name.clone().unwrap_or_else(|| device.topic.clone()),
        resource: unit.map_or("electricity", |u| u.resource().as_str()).to_owned(),
        department: None,
        parent: None,
        kind: "counter".to_owned(),
        unit: unit.map_or("kWh", |u| u.config_name()).to_owned(),
        format: read.map_or("generic", |r| r.format.config_name()).to_owned(),
        topic: Some(device.topic.clone()),
        register_max: None,
        max_rate: None,
        expected_interval: None,
        field: read.and_then(|r| r.field).map(str::to_owned),
        channel: None,
        device_id: None,
    }
}
