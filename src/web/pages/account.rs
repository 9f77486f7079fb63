//! Signing in and out, and the one-time setup page that creates the first admin.

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout;
use crate::auth::AuthError;
use crate::locale::Lang;
use crate::web::AppState;
use crate::web::auth::{self as web_auth, Viewer, form_token, form_token_matches, read_plain_form, session_cookie};

#[derive(Deserialize)]
pub struct LoginParams {
    lang: Option<String>,
    next: Option<String>,
    error: Option<String>,
    /// With `error=throttled`: the minutes until the next attempt.
    minutes: Option<u64>,
    token: Option<String>,
}

/// Why a sign-in failed, as the login page's URL carries it: a code, never text, so that a
/// link cannot make the page say what its sender wants.
enum LoginProblem {
    WrongPassword,
    Throttled { minutes: u64 },
    Busy,
}

impl LoginProblem {
    fn from_query(params: &LoginParams) -> Option<LoginProblem> {
        match params.error.as_deref()? {
            "wrong" => Some(LoginProblem::WrongPassword),
            "throttled" => Some(LoginProblem::Throttled { minutes: params.minutes.unwrap_or(15).clamp(1, 15) }),
            "busy" => Some(LoginProblem::Busy),
            _ => None,
        }
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        match self {
            LoginProblem::WrongPassword => vec![("error", "wrong".into())],
            LoginProblem::Throttled { minutes } => {
                vec![("error", "throttled".into()), ("minutes", minutes.to_string())]
            }
            LoginProblem::Busy => vec![("error", "busy".into())],
        }
    }

    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (LoginProblem::WrongPassword, Lang::Vi) => "Sai tên đăng nhập hoặc mật khẩu.".into(),
            (LoginProblem::WrongPassword, Lang::En) => "Wrong user name or password.".into(),
            (LoginProblem::Throttled { minutes }, Lang::Vi) => {
                format!("Đăng nhập sai quá nhiều lần. Hãy thử lại sau {minutes} phút.")
            }
            (LoginProblem::Throttled { minutes }, Lang::En) => {
                format!("Too many failed sign-ins. Try again in {minutes} minutes.")
            }
            (LoginProblem::Busy, Lang::Vi) => "Máy chủ đang bận. Hãy thử lại sau giây lát.".into(),
            (LoginProblem::Busy, Lang::En) => "The server is busy. Try again in a moment.".into(),
        }
    }
}

/// Only a path on this site may follow a login, never another site: it starts with one `/`,
/// and holds only the visible ASCII a URL is written in (browsers drop tabs and newlines, so
/// `/\t/evil` would become `//evil`, another site), never a backslash.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/') && !n.starts_with("//") && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn with_form_cookie(headers: &HeaderMap, page: impl FnOnce(&str) -> Markup) -> Response {
    let (token, set_cookie) = form_token(headers);
    let mut response = page(&token).into_response();
    if let Some(cookie) = set_cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<LoginParams>,
) -> Response {
    let lang = Lang::from_query(params.lang.as_deref());
    let vi = lang == Lang::Vi;
    let next = safe_next(params.next.as_deref());
    let problem = LoginProblem::from_query(&params).map(|p| p.message(lang));
    with_form_cookie(&headers, |token| {
        let body = html! {
            main.login {
                h2 { (if vi { "Đăng nhập" } else { "Sign in" }) }
                @if let Some(error) = &problem { p.message.error role="alert" { (error) } }
                form method="post" action=(format!("/login?lang={}", lang.code())) {
                    input type="hidden" name="csrf" value=(token);
                    input type="hidden" name="next" value=(next);
                    label { (if vi { "Tên đăng nhập" } else { "User name" }) input name="username" autocomplete="username" required autofocus; }
                    label { (if vi { "Mật khẩu" } else { "Password" }) input type="password" name="password" autocomplete="current-password" required; }
                    button type="submit" { (if vi { "Đăng nhập" } else { "Sign in" }) }
                }
            }
        };
        layout(&state, lang, "/login", None, None, body)
    })
}

fn back_to_login(lang: Lang, next: &str, problem: LoginProblem) -> Response {
    let mut pairs = vec![("lang", lang.code().to_owned()), ("next", next.to_owned())];
    pairs.extend(problem.query());
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    Redirect::to(&format!("/login?{query}")).into_response()
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Query(params): Query<LoginParams>,
    body: Bytes,
) -> Response {
    let lang = Lang::from_query(params.lang.as_deref());
    let form = read_plain_form(&body);
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let next = safe_next(Some(field("next")));
    if !form_token_matches(&headers, field("csrf")) {
        return web_auth::AccessDenied::BadCsrf.into_response();
    }
    let username = field("username");
    match state.auth.login(username, field("password"), Some(peer.ip())).await {
        Ok((user, session)) => {
            let max_age = session.expires_at.duration_since(jiff::Timestamp::now()).as_secs();
            let secure = state.config().web_access.secure_cookies || web_auth::came_over_https(&headers);
            tracing::info!(user = %user.username, address = %peer.ip(), "signed in");
            let mut response = Redirect::to(&next).into_response();
            response.headers_mut().append(header::SET_COOKIE, session_cookie(&session.secret, max_age, secure));
            response
        }
        Err(AuthError::BadCredentials) => {
            tracing::warn!(user = username, address = %peer.ip(), "failed sign-in");
            back_to_login(lang, &next, LoginProblem::WrongPassword)
        }
        Err(AuthError::Throttled(wait)) => {
            tracing::warn!(user = username, address = %peer.ip(), "sign-in refused: too many failures");
            back_to_login(lang, &next, LoginProblem::Throttled { minutes: wait.as_secs().div_ceil(60) })
        }
        Err(AuthError::Busy) => {
            tracing::warn!(user = username, address = %peer.ip(), "sign-in refused: the hashing queue is full");
            back_to_login(lang, &next, LoginProblem::Busy)
        }
        Err(e) => crate::web::ApiError::internal(e).into_response(),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    Query(params): Query<LoginParams>,
    web_auth::CsrfForm(_): web_auth::CsrfForm<Vec<(String, String)>>,
) -> Response {
    let lang = Lang::from_query(params.lang.as_deref());
    if let Err(e) = state.auth.logout(&who).await {
        return crate::web::ApiError::internal(e).into_response();
    }
    let mut response = Redirect::to(&format!("/login?lang={}", lang.code())).into_response();
    response.headers_mut().append(header::SET_COOKIE, session_cookie("", 0, false));
    response
}

pub async fn setup_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<LoginParams>,
) -> Response {
    let lang = Lang::from_query(params.lang.as_deref());
    let vi = lang == Lang::Vi;
    let secret = params.token.unwrap_or_default();
    if !state.auth.setup_open(&secret) {
        return (
            StatusCode::NOT_FOUND,
            "Liên kết cài đặt đã dùng hoặc hết hạn. / This setup link is used or out of date.",
        )
            .into_response();
    }
    with_form_cookie(&headers, |token| {
        let body = html! {
            main.login {
                h2 { (if vi { "Tạo tài khoản quản trị đầu tiên" } else { "Create the first admin" }) }
                @if let Some(error) = &params.error { p.message.error role="alert" { (error) } }
                form method="post" action=(format!("/setup?lang={}", lang.code())) {
                    input type="hidden" name="csrf" value=(token);
                    input type="hidden" name="token" value=(secret);
                    label { (if vi { "Tên đăng nhập" } else { "User name" }) input name="username" autocomplete="username" required; }
                    label { (if vi { "Họ và tên" } else { "Full name" }) input name="display_name" required; }
                    label { (if vi { "Mật khẩu (ít nhất 10 ký tự)" } else { "Password (at least 10 characters)" }) input type="password" name="password" autocomplete="new-password" required minlength="10"; }
                    button type="submit" { (if vi { "Tạo tài khoản" } else { "Create the account" }) }
                }
            }
        };
        layout(&state, lang, "/setup", None, None, body)
    })
}

pub async fn setup(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<LoginParams>,
    body: Bytes,
) -> Response {
    let lang = Lang::from_query(params.lang.as_deref());
    let form = read_plain_form(&body);
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    if !form_token_matches(&headers, field("csrf")) {
        return web_auth::AccessDenied::BadCsrf.into_response();
    }
    match state.auth.complete_setup(field("token"), field("username"), field("display_name"), field("password")).await {
        Ok(user) => {
            let after = serde_json::json!({ "username": user.username, "role": user.role });
            if let Err(e) = state.auth.audit(None, "user.setup", user.username.to_string(), None, Some(after)).await {
                tracing::error!(error = %e, "the audit log could not record the first admin");
            }
            tracing::info!(user = %user.username, "first admin created through the setup link");
            Redirect::to(&format!("/login?lang={}", lang.code())).into_response()
        }
        Err(AuthError::Invalid(message) | AuthError::Conflict(message)) => {
            let query = serde_urlencoded::to_string([
                ("lang", lang.code()),
                ("token", field("token")),
                ("error", message.as_str()),
            ])
            .unwrap_or_default();
            Redirect::to(&format!("/setup?{query}")).into_response()
        }
        Err(AuthError::NotFound(message)) => (StatusCode::NOT_FOUND, message).into_response(),
        Err(e) => crate::web::ApiError::internal(e).into_response(),
    }
}
