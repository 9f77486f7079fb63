//! Ingest: the embedded broker, the MQTT client and the path from a raw message to a stored
//! reading. Ingest never writes SQL: it hands [`crate::domain::Incoming`] to the store.

pub mod announce;
pub mod broker;
mod config_in_force;
pub mod formats;
pub mod found;
pub mod import;
pub mod manual;
pub mod mqtt;
mod pem;
mod pipeline;
pub mod reprocess;

pub use config_in_force::ConfigInForce;
pub use pipeline::Pipeline;
