//! Quản trị › Phòng, ban: each department's headcount and floor area today, the changes over
//! time (the config's and those entered here), a form for a change from a day on, which the
//! figures per person and per m² follow at once, and the forms that add a department and
//! change one's names (or its id, while nothing holds it).

use axum::extract::{Query, State};
use axum::response::Redirect;
use maud::{Markup, html};
use serde::Deserialize;

use super::super::{back_to, csrf_field, layout};
use crate::analysis::plan_in_force::in_force;
use crate::analysis::staffing::{area_m2, headcount};
use crate::locale::{self, Lang};
use crate::web::auth::{Admin, CsrfForm};
use crate::web::commands::departments::{self, DepartmentBody};
use crate::web::commands::staffing::{StaffingBody, record};
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct PageParams {
    lang: Option<String>,
    ok: Option<String>,
    error: Option<String>,
}

pub async fn departments_page(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PageParams>,
) -> Result<Markup, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let config = &state.config();
    let plan = in_force(state.store.as_ref(), config).await?;
    let today = jiff::Timestamp::now().to_zoned(config.office.timezone.clone()).date();
    let code = lang.code();
    let name = |id: &crate::domain::DepartmentId| {
        config.department(id).map(|d| shown_name(d, lang).to_owned()).unwrap_or_else(|| id.to_string())
    };
    let body = html! {
        main.admin.setup.departments {
            @if let Some(ok) = &params.ok { p.status.ok data-result="ok" { (ok) } }
            @if let Some(error) = &params.error { p.status.bad data-result="error" { (error) } }
            section {
                h2 { (lang.pick("Phòng, ban hôm nay", "Departments today")) }
                div.table-wrap { table {
                    thead { tr { th { (lang.pick("Phòng, ban", "Department")) } th { (lang.pick("Mã", "Id")) } th.num { (lang.pick("Số người", "Headcount")) } th.num { (lang.pick("Diện tích (m²)", "Floor area (m²)")) } } }
                    tbody { @for d in &config.departments {
                        tr data-department=(d.id.as_str()) {
                            td data-figure="name" { (shown_name(d, lang)) }
                            td { code { (d.id.as_str()) } }
                            td.num data-figure="headcount" { (locale::number(headcount(config, &plan, &d.id, today), 0, lang)) }
                            td.num data-figure="area" { (locale::number(area_m2(config, &plan, &d.id, today), 1, lang)) }
                        }
                    } }
                } }
            }
            section {
                h2 { (lang.pick("Thay đổi số người, diện tích", "Change the headcount or floor area")) }
                p { (lang.pick(
                    "Áp dụng từ ngày đã chọn đến lần thay đổi sau; các chỉ số theo đầu người và theo m² tính lại ngay. Để trống ô nào thì giữ nguyên giá trị đó.",
                    "In force from the chosen day until the next change; figures per person and per m² follow at once. Leave a field empty to keep its value."
                )) }
                form.staffing method="post" action=(format!("/admin/departments/staffing?lang={code}")) {
                    (csrf_field(admin.principal()))
                    label { (lang.pick("Phòng, ban", "Department")) select name="department" required {
                        @for d in &config.departments { option value=(d.id.as_str()) { (shown_name(d, lang)) } }
                    } }
                    label { (lang.pick("Từ ngày", "From")) input type="date" name="from" required value=(today.to_string()); }
                    label { (lang.pick("Số người", "Headcount")) input name="headcount" inputmode="numeric"; }
                    label { (lang.pick("Diện tích (m²)", "Floor area (m²)")) input name="area_m2" inputmode="decimal"; }
                    button type="submit" { (lang.pick("Lưu", "Save")) }
                }
            }
            section {
                h2 { (lang.pick("Thêm phòng, ban", "Add a department")) }
                p { (lang.pick(
                    "Phòng, ban mới có ngay trên mọi trang và số liệu. Không xóa được phòng, ban; mã không đổi được khi đã có công tơ, số người, số liệu nhập tay.",
                    "A new department is on every page and figure at once. A department is never deleted; its id stays once it has meters, staffing or counts."
                )) }
                form.add-department method="post" action=(format!("/admin/departments/add?lang={code}")) {
                    (csrf_field(admin.principal()))
                    label { (lang.pick("Mã (chữ thường, không dấu)", "Id (a slug)")) input name="id" required placeholder="phong-tong-hop"; }
                    label { (lang.pick("Tên", "Name (Vietnamese)")) input name="name" required; }
                    label { (lang.pick("Tên tiếng Anh", "English name")) input name="name_en"; }
                    label { (lang.pick("Số người", "Headcount")) input name="headcount" inputmode="numeric" required; }
                    label { (lang.pick("Diện tích (m²)", "Floor area (m²)")) input name="area_m2" inputmode="decimal" required; }
                    button type="submit" { (lang.pick("Thêm", "Add")) }
                }
            }
            section {
                h2 { (lang.pick("Đổi tên phòng, ban", "Rename a department")) }
                p { (lang.pick("Để trống ô nào thì giữ nguyên ô đó.", "Leave a field empty to keep it.")) }
                form.change-department method="post" action=(format!("/admin/departments/change?lang={code}")) {
                    (csrf_field(admin.principal()))
                    label { (lang.pick("Phòng, ban", "Department")) select name="department" required {
                        @for d in &config.departments { option value=(d.id.as_str()) { (shown_name(d, lang)) } }
                    } }
                    label { (lang.pick("Tên mới", "New name (Vietnamese)")) input name="name"; }
                    label { (lang.pick("Tên tiếng Anh mới", "New English name")) input name="name_en"; }
                    label { (lang.pick("Mã mới", "New id")) input name="id"; }
                    button type="submit" { (lang.pick("Lưu", "Save")) }
                }
            }
            section {
                h2 { (lang.pick("Các lần thay đổi", "Changes over time")) }
                @if plan.staffing.is_empty() {
                    p { (lang.pick("Chưa có thay đổi nào: số người và diện tích là của tệp cấu hình.", "No changes yet: headcount and area are the config file's.")) }
                } @else {
                    div.table-wrap { table {
                        thead { tr { th { (lang.pick("Từ ngày", "From")) } th { (lang.pick("Phòng, ban", "Department")) } th.num { (lang.pick("Số người", "Headcount")) } th.num { (lang.pick("Diện tích (m²)", "Floor area (m²)")) } } }
                        tbody { @for c in plan.staffing.iter().rev() {
                            tr {
                                td { (c.from.strftime("%d/%m/%Y")) }
                                td { (name(&c.department)) }
                                td.num { @match c.headcount { Some(h) => (locale::number(f64::from(h), 0, lang)), None => "—" } }
                                td.num { @match c.area_m2 { Some(a) => (locale::number(a, 1, lang)), None => "—" } }
                            }
                        } }
                    } }
                }
            }
        }
    };
    Ok(layout(&state, lang, "/admin/departments", None, Some(admin.principal()), body))
}

#[derive(Deserialize)]
pub struct StaffingForm {
    department: String,
    from: String,
    #[serde(default)]
    headcount: String,
    #[serde(default)]
    area_m2: String,
}

pub async fn staffing_form(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PageParams>,
    CsrfForm(form): CsrfForm<StaffingForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let body = StaffingBody {
        from: form.from,
        headcount: Some(serde_json::Value::String(form.headcount)),
        area_m2: Some(serde_json::Value::String(form.area_m2)),
    };
    let result = match record(&state, &admin, &form.department, body).await {
        Ok(r) => {
            let (name, day) = (r.change.department.as_str().to_owned(), r.change.from.strftime("%d/%m/%Y").to_string());
            Ok(match lang {
                Lang::Vi => format!("Đã lưu thay đổi của {name} từ {day}."),
                Lang::En => format!("Saved the change of {name} from {day}."),
            })
        }
        Err(ApiError::BadRequest(m) | ApiError::NotFound(m)) => {
            Err(format!("{}: {m}", lang.pick("Chưa lưu", "Not saved")))
        }
        Err(other) => return Err(other),
    };
    Ok(back_to("/admin/departments", lang, result))
}

/// A department's name in the page's language (the Vietnamese one when it has no English one).
fn shown_name(department: &crate::domain::Department, lang: Lang) -> &str {
    match (lang, &department.name_en) {
        (Lang::En, Some(english)) => english,
        _ => &department.name,
    }
}

#[derive(Deserialize)]
pub struct AddDepartmentForm {
    id: String,
    name: String,
    #[serde(default)]
    name_en: String,
    headcount: String,
    area_m2: String,
}

pub async fn add_department_form(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PageParams>,
    CsrfForm(form): CsrfForm<AddDepartmentForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let body = DepartmentBody {
        id: Some(form.id),
        name: Some(form.name),
        name_en: Some(form.name_en),
        headcount: Some(serde_json::Value::String(form.headcount)),
        area_m2: Some(serde_json::Value::String(form.area_m2)),
    };
    let result = match departments::add(&state, &admin, body).await {
        Ok(d) => Ok(match lang {
            Lang::Vi => format!("Đã thêm {} ({}).", d.name, d.id),
            Lang::En => format!("Added {} ({}).", d.name_en.as_deref().unwrap_or(&d.name), d.id),
        }),
        Err(e) => Err(format!("{}: {}", lang.pick("Chưa lưu", "Not saved"), e.refusal(lang)?)),
    };
    Ok(back_to("/admin/departments", lang, result))
}

#[derive(Deserialize)]
pub struct ChangeDepartmentForm {
    department: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    name_en: String,
}

pub async fn change_department_form(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PageParams>,
    CsrfForm(form): CsrfForm<ChangeDepartmentForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let given = |text: String| Some(text).filter(|t| !t.trim().is_empty());
    let body = DepartmentBody {
        id: given(form.id),
        name: given(form.name),
        name_en: given(form.name_en),
        ..DepartmentBody::default()
    };
    let result = match departments::change(&state, &admin, &form.department, body).await {
        Ok(d) => Ok(match lang {
            Lang::Vi => format!("Đã lưu {} ({}).", d.name, d.id),
            Lang::En => format!("Saved {} ({}).", d.name_en.as_deref().unwrap_or(&d.name), d.id),
        }),
        Err(crate::web::commands::CommandError::Failed(ApiError::NotFound(m))) => {
            Err(format!("{}: {m}", lang.pick("Chưa lưu", "Not saved")))
        }
        Err(e) => Err(format!("{}: {}", lang.pick("Chưa lưu", "Not saved"), e.refusal(lang)?)),
    };
    Ok(back_to("/admin/departments", lang, result))
}
