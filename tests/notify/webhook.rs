//! Webhooks: an office's bridge receives the event as JSON, checks the signature with the
//! secret both sides know and the timestamp; a receiver that fails (5xx) or is slow is tried
//! again later, one that refuses (4xx) or redirects is given up.

use std::time::{Duration, Instant};

use axum::http::{HeaderMap, header};
use xanh::notify::{Address, Notification, SendError};

use super::{channel_for, channels};
use crate::common::{free_port, signature_is_valid, webhook_receiver};

const SECRET: &str = "bí-mật-của-cầu-nối-zalo";

/// A webhook per path of the receiver, named as the path, all with one secret; timeout 1 s.
fn webhooks(port: u16, paths: &[&str]) -> Vec<Box<dyn xanh::notify::Channel>> {
    let toml: String = paths
        .iter()
        .map(|p| {
            format!(
                "[[notify.webhook]]\nname = \"{p}\"\nurl = \"http://127.0.0.1:{port}/{p}\"\ntimeout_seconds = 1\n\n"
            )
        })
        .collect();
    let variables: Vec<String> = paths.iter().map(|p| xanh::config::webhook_secret_variable(p)).collect();
    let env: Vec<(&str, &str)> = variables.iter().map(|v| (v.as_str(), SECRET)).collect();
    channels(&toml, &env)
}

fn alert_for(webhook: &str) -> Notification {
    Notification {
        to: Address::Webhook(webhook.into()),
        subject: "Rò rỉ nước ban đêm — Phòng Kế toán".into(),
        text: "Đồng hồ nước phòng Kế toán chảy suốt đêm.".into(),
        event: serde_json::json!({
            "type": "alert.raised",
            "rule": "night_leak",
            "meter": "nuoc-ke-toan",
            "message": "Rò rỉ nước ban đêm: đã mất khoảng 1.536 lít (≈ 24.576 đồng)",
            "litres_lost": 1536.0,
        }),
        attachments: Vec::new(),
    }
}

#[tokio::test]
async fn the_receiver_gets_the_event_as_json_signed_with_the_shared_secret_and_a_fresh_timestamp() {
    let (port, received) = webhook_receiver().await;
    let channels = webhooks(port, &["ok"]);
    let alert = alert_for("ok");

    channel_for(&channels, &alert.to).send(&alert).await.unwrap();

    let (headers, body) = received.lock().unwrap().pop().expect("the receiver got the message");
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let event: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event, alert.event, "the body is the event, Vietnamese as written");
    let timestamp = headers["x-xanh-timestamp"].to_str().unwrap();
    let age = jiff::Timestamp::now().as_second() - timestamp.parse::<i64>().unwrap();
    assert!((0..60).contains(&age), "the timestamp is the time of sending ({age} s ago)");
    let signature = headers["x-xanh-signature"].to_str().unwrap();
    assert!(signature_is_valid(SECRET, timestamp, &body, signature), "the signature checks with the secret");
    assert!(!signature_is_valid("another secret", timestamp, &body, signature), "and only with it");
    let replayed_at = (timestamp.parse::<i64>().unwrap() + 3600).to_string();
    assert!(!signature_is_valid(SECRET, &replayed_at, &body, signature), "a new timestamp breaks the signature");
}

#[tokio::test]
async fn a_failing_receiver_is_tried_later_and_a_refusing_one_given_up() {
    let (port, _) = webhook_receiver().await;
    let channels = webhooks(port, &["fail", "bad"]);

    let error = channel_for(&channels, &Address::Webhook("fail".into())).send(&alert_for("fail")).await.unwrap_err();
    assert!(matches!(error, SendError::Retryable(ref m) if m.contains("500")), "{error:?}");
    let error = channel_for(&channels, &Address::Webhook("bad".into())).send(&alert_for("bad")).await.unwrap_err();
    assert!(matches!(error, SendError::Permanent(ref m) if m.contains("400")), "{error:?}");
}

#[tokio::test]
async fn a_slow_receiver_times_out_and_is_tried_later() {
    let (port, _) = webhook_receiver().await;
    let channels = webhooks(port, &["slow"]);
    let started = Instant::now();

    let error = channel_for(&channels, &Address::Webhook("slow".into())).send(&alert_for("slow")).await.unwrap_err();

    assert!(matches!(error, SendError::Retryable(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(4), "gave up at its 1 s timeout, not the receiver's 5 s");
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let (port, received) = webhook_receiver().await;
    let channels = webhooks(port, &["moved"]);

    let error = channel_for(&channels, &Address::Webhook("moved".into())).send(&alert_for("moved")).await.unwrap_err();

    assert!(matches!(error, SendError::Permanent(ref m) if m.contains("302")), "{error:?}");
    assert!(received.lock().unwrap().is_empty(), "the signed body did not travel to where the redirect pointed");
}

#[tokio::test]
async fn a_receiver_that_is_down_is_tried_later_and_each_webhook_takes_its_own_name_only() {
    let port = free_port();
    let channels = webhooks(port, &["ok", "bad"]);
    assert_eq!(channels.len(), 2);
    assert!(
        !channels[0].accepts(&Address::Webhook("bad".into())) && channels[0].accepts(&Address::Webhook("ok".into()))
    );
    assert!(!channels.iter().any(|c| c.accepts(&Address::Email("hc-qt@ubnd-tinh.gov.vn".into()))));

    let error = channel_for(&channels, &Address::Webhook("ok".into())).send(&alert_for("ok")).await.unwrap_err();

    assert!(matches!(error, SendError::Retryable(_)), "{error:?}");
}

/// The Python check docs/notifications.md gives receivers, run on what a receiver got.
fn documented_check(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/notifications.md")).unwrap();
    let start = docs.find("```python\n").expect("the docs give a Python check") + "```python\n".len();
    let verify = &docs[start..start + docs[start..].find("```").unwrap()];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("body"), body).unwrap();
    let names = ["X-Xanh-Timestamp", "X-Xanh-Signature"];
    let headers: serde_json::Map<String, serde_json::Value> =
        names.iter().map(|n| (n.to_string(), headers[*n].to_str().unwrap().into())).collect();
    std::fs::write(dir.path().join("headers"), serde_json::to_vec(&headers).unwrap()).unwrap();
    let script = format!(
        "{verify}\nimport json, sys\nprint(verify(sys.argv[3].encode(), json.load(open(sys.argv[2])), open(sys.argv[1], 'rb').read()))\n"
    );
    let output = std::process::Command::new("/usr/bin/python3")
        .args(["-c", &script])
        .arg(dir.path().join("body"))
        .arg(dir.path().join("headers"))
        .arg(secret)
        .output()
        .unwrap();
    let answer = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{answer}{}", String::from_utf8_lossy(&output.stderr));
    answer.trim() == "True"
}

#[tokio::test]
async fn the_python_check_in_the_docs_accepts_a_real_message_and_only_with_the_secret() {
    let (port, received) = webhook_receiver().await;
    let channels = webhooks(port, &["ok"]);
    let alert = alert_for("ok");

    channel_for(&channels, &alert.to).send(&alert).await.unwrap();

    let (headers, body) = received.lock().unwrap().pop().expect("the receiver got the message");
    assert!(documented_check(SECRET, &headers, &body), "the documented check accepts Xanh's signature");
    assert!(!documented_check("another secret", &headers, &body), "and refuses it with another secret");
    let mut tampered = body.to_vec();
    tampered.extend_from_slice(b" ");
    assert!(!documented_check(SECRET, &headers, &tampered), "and refuses a changed body");
}
