//! The office's setup in the browser (issue 18), for HC-QT: one file a page group.

mod announced;
mod calendar;
mod departments;
mod devices;
mod electricity_tiers;
mod emission_factors;
mod meters;
mod supply_norms;
mod supply_prices;
mod tariffs;

pub use calendar::{calendar_form, calendar_page};
pub use departments::{add_department_form, change_department_form, departments_page, staffing_form};
pub use devices::{adopt_device_form, devices_page};
pub use electricity_tiers::tiers_form;
pub use emission_factors::{factor_form, factors_page};
pub use meters::{add_meter_form, change_meter_form, meter_page, meters_page, retire_meter_form};
pub use supply_norms::supply_norm_form;
pub use supply_prices::{supply_price_form, supply_prices_page};
pub use tariffs::{tariff_form, tariffs_page};
