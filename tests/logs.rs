//! The log as an operator reads it, from the real binary with its standard error going to a
//! pipe, as under systemd or with `2>> xanh.log`: plain lines without colour codes, or one
//! JSON object per line with `[log] format = "json"`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{binary, config_text, embedded_mqtt, free_port, mosquitto_pub};

/// `xanh serve` with this config file, its standard error a pipe read line by line.
fn serve(config: &std::path::Path) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(binary())
        .args(["serve", "--config"])
        .arg(config)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xanh starts");
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, lines_rx)
}

/// Start `xanh serve` with this config, read its log until the dashboard is announced, then
/// stop it; the lines read.
fn log_until_serving(extra_config: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("xanh.toml");
    std::fs::write(&config, config_text(&embedded_mqtt(), &dir.path().join("xanh.db")) + extra_config).unwrap();
    let (mut child, lines_rx) = serve(&config);
    let mut lines = Vec::new();
    while let Ok(line) = lines_rx.recv_timeout(Duration::from_secs(30)) {
        let serving = line.contains("dashboard on http://");
        lines.push(line);
        if serving {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(lines.iter().any(|l| l.contains("dashboard on http://")), "xanh did not start: {lines:#?}");
    lines
}

#[test]
fn a_log_that_is_not_a_terminal_has_no_colour_codes() {
    let lines = log_until_serving("");
    for line in &lines {
        assert!(!line.contains('\u{1b}'), "an escape code in the log: {line:?}");
    }
    assert!(lines.iter().any(|l| l.contains(" INFO ") && l.contains("starting")), "{lines:#?}");
}

#[test]
fn the_json_log_is_one_object_per_line() {
    let lines = log_until_serving("\n[log]\nformat = \"json\"\n");
    for line in &lines {
        let event: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}"));
        assert!(event["timestamp"].is_string() && event["level"].is_string(), "{event}");
    }
    let started = lines.iter().find(|l| l.contains("dashboard on")).unwrap();
    let event: serde_json::Value = serde_json::from_str(started).unwrap();
    assert_eq!(event["level"], "INFO");
    assert!(event["fields"]["message"].as_str().unwrap().starts_with("dashboard on http://127.0.0.1:"), "{event}");
}

#[test]
fn a_bad_announcement_is_logged_once_per_topic() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("xanh.toml");
    let port = free_port();
    let mqtt = format!("embedded = true\nlisten = \"127.0.0.1:{port}\"");
    std::fs::write(&config, config_text(&mqtt, &dir.path().join("xanh.db"))).unwrap();
    let (mut child, lines_rx) = serve(&config);
    while let Ok(line) = lines_rx.recv_timeout(Duration::from_secs(30)) {
        if line.contains("dashboard on http://") {
            break;
        }
    }
    // A device that keeps sending the same broken config, and another broken one. The broker
    // acknowledges each only after Xanh has read it.
    for _ in 0..3 {
        mosquitto_pub(port, "homeassistant/sensor/hong/config", "{\"state_topic\": ");
    }
    mosquitto_pub(port, "zigbee2mqtt/bridge/devices", "{\"devices\": []}");
    let mut lines = Vec::new();
    while let Ok(line) = lines_rx.recv_timeout(Duration::from_secs(2)) {
        lines.push(line);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let logged = |topic: &str| {
        lines.iter().filter(|l| l.contains("announcement that cannot be read") && l.contains(topic)).count()
    };
    assert_eq!(logged("homeassistant/sensor/hong/config"), 1, "{lines:#?}");
    assert_eq!(logged("zigbee2mqtt/bridge/devices"), 1, "{lines:#?}");
    assert!(lines.iter().any(|l| l.contains(" WARN ") && l.contains("not JSON")), "{lines:#?}");
}
