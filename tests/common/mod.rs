//! Test helpers, one file a kind: the app, MQTT publishing, certificates, Mosquitto,
//! VictoriaMetrics, SMTP and webhook servers, web sessions and the browser.
#![allow(dead_code)] // each test binary uses its own subset of these helpers

mod app;
pub mod browser;
mod mosquitto;
mod mqtt;
mod notify;
mod pki;
mod service;
mod victoria;
mod web;

// Re-exported so that tests say `common::spawn_app`; each binary uses some of them.
#[allow(unused_imports)]
pub use app::*;
#[allow(unused_imports)]
pub use mosquitto::*;
#[allow(unused_imports)]
pub use mqtt::*;
#[allow(unused_imports)]
pub use notify::*;
#[allow(unused_imports)]
pub use pki::*;
#[allow(unused_imports)]
pub use service::*;
#[allow(unused_imports)]
pub use victoria::*;
#[allow(unused_imports)]
pub use web::*;

use std::net::TcpListener;
use std::path::PathBuf;

use serde_json::Value;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_xanh"))
}

/// What `xanh config export` prints for the config file `file` (and the store it names),
/// failing the test if the command fails.
pub fn config_export(file: &std::path::Path) -> String {
    let output = std::process::Command::new(binary())
        .args(["config", "export", "--config"])
        .arg(file)
        .env_remove("XANH_CONFIG")
        .output()
        .unwrap();
    let exported = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(output.status.success(), "{exported}{}", String::from_utf8_lossy(&output.stderr));
    exported
}

pub fn approx(actual: &Value, expected: f64) {
    let actual = actual.as_f64().unwrap_or_else(|| panic!("{actual} is not a number"));
    assert!((actual - expected).abs() < 1e-6, "expected {expected}, got {actual}");
}
