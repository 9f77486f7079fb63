//! `xanh check-config`: an operator checks a config before restarting the service. It reads the
//! config and the dashboard pages it names, starts nothing, lists every problem, and says by
//! its exit status whether the config would start.

use std::path::Path;
use std::process::Output;

use crate::common;

/// The shipped config, with its store moved into `dir` and `edits` applied.
fn shipped_config(dir: &Path, edits: &[(&str, &str)]) -> std::path::PathBuf {
    let mut text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml")).unwrap();
    let store = dir.join("data/xanh.db");
    text = text.replacen("path = \"data/xanh.db\"", &format!("path = \"{}\"", store.display()), 1);
    for (from, to) in edits {
        assert!(text.contains(from), "the shipped config has `{from}`");
        text = text.replacen(from, to, 1);
    }
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn check_config(config: &Path) -> Output {
    std::process::Command::new(common::binary())
        .args(["check-config", "--config"])
        .arg(config)
        .env_remove("XANH_CONFIG")
        .output()
        .unwrap()
}

#[test]
fn the_shipped_config_passes_and_nothing_is_started_or_created() {
    let dir = tempfile::tempdir().unwrap();
    let config = shipped_config(dir.path(), &[]);
    let output = check_config(&config);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains(&format!("{}: valid", config.display())), "{stdout}");
    assert!(stdout.contains("Văn phòng UBND tỉnh"), "names the office: {stdout}");
    assert!(stdout.contains("8 departments"), "{stdout}");
    assert!(!dir.path().join("data").exists(), "no store was created");
}

#[test]
fn every_problem_of_the_config_is_listed_with_its_key_and_the_status_is_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = shipped_config(
        dir.path(),
        &[
            ("listen = \"127.0.0.1:8080\"", "listen = \"cổng 8080\""),
            ("timezone = \"Asia/Ho_Chi_Minh\"", "timezone = \"Asia/Sai_Gon\""),
            ("department = \"phong-tong-hop\"", "department = \"phong-khong-co\""),
        ],
    );
    let output = check_config(&config);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let file = config.display().to_string();
    for key in ["web.listen", "office.timezone", "phong-khong-co"] {
        assert!(
            stderr.lines().any(|line| line.starts_with(&format!("{file}: ")) && line.contains(key)),
            "`{key}` is named: {stderr}"
        );
    }
    assert!(stderr.contains("3 problems"), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing claims the config is valid");
}

#[test]
fn a_wrong_dashboard_page_is_found_by_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("pages");
    std::fs::create_dir(&pages).unwrap();
    std::fs::write(
        pages.join("dien.toml"),
        "path = \"/dien\"\ntitle = { vi = \"Điện\", en = \"Electricity\" }\n\n[[panels]]\nchart = \"pie\"\nresource = \"electricity\"\n",
    )
    .unwrap();
    let config = shipped_config(dir.path(), &[("[web]\n", &format!("[web]\ndashboards = \"{}\"\n", pages.display()))]);
    let output = check_config(&config);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}: panels[0].chart: `pie` is not a chart kind", pages.join("dien.toml").display())),
        "{stderr}"
    );
}

#[test]
fn a_missing_config_file_is_a_problem_not_the_built_in_default() {
    let dir = tempfile::tempdir().unwrap();
    let output = check_config(&dir.path().join("khong-co.toml"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("khong-co.toml: (file): cannot be read"), "{stderr}");
}
