//! Xanh: a green-office monitor. Readings of electricity, water and paper meters arrive over
//! MQTT (or by hand), are stored as time series, and are shown against the office's saving
//! targets.
//!
//! The modules follow the data: [`ingest`] turns messages into readings, [`store`] keeps
//! them, [`analysis`] turns them into figures, [`web`] shows the figures. [`app`] wires them
//! together for `main` and the tests alike.

pub mod alerts;
pub mod analysis;
pub mod app;
pub mod auth;
pub mod charts;
pub mod cli;
pub mod config;
pub mod domain;
pub mod export;
pub mod ingest;
pub mod locale;
pub mod notify;
pub mod reports;
pub mod simulate;
pub mod store;
pub mod web;
