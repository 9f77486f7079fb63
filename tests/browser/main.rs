//! The dashboard in a real browser (Debian's chromium through chromedriver): every page of
//! dashboards/ loads against simulated readings, the figures it shows are the API's, every
//! chart renders with its title and its PNG download decodes, nothing overflows a phone's
//! width, and screenshots at desktop and phone sizes are kept in target/screenshots.

#[path = "../common/mod.rs"]
mod common;

mod alerts;
mod announced_devices;
mod audit_log;
mod council;
mod dashboard;
mod demo_office;
mod document_grid;
mod electricity_tiers;
mod new_devices;
mod periods;
mod phone;
mod recipients;
mod setup;
mod setup_calendar;
mod setup_departments;
mod setup_emission_factors;
mod setup_supply_prices;
mod setup_tariffs;
mod supplies;
mod supply_targets;

use std::collections::HashMap;
use std::path::Path;

use common::browser::{A4, Browser, DESKTOP, PHONE, Screen, base64_decode};
use common::{OFFICE, TestApp, embedded_mqtt, office_config_text, publish, spawn_app_from};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde_json::{Value, json};
use xanh::domain::Resource;
use xanh::locale::{self, Lang};
use xanh::simulate::Model;
use xanh::web::{ChartKind, Dashboards};

fn today() -> Date {
    Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap()).date()
}

/// The text of the first element matching `selector`, or panics naming it.
async fn text(browser: &Browser, selector: &str) -> String {
    let found = browser
        .script("const e = document.querySelector(arguments[0]); return e && e.textContent.trim();", json!([selector]))
        .await;
    found.as_str().unwrap_or_else(|| panic!("`{selector}` is not on the page")).to_owned()
}

/// The cells of the CSV row whose department id and criterion are given.
fn csv_row(csv: &str, id: &str, criterion: &str) -> Vec<String> {
    csv.lines()
        .map(|line| line.split(',').map(str::to_owned).collect::<Vec<_>>())
        .find(|cells| {
            cells.get(1).map(String::as_str) == Some(id) && cells.get(3).map(String::as_str) == Some(criterion)
        })
        .unwrap_or_else(|| panic!("no CSV row for {id}, {criterion}: {csv}"))
}

/// The XLSX row of a sheet whose first cell is `name`.
fn xlsx_row(sheet: &calamine::Range<calamine::Data>, name: &str) -> Vec<calamine::Data> {
    sheet
        .rows()
        .find(|row| row.first().is_some_and(|c| c.to_string().starts_with(name)))
        .unwrap_or_else(|| panic!("no row {name}"))
        .to_vec()
}
