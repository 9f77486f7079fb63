//! Numbers, dates and words the way each language writes them: Vietnamese first
//! (1.234,5 and 28/11/2026), English on request.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::domain::Resource;
use crate::domain::period::{NamedPeriod, Phase};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    /// `?lang=en` picks English; anything else, or nothing, is Vietnamese.
    pub fn from_query(value: Option<&str>) -> Lang {
        match value {
            Some("en") => Lang::En,
            _ => Lang::Vi,
        }
    }

    /// The text in this language, given its Vietnamese and its English.
    pub fn pick<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
}

/// A number with `decimals` places, grouped by thousands: 1.234,5 (vi) or 1,234.5 (en).
pub fn number(value: f64, decimals: usize, lang: Lang) -> String {
    let (group, point) = match lang {
        Lang::Vi => ('.', ','),
        Lang::En => (',', '.'),
    };
    if !value.is_finite() {
        return "—".to_owned();
    }
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::with_capacity(text.len() + whole.len() / 3 + 1);
    // "-0,0" would read as a loss where there is none.
    if value < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        out.push('-');
    }
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(digit);
    }
    if !fraction.is_empty() {
        out.push(point);
        out.push_str(fraction);
    }
    out
}

/// A figure with as many decimals as its size deserves: 12.345 kWh, 123,4 kWh, 0,57 m³.
pub fn amount(value: f64, lang: Lang) -> String {
    let decimals = match value.abs() {
        v if v >= 1000.0 => 0,
        v if v >= 10.0 => 1,
        _ => 2,
    };
    number(value, decimals, lang)
}

/// A resource's figure with its unit: 1.234,5 kWh, 0,57 m³, 1.500 tờ (sheets are whole).
pub fn quantity(resource: Resource, value: f64, lang: Lang) -> String {
    let number = match resource {
        Resource::Paper => number(value, 0, lang),
        _ => amount(value, lang),
    };
    format!("{number} {}", unit(resource, lang))
}

/// 28/11/2026, in the office's time zone.
pub fn date(ts: Timestamp, tz: &TimeZone) -> String {
    ts.to_zoned(tz.clone()).strftime("%d/%m/%Y").to_string()
}

/// A day as people type it: 28/11/2026 (or 2026-11-28, as a date picker sends it).
pub fn parse_date(text: &str) -> Option<jiff::civil::Date> {
    let text = text.trim();
    jiff::civil::Date::strptime("%d/%m/%Y", text).or_else(|_| text.parse()).ok()
}

/// 07:05 28/11/2026 (vi) or 28/11/2026 07:05 (en), in the office's time zone.
pub fn date_time(ts: Timestamp, tz: &TimeZone, lang: Lang) -> String {
    let zoned = ts.to_zoned(tz.clone());
    match lang {
        Lang::Vi => zoned.strftime("%H:%M %d/%m/%Y").to_string(),
        Lang::En => zoned.strftime("%d/%m/%Y %H:%M").to_string(),
    }
}

/// A time span in its largest whole unit, for "… ago": 45 giây, 3 phút, 2 giờ, 1 ngày
/// (vi); 45 seconds, 1 minute, 2 hours (en).
pub fn span(duration: std::time::Duration, lang: Lang) -> String {
    let seconds = duration.as_secs();
    let (count, vi, en) = match seconds {
        s if s < 60 => (s, "giây", "second"),
        s if s < 3600 => (s / 60, "phút", "minute"),
        s if s < 86_400 => (s / 3600, "giờ", "hour"),
        s => (s / 86_400, "ngày", "day"),
    };
    let number = number(count as f64, 0, lang);
    match lang {
        Lang::Vi => format!("{number} {vi}"),
        Lang::En if count == 1 => format!("{number} {en}"),
        Lang::En => format!("{number} {en}s"),
    }
}

pub fn resource_name(resource: Resource, lang: Lang) -> &'static str {
    match (resource, lang) {
        (Resource::Electricity, Lang::Vi) => "Điện",
        (Resource::Water, Lang::Vi) => "Nước",
        (Resource::Paper, Lang::Vi) => "Giấy",
        (Resource::Electricity, Lang::En) => "Electricity",
        (Resource::Water, Lang::En) => "Water",
        (Resource::Paper, Lang::En) => "Paper",
    }
}

/// The unit as people read it: kWh, m³, tờ / sheets.
pub fn unit(resource: Resource, lang: Lang) -> &'static str {
    match (resource, lang) {
        (Resource::Electricity, _) => "kWh",
        (Resource::Water, _) => "m³",
        (Resource::Paper, Lang::Vi) => "tờ",
        (Resource::Paper, Lang::En) => "sheets",
    }
}

/// Short month names for chart axes.
pub fn month_label(month: i8, lang: Lang) -> String {
    const EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    match lang {
        Lang::Vi => format!("T{month}"),
        Lang::En => EN[usize::try_from(month - 1).unwrap_or(0).min(11)].to_owned(),
    }
}

/// A period as a heading says it: Năm 2026, Quý 3/2026, Tháng 11/2026, Giai đoạn 1
/// (2026–06/2028); in English 2026, Q3 2026, 11/2026, Phase 1 (2026–06/2028).
pub fn period_name(period: NamedPeriod, lang: Lang) -> String {
    match (period, lang) {
        (NamedPeriod::Year(y), Lang::Vi) => format!("Năm {y}"),
        (NamedPeriod::Year(y), Lang::En) => y.to_string(),
        (NamedPeriod::Quarter(y, q), Lang::Vi) => format!("Quý {q}/{y}"),
        (NamedPeriod::Quarter(y, q), Lang::En) => format!("Q{q} {y}"),
        (NamedPeriod::Month(y, m), Lang::Vi) => format!("Tháng {m:02}/{y}"),
        (NamedPeriod::Month(y, m), Lang::En) => format!("{m:02}/{y}"),
        (NamedPeriod::Phase(phase), _) => {
            let n = match phase {
                Phase::One => 1,
                Phase::Two => 2,
            };
            // A phase starting on 1 January says its year; one ending on 31 December, its
            // year; otherwise the month: 2026–06/2028, 07/2028–2030.
            let (first, next) = period.days();
            let last = next.yesterday().unwrap_or(next);
            let start = if first.month() == 1 { first.year().to_string() } else { first.strftime("%m/%Y").to_string() };
            let end = if next.month() == 1 && next.day() == 1 {
                last.year().to_string()
            } else {
                last.strftime("%m/%Y").to_string()
            };
            format!("{} {n} ({start}–{end})", lang.pick("Giai đoạn", "Phase"))
        }
    }
}

/// An audit log action as people read it: "Hiệu chỉnh số liệu" for `reading.correct`; an
/// action this list does not know yet is shown as its code.
pub fn audit_action(code: &str, lang: Lang) -> &str {
    let (vi, en) = match code {
        "reading.enter" => ("Nhập số liệu trên trang", "Reading entered on the page"),
        "readings.submit" => ("Gửi số liệu qua API", "Readings sent through the API"),
        "reading.correct" => ("Hiệu chỉnh số liệu", "Reading corrected"),
        "documents.enter" => ("Nhập số văn bản", "Document counts entered"),
        "plan.baseline" => ("Sửa mốc", "Baseline changed"),
        "plan.target" => ("Sửa mục tiêu", "Target changed"),
        "rejected.reprocess" => ("Xử lý lại số liệu bị từ chối", "Rejected readings reprocessed"),
        "rejected.review" => ("Xem xét số liệu bị từ chối", "Rejected reading reviewed"),
        "rejected.review_bulk" => ("Xem xét hàng loạt số liệu bị từ chối", "Rejected readings reviewed in bulk"),
        "alert.acknowledge" => ("Xác nhận cảnh báo", "Alert acknowledged"),
        "user.setup" => ("Tạo quản trị viên đầu tiên", "First admin created"),
        "user.add" => ("Thêm người dùng", "User added"),
        "user.disable" => ("Khoá người dùng", "User disabled"),
        "user.enable" => ("Mở khoá người dùng", "User enabled"),
        "user.reset" => ("Đặt lại mật khẩu", "Password reset"),
        "token.create" => ("Tạo khoá API", "API token created"),
        "token.revoke" => ("Thu hồi khoá API", "API token revoked"),
        "calendar.change" => ("Sửa lịch làm việc", "Working calendar changed"),
        "departments.add" => ("Thêm phòng, ban", "Department added"),
        "departments.change" => ("Sửa phòng, ban", "Department changed"),
        "meters.add" => ("Thêm công tơ", "Meter added"),
        "meters.change" => ("Sửa công tơ", "Meter changed"),
        "meters.retire" => ("Ngừng sử dụng công tơ", "Meter retired"),
        "meters.reinstate" => ("Dùng lại công tơ", "Meter back in service"),
        "staffing.change" => ("Sửa số người, diện tích", "Headcount or floor area changed"),
        "tariffs.change" => ("Sửa giá điện, nước, giấy", "Price changed"),
        "emission_factors.change" => ("Sửa hệ số phát thải", "Emission factor changed"),
        "slips.enter" => ("Nhập phiếu xuất kho", "Issue slip entered"),
        "meetings.enter" => ("Nhập số cuộc họp", "Meeting counts entered"),
        "supply_prices.change" => ("Sửa giá vật tư", "Supply price changed"),
        "supply_norms.change" => ("Sửa định mức vật tư", "Supply norm changed"),
        "alert_recipient.add" => ("Thêm người nhận cảnh báo", "Alert recipient added"),
        "alert_recipient.update" => ("Sửa người nhận cảnh báo", "Alert recipient changed"),
        "alert_recipient.delete" => ("Xoá người nhận cảnh báo", "Alert recipient removed"),
        _ => return code,
    };
    lang.pick(vi, en)
}

/// A field of an audit line's before or after as people read it; a field this list does not
/// know yet is shown as its key.
pub fn audit_field(key: &str, lang: Lang) -> &str {
    let (vi, en) = match key {
        "value" => ("Giá trị", "Value"),
        "reason" => ("Lý do", "Reason"),
        "username" => ("Tên đăng nhập", "User name"),
        "display_name" => ("Họ tên", "Name"),
        "name" => ("Tên", "Name"),
        "role" => ("Vai trò", "Role"),
        "departments" => ("Phòng ban", "Departments"),
        "meters" => ("Công tơ", "Meters"),
        "meter" => ("Công tơ", "Meter"),
        "id" => ("Mã", "Id"),
        "ids" => ("Các mục", "Items"),
        "ts" => ("Thời điểm", "Time"),
        "entered_by" => ("Người nhập", "Entered by"),
        "electronic" => ("Văn bản điện tử", "Electronic documents"),
        "paper" => ("Văn bản giấy", "Paper documents"),
        "stored" => ("Đã lưu", "Stored"),
        "duplicates" => ("Trùng", "Duplicates"),
        "rejected" => ("Bị từ chối", "Rejected"),
        "readings" => ("Số liệu", "Readings"),
        "decision" => ("Quyết định", "Decision"),
        "decided" => ("Số mục đã xử lý", "Items decided"),
        "filter" => ("Bộ lọc", "Filter"),
        "amount" => ("Lượng", "Amount"),
        "note" => ("Ghi chú", "Note"),
        "kind" => ("Loại", "Kind"),
        "saving_percent" => ("Mức tiết kiệm (%)", "Saving (%)"),
        "stretch_percent" => ("Mức phấn đấu (%)", "Stretch (%)"),
        "working_days" => ("Số ngày làm việc", "Working days"),
        "status" => ("Trạng thái", "Status"),
        "status_vi" => ("Trạng thái (diễn giải)", "Status (in words)"),
        "source" => ("Căn cứ", "Source"),
        "days" => ("Ngày nghỉ, ngày làm bù", "Days off and days worked"),
        "name_en" => ("Tên tiếng Anh", "English name"),
        "headcount" => ("Số người", "Headcount"),
        "area_m2" => ("Diện tích (m²)", "Floor area (m²)"),
        "time_of_use" => ("Giá điện theo giờ", "Time-of-use prices"),
        "normal_vnd" => ("Giá giờ bình thường", "Normal-hours price"),
        "peak_vnd" => ("Giá giờ cao điểm", "Peak price"),
        "off_peak_vnd" => ("Giá giờ thấp điểm", "Off-peak price"),
        "monday_saturday" => ("Khung giờ thứ Hai–thứ Bảy", "Monday–Saturday hours"),
        "sunday" => ("Khung giờ Chủ nhật", "Sunday hours"),
        "band" => ("Khung", "Band"),
        "blocks" => ("Bậc thang", "Blocks"),
        "up_to_kwh" => ("Đến (kWh)", "Up to (kWh)"),
        _ => return key,
    };
    lang.pick(vi, en)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_numbers_group_with_dots_and_use_a_decimal_comma() {
        assert_eq!(number(1234.5, 1, Lang::Vi), "1.234,5");
        assert_eq!(number(1234567.891, 2, Lang::Vi), "1.234.567,89");
        assert_eq!(number(999.0, 0, Lang::Vi), "999");
        assert_eq!(number(-1234.0, 0, Lang::Vi), "-1.234");
        assert_eq!(number(-0.001, 1, Lang::Vi), "0,0");
        assert_eq!(number(1234.5, 1, Lang::En), "1,234.5");
    }

    /// The audit log shows each action in words. Action codes are written where each change is
    /// audited, so they are found in the source: an action added without words fails here.
    #[test]
    fn every_action_the_app_audits_is_shown_in_words() {
        fn rust_files(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    rust_files(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("locale.rs") {
                    found.push(path);
                }
            }
        }
        let is_code = |text: &str| {
            text.split_once('.').is_some_and(|(subject, verb)| {
                [subject, verb].iter().all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            })
        };
        let mut files = Vec::new();
        rust_files(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
        let mut codes: Vec<String> = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let audited = text.lines().filter(|l| l.to_lowercase().contains("audit") || l.contains("action"));
            for line in audited {
                codes.extend(line.split('"').skip(1).step_by(2).filter(|t| is_code(t)).map(str::to_owned));
            }
        }
        codes.sort();
        codes.dedup();
        assert!(codes.len() > 20, "the search found too few actions to mean anything: {codes:?}");
        let without_words: Vec<&String> =
            codes.iter().filter(|c| [Lang::Vi, Lang::En].iter().any(|&l| audit_action(c, l) == c.as_str())).collect();
        assert!(without_words.is_empty(), "audited actions without words in locale::audit_action: {without_words:?}");
    }

    #[test]
    fn spans_use_their_largest_whole_unit() {
        use std::time::Duration;
        assert_eq!(span(Duration::from_secs(45), Lang::Vi), "45 giây");
        assert_eq!(span(Duration::from_secs(200), Lang::Vi), "3 phút");
        assert_eq!(span(Duration::from_secs(7300), Lang::En), "2 hours");
        assert_eq!(span(Duration::from_secs(60), Lang::En), "1 minute");
        assert_eq!(span(Duration::from_secs(86_400 * 1500), Lang::Vi), "1.500 ngày");
    }

    #[test]
    fn dates_are_day_month_year_in_the_office_time_zone() {
        let tz = TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
        // 17:30 UTC on 27/11 is already 28/11 in Hà Nội.
        let ts: Timestamp = "2026-11-27T17:30:00Z".parse().unwrap();
        assert_eq!(date(ts, &tz), "28/11/2026");
        assert_eq!(date_time(ts, &tz, Lang::Vi), "00:30 28/11/2026");
    }

    #[test]
    fn periods_read_as_headings_say_them() {
        assert_eq!(period_name(NamedPeriod::Phase(Phase::One), Lang::Vi), "Giai đoạn 1 (2026–06/2028)");
        assert_eq!(period_name(NamedPeriod::Phase(Phase::One), Lang::En), "Phase 1 (2026–06/2028)");
        assert_eq!(period_name(NamedPeriod::Phase(Phase::Two), Lang::Vi), "Giai đoạn 2 (07/2028–2030)");
        assert_eq!(period_name(NamedPeriod::Quarter(2026, 3), Lang::Vi), "Quý 3/2026");
        assert_eq!(period_name(NamedPeriod::Month(2026, 11), Lang::Vi), "Tháng 11/2026");
        assert_eq!(period_name(NamedPeriod::Year(2026), Lang::En), "2026");
    }

    #[test]
    fn typed_days_are_day_month_year_or_iso() {
        let day = jiff::civil::date(2026, 11, 28);
        assert_eq!(parse_date(" 28/11/2026 "), Some(day));
        assert_eq!(parse_date("2026-11-28"), Some(day));
        assert_eq!(parse_date("31/02/2026"), None);
        assert_eq!(parse_date("hôm qua"), None);
    }
}
