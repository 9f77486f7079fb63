//! An issue slip (phiếu xuất kho) of the configured resources: one department, one date,
//! several lines, each priced on that date. A slip naming a resource or item the config does
//! not know is refused with a Vietnamese message and kept among the rejected input.

use crate::analysis::supplies_in_force::supplies_in_force;
use jiff::civil::Date;
use serde::Deserialize;
use serde_json::json;

use crate::domain::{DepartmentId, Incoming, IssueSlip, Origin, RejectReason, Rejection, SlipLine, Source};
use crate::store::{AuditDetail, SlipRecord};
use crate::web::auth::Writer;
use crate::web::commands::audit_line;
use crate::web::{ApiError, AppState};

/// A slip as sent by the API, the form or a CSV import.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SlipBody {
    pub number: String,
    pub department: String,
    /// 2026-01-05 or 05/01/2026.
    pub date: String,
    pub lines: Vec<SlipLine>,
}

/// `2026-01-05` or, the Vietnamese way, `05/01/2026`.
pub(crate) fn parse_day(text: &str) -> Result<Date, String> {
    let text = text.trim();
    let bad = || format!("`{text}` không phải là ngày: hãy viết 05/01/2026 hoặc 2026-01-05");
    if let Ok(day) = text.parse::<Date>() {
        return Ok(day);
    }
    let parts: Vec<&str> = text.split('/').collect();
    let [day, month, year] = parts.as_slice() else { return Err(bad()) };
    let number = |s: &str| s.parse::<i16>().map_err(|_| bad());
    Date::new(number(year)?, number(month)? as i8, number(day)? as i8).map_err(|_| bad())
}

/// Check, price and store one slip, if the writer may enter that department's; shared by the
/// API, the page's form and the CSV import. `source` says which.
pub(crate) async fn apply(
    state: &AppState,
    writer: &Writer,
    body: SlipBody,
    source: Source,
) -> Result<SlipRecord, ApiError> {
    let department: DepartmentId =
        body.department.trim().parse().map_err(|e| ApiError::BadRequest(format!("phòng, ban: {e}")))?;
    if state.config().department(&department).is_none() {
        let config = state.config();
        let ids: Vec<&str> = config.departments.iter().map(|d| d.id.as_str()).collect();
        return Err(ApiError::BadRequest(format!(
            "không có phòng, ban \"{department}\" trong cấu hình: dùng một trong {}",
            ids.join(", ")
        )));
    }
    writer.check_department(&department)?;
    let date = parse_day(&body.date).map_err(ApiError::BadRequest)?;
    let today = jiff::Timestamp::now().to_zoned(state.config().office.timezone.clone()).date();
    if date > today {
        return Err(ApiError::BadRequest(format!(
            "ngày {:02}/{:02}/{} chưa đến: chỉ nhập phiếu đã xuất",
            date.day(),
            date.month(),
            date.year()
        )));
    }
    let number = body.number.trim().to_owned();
    if number.is_empty() {
        return Err(ApiError::BadRequest("phiếu chưa có số: ghi số phiếu, ví dụ PX-2026-001".into()));
    }
    let slip = IssueSlip { number, department, date, lines: body.lines.clone() };
    // Priced with the prices in force: the config's lists with those entered in the app.
    let supplies = supplies_in_force(state.store.as_ref(), &state.config()).await?;
    let lines = match slip.price(&supplies) {
        Ok(lines) => lines,
        Err(problems) => {
            let message = problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; ");
            if problems.iter().any(|p| p.unknown) {
                // Kept whole, so nothing typed is lost: entered again once the config lists it.
                let rejection = Rejection {
                    origin: Origin {
                        source,
                        received_at: jiff::Timestamp::now(),
                        topic: None,
                        payload: serde_json::to_vec(&body).unwrap_or_default(),
                        sender: Some(writer.principal().sender()),
                    },
                    meter: None,
                    reason: RejectReason::UnknownSupply,
                    detail: format!("Phiếu {}: {message}", slip.number),
                };
                writer.store(state).write(vec![Incoming::Rejected(rejection)]).await?;
            }
            return Err(ApiError::BadRequest(message));
        }
    };
    let line = audit_line(writer.principal(), "slips.enter", |record: &SlipRecord| AuditDetail {
        target: format!("{} {} {}", record.slip.number, record.slip.department, record.slip.date),
        before: None,
        after: Some(json!({ "lines": record.lines })),
    });
    Ok(writer.store(state).record_slip(slip, lines, writer.principal().name(), Some(line)).await?)
}

/// The columns of a CSV of slips, in order: one row a line; consecutive rows with the same
/// number, department and date make one slip.
pub const CSV_COLUMNS: [&str; 6] = ["so_phieu", "phong", "ngay", "nguon_luc", "mat_hang", "so_luong"];

/// Slips from CSV text (`,` or `;` between fields, a header row of [`CSV_COLUMNS`]); every
/// malformed row is named, and then nothing is taken.
pub(crate) fn parse_csv(text: &str) -> Result<Vec<SlipBody>, String> {
    let text = text.trim_start_matches('\u{feff}');
    let mut rows = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = rows.next() else {
        return Err(format!("tệp trống: dòng đầu ghi tên cột {}", CSV_COLUMNS.join(";")));
    };
    let separator = if header.contains(';') { ';' } else { ',' };
    let names: Vec<String> = header.split(separator).map(|c| c.trim().to_lowercase()).collect();
    if names != CSV_COLUMNS {
        return Err(format!("dòng 1 phải là tên cột: {}", CSV_COLUMNS.join(&separator.to_string())));
    }
    let mut slips: Vec<SlipBody> = Vec::new();
    let mut problems = Vec::new();
    for (index, row) in rows {
        let n = index + 1;
        let fields: Vec<&str> = row.split(separator).map(str::trim).collect();
        let [number, department, date, resource, item, quantity] = fields.as_slice() else {
            problems.push(format!("dòng {n}: cần {} cột, có {}", CSV_COLUMNS.len(), fields.len()));
            continue;
        };
        let quantity = match crate::ingest::manual::parse_number(quantity) {
            Ok(q) => q,
            Err(e) => {
                problems.push(format!("dòng {n}: {e}"));
                continue;
            }
        };
        let line = SlipLine { resource: (*resource).to_owned(), item: (*item).to_owned(), quantity };
        match slips.last_mut() {
            Some(slip) if slip.number == *number && slip.department == *department && slip.date == *date => {
                slip.lines.push(line)
            }
            _ => slips.push(SlipBody {
                number: (*number).to_owned(),
                department: (*department).to_owned(),
                date: (*date).to_owned(),
                lines: vec![line],
            }),
        }
    }
    if problems.is_empty() { Ok(slips) } else { Err(problems.join("; ")) }
}

#[cfg(test)]
mod tests {
    use super::parse_csv;

    #[test]
    fn consecutive_rows_of_one_slip_make_one_slip_and_a_bad_row_is_named() {
        let text = "so_phieu;phong;ngay;nguon_luc;mat_hang;so_luong\n\
                    PX-1;phong-a;05/01/2026;van-phong-pham;but-bi;20\n\
                    PX-1;phong-a;05/01/2026;van-phong-pham;so-tay;2,5\n\
                    PX-2;phong-b;2026-01-06;muc-in;hp-85a;1\n";
        let slips = parse_csv(text).unwrap();
        assert_eq!(slips.len(), 2);
        assert_eq!(slips[0].lines.len(), 2);
        assert_eq!(slips[0].lines[1].quantity, 2.5);
        let err =
            parse_csv("so_phieu,phong,ngay,nguon_luc,mat_hang,so_luong\nPX-1,phong-a,2026-01-05,x,y,nhiều\nPX-2,a\n")
                .unwrap_err();
        assert!(err.contains("dòng 2:") && err.contains("dòng 3: cần 6 cột, có 2"), "{err}");
        assert!(parse_csv("a;b\n").unwrap_err().contains("so_phieu;phong;ngay"));
    }
}
