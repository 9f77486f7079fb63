//! The suites that run the app in this process (its HTTP API and pages, the embedded broker,
//! the store), one test binary for them all so that the crate links once. Suites that need a
//! process or a tool of their own (the browser, the API fuzzer, Mosquitto, VictoriaMetrics,
//! `xanh migrate`) stay beside this folder.

#[path = "../common/mod.rs"]
mod common;

mod alert_recipients;
mod alerts;
mod announced_devices;
mod arrival_order;
mod broker_auth;
mod broker_zero_loss;
mod check_config;
mod commit_path;
mod corrections;
mod dashboards;
mod data_quality;
mod documents;
mod electricity_tiers;
mod entry;
mod figures_cache;
mod formats;
mod gaps;
mod grafana;
mod hardening;
mod health;
mod http;
mod ingest;
mod kept_progress;
mod live_meters;
mod meetings;
mod meter_form_language;
mod metrics;
mod offices;
mod plan;
mod printing;
mod reports;
mod retention;
mod retired_pickers;
mod review;
mod scores;
mod security;
mod setup_calendar;
mod setup_departments;
mod setup_emission_factors;
mod setup_meters;
mod setup_staffing;
mod setup_supply_norms;
mod setup_supply_prices;
mod setup_tariffs;
mod slow_clients;
mod start;
mod store_conformance;
mod supplies;
mod supply_scores;
mod supply_targets;
