//! `xanh check-config` builds the channels as the service does: a CA file that cannot be read
//! and a webhook whose secret is not in the environment are named with the key to fix.

use std::process::Output;

use crate::common::{binary, test_ca_and_certificate};

fn check_config(notify_toml: &str, env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("xanh.toml");
    std::fs::write(&config, format!("[office]\nname = \"Văn phòng thử\"\n\n{notify_toml}")).unwrap();
    let mut command = std::process::Command::new(binary());
    command.args(["check-config", "--config"]).arg(&config).env_remove("XANH_CONFIG");
    command.env_remove("XANH_SMTP_PASSWORD").env_remove("XANH_WEBHOOK_SECRET_ZALO");
    command.envs(env.iter().copied());
    command.output().unwrap()
}

const WEBHOOK: &str = "[[notify.webhook]]\nname = \"zalo\"\nurl = \"https://cau-noi.example.vn/xanh\"\n";

#[test]
fn the_channels_problems_are_listed_and_the_status_is_2() {
    let email =
        "[notify.email]\nhost = \"127.0.0.1\"\nfrom = \"xanh@ubnd-tinh.gov.vn\"\nca_file = \"/khong/co/ca.crt\"\n";
    let output = check_config(&format!("{email}\n{WEBHOOK}"), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("environment variable XANH_WEBHOOK_SECRET_ZALO: is not set"), "{stderr}");

    let output = check_config(&format!("{email}\n{WEBHOOK}"), &[("XANH_WEBHOOK_SECRET_ZALO", "bí mật")]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("xanh.toml: notify.email.ca_file: `/khong/co/ca.crt` cannot be read"), "{stderr}");
}

#[test]
fn configured_channels_are_counted_when_the_config_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let pki = test_ca_and_certificate(dir.path());
    let email = format!(
        "[notify.email]\nhost = \"smtp.ubnd-tinh.gov.vn\"\nusername = \"xanh\"\nfrom = \"xanh@ubnd-tinh.gov.vn\"\nca_file = \"{}\"\n",
        pki.ca.display()
    );
    let output = check_config(
        &format!("{email}\n{WEBHOOK}"),
        &[("XANH_WEBHOOK_SECRET_ZALO", "bí mật"), ("XANH_SMTP_PASSWORD", "mk")],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("2 notification channels"), "{stdout}");
}
