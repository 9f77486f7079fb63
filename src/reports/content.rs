//! The report's content as words, tables and charts, the same for the PDF and the DOCX: a
//! pure function of the period's figures and the letterhead, in Vietnamese, with numbers
//! written as the dashboard writes them.

use jiff::civil::Date;

use crate::analysis::common_area;
use crate::analysis::period_report::PeriodReport;
use crate::analysis::progress::Progress;
use crate::domain::period::NamedPeriod;
use crate::domain::{Letterhead, Phase, Resource};
use crate::locale::{self, Lang};

const VI: Lang = Lang::Vi;

/// The letterhead block and the title, laid out by the decree (Nghị định 30/2020/NĐ-CP).
#[derive(Debug, Clone, PartialEq)]
pub struct Heading {
    pub superior: String,
    pub issuing_body: String,
    /// "Số:      /BC-", the number and symbol left for the clerk to fill in.
    pub number: String,
    pub motto: String,
    pub motto_line: String,
    /// "Lai Châu, ngày 06 tháng 12 năm 2026".
    pub place_date: String,
    pub title: String,
    pub subtitle: String,
}

/// The closing: who receives the report and who signs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Closing {
    pub recipients: Vec<String>,
    pub signer_title: String,
    pub signer_name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub title: String,
    /// Its share of the text width.
    pub width: f32,
    pub numeric: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
    /// Rows set in bold: totals.
    pub bold_rows: Vec<usize>,
}

/// Bars with their labels; the values share one unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: String,
    pub unit: String,
    pub bars: Vec<(String, f64)>,
    pub colour: (u8, u8, u8),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Section(String),
    Paragraph(String),
    Table(Table),
    Chart(Chart),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    pub heading: Heading,
    pub blocks: Vec<Block>,
    pub closing: Closing,
}

/// "tháng 11 năm 2026", "quý III năm 2026", "năm 2026", "giai đoạn 1".
pub fn period_words(period: &NamedPeriod) -> String {
    match *period {
        NamedPeriod::Month(y, m) => format!("tháng {m} năm {y}"),
        NamedPeriod::Quarter(y, q) => format!("quý {} năm {y}", ["I", "II", "III", "IV"][(q - 1) as usize]),
        NamedPeriod::Year(y) => format!("năm {y}"),
        NamedPeriod::Phase(Phase::One) => "giai đoạn 1".to_owned(),
        NamedPeriod::Phase(Phase::Two) => "giai đoạn 2".to_owned(),
    }
}

fn dmy(date: Date) -> String {
    date.strftime("%d/%m/%Y").to_string()
}

fn colour(resource: Resource) -> (u8, u8, u8) {
    match resource {
        Resource::Electricity => (214, 140, 20),
        Resource::Water => (30, 110, 190),
        Resource::Paper => (90, 130, 60),
    }
}

fn or_dash(value: Option<f64>, write: impl Fn(f64) -> String) -> String {
    value.map(write).unwrap_or_else(|| "—".to_owned())
}

fn amount(resource: Resource, value: f64) -> String {
    match resource {
        Resource::Paper => locale::number(value, 0, VI),
        _ => locale::amount(value, VI),
    }
}

fn percent(value: f64) -> String {
    format!("{}%", locale::number(value, 1, VI))
}

fn resource_with_unit(resource: Resource) -> String {
    format!("{} ({})", locale::resource_name(resource, VI), locale::unit(resource, VI))
}

/// The whole report's content, issued on `issued`.
pub fn content(report: &PeriodReport, letterhead: &Letterhead, issued: Date) -> Content {
    let (first, last_exclusive) = report.period.days();
    let last = last_exclusive.yesterday().unwrap_or(last_exclusive);
    let place = if letterhead.place.is_empty() { "………" } else { &letterhead.place };
    let heading = Heading {
        superior: letterhead.superior.to_uppercase(),
        issuing_body: letterhead.issuing_body.to_uppercase(),
        number: "Số:        /BC-".to_owned(),
        motto: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM".to_owned(),
        motto_line: "Độc lập - Tự do - Hạnh phúc".to_owned(),
        place_date: format!("{place}, ngày {:02} tháng {:02} năm {}", issued.day(), issued.month(), issued.year()),
        title: "BÁO CÁO".to_owned(),
        subtitle: format!("Kết quả sử dụng tiết kiệm điện, nước, giấy {}", period_words(&report.period)),
    };
    let running = report.office.first().filter(|p| !p.finished).map(|p| p.as_of.get(..10).unwrap_or(&p.as_of));
    let as_of = match running.and_then(|day| day.parse::<Date>().ok()) {
        Some(day) => format!("; số liệu tính đến ngày {}", dmy(day)),
        None => String::new(),
    };
    let mut blocks =
        vec![Block::Paragraph(format!("Kỳ báo cáo: từ ngày {} đến ngày {}{as_of}.", dmy(first), dmy(last)))];
    office_part(report, &mut blocks);
    departments_part(report, &mut blocks);
    waste_part(report, &mut blocks);
    quality_part(report, &mut blocks);
    documents_part(report, &mut blocks);
    co2e_cost_part(report, &mut blocks);
    scores_part(report, &mut blocks);
    let closing = Closing {
        recipients: vec!["- Hội đồng Thi đua - Khen thưởng;".to_owned(), "- Lưu: VT.".to_owned()],
        signer_title: letterhead.signer_title.to_uppercase(),
        signer_name: letterhead.signer_name.clone(),
    };
    Content { heading, blocks, closing }
}

fn office_part(report: &PeriodReport, blocks: &mut Vec<Block>) {
    blocks.push(Block::Section("I. SỬ DỤNG CỦA TOÀN CƠ QUAN SO VỚI MỤC TIÊU".to_owned()));
    let columns = [
        ("Tài nguyên", 1.4, false),
        ("Thực tế", 1.0, true),
        ("Cùng kỳ năm trước", 1.0, true),
        ("Mức cơ sở", 1.0, true),
        ("Mục tiêu", 1.0, true),
        ("Dự báo", 1.0, true),
        ("Tiết kiệm", 0.9, true),
        ("Tình trạng", 1.0, false),
    ];
    let rows = report.office.iter().map(office_row).collect();
    blocks.push(Block::Table(table(&columns, rows, vec![])));
    for p in &report.office {
        let bars = [
            ("Cùng kỳ năm trước", p.last_year.as_ref().map(|l| l.total)),
            ("Mức cơ sở", p.baseline.as_ref().map(|b| b.amount)),
            ("Mục tiêu", p.target.as_ref().map(|t| t.amount)),
            ("Thực tế", Some(p.actual)),
            ("Dự báo", p.forecast.as_ref().map(|f| f.amount)),
        ];
        blocks.push(Block::Chart(Chart {
            title: format!("{}: thực tế so với mục tiêu", locale::resource_name(p.resource, VI)),
            unit: locale::unit(p.resource, VI).to_owned(),
            bars: bars.into_iter().filter_map(|(l, v)| v.map(|v| (l.to_owned(), v))).collect(),
            colour: colour(p.resource),
        }));
    }
}

fn office_row(p: &Progress) -> Vec<String> {
    let r = p.resource;
    vec![
        resource_with_unit(r),
        amount(r, p.actual),
        or_dash(p.last_year.as_ref().map(|l| l.total), |v| amount(r, v)),
        or_dash(p.baseline.as_ref().map(|b| b.amount), |v| amount(r, v)),
        or_dash(p.target.as_ref().map(|t| t.amount), |v| amount(r, v)),
        or_dash(p.forecast.as_ref().map(|f| f.amount), |v| amount(r, v)),
        or_dash(p.saving_percent, percent),
        p.status.map(|s| s.vietnamese().to_owned()).unwrap_or_else(|| "chưa đủ số liệu".to_owned()),
    ]
}

fn departments_part(report: &PeriodReport, blocks: &mut Vec<Block>) {
    blocks.push(Block::Section("II. SO SÁNH CÁC PHÒNG, BAN".to_owned()));
    for t in &report.departments {
        let r = t.resource;
        blocks.push(Block::Paragraph(format!("{}:", resource_with_unit(r))));
        let unit = locale::unit(r, VI);
        let columns = [
            ("Phòng, ban", 2.0, false),
            ("Tổng", 1.6, true),
            (&*format!("{unit}/người"), 1.0, true),
            (&*format!("{unit}/m²"), 1.0, true),
            ("Hạng", 0.6, true),
        ];
        let mut rows: Vec<Vec<String>> = t
            .departments
            .iter()
            .map(|d| {
                if d.has_meter {
                    vec![
                        d.name.clone(),
                        or_dash(d.total, |v| amount(r, v)),
                        or_dash(d.per_person, |v| locale::number(v, 2, VI)),
                        or_dash(d.per_m2, |v| locale::number(v, 3, VI)),
                        d.rank.map(|n| n.to_string()).unwrap_or_default(),
                    ]
                } else {
                    vec![
                        d.name.clone(),
                        "chưa có công tơ riêng".to_owned(),
                        String::new(),
                        String::new(),
                        String::new(),
                    ]
                }
            })
            .collect();
        let mut bold = vec![];
        if let Some(c) = &t.common_area {
            rows.push(vec![
                common_area::NAME_VI.to_owned(),
                amount(r, c.amount),
                String::new(),
                String::new(),
                String::new(),
            ]);
            bold.push(rows.len());
            rows.push(vec![
                "Cả văn phòng".to_owned(),
                amount(r, c.office_total),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
        blocks.push(Block::Table(table(&columns, rows, bold)));
        if r == Resource::Electricity {
            let bars =
                t.departments.iter().filter_map(|d| d.per_person.filter(|_| d.has_meter).map(|v| (d.name.clone(), v)));
            blocks.push(Block::Chart(Chart {
                title: "Điện bình quân đầu người theo phòng, ban".to_owned(),
                unit: format!("{unit}/người"),
                bars: bars.collect(),
                colour: colour(r),
            }));
        }
    }
}

fn waste_part(report: &PeriodReport, blocks: &mut Vec<Block>) {
    blocks.push(Block::Section("III. LÃNG PHÍ PHÁT HIỆN".to_owned()));
    if report.waste.is_empty() {
        blocks.push(Block::Paragraph(
            "Số liệu lãng phí tính cho kỳ không quá một năm: xem các báo cáo năm của giai đoạn.".to_owned(),
        ));
    }
    for w in &report.waste {
        let s = &w.split;
        let unit = locale::unit(w.resource, VI);
        let mut text = format!(
            "{}: ngoài thời gian làm việc {} (ngoài giờ {}, cuối tuần {}, ngày lễ {}).",
            locale::resource_name(w.resource, VI),
            or_dash(s.share(s.outside_hours + s.weekends + s.holidays), percent),
            or_dash(s.share(s.outside_hours), percent),
            or_dash(s.share(s.weekends), percent),
            or_dash(s.share(s.holidays), percent),
        );
        if let Some(night) = &w.night {
            text.push_str(&format!(
                " Tải nền ban đêm {} {unit}/giờ (giờ làm việc {} {unit}/giờ).",
                locale::number(night.base_per_hour, 2, VI),
                or_dash(night.working_per_hour, |v| locale::number(v, 2, VI)),
            ));
        }
        if w.resource == Resource::Water {
            if w.leaking_meters.is_empty() {
                text.push_str(" Không có công tơ nước chảy liên tục ban đêm.");
            } else {
                text.push_str(&format!(" Nghi rò rỉ (chảy liên tục ban đêm): {}.", w.leaking_meters.join(", ")));
            }
        }
        blocks.push(Block::Paragraph(text));
    }
}

fn quality_part(report: &PeriodReport, blocks: &mut Vec<Block>) {
    blocks.push(Block::Section("IV. CHẤT LƯỢNG SỐ LIỆU".to_owned()));
    let columns = [("Tài nguyên", 1.5, false), ("Số công tơ", 1.0, true), ("Ngày-công tơ thiếu số liệu", 1.5, true)];
    let rows = report
        .quality
        .iter()
        .map(|q| {
            vec![
                locale::resource_name(q.resource, VI).to_owned(),
                q.meters.to_string(),
                locale::number(q.missing_meter_days as f64, 0, VI),
            ]
        })
        .collect();
    blocks.push(Block::Table(table(&columns, rows, vec![])));
    blocks.push(Block::Paragraph(format!(
        "Số đọc đang giữ lại chờ xem xét: {}; số đọc đã hiệu chỉnh: {}.",
        report.held_readings, report.corrected_readings
    )));
}

fn documents_part(report: &PeriodReport, blocks: &mut Vec<Block>) {
    blocks.push(Block::Section("V. TỶ LỆ VĂN BẢN ĐIỆN TỬ".to_owned()));
    let d = &report.documents;
    let mut text = format!(
        "Cả văn phòng: {} văn bản điện tử, {} văn bản giấy; tỷ lệ văn bản điện tử {}.",
        locale::number(d.electronic as f64, 0, VI),
        locale::number(d.paper as f64, 0, VI),
        or_dash(d.share_percent, percent),
    );
    if !d.missing_months.is_empty() {
        let months: Vec<String> = d.missing_months.iter().map(|m| m.to_string()).collect();
        text.push_str(&format!(" Chưa nhập số liệu các tháng: {}.", months.join(", ")));
    }
    blocks.push(Block::Paragraph(text));
}

fn co2e_cost_part(report: &PeriodReport, blocks: &mut Vec<Block>) {
    blocks.push(Block::Section("VI. PHÁT THẢI CO2e VÀ CHI PHÍ".to_owned()));
    let columns = [
        ("Tài nguyên", 1.0, false),
        ("CO2e (kg)", 1.0, true),
        ("Hệ số phát thải", 2.0, false),
        ("Chi phí (đồng)", 1.2, true),
        ("Đơn giá", 1.6, false),
    ];
    let rows = report
        .office
        .iter()
        .map(|p| {
            let (kg, factor) = match &p.co2e {
                Some(c) => (
                    locale::number(c.actual_kg, 1, VI),
                    format!(
                        "{} {} ({}, {})",
                        locale::number(c.factor.value, 4, VI),
                        c.factor.unit,
                        c.factor.source,
                        c.factor.year
                    ),
                ),
                None => ("—".to_owned(), "chưa có hệ số".to_owned()),
            };
            let (vnd, tariff) = match &p.cost {
                Some(c) => (
                    locale::number(c.actual_vnd, 0, VI),
                    format!(
                        "{} đồng/{} (từ {})",
                        locale::number(c.projection_tariff.price_vnd, 0, VI),
                        c.projection_tariff.per,
                        dmy(c.projection_tariff.from)
                    ),
                ),
                None => ("—".to_owned(), "chưa có đơn giá".to_owned()),
            };
            vec![locale::resource_name(p.resource, VI).to_owned(), kg, factor, vnd, tariff]
        })
        .collect();
    blocks.push(Block::Table(table(&columns, rows, vec![])));
}

fn scores_part(report: &PeriodReport, blocks: &mut Vec<Block>) {
    let s = &report.scores;
    blocks.push(Block::Section(format!("VII. BẢNG ĐIỂM THI ĐUA (thang {} điểm)", locale::number(s.max_points, 0, VI))));
    // The core criteria under their short names; meetings and the resources where scored
    // after them, under theirs.
    let names = s.criterion_names(VI);
    let mut columns = vec![("Hạng".to_owned(), 0.6, true), ("Phòng, ban".to_owned(), 2.2, false)];
    for (i, name) in names.into_iter().enumerate() {
        let short = ["Điện", "Nước", "Giấy", "Văn bản"].get(i).map_or(name, |n| (*n).to_owned());
        columns.push((short, 0.8, true));
    }
    columns.extend([("Tổng".to_owned(), 0.8, true), ("Xếp loại".to_owned(), 1.8, false)]);
    let columns: Vec<(&str, f32, bool)> = columns.iter().map(|(t, w, n)| (t.as_str(), *w, *n)).collect();
    let mut ranked: Vec<_> = s.departments.iter().collect();
    ranked.sort_by_key(|d| d.rank);
    let rows = ranked
        .iter()
        .map(|d| {
            let mut row = vec![d.rank.to_string(), d.name.clone()];
            row.extend(d.criteria.iter().map(|c| locale::number(c.points, 1, VI)));
            row.push(locale::number(d.total, 1, VI));
            row.push(d.classification.clone());
            row
        })
        .collect();
    blocks.push(Block::Table(table(&columns, rows, vec![])));
}

fn table(columns: &[(&str, f32, bool)], rows: Vec<Vec<String>>, bold_rows: Vec<usize>) -> Table {
    Table {
        columns: columns.iter().map(|(t, w, n)| Column { title: (*t).to_owned(), width: *w, numeric: *n }).collect(),
        rows,
        bold_rows,
    }
}
