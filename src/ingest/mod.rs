//! Ingest: the embedded broker, the MQTT client and the path from a raw message to a stored
//! reading. Ingest never writes SQL: it hands [`crate::domain::Incoming`] to the store.

pub mod broker;
mod broker_access;
mod broker_tls;
pub mod formats;
pub mod import;
pub mod manual;
pub mod mqtt;
pub mod mqtt_tls;
mod peers;
mod pem;
mod pipeline;
pub mod retry;

pub use pipeline::Pipeline;
