//! Reading a request's parameters, with errors that say what to send.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::config::Config;
use crate::domain::{AnyResource, MeterId, NamedPeriod, Resource};
use crate::web::ApiError;

/// The query string read as `T`, or a 400 that says what could not be read.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(params)| ApiQuery(params))
            .map_err(|e| ApiError::BadRequest(format!("the query string cannot be read: {}", e.body_text())))
    }
}

/// An optional id parameter: absent or empty is `None`, anything else must be a valid id.
pub(super) fn optional_id<T: std::str::FromStr<Err = crate::domain::InvalidId>>(
    value: Option<String>,
    name: &str,
) -> Result<Option<T>, ApiError> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| v.parse::<T>())
        .transpose()
        .map_err(|e| ApiError::BadRequest(format!("{name}: {e}")))
}

/// The `resource` parameter, which the endpoint needs.
pub(crate) fn resource_param(value: Option<String>, example: &str) -> Result<Resource, ApiError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::BadRequest(format!("`resource` is missing: {example}")))?
        .parse()
        .map_err(|e| ApiError::BadRequest(format!("{e}")))
}

/// The `resource` parameter where a configured resource (stationery, toner, fuel) is answered
/// too.
pub(crate) fn any_resource_param(
    value: Option<String>,
    config: &Config,
    example: &str,
) -> Result<AnyResource, ApiError> {
    let value = value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::BadRequest(format!("`resource` is missing: {example}")))?;
    config.any_resource(&value).map_err(ApiError::BadRequest)
}

/// The `period` parameter: a year, quarter, month or phase.
pub(crate) fn period_param(value: Option<String>, example: &str) -> Result<NamedPeriod, ApiError> {
    let text = value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::BadRequest(format!("`period` is missing: {example}")))?;
    NamedPeriod::parse(&text).map_err(|e| ApiError::BadRequest(e.0))
}

pub fn meter_id(value: &str) -> Result<MeterId, ApiError> {
    value.parse::<MeterId>().map_err(|e| ApiError::BadRequest(format!("meter: {e}")))
}
