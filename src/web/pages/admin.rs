//! HC-QT's administration pages: users (add, disable, enable, reset a password), API tokens
//! (create, shown once; revoke) and the audit log (see `audit`). Every change is written to the audit log.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::json;

use super::{back_to, csrf_field, layout, role_name};
use crate::auth::AuthError;
use crate::domain::{DepartmentId, MeterId, Role, Username};
use crate::locale::{self, Lang};
use crate::web::ApiError;
use crate::web::AppState;
use crate::web::auth::{AccountAdmin, Admin, CsrfForm};

#[derive(Deserialize)]
pub struct AdminParams {
    lang: Option<String>,
    ok: Option<String>,
    error: Option<String>,
}

fn back(path: &str, lang: Lang, result: Result<String, String>) -> Response {
    back_to(path, lang, result).into_response()
}

fn messages(params: &AdminParams) -> Markup {
    html! {
        @if let Some(ok) = &params.ok { p.message.ok role="status" { (ok) } }
        @if let Some(error) = &params.error { p.message.error role="alert" { (error) } }
    }
}

/// An `AuthError` a person can fix becomes the page's message; anything else is a 500.
fn user_error(e: AuthError) -> Result<String, ApiError> {
    match e {
        AuthError::Invalid(m) | AuthError::Conflict(m) | AuthError::NotFound(m) => Ok(m),
        other => Err(ApiError::internal(other)),
    }
}

pub async fn users_page(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<AdminParams>,
) -> Result<Markup, ApiError> {
    let who = admin.principal();
    let lang = Lang::from_query(params.lang.as_deref());
    let tz = &state.config().office.timezone;
    let users = state.auth.users().await?;
    let tokens = state.auth.tokens().await?;
    let new_secret = state.auth.take_new_secret(who);
    let code = lang.code();
    let config = state.config();
    let body = html! {
        main.admin {
            h2 { (lang.pick("Người dùng", "Users")) }
            (messages(&params))
            section {
                div.table-wrap { table {
                    thead { tr { th { (lang.pick("Tên đăng nhập", "User name")) } th { (lang.pick("Họ và tên", "Name")) } th { (lang.pick("Vai trò", "Role")) } th { (lang.pick("Phòng ban", "Departments")) } th { (lang.pick("Trạng thái", "Status")) } th {} } }
                    tbody { @for user in &users { tr {
                        td { (user.username) }
                        td { (user.display_name) }
                        td { (role_name(user.role, lang)) }
                        td { (user.departments.iter().map(|d| config.department(d).map(|d| d.name.as_str()).unwrap_or(d.as_str())).collect::<Vec<_>>().join(", ")) }
                        td { @if user.disabled { (lang.pick("đã khoá", "disabled")) } @else { (lang.pick("hoạt động", "active")) } }
                        td {
                            form method="post" action=(format!("/admin/users/{}?lang={code}", user.username)) {
                                (csrf_field(who))
                                @if user.disabled {
                                    button name="action" value="enable" { (lang.pick("Mở khoá", "Enable")) }
                                } @else if user.id != who.user.id {
                                    button name="action" value="disable" { (lang.pick("Khoá", "Disable")) }
                                }
                                input type="password" name="password" placeholder=(lang.pick("Mật khẩu mới", "New password")) minlength="10" aria-label=(lang.pick("Mật khẩu mới", "New password"));
                                button name="action" value="reset" { (lang.pick("Đặt lại mật khẩu", "Reset password")) }
                            }
                        }
                    } } }
                } }
            }
            section {
                h3 { (lang.pick("Thêm người dùng", "Add a user")) }
                form method="post" action=(format!("/admin/users?lang={code}")) {
                    (csrf_field(who))
                    label { (lang.pick("Tên đăng nhập", "User name")) input name="username" required placeholder="nguyen.lan"; }
                    label { (lang.pick("Họ và tên", "Full name")) input name="display_name" required; }
                    label { (lang.pick("Vai trò", "Role")) select name="role" {
                        option value="viewer" { (role_name(Role::Viewer, lang)) }
                        option value="reporter" { (role_name(Role::Reporter, lang)) }
                        option value="admin" { (role_name(Role::Admin, lang)) }
                    } }
                    label { (lang.pick("Phòng ban (người nhập liệu)", "Departments (reporters)")) select name="departments" multiple {
                        @for d in &state.config().departments { option value=(d.id) { (d.name) } }
                    } }
                    label { (lang.pick("Mật khẩu (ít nhất 10 ký tự)", "Password (at least 10 characters)")) input type="password" name="password" required minlength="10" autocomplete="new-password"; }
                    button type="submit" { (lang.pick("Thêm", "Add")) }
                }
            }
            h2 id="tokens" { (lang.pick("Mã truy cập API", "API tokens")) }
            @if let Some(secret) = &new_secret {
                section {
                    p { (lang.pick("Mã mới — chỉ hiện một lần, hãy sao chép ngay:", "The new token — shown only once, copy it now:")) }
                    p.secret { (secret) }
                }
            }
            section {
                div.table-wrap { table {
                    thead { tr { th { "#" } th { (lang.pick("Tên", "Name")) } th { (lang.pick("Chủ sở hữu", "Owner")) } th { (lang.pick("Vai trò", "Role")) } th { (lang.pick("Công tơ", "Meters")) } th { (lang.pick("Dùng lần cuối", "Last used")) } th {} } }
                    tbody { @for token in &tokens { tr {
                        td.num { (token.id) }
                        td { (token.name) }
                        td { (token.owner) }
                        td { (role_name(token.role, lang)) }
                        td { @match &token.meters { Some(m) => (m.iter().map(MeterId::as_str).collect::<Vec<_>>().join(", ")), None => (lang.pick("tất cả", "all")) } }
                        td { @match token.last_used { Some(at) => (locale::date_time(at, tz, lang)), None => "—" } }
                        td { @if token.revoked_at.is_some() { (lang.pick("đã thu hồi", "revoked")) } @else {
                            form method="post" action=(format!("/admin/tokens/{}/revoke?lang={code}", token.id)) {
                                (csrf_field(who))
                                button { (lang.pick("Thu hồi", "Revoke")) }
                            }
                        } }
                    } } }
                } }
                h3 { (lang.pick("Tạo mã cho thiết bị hoặc phần mềm", "Create a token for a gateway or a script")) }
                form method="post" action=(format!("/admin/tokens?lang={code}")) {
                    (csrf_field(who))
                    label { (lang.pick("Tên", "Name")) input name="name" required placeholder="gateway-tang-1"; }
                    label { (lang.pick("Vai trò", "Role")) select name="role" {
                        option value="reporter" { (lang.pick("gửi số liệu", "submit readings")) }
                        option value="viewer" { (lang.pick("chỉ đọc", "read only")) }
                        option value="admin" { (role_name(Role::Admin, lang)) }
                    } }
                    label { (lang.pick("Chỉ các công tơ (để trống: tất cả)", "Only these meters (none: all)")) select name="meters" multiple {
                        @for m in &state.pipeline.meters_in_use(jiff::Timestamp::now()) { option value=(m.id) { (m.name) " — " (m.id) } }
                    } }
                    button type="submit" { (lang.pick("Tạo mã", "Create")) }
                }
            }
        }
    };
    Ok(layout(&state, lang, "/admin/users", None, Some(who), body))
}

fn department_ids(state: &AppState, ids: &[String]) -> Result<Vec<DepartmentId>, String> {
    ids.iter()
        .map(|id| {
            let id: DepartmentId = id.parse().map_err(|e| format!("{e}"))?;
            state
                .config()
                .department(&id)
                .map(|_| id.clone())
                .ok_or_else(|| format!("no department `{id}` is configured"))
        })
        .collect()
}

/// The multi-select fields come as repeated keys, which `serde_urlencoded` cannot put in a
/// `Vec`, so the form is read as pairs.
fn fields(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
}

pub async fn create_user_form(
    State(state): State<AppState>,
    admin: AccountAdmin,
    Query(params): Query<AdminParams>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let who = admin.principal();
    let lang = Lang::from_query(params.lang.as_deref());
    let role: Role = match field(&form, "role").parse() {
        Ok(role) => role,
        Err(e) => return Ok(back("/admin/users", lang, Err(format!("{e}")))),
    };
    let departments = match department_ids(&state, &fields(&form, "departments")) {
        Ok(d) => d,
        Err(e) => return Ok(back("/admin/users", lang, Err(e))),
    };
    let result = match state
        .auth
        .add_user(field(&form, "username"), field(&form, "display_name"), role, departments, field(&form, "password"))
        .await
    {
        Ok(user) => {
            let after = json!({ "username": user.username, "display_name": user.display_name, "role": user.role, "departments": user.departments });
            state.auth.audit(Some(who), "user.add", user.username.to_string(), None, Some(after)).await?;
            Ok(match lang {
                Lang::Vi => format!("Đã thêm người dùng {}.", user.username),
                Lang::En => format!("Added user {}.", user.username),
            })
        }
        Err(e) => Err(user_error(e)?),
    };
    Ok(back("/admin/users", lang, result))
}

pub async fn user_action_form(
    State(state): State<AppState>,
    admin: AccountAdmin,
    Path(username): Path<String>,
    Query(params): Query<AdminParams>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let who = admin.principal();
    let lang = Lang::from_query(params.lang.as_deref());
    let username: Username = match username.parse() {
        Ok(u) => u,
        Err(e) => return Ok(back("/admin/users", lang, Err(format!("{e}")))),
    };
    let action = field(&form, "action");
    let outcome = match action {
        "disable" if username == who.user.username => {
            Err(AuthError::Invalid("you cannot disable yourself: ask another admin".into()))
        }
        "disable" => state.auth.set_disabled(&username, true).await,
        "enable" => state.auth.set_disabled(&username, false).await,
        "reset" => state.auth.reset_password(&username, field(&form, "password")).await,
        other => Err(AuthError::Invalid(format!("`{other}` is not an action: disable, enable or reset"))),
    };
    let result = match outcome {
        Ok(()) => {
            state.auth.audit(Some(who), &format!("user.{action}"), username.to_string(), None, None).await?;
            Ok(match lang {
                Lang::Vi => format!("Đã cập nhật người dùng {username}."),
                Lang::En => format!("Updated user {username}."),
            })
        }
        Err(e) => Err(user_error(e)?),
    };
    Ok(back("/admin/users", lang, result))
}

pub async fn create_token_form(
    State(state): State<AppState>,
    admin: AccountAdmin,
    Query(params): Query<AdminParams>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let who = admin.principal();
    let lang = Lang::from_query(params.lang.as_deref());
    let role: Role = match field(&form, "role").parse() {
        Ok(role) => role,
        Err(e) => return Ok(back("/admin/users", lang, Err(format!("{e}")))),
    };
    let meters: Result<Vec<MeterId>, String> = fields(&form, "meters")
        .iter()
        .map(|m| {
            let id: MeterId = m.parse().map_err(|e| format!("{e}"))?;
            state.config().meter(&id).map(|_| id.clone()).ok_or_else(|| format!("no meter `{id}` is configured"))
        })
        .collect();
    let meters = match meters {
        Ok(m) if m.is_empty() => None,
        Ok(m) => Some(m),
        Err(e) => return Ok(back("/admin/users", lang, Err(e))),
    };
    match state.auth.create_token(&who.user, field(&form, "name"), role, meters).await {
        Ok((secret, record)) => {
            let after = json!({ "id": record.id, "name": record.name, "role": record.role, "meters": record.meters });
            state.auth.audit(Some(who), "token.create", format!("token {}", record.id), None, Some(after)).await?;
            state.auth.hold_new_secret(who, secret);
            Ok(Redirect::to(&format!("/admin/users?lang={}#tokens", lang.code())).into_response())
        }
        Err(e) => Ok(back("/admin/users", lang, Err(user_error(e)?))),
    }
}

pub async fn revoke_token_form(
    State(state): State<AppState>,
    admin: AccountAdmin,
    Path(id): Path<i64>,
    Query(params): Query<AdminParams>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let who = admin.principal();
    let lang = Lang::from_query(params.lang.as_deref());
    let result = match state.auth.revoke_token(id).await {
        Ok(()) => {
            state.auth.audit(Some(who), "token.revoke", format!("token {id}"), None, None).await?;
            Ok(match lang {
                Lang::Vi => format!("Đã thu hồi mã {id}."),
                Lang::En => format!("Revoked token {id}."),
            })
        }
        Err(e) => Err(user_error(e)?),
    };
    Ok(back("/admin/users", lang, result))
}
