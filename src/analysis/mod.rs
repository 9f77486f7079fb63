//! Figures from stored consumption: totals by period, meter selection, series. Pure functions
//! of what the store returns.

pub mod common_area;
pub mod compare;
pub mod documents;
pub mod explain;
pub mod figures;
pub mod freshness;
mod kept_progress;
pub mod meetings;
pub mod offices;
pub mod period_report;
pub mod plan_in_force;
pub mod points;
pub mod progress;
pub mod score_report;
pub mod series;
pub mod staffing;
pub mod supplies;
pub mod supplies_in_force;
pub mod supply_series;
pub mod supply_targets;
pub mod tariff_cost;
pub mod waste;

pub use freshness::{Freshness, freshness};
pub use series::{Bucket, Series, select_meters};
