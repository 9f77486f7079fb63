//! The JSON API under /api/v1: the same figures the pages show, one file per resource.

pub mod account;
pub mod alert_recipients;
pub mod alerts;
pub mod audit;
pub mod consumption;
pub mod corrections;
pub mod departments;
pub mod devices;
pub mod documents;
pub mod emission_factors;
pub mod health;
pub mod meetings;
pub mod meters;
pub mod offices;
pub mod openapi;
pub mod plan;
pub mod progress;
pub mod readings;
pub mod rejected;
pub mod report;
pub mod scores;
pub mod staffing;
pub mod supplies;
pub mod supply_prices;
pub mod tariffs;
pub mod waste;
