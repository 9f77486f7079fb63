//! The part of "Thiết bị mới" for devices that announced themselves: what each says it is
//! (read in ingest), what it leaves for the admin to say, and a form that adopts it, filled
//! in from the announcement.

use maud::{Markup, html};

use super::super::csrf_field;
use super::meters::meter_fields;
use crate::config::MeterSpec;
use crate::domain::MeterKind;
use crate::ingest::announce::{AnnouncedDevice, Unsaid};
use crate::locale::{self, Lang};
use crate::web::AppState;
use crate::web::auth::Admin;

pub(super) fn announced_section(state: &AppState, admin: &Admin, devices: &[AnnouncedDevice], lang: Lang) -> Markup {
    let unknown = lang.pick("chưa rõ", "not said");
    html! {
        section.announced {
            h2 { (lang.pick("Thiết bị tự giới thiệu", "Devices that announced themselves")) }
            p { (lang.pick(
                "Thiết bị báo cho máy chủ MQTT biết nó là gì (Home Assistant, Tasmota, Shelly, Zigbee2MQTT), kể cả trước khi gửi số liệu nào. Điều thiết bị không nói, Xanh không đoán: ô đó để trống cho quản trị chọn.",
                "Devices that told the MQTT broker what they are (Home Assistant, Tasmota, Shelly, Zigbee2MQTT), even before sending any reading. What a device does not say, Xanh does not guess: that field is left for the admin."
            )) }
            @if devices.is_empty() {
                p.empty { (lang.pick("Chưa có thiết bị nào tự giới thiệu.", "No device has announced itself yet.")) }
            } @else {
                div.table-wrap { table {
                    thead { tr {
                        th { (lang.pick("Thiết bị", "Device")) } th { (lang.pick("Nguồn", "Announced by")) }
                        th { (lang.pick("Chủ đề MQTT", "MQTT topic")) } th { (lang.pick("Loại tài nguyên", "Resource")) }
                        th { (lang.pick("Đơn vị", "Unit")) } th { (lang.pick("Kiểu", "Kind")) }
                        th { (lang.pick("Định dạng", "Format")) } th { (lang.pick("Trường đọc", "Field read")) }
                        th { (lang.pick("Giá trị cuối", "Last value")) }
                    } }
                    tbody { @for device in devices {
                        @let said = &device.said;
                        tr data-announced=(row_key(device)) {
                            td data-figure="name" { (said.name.as_deref().unwrap_or("—")) }
                            td data-figure="by" { (said.by.name()) }
                            td data-figure="topic" { @if let Some(topic) = &said.topic { code { (topic) } } @else { (unknown) } }
                            td data-figure="resource" { (said.resource.map_or(unknown, |r| locale::resource_name(r, lang))) }
                            td data-figure="unit" { (said.unit.map_or(unknown, |u| u.symbol())) }
                            td data-figure="kind" { (said.kind.map_or(unknown, |k| kind_name(k, lang))) }
                            td data-figure="format" { (said.format.map_or(unknown, |f| f.config_name())) }
                            td data-figure="field" { (said.field.as_deref().unwrap_or(if said.unsaid().contains(&Unsaid::Field) { unknown } else { "—" })) }
                            td.num data-figure="last-value" { (device.sent.as_ref().and_then(|f| f.recognised.as_ref()).map_or_else(|| lang.pick("chưa gửi", "none yet").to_owned(), |r| locale::number(r.value, 3, lang))) }
                        }
                    } }
                } }
            }
            @for device in devices {
                section.adopt data-announced=(row_key(device)) {
                    details {
                        summary { (lang.pick("Nhận thiết bị", "Adopt")) " " (device.said.name.as_deref().unwrap_or_default()) " " code { (device.said.topic.as_deref().unwrap_or_default()) } }
                        @let unsaid = device.said.unsaid();
                        @if !unsaid.is_empty() {
                            ul.hint { @for what in &unsaid { li data-unsaid=(what.key()) { (hint(*what, lang)) } } }
                        }
                        form.adopt method="post" action=(format!("/admin/devices?lang={}", lang.code())) {
                            (csrf_field(admin.principal()))
                            label { (lang.pick("Mã công tơ", "Id")) input name="id" required pattern="[a-z0-9]+(-[a-z0-9]+)*" value=(device.said.suggested_id()); }
                            (meter_fields(state, Some(&prefilled(device)), lang))
                            button type="submit" { (lang.pick("Nhận thành công tơ", "Adopt as a meter")) }
                        }
                    }
                }
            }
        }
    }
}

/// The row's key: the topic it publishes on (or, when it did not say, where it announced
/// itself), with the field where it names one.
fn row_key(device: &AnnouncedDevice) -> String {
    let said = &device.said;
    let topic = said.topic.as_deref().unwrap_or(&said.announced_on);
    match &said.field {
        Some(field) => format!("{topic}#{field}"),
        None => topic.to_owned(),
    }
}

fn kind_name(kind: MeterKind, lang: Lang) -> &'static str {
    match kind {
        MeterKind::Counter => lang.pick("chỉ số cộng dồn", "cumulative register"),
        MeterKind::Delta => lang.pick("lượng dùng mỗi lần", "amount per interval"),
    }
}

fn hint(unsaid: Unsaid, lang: Lang) -> &'static str {
    match unsaid {
        Unsaid::Topic => lang.pick(
            "Thiết bị không nói nó gửi số liệu lên chủ đề nào: hãy nhập chủ đề MQTT.",
            "The device does not say which topic it sends on: enter the MQTT topic.",
        ),
        Unsaid::Format => lang.pick(
            "Thiết bị không nói bản tin của nó theo định dạng nào: hãy chọn định dạng bản tin.",
            "The device does not say its message format: choose the payload format.",
        ),
        Unsaid::Field => lang.pick(
            "Thiết bị không nói giá trị nằm ở trường nào (hoặc tính nó bằng một công thức): hãy nhập trường giá trị trong Thiết lập thêm.",
            "The device does not say which field holds the value (or computes it): enter the value field under More settings.",
        ),
        Unsaid::Unit => lang.pick(
            "Thiết bị không nói đơn vị: hãy chọn đơn vị thiết bị gửi.",
            "The device does not say its unit: choose the unit it sends.",
        ),
        Unsaid::Resource => lang.pick(
            "Thiết bị không nói nó đo điện hay nước (một thể tích cũng có thể là khí đốt): hãy chọn loại tài nguyên.",
            "The device does not say whether it measures electricity or water (a volume may be gas): choose the resource.",
        ),
        Unsaid::Kind => lang.pick(
            "Thiết bị không nói số nó gửi là chỉ số cộng dồn hay lượng dùng mỗi lần: hãy chọn kiểu công tơ.",
            "The device does not say whether it sends a cumulative register or an amount per interval: choose the kind.",
        ),
    }
}

/// The meter as the device announced it; what it did not say is left empty for the admin.
fn prefilled(device: &AnnouncedDevice) -> MeterSpec {
    let said = &device.said;
    MeterSpec {
        id: said.suggested_id(),
        name: said.name.clone().unwrap_or_default(),
        resource: said.resource.map(|r| r.as_str().to_owned()).unwrap_or_default(),
        department: None,
        parent: None,
        kind: said
            .kind
            .map(|k| match k {
                MeterKind::Counter => "counter".to_owned(),
                MeterKind::Delta => "delta".to_owned(),
            })
            .unwrap_or_default(),
        unit: said.unit.map(|u| u.config_name().to_owned()).unwrap_or_default(),
        format: said.format.map(|f| f.config_name().to_owned()).unwrap_or_default(),
        topic: said.topic.clone(),
        register_max: None,
        max_rate: None,
        expected_interval: None,
        field: said.field.clone(),
        channel: None,
        device_id: None,
    }
}
