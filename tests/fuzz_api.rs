//! The HTTP API fuzzed from its own OpenAPI description by schemathesis (from PyPI; scripts/test
//! installs it into target/schemathesis and sets XANH_SCHEMATHESIS): thousands of generated
//! requests, valid and invalid, signed in as an admin, checking that nothing answers 500, that
//! answers match the description (status codes, content types, schemas, headers), that invalid
//! input is refused and that credentials are not ignored.
//!
//! What is left out, and why, is in tests/schemathesis.toml.

mod common;

use std::path::Path;
use std::process::Command;

use common::spawn_app;
use xanh::domain::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_survives_fuzzing_from_its_openapi_description() {
    let schemathesis = std::env::var("XANH_SCHEMATHESIS").expect(
        "set XANH_SCHEMATHESIS to schemathesis' `st` command: scripts/test installs it into target/schemathesis",
    );
    let app = spawn_app().await;
    let (token, _) = app.auth.create_token(&app.admin, "fuzz", Role::Admin, None).await.unwrap();
    let seconds = std::env::var("XANH_FUZZ_SECONDS").unwrap_or_else(|_| "40".into());
    let report = Path::new(env!("CARGO_TARGET_TMPDIR")).join("schemathesis");
    let url = app.url("/api/v1/openapi.json");
    std::fs::create_dir_all(&report).unwrap();
    let output = tokio::task::spawn_blocking(move || {
        // Run inside target/, where schemathesis also keeps its cache.
        Command::new(schemathesis)
            .current_dir(&report)
            .arg("--config-file")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis.toml"))
            .args(["run", &url])
            .args(["--max-time", &seconds, "--workers", "2", "--seed", "2026", "--no-color"])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--generation-database", "none", "--report", "junit", "--report-dir"])
            .arg(&report)
            .output()
            .expect("schemathesis runs")
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    println!("{text}");
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (_, doc) = app.get("/api/v1/openapi.json").await;
    // schemathesis leaves out the description's own URL, /api/v1/openapi.json.
    let operations: usize =
        doc["paths"].as_object().unwrap().values().map(|item| item.as_object().unwrap().len()).sum::<usize>() - 1;
    assert!(
        text.contains(&format!("Tested: {operations}")),
        "every one of the {operations} operations was tested:\n{text}"
    );
    // The service is still up and healthy after the storm.
    assert_eq!(app.health().await["store"]["ok"], true);
    app.stop().await;
}
