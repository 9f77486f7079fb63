//! The config checks' problems with a meter said in Vietnamese for the meter form (the config
//! file's own messages stay English, for the IT centre): each names the form's field, what is
//! wrong and how to fix it.

use crate::config::ConfigProblem;
use crate::domain::{Conversion, Resource, Unit};

/// `problem` in Vietnamese: "Đơn vị thiết bị gửi: …; cách sửa: …".
pub fn in_vietnamese(problem: &ConfigProblem) -> String {
    let field = problem.key.rsplit('.').next().unwrap_or(&problem.key);
    let said = problem.problem.as_str();
    let quoted = quoted(said);
    let (what, fix): (String, String) = match field {
        "id" if said.contains("used by another meter") => {
            ("mã này đã có công tơ khác dùng".into(), "đặt cho mỗi công tơ một mã riêng".into())
        }
        "id" => {
            ("mã không hợp lệ".into(), "viết chữ thường không dấu, nối bằng gạch ngang, ví dụ \"dien-tong-hop\"".into())
        }
        "resource" => ("không phải loại tài nguyên Xanh theo dõi".into(), "chọn điện, nước hoặc giấy".into()),
        "department" => (
            format!("{quoted} không phải phòng, ban đã khai báo"),
            "chọn một phòng, ban trong danh sách, hoặc Toàn cơ quan".into(),
        ),
        "kind" if said.contains("cumulative register") => (
            "định dạng bản tin này gửi chỉ số cộng dồn, không phải lượng dùng mỗi lần".into(),
            "chọn kiểu chỉ số cộng dồn (counter)".into(),
        ),
        "kind" => {
            ("không phải kiểu công tơ".into(), "chọn chỉ số cộng dồn (counter) hoặc lượng dùng mỗi lần (delta)".into())
        }
        "unit" if said.contains("Shelly Gen1") => {
            ("Shelly Gen1 gửi chủ đề này theo đơn vị khác".into(), format!("chọn đơn vị {}", quoted_in(&problem.fix)))
        }
        "unit" if said.contains("not a unit Xanh knows") => {
            ("Xanh không biết đơn vị này".into(), "chọn một đơn vị trong danh sách".into())
        }
        "unit" => ("đơn vị không hợp với loại tài nguyên đã chọn".into(), units_by_resource()),
        "format" => ("không phải định dạng bản tin Xanh đọc được".into(), "chọn một định dạng trong danh sách".into()),
        "topic" if said.contains("is required for format") => (
            "định dạng này cần chủ đề MQTT: Xanh không đoán được thiết bị gửi vào chủ đề nào".into(),
            format!("nhập đúng chủ đề thiết bị gửi, ví dụ {}", quoted_in(&problem.fix)),
        ),
        "topic" if said.contains("is also the topic of meter") => (
            format!("chủ đề {quoted} đã là của công tơ {}", last_quoted(said)),
            "mỗi công tơ một chủ đề riêng; chỉ công tơ wmbusmeters có device_id khác nhau mới dùng chung".into(),
        ),
        "topic" if said.contains("generic topic") => (
            format!("chủ đề {quoted} có dạng xanh/<mã>/reading của một công tơ khác"),
            "dùng xanh/<mã công tơ này>/reading, hoặc một chủ đề ngoài xanh/+/reading".into(),
        ),
        "topic" if said.contains("is reserved") => (
            format!("chủ đề {quoted} dành riêng cho Xanh (xanh-peers/…) hoặc cho broker ($…)"),
            "dùng chủ đề thiết bị gửi, ngoài xanh-peers/ và không bắt đầu bằng $".into(),
        ),
        "topic" if said.contains("Shelly Gen1") => (
            format!("{quoted} không phải chủ đề điện năng của Shelly Gen1"),
            "dùng shellies/<id>/emeter/<i>/total (Wh) hoặc shellies/<id>/relay/<i>/energy (Wmin)".into(),
        ),
        "topic" => ("chủ đề MQTT không hợp lệ".into(), "nhập đúng chủ đề thiết bị gửi, không có + hay #".into()),
        "device_id" if said.contains("is also the device_id") => (
            format!("device_id {quoted} đã là của công tơ {} trên cùng chủ đề", last_quoted(said)),
            "mỗi công tơ vô tuyến trên cùng chủ đề một device_id riêng".into(),
        ),
        "register_max" => (
            "không thể là giá trị quay vòng của công tơ này".into(),
            "chỉ đặt cho công tơ chỉ số cộng dồn: số dương (theo đơn vị công tơ) mà thanh ghi quay về 0, ví dụ 100.000"
                .into(),
        ),
        "max_rate" => (
            "không thể là lượng dùng tối đa trong một giờ".into(),
            "nhập số dương theo đơn vị của tài nguyên mỗi giờ (kWh, m³ hoặc tờ), ví dụ 50".into(),
        ),
        "expected_interval" => (
            "không phải một khoảng thời gian từ 1 giây đến 3660 ngày".into(),
            "viết như 15m, 1h hoặc 31d (s, m, h, d), hoặc none cho công tơ chỉ gửi khi có số liệu".into(),
        ),
        "parent" if said.contains("not a configured meter") => (
            format!("{quoted} không phải công tơ đã khai báo"),
            "chọn công tơ cấp trên trong danh sách, hoặc Không có".into(),
        ),
        "parent" if said.contains("measures") => {
            ("công tơ cấp trên đo loại tài nguyên khác".into(), "chọn công tơ cấp trên cùng loại tài nguyên".into())
        }
        "parent" if said.contains("leads back") => {
            ("chuỗi công tơ cấp trên quay về chính công tơ này".into(), "chọn công tơ cấp trên khác".into())
        }
        "parent" => ("công tơ cấp trên không hợp lệ".into(), "chọn công tơ cấp trên trong danh sách".into()),
        "field" | "channel" | "device_id" if said.contains("means nothing for format") => {
            ("định dạng bản tin đã chọn không dùng ô này".into(), "để trống ô này".into())
        }
        "field" if said.contains("resets every day") => {
            (format!("trường {quoted} về 0 mỗi ngày, không phải chỉ số công tơ"), "để trống để đọc ENERGY.Total".into())
        }
        "channel" => ("không phải số kênh".into(), "đếm kênh từ 0: kênh 1 là kênh thứ hai của thiết bị".into()),
        "field" | "device_id" => ("đang để trống".into(), "nhập giá trị thiết bị gửi, hoặc bỏ trống cả ô".into()),
        _ => ("không hợp lệ".into(), "xem lại ô này".into()),
    };
    format!("{}: {what}; cách sửa: {fix}", label(field))
}

/// The meter form's name for a `[[meters]]` key.
fn label(field: &str) -> &str {
    match field {
        "id" => "Mã công tơ",
        "name" => "Tên",
        "resource" => "Loại tài nguyên",
        "department" => "Phòng, ban",
        "parent" => "Công tơ cấp trên",
        "kind" => "Kiểu công tơ",
        "unit" => "Đơn vị thiết bị gửi",
        "format" => "Định dạng bản tin",
        "topic" => "Chủ đề MQTT",
        "register_max" => "Giá trị quay vòng của thanh ghi (register_max)",
        "max_rate" => "Lượng dùng tối đa mỗi giờ (max_rate)",
        "expected_interval" => "Khoảng gửi dự kiến (expected_interval)",
        "field" => "Trường giá trị (field)",
        "channel" => "Kênh (channel)",
        "device_id" => "Mã thiết bị vô tuyến (device_id)",
        other => other,
    }
}

/// Which units each resource takes: "điện: kWh, Wh…; nước: …".
fn units_by_resource() -> String {
    let each: Vec<String> = Resource::ALL
        .into_iter()
        .map(|r| {
            let units: Vec<&str> =
                Unit::ALL.into_iter().filter(|u| Conversion::new(*u, r).is_ok()).map(Unit::config_name).collect();
            format!("{} dùng {}", crate::locale::resource_name(r, crate::locale::Lang::Vi), units.join(", "))
        })
        .collect();
    format!("chọn đơn vị hợp với tài nguyên ({})", each.join("; "))
}

/// The first `quoted` part of an English message, with its quotes.
fn quoted(said: &str) -> String {
    said.split('`').nth(1).map(|q| format!("“{q}”")).unwrap_or_default()
}

/// The last `quoted` part of an English message (the other meter of a clash).
fn last_quoted(said: &str) -> String {
    let parts: Vec<&str> = said.split('`').collect();
    match parts.len() {
        n if n >= 5 => format!("“{}”", parts[n - 4]),
        _ => String::new(),
    }
}

/// The first "double-quoted" part of a fix, as written there.
fn quoted_in(fix: &str) -> String {
    fix.split('"').nth(1).map(|q| format!("“{q}”")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{MeterSpec, check_meters};
    use crate::domain::DepartmentId;

    fn meter(unit: &str, format: &str, topic: Option<&str>) -> MeterSpec {
        MeterSpec {
            id: "dien-photo".into(),
            name: "Máy photo".into(),
            resource: "electricity".into(),
            department: Some("phong-z".into()),
            parent: None,
            kind: "counter".into(),
            unit: unit.into(),
            format: format.into(),
            topic: topic.map(Into::into),
            register_max: None,
            max_rate: Some(-1.0),
            expected_interval: Some("mười phút".into()),
            field: None,
            channel: None,
            device_id: None,
        }
    }

    #[test]
    fn every_problem_of_a_wrong_meter_is_said_in_vietnamese_with_its_field() {
        let departments = [DepartmentId::try_from("phong-a".to_owned()).unwrap()];
        let problems = check_meters(&[meter("m3", "tasmota", None)], &departments).unwrap_err();
        let said: Vec<String> = problems.iter().map(in_vietnamese).collect();
        let all = said.join("\n");
        for expected in [
            "Phòng, ban: “phong-z” không phải phòng, ban đã khai báo",
            "Đơn vị thiết bị gửi: đơn vị không hợp với loại tài nguyên đã chọn; cách sửa: chọn đơn vị hợp với tài nguyên (Điện dùng Wh, kWh",
            "Chủ đề MQTT: định dạng này cần chủ đề MQTT",
            "Lượng dùng tối đa mỗi giờ (max_rate): không thể là lượng dùng tối đa",
            "Khoảng gửi dự kiến (expected_interval): không phải một khoảng thời gian",
        ] {
            assert!(all.contains(expected), "`{expected}` is not among:\n{all}");
        }
        assert_eq!(said.len(), problems.len());
        assert!(said.iter().all(|s| s.contains("; cách sửa: ")), "{all}");
    }
}
