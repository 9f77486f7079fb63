//! `GET /api/v1/openapi.json`: the API described for clients and fuzzers.

use axum::http::header;
use axum::response::IntoResponse;

pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], include_str!("openapi.json"))
}
