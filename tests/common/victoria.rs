//! A real VictoriaMetrics, the server that takes InfluxDB's write API in these tests.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use super::*;

/// A real VictoriaMetrics (Debian package `victoria-metrics`), which takes InfluxDB's
/// `/api/v2/write`, on a free loopback port with its own storage; killed on drop. It may be
/// stopped and started again on the same port and storage, for outages.
pub struct VictoriaMetrics {
    pub port: u16,
    child: Option<Child>,
    dir: TempDir,
}

impl VictoriaMetrics {
    pub fn start() -> VictoriaMetrics {
        let mut vm = VictoriaMetrics::not_started();
        vm.resume();
        vm
    }

    /// Its port chosen but nothing listening yet: InfluxDB is down from the start.
    pub fn not_started() -> VictoriaMetrics {
        VictoriaMetrics { port: free_port(), child: None, dir: tempfile::tempdir().unwrap() }
    }

    /// Start it (again) and wait until it answers.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "VictoriaMetrics is already running");
        let binary = "/usr/bin/victoria-metrics";
        assert!(Path::new(binary).exists(), "victoria-metrics is installed (scripts/test installs it)");
        let child = Command::new(binary)
            .arg(format!("-httpListenAddr=127.0.0.1:{}", self.port))
            .arg(format!("-storageDataPath={}", self.dir.path().join("data").display()))
            .arg("-retentionPeriod=100y")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("victoria-metrics starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if http_get_status(self.port, "/health") == Some(200) {
                return;
            }
            assert!(Instant::now() < deadline, "VictoriaMetrics did not answer on {}", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kill it: InfluxDB is down.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every series matching `selector` (`{__name__="reading_value"}`) as VictoriaMetrics
    /// exports it: `{"metric": {labels}, "values": [...], "timestamps": [...]}`, raw samples
    /// in the order they were written.
    pub async fn export(&self, selector: &str) -> Vec<Value> {
        let response = http_client()
            .build()
            .unwrap()
            .post(format!("{}/api/v1/export", self.url()))
            .form(&[("match[]", selector)])
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "export: {}", response.status());
        let text = response.text().await.unwrap();
        text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

impl Drop for VictoriaMetrics {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The status of a plain HTTP GET to 127.0.0.1:`port`, or `None` if nothing answers.
fn http_get_status(port: u16, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}
