//! Talking to the running app as a person or a script would: a browser-like session with its
//! cookie and form token, a bearer token, and the pieces of an HTML answer.

use std::path::Path;
use std::process::{Command, Stdio};

use super::*;

/// The status of a request, and its body as JSON (or Null).
pub async fn send(request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

/// Every test's HTTP client starts here. Xanh's reqwest is built with rustls and no crypto
/// provider of its own (its webhook client brings ring), so a plain client needs the
/// process-wide one installed first.
pub fn http_client() -> reqwest::ClientBuilder {
    let _already_installed = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// A client that reads redirects instead of following them.
pub fn no_redirects() -> reqwest::Client {
    http_client().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// How many readings the app holds for `meter`.
pub async fn readings_of(app: &TestApp, meter: &str) -> u64 {
    app.meter(meter).await["readings"].as_u64().unwrap()
}

/// A client that sends `Authorization: Bearer <token>` with every request.
pub fn bearer_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    http_client().default_headers(headers).build().unwrap()
}

/// A browser-like session: its cookie, sent by hand, and no redirects followed.
pub struct Session {
    pub(super) base: String,
    pub http: reqwest::Client,
    pub cookie: String,
}

impl Session {
    /// GET a page: its status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let response =
            self.http.get(format!("{}{path}", self.base)).header("cookie", &self.cookie).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// The CSRF token of this session's forms, read from `page`'s HTML.
    pub async fn csrf(&self, page: &str) -> String {
        let (status, html) = self.get(page).await;
        assert_eq!(status, 200, "{page}: {html}");
        hidden_field(&html, "csrf").unwrap_or_else(|| panic!("{page} has no form with a CSRF token"))
    }

    /// Fill in the form at `action` as it stands on `page` (with its CSRF token), send it, and
    /// follow the redirect: the page shown after.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> String {
        let csrf = self.csrf(page).await;
        let mut fields = fields.to_vec();
        fields.push(("csrf", &csrf));
        let (status, location) = self.post_form(action, &fields).await;
        assert_eq!(status, 303, "{action}: {location}");
        let (status, html) = self.get(&location).await;
        assert_eq!(status, 200, "{location}: {html}");
        html
    }

    /// POST a form as the browser would: the status, and the `Location` of a redirect or else
    /// the body.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(fields)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        match response.headers().get("location") {
            Some(location) => (status, location.to_str().unwrap().to_owned()),
            None => (status, response.text().await.unwrap()),
        }
    }
}

/// The value a response sets for cookie `name`.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

/// The value of the first hidden input called `name` in an HTML page.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// Add an admin with the `xanh user` command line, the way an office's IT centre does, and
/// return a client holding an API token made the same way.
pub fn admin_client_by_command_line(config: &Path) -> reqwest::Client {
    use std::io::Write;
    let mut add = Command::new(binary())
        .args(["user", "add", ADMIN, "--admin", "--name", "Quản trị HC-QT", "--config"])
        .arg(config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(add.wait().unwrap().success(), "xanh user add failed");
    let token = Command::new(binary())
        .args(["user", "token", ADMIN, "--name", "tests", "--role", "admin", "--config"])
        .arg(config)
        .output()
        .unwrap();
    assert!(token.status.success(), "xanh user token failed: {}", String::from_utf8_lossy(&token.stderr));
    bearer_client(String::from_utf8(token.stdout).unwrap().trim())
}
