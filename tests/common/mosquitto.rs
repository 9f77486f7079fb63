//! A real Mosquitto on a free port, and Debian's mosquitto_pub as a device would use it.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::*;

/// A real Mosquitto on a free port, with the limits Xanh needs raised; killed on drop.
pub struct Mosquitto {
    pub port: u16,
    /// Its TLS listener, when started with one.
    pub tls_port: Option<u16>,
    child: Child,
    conf: std::path::PathBuf,
    _dir: TempDir,
}

impl Mosquitto {
    pub fn start() -> Mosquitto {
        Mosquitto::launch(tempfile::tempdir().unwrap(), "allow_anonymous true\n")
    }

    /// Mosquitto with these users (made with the real `mosquitto_passwd`) and this ACL file
    /// text, as the README describes; no anonymous clients.
    pub fn start_secured(users: &[(&str, &str)], acl: &str) -> Mosquitto {
        Mosquitto::start_secured_with(users, acl, "")
    }

    /// As [`Mosquitto::start_secured`], with a TLS listener serving `pki`'s certificate.
    pub fn start_secured_tls(users: &[(&str, &str)], acl: &str, pki: &TestPki) -> Mosquitto {
        Mosquitto::start_secured_tls_with(users, acl, pki, "")
    }

    /// As [`Mosquitto::start_secured_tls`], with more settings for the TLS listener
    /// (`require_certificate true`).
    pub fn start_secured_tls_with(
        users: &[(&str, &str)],
        acl: &str,
        pki: &TestPki,
        listener_settings: &str,
    ) -> Mosquitto {
        let tls_port = free_port();
        // Started as root, Mosquitto drops to its own user, which cannot read the test's
        // private key: it stays the user running the tests instead.
        let me = Command::new("id").arg("-un").output().expect("id runs").stdout;
        let listener = format!(
            "user {}\nlistener {tls_port} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n{listener_settings}\n",
            String::from_utf8_lossy(&me).trim(),
            pki.ca.display(),
            pki.cert.display(),
            pki.key.display()
        );
        let mut broker = Mosquitto::start_secured_with(users, acl, &listener);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", tls_port)).is_err() {
            assert!(Instant::now() < deadline, "mosquitto did not listen on {tls_port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        broker.tls_port = Some(tls_port);
        broker
    }

    fn start_secured_with(users: &[(&str, &str)], acl: &str, more: &str) -> Mosquitto {
        let dir = tempfile::tempdir().unwrap();
        let passwords = dir.path().join("passwords");
        for (user, password) in users {
            let status = Command::new("mosquitto_passwd")
                .arg("-b")
                .args(if passwords.exists() { vec![] } else { vec!["-c"] })
                .arg(&passwords)
                .args([user, password])
                .status()
                .expect("mosquitto_passwd is installed (package mosquitto)");
            assert!(status.success(), "mosquitto_passwd failed for {user}");
        }
        let acl_file = dir.path().join("acl");
        std::fs::write(&acl_file, acl).unwrap();
        let security = format!(
            "allow_anonymous false\npassword_file {}\nacl_file {}\n{more}",
            passwords.display(),
            acl_file.display()
        );
        Mosquitto::launch(dir, &security)
    }

    fn launch(dir: TempDir, security: &str) -> Mosquitto {
        let port = free_port();
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\n{security}persistence false\n\
                 max_inflight_messages 1000\nmax_queued_messages 1000000\nmax_queued_bytes 0\n"
            ),
        )
        .unwrap();
        let child = Mosquitto::spawn(&conf, port);
        Mosquitto { port, tls_port: None, child, conf, _dir: dir }
    }

    /// A Mosquitto run from this config text as given; `port` is its listener's.
    pub fn start_from(conf_text: &str, port: u16, dir: TempDir) -> Mosquitto {
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(&conf, conf_text).unwrap();
        let child = Mosquitto::spawn(&conf, port);
        Mosquitto { port, tls_port: None, child, conf, _dir: dir }
    }

    /// Kill it and start it again on the same port: without persistence, the sessions it kept
    /// (and their queued messages) are gone.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = Mosquitto::spawn(&self.conf, self.port);
    }

    fn spawn(conf: &Path, port: u16) -> Child {
        let binary = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("mosquitto is installed (scripts/test installs it)");
        let child = Command::new(binary)
            .arg("-c")
            .arg(conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "mosquitto did not listen on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        child
    }

    pub fn broker(&self) -> (String, u16) {
        ("127.0.0.1".to_owned(), self.port)
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run `mosquitto_pub` (the real command-line client) once.
pub fn mosquitto_pub(port: u16, topic: &str, payload: &str) {
    let status = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q", "1", "-t", topic, "-m", payload])
        .status()
        .expect("mosquitto_pub is installed (scripts/test installs mosquitto-clients)");
    assert!(status.success(), "mosquitto_pub failed for {topic}");
}

/// `mosquitto_pub` once with the retain flag, the payload read from its standard input (a
/// large one does not fit on a command line); an empty payload clears the retained message.
pub fn mosquitto_pub_retained(port: u16, topic: &str, payload: &[u8]) {
    let mut command = Command::new("mosquitto_pub");
    command.args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q", "1", "-r", "-t", topic]);
    if payload.is_empty() {
        command.arg("-n");
    } else {
        command.arg("-s");
    }
    let mut child = command
        .stdin(Stdio::piped())
        .spawn()
        .expect("mosquitto_pub is installed (scripts/test installs mosquitto-clients)");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), payload).unwrap();
    assert!(child.wait().unwrap().success(), "mosquitto_pub -r failed for {topic}");
}

/// `mosquitto_pub` over TLS to `host`, trusting `ca`, logged in as `user`; whether the
/// broker took it.
pub fn mosquitto_pub_tls(host: &str, port: u16, ca: &Path, user: (&str, &str), topic: &str, payload: &str) -> bool {
    Command::new("mosquitto_pub")
        .args(["-h", host, "-p", &port.to_string(), "-q", "1", "-t", topic, "-m", payload])
        .args(["-u", user.0, "-P", user.1, "--cafile"])
        .arg(ca)
        .stderr(Stdio::null())
        .status()
        .expect("mosquitto_pub is installed (scripts/test installs mosquitto-clients)")
        .success()
}
