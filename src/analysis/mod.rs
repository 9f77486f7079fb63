//! Figures from stored consumption: totals by period, meter selection, series. Pure functions
//! of what the store returns.

pub mod compare;
pub mod consumption;
pub mod documents;
pub mod figures;
pub mod freshness;
pub mod offices;
pub mod period;
pub mod plan;
pub mod progress;
pub mod scores;
pub mod scoring;
pub mod series;
pub mod waste;
pub mod staffing;

pub use freshness::{freshness, Freshness};
pub use period::{PeriodError, Step, TimeRange};
pub use series::{select_meters, Bucket, Series};
