//! The real binary run as a process of its own, so that a test can kill it.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::binary;

pub struct Service {
    child: Child,
}

impl Service {
    pub fn start(config: &std::path::Path) -> Service {
        let child = Command::new(binary())
            .args(["serve", "--config"])
            .arg(config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("xanh starts");
        Service { child }
    }

    pub fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL: no chance to finish anything
        self.child.wait().unwrap();
    }

    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        // A failed test must not leave the service running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn get(http: &reqwest::Client, url: &str) -> Option<Value> {
    http.get(url).send().await.ok()?.json().await.ok()
}

/// Poll `check` until it holds or `timeout` passes; whether it held.
pub async fn wait_for(timeout: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while !check().await {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}
