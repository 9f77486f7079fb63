//! The scheduled report (docs/reports.md): November's report is made on the first working
//! day of December (not on the holiday before it), kept and listed on the Báo cáo page, and
//! e-mailed with its PDF (kept in the outbox as base64) to a real aiosmtpd; a server that is
//! down gets it later, once; a restart makes nothing twice. The office's date comes from a
//! clock the test moves.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use xanh::app::{Application, Clock, Shutdown};
use xanh::config::Config;
use xanh::domain::Role;
use xanh::store::AlertBook;

use crate::common::{SMTP_PASSWORD, SmtpServer, bearer_client, embedded_mqtt, office_config_text};

/// 1 December 2026 is a holiday of this office; the report goes to the office's secretary.
const OFFICE: &str = r#"
[office]
name = "Văn phòng UBND tỉnh"
holidays = ["2026-12-01"]

[[departments]]
id = "phong-a"
name = "Phòng Tổng hợp"
headcount = 10
area_m2 = 100.0

[[meters]]
id = "dien-a"
name = "Điện A"
resource = "electricity"
department = "phong-a"
kind = "counter"
unit = "kWh"

[alerts]
retry_after_s = 1

[reports]
scheduled = true
periods = ["month"]
recipients = ["van.thu@ubnd-tinh.gov.vn"]
"#;

struct Running {
    shutdown: Shutdown,
    task: tokio::task::JoinHandle<()>,
    http: reqwest::Client,
    web: std::net::SocketAddr,
}

impl Running {
    async fn start(text: &str, clock: Clock) -> Running {
        let env = |name: &str| (name == "XANH_SMTP_PASSWORD").then(|| SMTP_PASSWORD.to_owned());
        let config = Config::parse("test.toml", text, &env).unwrap_or_else(|e| panic!("{e}"));
        let app = Application::build_with_clock(config, clock).await.expect("the app starts");
        let auth = app.auth();
        let admin = match auth.users().await.unwrap().into_iter().find(|u| u.username.as_str() == "quan.tri") {
            Some(admin) => admin,
            None => auth.add_user("quan.tri", "Quản trị", Role::Admin, Vec::new(), "mật khẩu thử").await.unwrap(),
        };
        let (token, _) = auth.create_token(&admin, "tests", Role::Admin, None).await.unwrap();
        let (web, shutdown) = (app.web_addr(), app.shutdown_handle());
        let task = tokio::spawn(async move { app.run().await.expect("the app runs") });
        Running { shutdown, task, http: bearer_client(&token), web }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("http://{}{path}", self.web)).send().await.unwrap()
    }

    async fn reports_page(&self) -> String {
        let page = self.get("/reports").await;
        assert_eq!(page.status(), 200);
        page.text().await.unwrap()
    }

    async fn stop(self) {
        self.shutdown.trigger();
        self.task.await.unwrap();
    }
}

/// A clock the test sets to a moment in Hà Nội.
fn clock_at(moment: &Arc<Mutex<Timestamp>>) -> Clock {
    let moment = Arc::clone(moment);
    Arc::new(move || *moment.lock().unwrap())
}

fn hanoi(text: &str) -> Timestamp {
    format!("{text}+07:00[Asia/Ho_Chi_Minh]").parse::<jiff::Zoned>().unwrap().timestamp()
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn novembers_report_is_made_on_the_first_working_day_of_december_kept_listed_and_mailed_once() {
    let mut smtp = SmtpServer::start("starttls");
    smtp.stop();
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}\n{}",
        office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db")),
        smtp.config("starttls")
    );
    let moment = Arc::new(Mutex::new(hanoi("2026-12-01T08:00:00")));
    let app = Running::start(&text, clock_at(&moment)).await;

    // 1 December: a holiday. The schedule looks at once, and makes nothing.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!app.reports_page().await.contains("data-kept"), "nothing is made on the holiday");

    // 2 December: the first working day. November's report is made and listed.
    *moment.lock().unwrap() = hanoi("2026-12-02T07:30:00");
    eventually("November's report is listed", async || app.reports_page().await.contains("data-kept=\"2026-11\""))
        .await;
    let page = app.reports_page().await;
    assert!(page.contains("tháng 11 năm 2026"), "{page}");
    assert!(page.contains("lập ngày 02/12/2026"), "{page}");
    for (link, magic) in [("xanh-bao-cao-2026-11.pdf", &b"%PDF"[..]), ("xanh-bao-cao-2026-11.docx", &b"PK"[..])] {
        assert!(page.contains(&format!("href=\"/reports/kept/{link}\"")), "{page}");
        let file = app.get(&format!("/reports/kept/{link}")).await;
        assert_eq!(file.status(), 200, "{link}");
        assert!(file.bytes().await.unwrap().starts_with(magic), "{link}");
    }

    // The SMTP server is down: the e-mail waits in the outbox with its error.
    let book = AlertBook::open(&dir.path().join("xanh.db")).unwrap();
    eventually("the failed send is kept", async || !book.failures(10).unwrap().is_empty()).await;
    assert_eq!(smtp.received(), 0);
    // Kept as base64 text, not an array of numbers: about 4/3 of the PDF's size.
    let db = rusqlite::Connection::open(dir.path().join("xanh.db")).unwrap();
    let kept: String = db.query_row("SELECT notification FROM alert_outbox", [], |r| r.get(0)).unwrap();
    let queued: serde_json::Value = serde_json::from_str(&kept).unwrap();
    let encoded = queued["attachments"][0]["bytes"].as_str().expect("the PDF is kept as base64 text");
    let pdf_len = app.get("/reports/kept/xanh-bao-cao-2026-11.pdf").await.bytes().await.unwrap().len();
    assert!(encoded.len() <= pdf_len.div_ceil(3) * 4, "{} bytes of base64 for {pdf_len} bytes", encoded.len());
    assert!(kept.len() < pdf_len * 3 / 2, "{} bytes kept for a {pdf_len}-byte PDF", kept.len());

    // It comes back: the e-mail arrives, with the PDF attached.
    smtp.restart();
    eventually("the e-mail is retried and arrives", async || smtp.received() == 1).await;
    eventually("delivered, it is no longer a failure", async || book.failures(10).unwrap().is_empty()).await;
    let message = smtp.message(1);
    assert_eq!(message["rcpt_tos"], serde_json::json!(["van.thu@ubnd-tinh.gov.vn"]));
    let subject = message["subject"].as_str().unwrap();
    assert!(subject.contains("tháng 11 năm 2026") && subject.contains("Văn phòng UBND tỉnh"), "{subject}");
    let attachment = &message["attachments"][0];
    assert_eq!(attachment["file_name"], "xanh-bao-cao-2026-11.pdf");
    assert_eq!(attachment["content_type"], "application/pdf");
    let pdf = smtp.attachment(attachment);
    assert!(pdfinfo_accepts(&pdf), "pdfinfo refuses the PDF that arrived");
    let pdf_text = pdftotext(&pdf);
    assert!(pdf_text.contains("BÁO CÁO"), "{pdf_text}");
    assert!(pdf_text.contains("Kết quả sử dụng tiết kiệm điện, nước, giấy tháng 11 năm 2026"), "{pdf_text}");

    // A restart, the next day: nothing is made or sent twice.
    app.stop().await;
    *moment.lock().unwrap() = hanoi("2026-12-03T07:30:00");
    let app = Running::start(&text, clock_at(&moment)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let page = app.reports_page().await;
    assert_eq!(page.matches("data-kept=").count(), 1, "{page}");
    assert_eq!(smtp.received(), 1, "the e-mail is sent once");
    app.stop().await;
}

fn pdfinfo_accepts(pdf: &[u8]) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdfinfo").arg(&file).output().expect("pdfinfo runs");
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Page size:")
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdftotext").args(["-layout"]).arg(&file).arg("-").output().expect("pdftotext runs");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}
