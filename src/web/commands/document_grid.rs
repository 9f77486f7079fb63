//! The e-document counts of many departments and months at once (the grid on /documents):
//! every changed cell checked, then all saved in one transaction with one audit line, or
//! none, each bad cell named by its department and month.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use crate::domain::{DepartmentId, DocumentCount, Month};
use crate::store::{AuditDetail, DocumentRecord};
use crate::web::auth::Writer;
use crate::web::commands::{CommandError, audit_line, refused, whole_count};
use crate::web::{ApiError, AppState};

/// The name of a cell's field in the grid form: `e:phong-a:2026-03` (electronic) or
/// `p:phong-a:2026-03` (on paper).
pub fn field(kind: CountKind, department: &DepartmentId, month: Month) -> String {
    let prefix = match kind {
        CountKind::Electronic => "e",
        CountKind::Paper => "p",
    };
    format!("{prefix}:{department}:{month}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountKind {
    Electronic,
    Paper,
}

/// A cell as sent: its two counts as typed (empty: not given).
#[derive(Default)]
struct Cell {
    electronic: String,
    paper: String,
}

/// What a grid saved: the cells that changed (the unchanged ones are not written again).
pub struct GridSaved {
    pub changed: usize,
}

/// Check every cell of the grid `fields` (as the form sent them) and save those that change
/// what is stored, in one transaction; a cell left empty is not touched.
pub async fn save(
    state: &AppState,
    writer: &Writer,
    fields: &HashMap<String, String>,
) -> Result<GridSaved, CommandError> {
    let config = state.config();
    let today = Month::of(jiff::Timestamp::now().to_zoned(config.office.timezone.clone()).date());
    // Cells in the order the grid shows them: the departments', then the months'.
    let position = |id: &DepartmentId| config.departments.iter().position(|d| &d.id == id);
    let mut cells: BTreeMap<(usize, Month), (DepartmentId, Cell)> = BTreeMap::new();
    let mut problems = Vec::new();
    for (key, value) in fields {
        let mut parts = key.splitn(3, ':');
        let (Some(kind), Some(department), Some(month)) = (parts.next(), parts.next(), parts.next()) else { continue };
        let kind = match kind {
            "e" => CountKind::Electronic,
            "p" => CountKind::Paper,
            _ => continue,
        };
        let known = department.parse::<DepartmentId>().ok().and_then(|id| Some((position(&id)?, id)));
        let (Some((at, department)), Ok(month)) = (known, Month::parse(month)) else {
            problems.push((
                format!("`{key}` is not a cell of the grid"),
                format!("Ô “{key}” không có trong bảng: hãy mở lại bảng."),
            ));
            continue;
        };
        let cell = &mut cells.entry((at, month)).or_insert_with(|| (department, Cell::default())).1;
        match kind {
            CountKind::Electronic => cell.electronic = value.trim().to_owned(),
            CountKind::Paper => cell.paper = value.trim().to_owned(),
        }
    }
    let stored = stored_counts(state, cells.keys().map(|(_, m)| *m)).await?;
    let mut changed = Vec::new();
    for ((_, month), (department, cell)) in &cells {
        if cell.electronic.is_empty() && cell.paper.is_empty() {
            continue;
        }
        let name = config.department(department).map(|d| d.name.clone()).unwrap_or_else(|| department.to_string());
        let (en_at, vi_at) =
            (format!("{department}, {month}"), format!("{name}, tháng {:02}/{}", month.month(), month.year()));
        writer.check_department(department).map_err(CommandError::Failed)?;
        if *month > today {
            problems.push((
                format!("{en_at}: the month has not begun"),
                format!("{vi_at}: tháng chưa bắt đầu, chưa nhập được."),
            ));
            continue;
        }
        let electronic = count(&cell.electronic);
        let paper = count(&cell.paper);
        let (Some(electronic), Some(paper)) = (electronic, paper) else {
            problems.push((
                format!(
                    "{en_at}: `{}` and `{}` are not both counts of documents: give both, as whole numbers from 0",
                    cell.electronic, cell.paper
                ),
                format!(
                    "{vi_at}: hãy nhập cả số văn bản điện tử và giấy, là số nguyên từ 0 trở lên (đang có “{}” và “{}”).",
                    cell.electronic, cell.paper
                ),
            ));
            continue;
        };
        let before = stored.get(&(department.clone(), *month)).copied();
        if before != Some((electronic, paper)) {
            changed.push((DocumentCount { department: department.clone(), month: *month, electronic, paper }, before));
        }
    }
    if !problems.is_empty() {
        let (en, vi): (Vec<String>, Vec<String>) = problems.into_iter().unzip();
        return Err(refused(format!("nothing saved: {}", en.join("; ")), format!("Chưa lưu ô nào. {}", vi.join(" "))));
    }
    if changed.is_empty() {
        return Ok(GridSaved { changed: 0 });
    }
    let before: Vec<Value> = changed
        .iter()
        .map(|(c, before)| {
            json!({ "department": c.department, "month": c.month.to_string(),
                    "electronic": before.map(|b| b.0), "paper": before.map(|b| b.1) })
        })
        .collect();
    let counts: Vec<DocumentCount> = changed.into_iter().map(|(c, _)| c).collect();
    let line = audit_line(writer.principal(), "documents.enter", move |records: &Vec<DocumentRecord>| AuditDetail {
        target: format!("{} ô", records.len()),
        before: Some(Value::Array(before)),
        after: Some(Value::Array(
            records
                .iter()
                .map(|r| {
                    json!({ "department": r.count.department, "month": r.count.month.to_string(),
                            "electronic": r.count.electronic, "paper": r.count.paper })
                })
                .collect(),
        )),
    });
    let records = writer.store(state).set_documents_grid(counts, writer.principal().name(), Some(line)).await?;
    Ok(GridSaved { changed: records.len() })
}

/// The counts stored for the months given, by department and month.
pub async fn stored_counts(
    state: &AppState,
    months: impl Iterator<Item = Month>,
) -> Result<HashMap<(DepartmentId, Month), (u32, u32)>, ApiError> {
    let months: Vec<Month> = months.collect();
    let (Some(first), Some(last)) = (months.iter().min(), months.iter().max()) else { return Ok(HashMap::new()) };
    let records = state.store.documents(*first, last.next()).await?;
    Ok(records
        .into_iter()
        .map(|r| ((r.count.department, r.count.month), (r.count.electronic, r.count.paper)))
        .collect())
}

fn count(typed: &str) -> Option<u32> {
    (!typed.is_empty()).then(|| whole_count(&Value::String(typed.to_owned()))).flatten()
}
