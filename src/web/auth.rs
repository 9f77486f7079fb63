//! Who is asking, and what their route lets them do. A request carries either a session cookie
//! (a person in a browser) or `Authorization: Bearer <token>` (a script or gateway). Handlers
//! take one of the extractors below, so a handler that changes data cannot be written without
//! naming the role it needs:
//! - [`Viewer`]: anyone signed in (every role reads everything);
//! - [`Writer`]: a reporter or an admin, who may enter and correct only the meters
//!   [`Principal::may_write`] allows;
//! - [`Admin`]: HC-QT, for approvals, the plan and the audit log (a token limited to some
//!   meters is never one: it is limited in everything);
//! - [`AccountAdmin`]: HC-QT signed in as a person, for users and tokens (never a token).
//!
//! Every change made with a session cookie carries the session's CSRF token, so another site
//! cannot make it with the user's cookie: forms in their `csrf` field ([`CsrfForm`]), API
//! requests in the `X-CSRF-Token` header (checked here for every such request, with a body or
//! not). Requests with an API token carry no cookie and need none.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

use std::sync::Arc;

use super::AppState;
use crate::auth::{AuthError, Principal, Via};
use crate::domain::{Meter, Role};
use crate::store::Store;

pub const SESSION_COOKIE: &str = "xanh_session";
/// The header that carries a session's CSRF token on API requests that change something.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The login and setup forms' CSRF token, before there is a session (double-submit cookie).
pub const FORM_COOKIE: &str = "xanh_form";

/// Anyone signed in.
pub struct Viewer(pub Principal);

/// A reporter or an admin: may enter and correct readings, each meter checked with
/// [`Writer::check_meter`]. Only this module makes one, from a request's credentials.
pub struct Writer(Principal);

/// An admin (HC-QT). Only this module makes one, from a request's credentials.
pub struct Admin(Principal);

/// An admin signed in with a session: only a person manages users and tokens, so a leaked
/// token can never mint another one or add a user.
pub struct AccountAdmin(Principal);

impl AccountAdmin {
    pub fn principal(&self) -> &Principal {
        &self.0
    }
}

impl Writer {
    pub fn principal(&self) -> &Principal {
        &self.0
    }

    /// The store, to change what this writer has been checked for.
    pub fn store<'a>(&self, state: &'a AppState) -> &'a dyn Store {
        state.writes.0.as_ref()
    }
}

impl Admin {
    pub fn principal(&self) -> &Principal {
        &self.0
    }

    /// The store, for an admin's changes (reviews, reprocessing, the plan).
    pub fn store<'a>(&self, state: &'a AppState) -> &'a dyn Store {
        state.writes.0.as_ref()
    }
}

/// The store's writing half in the app's state: its field is private to this module, so a
/// handler reaches it only through a [`Writer`] or an [`Admin`], which only a request with the
/// right credentials yields.
#[derive(Clone)]
pub struct Writes(Arc<dyn Store>);

impl Writes {
    pub fn new(store: Arc<dyn Store>) -> Writes {
        Writes(store)
    }
}

/// The overview page: anyone signed in, or everyone when `web.public_overview` is on.
pub struct OverviewReader(pub Option<Principal>);

impl Writer {
    /// The meter, if this writer may change its readings; otherwise a 403 that names it.
    pub fn check_meter<'m>(&self, meter: &'m Meter) -> Result<&'m Meter, AccessDenied> {
        if self.0.may_write(meter) {
            Ok(meter)
        } else {
            Err(AccessDenied::Forbidden {
                api: true,
                message: format!(
                    "{} may not enter or correct readings of meter `{}`: a reporter writes only the meters of their own departments, a token only its meters",
                    self.0.name(),
                    meter.id
                ),
            })
        }
    }
}

impl Writer {
    /// The department, if this writer may enter its figures; otherwise a 403 that names it.
    pub fn check_department(&self, department: &crate::domain::DepartmentId) -> Result<(), crate::web::ApiError> {
        if self.0.may_write_department(department) {
            Ok(())
        } else {
            Err(crate::web::ApiError::Forbidden(format!(
                "{} may not enter figures for `{department}`: a reporter enters only their own departments'",
                self.0.name()
            )))
        }
    }
}

/// Why a request was refused.
#[derive(Debug)]
pub enum AccessDenied {
    /// Nobody is signed in: pages go to the login page, the API answers 401.
    Unauthenticated {
        api: bool,
        path_and_query: String,
    },
    Forbidden {
        api: bool,
        message: String,
    },
    /// A form without this session's CSRF token.
    BadCsrf,
    Internal(String),
}

impl IntoResponse for AccessDenied {
    fn into_response(self) -> Response {
        match self {
            AccessDenied::Unauthenticated { api: true, .. } => (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                Json(json!({ "error": "sign in first: send Authorization: Bearer <API token> (an admin creates tokens on /admin/tokens)" })),
            )
                .into_response(),
            AccessDenied::Unauthenticated { api: false, path_and_query } => {
                let next: String = form_urlencoded_component(&path_and_query);
                Redirect::to(&format!("/login?next={next}")).into_response()
            }
            AccessDenied::Forbidden { api: true, message } => (StatusCode::FORBIDDEN, Json(json!({ "error": message }))).into_response(),
            AccessDenied::Forbidden { api: false, message } => (
                StatusCode::FORBIDDEN,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!("Không có quyền — Forbidden\n\n{message}\n"),
            )
                .into_response(),
            AccessDenied::BadCsrf => (
                StatusCode::FORBIDDEN,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "Biểu mẫu đã hết hạn hoặc không hợp lệ: hãy tải lại trang rồi gửi lại.\nThe form is out of date or not from this site: reload the page and send it again.\n",
            )
                .into_response(),
            AccessDenied::Internal(detail) => crate::web::ApiError::internal(detail).into_response(),
        }
    }
}

impl From<AuthError> for AccessDenied {
    fn from(e: AuthError) -> Self {
        AccessDenied::Internal(e.to_string())
    }
}

fn form_urlencoded_component(text: &str) -> String {
    serde_urlencoded::to_string([("", text)]).map(|s| s.trim_start_matches('=').to_owned()).unwrap_or_default()
}

pub fn client_address(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The signed-in principal, looked up once per request and kept in its extensions.
async fn principal(parts: &mut Parts, state: &AppState) -> Result<Option<Principal>, AccessDenied> {
    if let Some(found) = parts.extensions.get::<Option<Principal>>() {
        return Ok(found.clone());
    }
    let address = client_address(parts);
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    let found = match (bearer, cookie(&parts.headers, SESSION_COOKIE)) {
        (Some(token), _) => state.auth.token(&token, address).await?,
        (None, Some(secret)) => state.auth.session(&secret, address).await?,
        (None, None) => None,
    };
    if let Some(Principal { via: Via::Session { csrf, .. }, .. }) = &found
        && is_api(parts)
        && !parts.method.is_safe()
    {
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !crate::auth::secret::same(sent, csrf) {
            return Err(AccessDenied::BadCsrf);
        }
    }
    parts.extensions.insert(found.clone());
    Ok(found)
}

/// Whether the request comes from a program, which is answered 401/403 rather than sent to the
/// login page: the JSON API, and `/metrics` for a scraper.
fn is_api(parts: &Parts) -> bool {
    parts.uri.path().starts_with("/api/") || parts.uri.path() == "/metrics"
}

async fn signed_in(parts: &mut Parts, state: &AppState) -> Result<Principal, AccessDenied> {
    principal(parts, state).await?.ok_or_else(|| AccessDenied::Unauthenticated {
        api: is_api(parts),
        path_and_query: parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".into()),
    })
}

fn require(parts: &Parts, principal: Principal, role: Role, what: &str) -> Result<Principal, AccessDenied> {
    if principal.role() >= role {
        Ok(principal)
    } else {
        Err(AccessDenied::Forbidden {
            api: is_api(parts),
            message: format!("{} ({}) may not {what}: it needs the {role} role", principal.name(), principal.role()),
        })
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AccessDenied;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Viewer(signed_in(parts, state).await?))
    }
}

impl FromRequestParts<AppState> for Writer {
    type Rejection = AccessDenied;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let principal = signed_in(parts, state).await?;
        Ok(Writer(require(parts, principal, Role::Reporter, "enter or correct readings")?))
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = AccessDenied;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let principal = signed_in(parts, state).await?;
        let admin = require(parts, principal, Role::Admin, "do this")?;
        if let Via::Token { meters: Some(_), .. } = &admin.via {
            return Err(AccessDenied::Forbidden {
                api: is_api(parts),
                message: format!(
                    "{} is a token limited to some meters: it may act only on those meters, never as an admin",
                    admin.name()
                ),
            });
        }
        Ok(Admin(admin))
    }
}

impl FromRequestParts<AppState> for AccountAdmin {
    type Rejection = AccessDenied;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let principal = signed_in(parts, state).await?;
        let admin = require(parts, principal, Role::Admin, "manage users and tokens")?;
        if let Via::Token { .. } = &admin.via {
            return Err(AccessDenied::Forbidden {
                api: is_api(parts),
                message: format!(
                    "{} is an API token: users and tokens are managed only by an admin signed in on /login",
                    admin.name()
                ),
            });
        }
        Ok(AccountAdmin(admin))
    }
}

impl FromRequestParts<AppState> for OverviewReader {
    type Rejection = AccessDenied;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if state.config().web_access.public_overview {
            return Ok(OverviewReader(principal(parts, state).await?));
        }
        Ok(OverviewReader(Some(signed_in(parts, state).await?)))
    }
}

impl OverviewReader {
    /// Who reads the dashboard page at `path`: only the overview (`/`) may be read without
    /// signing in, and only when `web.public_overview` is on.
    pub fn for_page(self, path: &str, path_and_query: &str) -> Result<Option<Principal>, AccessDenied> {
        match self.0 {
            Some(principal) => Ok(Some(principal)),
            None if path == "/" => Ok(None),
            None => Err(AccessDenied::Unauthenticated { api: false, path_and_query: path_and_query.to_owned() }),
        }
    }
}

/// A form posted by a signed-in person, checked against their session's CSRF token (field
/// `csrf`) before it is read as `T`. Requests with an API token carry no cookie, so they need
/// no CSRF token.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let principal = signed_in(&mut parts, state).await.map_err(IntoResponse::into_response)?;
        let bytes =
            Bytes::from_request(Request::from_parts(parts, body), state).await.map_err(IntoResponse::into_response)?;
        let mut fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            crate::web::ApiError::BadRequest(format!("the form could not be read: {e}")).into_response()
        })?;
        let sent = fields.iter().position(|(k, _)| k == "csrf").map(|i| fields.remove(i).1);
        if let Via::Session { csrf, .. } = &principal.via
            && !sent.is_some_and(|sent| crate::auth::secret::same(&sent, csrf))
        {
            return Err(AccessDenied::BadCsrf.into_response());
        }
        let rest = serde_urlencoded::to_string(&fields).unwrap_or_default();
        let form = serde_urlencoded::from_str::<T>(&rest).map_err(|e| {
            crate::web::ApiError::BadRequest(format!("the form is missing something: {e}")).into_response()
        })?;
        Ok(CsrfForm(form))
    }
}

/// The CSRF token to put in a signed-in person's forms (empty for a token, which posts none).
pub fn csrf_token(principal: &Principal) -> &str {
    match &principal.via {
        Via::Session { csrf, .. } => csrf,
        Via::Token { .. } => "",
    }
}

/// The login and setup forms' token: the one in the request's cookie if this server issued
/// it, or a new one to set. A token is a random nonce signed with a key this process drew at
/// start, so a client cannot make up its own and must load the page first.
pub fn form_token(headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match cookie(headers, FORM_COOKIE).filter(|t| issued_here(t)) {
        Some(token) => (token, None),
        None => {
            let token = signed_form_token(&crate::auth::secret::random_secret());
            let cookie = format!("{FORM_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
            (token, HeaderValue::from_str(&cookie).ok())
        }
    }
}

/// Whether a login or setup form's `csrf` field matches its cookie, and this server issued it.
pub fn form_token_matches(headers: &HeaderMap, sent: &str) -> bool {
    cookie(headers, FORM_COOKIE)
        .is_some_and(|expected| issued_here(&expected) && crate::auth::secret::same(&expected, sent))
}

fn form_key() -> &'static str {
    static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEY.get_or_init(crate::auth::secret::random_secret)
}

/// A nonce (64 hex digits) followed by its keyed hash.
fn signed_form_token(nonce: &str) -> String {
    format!("{nonce}{}", crate::auth::secret::secret_hash(&format!("{}{nonce}", form_key())))
}

fn issued_here(token: &str) -> bool {
    token.len() == 128 && token.is_ascii() && crate::auth::secret::same(&signed_form_token(&token[..64]), token)
}

/// The session cookie: HttpOnly, SameSite=Strict, and Secure when the request came over
/// HTTPS (as a reverse proxy reports it) or the config asks for it.
pub fn session_cookie(value: &str, max_age_s: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("xanh_session=; Path=/; Max-Age=0"))
}

pub fn came_over_https(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// Security headers on every response: a strict Content-Security-Policy (no inline script, no
/// inline style, nothing from other origins), no framing, no MIME sniffing, and no caching of
/// pages that show office figures.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The fields of a form read without a session (login, setup).
pub fn read_plain_form(bytes: &[u8]) -> HashMap<String, String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes).unwrap_or_default().into_iter().collect()
}
