//! The web layer's error: a 4xx says what to send instead; a 500 keeps its detail in the log.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The web layer's error: a 4xx says what to send instead; a 500 keeps its detail in the log.
#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Forbidden(String),
    NotFound(String),
    /// The request is well formed but the state does not allow it (the config changed).
    Conflict(String),
    UnsupportedMediaType(String),
    /// Something the client cannot fix: logged in full here, answered with a plain 500.
    Internal(InternalError),
}

/// What went wrong inside, kept as an error (with its causes) until the response logs it.
#[derive(Debug)]
pub struct InternalError(Box<dyn std::error::Error + Send + Sync>);

impl ApiError {
    pub fn internal(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> ApiError {
        ApiError::Internal(InternalError(error.into()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m),
            ApiError::UnsupportedMediaType(m) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, m),
            ApiError::Internal(InternalError(error)) => {
                let mut detail = error.to_string();
                let mut cause = error.source();
                while let Some(inner) = cause {
                    detail.push_str(&format!(": {inner}"));
                    cause = inner.source();
                }
                tracing::error!(%detail, "internal error while answering a request");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error: the details are in the server's log".to_owned())
            }
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl From<crate::auth::AuthError> for ApiError {
    fn from(e: crate::auth::AuthError) -> Self {
        ApiError::internal(e)
    }
}

impl From<crate::analysis::figures::FigureError> for ApiError {
    fn from(e: crate::analysis::figures::FigureError) -> Self {
        use crate::analysis::figures::FigureError;
        match e {
            FigureError::BadQuery(m) => ApiError::BadRequest(m),
            FigureError::Store(e) => e.into(),
        }
    }
}
