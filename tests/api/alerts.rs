//! Alerts raised at the right time, and not raised when nothing is wrong: the demo office's
//! simulator writes time-compressed weeks into a real SQLite store, and the engine is
//! evaluated at the simulated times (every hour, or more often where it matters).

use std::collections::HashMap;
use std::sync::Arc;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use tempfile::TempDir;

use xanh::alerts::Alerts;
use xanh::alerts::dispatch::Dispatcher;
use xanh::config::{BUILT_IN_DEFAULT, Config};
use xanh::domain::period::local_midnight;
use xanh::domain::{AlertRule, Incoming, Meter, MeterId, Origin, RejectReason, Rejection, Source};
use xanh::ingest::formats::RawValue;
use xanh::ingest::mqtt::IngestStatus;
use xanh::ingest::{ConfigInForce, Pipeline};
use xanh::simulate::Model;
use xanh::store::alerts::{AlertRecord, AlertState};
use xanh::store::{self, AlertBook, Store, StoreReads};

/// The demo office, a water price, and `extra` config (an `[alerts]` section).
fn demo_config(dir: &TempDir, extra: &str) -> Config {
    let text = format!(
        "{BUILT_IN_DEFAULT}\n[[tariffs]]\nresource = \"water\"\nfrom = \"2025-01-01\"\nprice_vnd = 15000.0\nper = \"m3\"\n\n{extra}\n"
    );
    let path = dir.path().join("xanh.db").display().to_string();
    // The SMTP password only with a login to use it (Xanh refuses one unused).
    let login = text.contains("\nusername = ");
    let env = move |name: &str| match name {
        "XANH_STORE_PATH" => Some(path.clone()),
        "XANH_SMTP_PASSWORD" if !login => None,
        _ => CHANNEL_SECRETS.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string()),
    };
    Config::parse("demo.toml", &text, &env).unwrap_or_else(|e| panic!("{e}"))
}

/// The webhook's signing secret (its name is "ok", the receiver's path).
const WEBHOOK_SECRET: &str = "bí-mật-của-cầu-nối-zalo";

/// The channels' secrets, as the environment gives them.
const CHANNEL_SECRETS: [(&str, &str); 2] =
    [("XANH_SMTP_PASSWORD", crate::common::SMTP_PASSWORD), ("XANH_WEBHOOK_SECRET_OK", WEBHOOK_SECRET)];

/// A raise or a resolve, when the engine did it.
#[derive(Debug, Clone)]
struct Seen {
    at: Timestamp,
    raised: bool,
    alert: AlertRecord,
}

struct Scenario {
    _dir: TempDir,
    config: Arc<Config>,
    store: Arc<dyn Store>,
    book: Arc<AlertBook>,
    alerts: Alerts,
    pipeline: Pipeline,
    model: Model,
    clock: Timestamp,
    meters: HashMap<MeterId, Meter>,
    seen: Vec<Seen>,
}

fn local(config: &Config, date: &str, hour: i8) -> Timestamp {
    let date: Date = date.parse().unwrap();
    local_midnight(date, &config.office.timezone).unwrap() + SignedDuration::from_hours(i64::from(hour))
}

impl Scenario {
    /// The office at local midnight of `start`, with two weeks of history written before it.
    async fn new(start: &str, extra: &str, demo_leak_from: Option<&str>) -> Scenario {
        let dir = tempfile::tempdir().unwrap();
        let config = Arc::new(demo_config(&dir, extra));
        let store = store::open(&config).unwrap().store;
        xanh::store::Accounts::open(config.store.embedded_path()).unwrap();
        let book = Arc::new(AlertBook::open(config.store.embedded_path()).unwrap());
        // The alerts read the meters this pipeline holds, as in the service: a meter retired
        // in the web app is retired for them too.
        let pipeline = Pipeline::new(&config.meters, config.ingest, config.office.timezone.clone());
        let alerts = Alerts::new(
            ConfigInForce::new(Arc::clone(&config), pipeline.clone()),
            Arc::clone(&store) as Arc<dyn StoreReads>,
            Arc::clone(&book),
            Arc::new(IngestStatus::default()),
            None,
        )
        .unwrap();
        let mut model = Model::new(&config, 7);
        if let Some(leak) = demo_leak_from {
            model = model.demo(leak.parse().unwrap());
        }
        let meters = config.meters.iter().map(|m| (m.id.clone(), m.clone())).collect();
        let clock = local(&config, start, 0) - SignedDuration::from_hours(14 * 24);
        let mut scenario =
            Scenario { _dir: dir, config, store, book, alerts, pipeline, model, clock, meters, seen: Vec::new() };
        scenario.advance_to(local(&scenario.config, start, 0), 15, None, &[]).await;
        scenario
    }

    /// Write the office's readings every `step_min` minutes up to `to`, evaluating at every
    /// whole `evaluate_min` minutes of simulated time. The readings of the meters in `held` are
    /// not written but returned, in order.
    async fn advance_to(
        &mut self,
        to: Timestamp,
        step_min: i64,
        evaluate_min: Option<i64>,
        held: &[&str],
    ) -> Vec<xanh::simulate::SimReading> {
        let step = SignedDuration::from_mins(step_min);
        let mut batch = Vec::new();
        let mut kept = Vec::new();
        while self.clock < to {
            let end = (self.clock + step).min(to);
            for reading in self.model.advance(self.clock, end) {
                if held.contains(&reading.meter.as_str()) {
                    kept.push(reading);
                    continue;
                }
                batch.push(self.incoming(&reading.meter, reading.value, reading.ts, reading.ts));
            }
            self.clock = end;
            if let Some(every) = evaluate_min {
                self.store.write(std::mem::take(&mut batch)).await.unwrap();
                if self.clock.as_second() % (every * 60) == 0 {
                    self.evaluate().await;
                }
            }
        }
        self.store.write(batch).await.unwrap();
        kept
    }

    fn incoming(&self, meter: &MeterId, value: f64, ts: Timestamp, received_at: Timestamp) -> Incoming {
        let origin = Origin { source: Source::Mqtt, received_at, topic: None, payload: Vec::new(), sender: None };
        let raw = RawValue { value, ts: Some(ts), period_start: None };
        self.pipeline.validate(&self.meters[meter], raw, origin)
    }

    async fn evaluate(&mut self) {
        let changes = self.alerts.evaluate(self.clock).await.unwrap();
        let at = self.clock;
        self.seen.extend(changes.raised.into_iter().map(|alert| Seen { at, raised: true, alert }));
        self.seen.extend(changes.resolved.into_iter().map(|alert| Seen { at, raised: false, alert }));
    }

    fn raised(&self, rule: AlertRule) -> Vec<&Seen> {
        self.seen.iter().filter(|s| s.raised && s.alert.rule == rule).collect()
    }

    fn resolved(&self, rule: AlertRule) -> Vec<&Seen> {
        self.seen.iter().filter(|s| !s.raised && s.alert.rule == rule).collect()
    }

    fn local_time(&self, ts: Timestamp) -> String {
        ts.to_zoned(self.config.office.timezone.clone()).strftime("%Y-%m-%d %H:%M").to_string()
    }

    /// The dispatcher with the channels `[notify]` configures, built as the service builds them.
    fn dispatcher(&self) -> Dispatcher {
        let channels =
            xanh::notify::channels(&self.config.notify, &self.config.source).unwrap_or_else(|e| panic!("{e}"));
        Dispatcher::new(Arc::clone(&self.book), channels, self.config.alerts.retry_after)
    }

    fn active(&self) -> Vec<AlertRecord> {
        self.book.list(AlertState::Active, None, None, 1000).unwrap().0
    }
}

#[tokio::test]
async fn a_night_leak_is_raised_the_morning_after_the_first_night_with_litres_lost_and_their_cost() {
    // The demo leak runs 22:00–05:00 from the night of Monday 9 November 2026.
    let mut s = Scenario::new("2026-11-09", "", Some("2026-11-09")).await;
    let end = local(&s.config, "2026-11-11", 12);
    s.advance_to(end, 15, Some(60), &[]).await;

    let leaks = s.raised(AlertRule::NightLeak);
    assert_eq!(leaks.len(), 1, "one alert for the leak, not one a night or a reading: {leaks:#?}");
    let leak = leaks[0];
    assert_eq!(leak.alert.meter.as_deref(), Some("nuoc-toa-nha"));
    assert_eq!(s.local_time(leak.at), "2026-11-10 05:00", "raised as the first whole night ends");
    assert!(leak.alert.message.contains("nước chảy suốt đêm 10/11/2026"), "{}", leak.alert.message);
    assert!(leak.alert.message.contains(" lít") && leak.alert.message.contains(" đồng"), "{}", leak.alert.message);
    // A week-long leak of 400 L/h: after the first night the loss grows, reported on the alert.
    let now = s.active().into_iter().find(|a| a.rule == AlertRule::NightLeak).expect("still active");
    assert_eq!(now.id, leak.alert.id, "the same alert, updated");
    assert!(now.last_value.unwrap() > leak.alert.last_value.unwrap() + 5_000.0, "{now:?} vs {:?}", leak.alert);
    assert!(s.raised(AlertRule::OffHours).iter().all(|r| r.alert.department.is_some()));
}

#[tokio::test]
async fn electricity_left_on_after_hours_is_raised_each_evening_and_resolved_when_work_starts() {
    let mut s = Scenario::new("2026-11-16", "", Some("2030-01-01")).await;
    let wasteful = s.model.wasteful_meter().cloned().unwrap();
    let department = s.config.meter(&wasteful).unwrap().department.clone().unwrap();
    s.advance_to(local(&s.config, "2026-11-18", 12), 15, Some(60), &[]).await;

    let raised = s.raised(AlertRule::OffHours);
    let times: Vec<String> = raised.iter().map(|r| s.local_time(r.at)).collect();
    // Monday's first evaluation finds the weekend's use; then each evening two hours after work.
    assert_eq!(times, ["2026-11-16 01:00", "2026-11-16 19:00", "2026-11-17 19:00"], "{raised:#?}");
    assert!(raised.iter().all(|r| r.alert.department.as_ref() == Some(&department.to_string())));
    assert!(raised[0].alert.message.contains("ngoài giờ làm việc"), "{}", raised[0].alert.message);
    let resolved: Vec<String> = s.resolved(AlertRule::OffHours).iter().map(|r| s.local_time(r.at)).collect();
    assert_eq!(resolved, ["2026-11-16 08:00", "2026-11-17 08:00", "2026-11-18 08:00"]);
    // Left on every night for weeks: that is its usual night, not a rise (off-hours says it).
    assert!(s.raised(AlertRule::NightBaseLoad).is_empty(), "{:#?}", s.raised(AlertRule::NightBaseLoad));
}

#[tokio::test]
async fn a_night_base_load_above_its_usual_level_is_raised_after_that_night_and_resolved_after_a_normal_one() {
    let mut s = Scenario::new("2026-11-16", "", None).await;
    let meter: MeterId = "dien-kinh-te".parse().unwrap();
    s.advance_to(local(&s.config, "2026-11-17", 17), 15, Some(60), &[]).await;
    // From Tuesday evening the department leaves its air conditioning on, for one night.
    s.model.leave_on(&meter, 0.5);
    s.advance_to(local(&s.config, "2026-11-18", 7), 15, Some(60), &[]).await;
    s.model.leave_on(&meter, 0.0);
    s.advance_to(local(&s.config, "2026-11-19", 12), 15, Some(60), &[]).await;

    let raised = s.raised(AlertRule::NightBaseLoad);
    assert_eq!(raised.len(), 1, "{raised:#?}");
    let alert = &raised[0].alert;
    assert_eq!(alert.meter.as_deref(), Some("dien-kinh-te"));
    assert_eq!(s.local_time(raised[0].at), "2026-11-18 05:00", "raised as the night ends");
    assert!(alert.message.contains("điện nền đêm 18/11/2026 là "), "{}", alert.message);
    assert!(
        alert.message.contains("so với mức thường") && alert.message.contains("trung vị 14 đêm trước"),
        "{}",
        alert.message
    );
    let resolved = s.resolved(AlertRule::NightBaseLoad);
    assert_eq!(resolved.iter().map(|r| s.local_time(r.at)).collect::<Vec<_>>(), ["2026-11-19 05:00"]);
}

#[tokio::test]
async fn a_normal_week_and_a_holiday_raise_nothing() {
    // Monday 24 August to Thursday 3 September 2026: a normal week, a weekend, then the
    // National Day holiday (1–2 September).
    let mut s = Scenario::new("2026-08-24", "", None).await;
    s.advance_to(local(&s.config, "2026-09-03", 12), 15, Some(60), &[]).await;
    let data_rules = [
        AlertRule::NightLeak,
        AlertRule::OffHours,
        AlertRule::NightBaseLoad,
        AlertRule::SilentMeter,
        AlertRule::HeldReadings,
    ];
    let raised: Vec<&Seen> = s.seen.iter().filter(|x| data_rules.contains(&x.alert.rule)).collect();
    assert!(raised.is_empty(), "{raised:#?}");
}

#[tokio::test]
async fn a_meter_reporting_hourly_a_little_late_is_not_silent_but_one_that_stops_is_and_comes_back() {
    let mut s = Scenario::new("2026-11-16", "", None).await;
    let hourly: MeterId = "dien-kinh-te".parse().unwrap();
    // From now on it reports once an hour, its messages arriving 90 s after the hour.
    for _ in 0..24 {
        let at = s.clock + SignedDuration::from_hours(1);
        let held = s.advance_to(at, 5, Some(5), &["dien-kinh-te"]).await;
        let last = held.last().unwrap();
        let late = s.incoming(&hourly, last.value, last.ts, last.ts + SignedDuration::from_secs(90));
        s.store.write(vec![late]).await.unwrap();
    }
    assert!(s.raised(AlertRule::SilentMeter).is_empty(), "{:#?}", s.raised(AlertRule::SilentMeter));

    // Then it stops: silent after one and a half hours, and back when it reports again.
    let stop = s.clock;
    s.advance_to(stop + SignedDuration::from_hours(3), 5, Some(5), &["dien-kinh-te"]).await;
    let silent = s.raised(AlertRule::SilentMeter);
    assert_eq!(silent.len(), 1, "{silent:#?}");
    assert_eq!(silent[0].alert.meter.as_deref(), Some("dien-kinh-te"));
    let late = silent[0].at.duration_since(stop);
    assert!(late > SignedDuration::from_mins(85) && late <= SignedDuration::from_mins(95), "raised {late:?} after");
    assert!(silent[0].alert.message.contains("không gửi số liệu từ"), "{}", silent[0].alert.message);
    s.advance_to(s.clock + SignedDuration::from_mins(30), 5, Some(5), &[]).await;
    assert_eq!(s.resolved(AlertRule::SilentMeter).len(), 1, "back again");
}

#[tokio::test]
async fn a_meter_retired_in_the_web_app_is_not_reported_silent() {
    let mut s = Scenario::new("2026-11-16", "", None).await;
    // It stops reporting, and HC-QT retires it from the moment it stopped.
    let stop = s.clock;
    let retired = HashMap::from([("dien-kinh-te".parse::<MeterId>().unwrap(), stop)]);
    let meters: Vec<Meter> = s.config.meters.clone();
    s.pipeline.set_meters(&meters, retired);
    s.advance_to(stop + SignedDuration::from_hours(6), 15, Some(15), &["dien-kinh-te"]).await;
    let silent = s.raised(AlertRule::SilentMeter);
    assert!(silent.is_empty(), "a retired meter is expected to be silent: {silent:#?}");

    // The same silence from a meter still in use is an alert.
    let stop = s.clock;
    s.advance_to(stop + SignedDuration::from_hours(6), 15, Some(15), &["dien-tong-hop"]).await;
    let silent = s.raised(AlertRule::SilentMeter);
    assert_eq!(silent.iter().map(|a| a.alert.meter.as_deref()).collect::<Vec<_>>(), [Some("dien-tong-hop")]);
}

const RECIPIENTS: &str = r#"
[[alerts.recipients]]
name = "Phòng Hành chính – Quản trị"
role = "hc_qt"
email = "hcqt@ubnd.example.gov.vn"

[[alerts.recipients]]
name = "Trưởng phòng Kinh tế"
role = "department_head"
department = "phong-kinh-te"
email = "truongphong.kinhte@ubnd.example.gov.vn"
"#;

#[tokio::test]
async fn a_network_cut_silencing_every_meter_gives_one_message_per_recipient_not_hundreds() {
    let smtp = crate::common::SmtpServer::start("starttls");
    let mut s = Scenario::new("2026-11-16", &(smtp.config("starttls") + RECIPIENTS), None).await;
    let dispatcher = s.dispatcher();
    s.advance_to(local(&s.config, "2026-11-16", 9), 15, Some(15), &[]).await;
    dispatcher.send_due(s.clock).await.unwrap();
    let before = s.book.due(s.clock, 1000).unwrap().len();
    let mailed = smtp.received();
    let all: Vec<String> = s.config.meters.iter().map(|m| m.id.to_string()).collect();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    s.advance_to(local(&s.config, "2026-11-16", 12), 15, Some(15), &all).await;
    let silent = s.raised(AlertRule::SilentMeter);
    let counters = s.config.meters.iter().filter(|m| m.expected_interval.is_some()).count();
    assert_eq!(silent.len(), counters, "every meter that should report is silent");

    let queued = s.book.due(s.clock, 1000).unwrap();
    let new: Vec<_> = queued.iter().skip(before).collect();
    assert_eq!(new.len(), 2, "one message each: {new:#?}");
    let to_hcqt = new.iter().find(|q| q.recipient.contains("hcqt@")).unwrap();
    let subject = to_hcqt.notification["subject"].as_str().unwrap();
    assert!(subject.contains(&format!("{counters} cảnh báo mới")), "{subject}");
    let to_head = new.iter().find(|q| q.recipient.contains("truongphong.kinhte@")).unwrap();
    let raised = to_head.notification["event"]["raised"].as_array().unwrap();
    assert!(!raised.is_empty() && raised.iter().all(|a| a["department"] == "phong-kinh-te"), "{raised:#?}");

    // Through the real mail server: one grouped e-mail each, in Vietnamese.
    dispatcher.send_due(s.clock).await.unwrap();
    let mail = smtp.messages().split_off(mailed);
    assert_eq!(mail.len(), 2, "{mail:#?}");
    let to_hcqt = mail.iter().find(|m| m["rcpt_tos"][0].as_str().unwrap().starts_with("hcqt@")).unwrap();
    let subject = to_hcqt["subject"].as_str().unwrap();
    assert!(
        subject.starts_with(&format!("[Xanh] {counters} cảnh báo mới (Công tơ mất tín hiệu × {counters}")),
        "{subject}"
    );
    assert_eq!(to_hcqt["text"].as_str().unwrap().matches("không gửi số liệu từ").count(), counters);

    // The network comes back: the alerts resolve, again one message each.
    s.advance_to(local(&s.config, "2026-11-16", 13), 15, Some(15), &[]).await;
    assert_eq!(s.resolved(AlertRule::SilentMeter).len(), counters);
    assert_eq!(s.book.due(s.clock, 1000).unwrap().len(), before + 2, "the two sent, two more queued");
}

#[tokio::test]
async fn readings_held_for_review_more_than_a_day_and_rejected_input_piling_up_are_raised() {
    let mut s = Scenario::new("2026-11-16", "", None).await;
    let typo = s.model.typo(s.clock).unwrap();
    let held = s.incoming(&typo.meter, typo.value, typo.ts, typo.ts);
    let report = s.store.write(vec![held]).await.unwrap();
    assert_eq!(report.rejected, 1, "the typo is held for review");
    s.advance_to(s.clock + SignedDuration::from_hours(23), 15, Some(60), &[]).await;
    assert!(s.raised(AlertRule::HeldReadings).is_empty(), "not before a day");
    s.advance_to(s.clock + SignedDuration::from_hours(2), 15, Some(60), &[]).await;
    let raised = s.raised(AlertRule::HeldReadings);
    assert_eq!(raised.len(), 1);
    assert!(raised[0].alert.message.starts_with("1 số liệu chờ xem xét quá 24 giờ"), "{}", raised[0].alert.message);

    // A device publishing on a topic no meter has: 19 in an hour is noise, the 20th an alert.
    let rejected = |n: usize, at: Timestamp| -> Vec<Incoming> {
        (0..n)
            .map(|i| {
                Incoming::Rejected(Rejection {
                    origin: Origin {
                        source: Source::Mqtt,
                        received_at: at + SignedDuration::from_secs(i as i64),
                        topic: Some("xanh/toa-nha/dien-moi".into()),
                        payload: b"{\"value\": 1}".to_vec(),
                        sender: None,
                    },
                    meter: None,
                    reason: RejectReason::UnknownTopic,
                    detail: "no meter has this topic".into(),
                })
            })
            .collect()
    };
    s.store.write(rejected(19, s.clock)).await.unwrap();
    s.evaluate().await;
    assert!(s.raised(AlertRule::RejectedInput).is_empty());
    s.store.write(rejected(1, s.clock + SignedDuration::from_secs(30))).await.unwrap();
    s.evaluate().await;
    let piling = s.raised(AlertRule::RejectedInput);
    assert_eq!(piling.len(), 1);
    assert_eq!(piling[0].alert.message, "20 bản tin từ xanh/toa-nha/dien-moi bị từ chối trong một giờ qua");
    s.advance_to(s.clock + SignedDuration::from_hours(2), 15, Some(60), &[]).await;
    assert_eq!(s.resolved(AlertRule::RejectedInput).len(), 1, "quiet for an hour: resolved");
}

#[tokio::test]
async fn the_forecast_crossing_its_target_is_raised_once_per_period() {
    // A 2025 baseline well below what the office uses: the month's forecast crosses its target.
    let baseline = r#"
[[baselines.entered]]
resource = "electricity"
period = "2025-11"
amount = 3000.0
note = "Hoá đơn EVN tháng 11/2025"
"#;
    let mut s = Scenario::new("2026-11-02", baseline, None).await;
    s.advance_to(local(&s.config, "2026-11-06", 0), 30, Some(60), &[]).await;
    let month: Vec<&Seen> =
        s.raised(AlertRule::Forecast).into_iter().filter(|r| r.alert.message.contains("kỳ 2026-11")).collect();
    assert_eq!(month.len(), 1, "once for the month, not every hour: {month:#?}");
    assert!(month[0].alert.message.starts_with("Điện kỳ 2026-11: "), "{}", month[0].alert.message);
}

#[tokio::test]
async fn a_disk_nearly_full_is_raised_and_a_locked_store_shows_on_the_banner() {
    let mut s = Scenario::new("2026-11-16", "", None).await;
    s.evaluate().await;
    assert!(s.raised(AlertRule::StoreUnwritable).is_empty());

    let dir = tempfile::tempdir().unwrap();
    let full = demo_config(&dir, "");
    let config = Arc::new(Config { store_min_free_bytes: u64::MAX, ..full });
    let store = store::open(&config).unwrap().store;
    let book = Arc::new(AlertBook::open(config.store.embedded_path()).unwrap());
    let alerts =
        Alerts::new(config, store as Arc<dyn StoreReads>, book, Arc::new(IngestStatus::default()), None).unwrap();
    let changes = alerts.evaluate(s.clock).await.unwrap();
    assert!(changes.raised.iter().any(|a| a.rule == AlertRule::StoreUnwritable && a.message.contains("sắp đầy")));
    assert_eq!(alerts.attention().0, changes.raised.len() as u64);

    // Another process holds the store's write lock: nothing can be recorded, the banner says so.
    let lock = rusqlite::Connection::open(s.config.store.embedded_path()).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    assert!(s.alerts.evaluate(s.clock).await.is_err());
    let (_, unrecorded) = s.alerts.attention();
    assert!(unrecorded.iter().any(|c| c.rule == AlertRule::StoreUnwritable), "{unrecorded:#?}");
    lock.execute_batch("ROLLBACK").unwrap();
    s.evaluate().await;
    assert!(s.alerts.attention().1.is_empty());
}

/// Through the running service: bad messages on a meter's topic pile up, the engine raises the
/// alert within seconds, the API lists it, every page shows the banner until a person
/// acknowledges it with a comment, and the audit log keeps who and why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_from_the_broker_is_listed_shown_on_every_page_and_acknowledged_with_an_audited_comment() {
    use crate::common::{self, publish};
    let dir = tempfile::tempdir().unwrap();
    let text = common::config_text(&common::embedded_mqtt(), &dir.path().join("xanh.db"))
        + "\n[alerts]\nrejected_per_hour = 3\n";
    let app = common::spawn_app_from(&text, dir).await;
    let (status, doc) = app.get("/api/v1/alerts").await;
    assert_eq!((status, doc["total"].as_u64()), (200, Some(0)), "{doc}");
    let bad: Vec<(&str, String)> = (0..3).map(|i| ("xanh/dien-a/reading", format!("hỏng {i}"))).collect();
    publish(&app.mqtt, &bad).await;
    let mut waited = 0;
    let doc = loop {
        let (_, doc) = app.get("/api/v1/alerts?state=active").await;
        if doc["total"].as_u64() == Some(1) || waited > 100 {
            break doc;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    };
    let alert = &doc["items"][0];
    assert_eq!(alert["rule"], "rejected_input", "{doc}");
    assert_eq!(alert["severity"], "warning");
    assert_eq!(alert["message"], "3 bản tin từ xanh/dien-a/reading bị từ chối trong một giờ qua");
    assert_eq!(alert["last_value"], 3.0);
    assert!(alert["resolved"].is_null() && alert["acknowledged"].is_null());
    assert!(alert["started"].as_str().unwrap().ends_with("+07:00"), "{alert}");
    let id = alert["id"].as_i64().unwrap();

    let page = |path: &'static str| {
        let request = app.http.get(app.url(path));
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    // The banner follows the alerts' list within a moment (the engine counts after recording).
    let mut banner = false;
    for _ in 0..50 {
        banner = page("/rejected").await.contains("1 cảnh báo đang chờ xử lý");
        if banner {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(banner, "the banner on another page");
    assert!(page("/alerts?lang=en").await.contains("3 messages from xanh/dien-a/reading rejected in the last hour"));

    let ack = |id: i64, comment: &str| {
        let request = app
            .http
            .post(app.url(&format!("/api/v1/alerts/{id}/acknowledge")))
            .json(&serde_json::json!({ "comment": comment }));
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<serde_json::Value>().await.unwrap())
        }
    };
    assert_eq!(ack(id, "  ").await.0, 400, "a comment is required");
    assert_eq!(ack(id + 1000, "Đã kiểm tra").await.0, 404);
    let (status, acked) = ack(id, "Đã báo đơn vị lắp đặt sửa cấu hình thiết bị").await;
    assert_eq!(status, 200, "{acked}");
    assert_eq!(acked["acknowledged"]["comment"], "Đã báo đơn vị lắp đặt sửa cấu hình thiết bị");
    assert!(acked["acknowledged"]["by"].as_str().unwrap().starts_with(common::ADMIN), "{acked}");
    let (_, log) = app.get("/api/v1/audit").await;
    let line = log["items"].as_array().unwrap().iter().find(|i| i["action"] == "alert.acknowledge").expect("audited");
    assert_eq!(line["after"]["comment"], "Đã báo đơn vị lắp đặt sửa cấu hình thiết bị", "{line}");
    assert!(!page("/rejected").await.contains("cảnh báo đang chờ xử lý"), "acknowledged: no banner");

    assert_eq!(app.get("/api/v1/alerts?state=bogus").await.0, 400);
    assert_eq!(app.get("/api/v1/alerts?state=all&rule=rejected_input").await.1["total"], 1);
    assert_eq!(app.get("/api/v1/alerts?state=resolved").await.1["total"], 0);
    app.stop().await;
}

/// What a fresh subscriber to `xanh/alerts/#` receives within a second: the retained topics.
async fn retained_alerts(broker: &(String, u16)) -> Vec<(String, Vec<u8>)> {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let id = format!("alerts-watcher-{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let (client, mut events) = AsyncClient::new(MqttOptions::new(id, broker.0.clone(), broker.1), 10);
    client.subscribe("xanh/alerts/#", QoS::AtLeastOnce).await.unwrap();
    let mut seen = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), async {
        while let Ok(event) = events.poll().await {
            if let Event::Incoming(Packet::Publish(p)) = event {
                seen.push((p.topic.clone(), p.payload.to_vec()));
            }
        }
    })
    .await;
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_active_alert_is_retained_on_its_mqtt_topic_and_cleared_when_it_resolves() {
    use xanh::alerts::mqtt::{BrokerAddress, Publisher};
    let app = crate::common::spawn_app().await;
    let mut s = Scenario::new("2026-11-16", "", None).await;
    let publisher = Publisher::new(
        Arc::clone(&s.book),
        BrokerAddress {
            host: app.mqtt.0.clone(),
            port: app.mqtt.1,
            client_id: "xanh-alerts-test".into(),
            credentials: None,
            tls: None,
        },
        s.config.office.timezone.clone(),
    );
    s.advance_to(s.clock + SignedDuration::from_hours(3), 15, Some(15), &["dien-kinh-te"]).await;
    let silent = s.raised(AlertRule::SilentMeter)[0].alert.clone();
    assert_eq!(publisher.publish_pending().await.unwrap(), 1);
    let topic = format!("xanh/alerts/silent_meter/{}", silent.id);
    let retained = retained_alerts(&app.mqtt).await;
    assert_eq!(retained.len(), 1, "{retained:?}");
    assert_eq!(retained[0].0, topic);
    let payload: serde_json::Value = serde_json::from_slice(&retained[0].1).unwrap();
    assert_eq!(payload["meter"], "dien-kinh-te");
    assert!(payload["started"].as_str().unwrap().ends_with("+07:00"), "in the office's time, as the API: {payload}");
    let now = s.book.get(silent.id).unwrap().unwrap();
    assert_eq!(payload["message"], now.message.as_str(), "its message as it is when published");
    assert!(now.message.ends_with("(đã 3 giờ)"), "{}", now.message);
    assert_eq!(publisher.publish_pending().await.unwrap(), 0, "published once");

    s.advance_to(s.clock + SignedDuration::from_mins(30), 15, Some(15), &[]).await;
    assert_eq!(s.resolved(AlertRule::SilentMeter).len(), 1);
    assert_eq!(publisher.publish_pending().await.unwrap(), 1);
    assert!(retained_alerts(&app.mqtt).await.is_empty(), "cleared on resolve");
    app.stop().await;
}

#[tokio::test]
async fn a_channel_that_is_down_delays_only_its_own_messages_which_are_kept_and_retried_with_backoff() {
    // The e-mail server's port is closed; the webhook's receiver is up.
    let closed = crate::common::free_port();
    let (port, received) = crate::common::webhook_receiver().await;
    let recipients = format!(
        r#"
[notify.email]
host = "127.0.0.1"
port = {closed}
security = "plain"
from = "xanh@ubnd.example.gov.vn"
timeout_seconds = 2

[[notify.webhook]]
name = "ok"
url = "http://127.0.0.1:{port}/ok"
timeout_seconds = 2

[alerts]
retry_after_s = 60

[[alerts.recipients]]
name = "HC-QT"
role = "hc_qt"
email = "hcqt@ubnd.example.gov.vn"

[[alerts.recipients]]
name = "Zalo OA"
role = "hc_qt"
webhook = "ok"
"#
    );
    let mut s = Scenario::new("2026-11-16", &recipients, None).await;
    let dispatcher = s.dispatcher();
    s.advance_to(s.clock + SignedDuration::from_hours(3), 15, Some(15), &["dien-kinh-te"]).await;

    let pass = dispatcher.send_due(s.clock).await.unwrap();
    assert_eq!((pass.sent, pass.failed), (1, 1));
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "the receiver got the alert once");
    let event: serde_json::Value = serde_json::from_slice(&got[0].1).unwrap();
    assert_eq!(event["raised"][0]["message"], s.raised(AlertRule::SilentMeter)[0].alert.message.as_str());
    let failed = s.book.failures(10).unwrap();
    assert_eq!(failed.len(), 1);
    let error = failed[0].last_error.as_deref().unwrap();
    assert!(failed[0].recipient.contains("hcqt@") && error.starts_with("tạm thời không gửi được"), "{error}");
    assert_eq!(failed[0].next_at, s.clock + SignedDuration::from_secs(60));
    // Not tried again before its time; then with a doubled wait. Nothing is lost meanwhile.
    assert_eq!(dispatcher.send_due(s.clock + SignedDuration::from_secs(59)).await.unwrap().failed, 0);
    assert_eq!(dispatcher.send_due(s.clock + SignedDuration::from_secs(60)).await.unwrap().failed, 1);
    let failed = s.book.failures(10).unwrap();
    assert_eq!((failed[0].attempts, failed[0].next_at), (2, s.clock + SignedDuration::from_secs(180)));
    assert_eq!(received.lock().unwrap().len(), 1, "the working channel sent its message once");
}

/// HC-QT's mailbox, the head of the public service centre's mailbox and an office's webhook.
fn leak_recipients(smtp: &crate::common::SmtpServer, webhook_port: u16) -> String {
    format!(
        r#"{}
[[notify.webhook]]
name = "ok"
url = "http://127.0.0.1:{webhook_port}/ok"
timeout_seconds = 2

[[alerts.recipients]]
name = "Phòng Hành chính – Quản trị"
role = "hc_qt"
email = "hcqt@ubnd.example.gov.vn"

[[alerts.recipients]]
name = "Giám đốc Trung tâm Phục vụ hành chính công"
role = "department_head"
department = "trung-tam-phuc-vu-hanh-chinh-cong"
email = "giamdoc.hcc@ubnd.example.gov.vn"

[[alerts.recipients]]
name = "Cầu nối Zalo OA"
role = "hc_qt"
webhook = "ok"
"#,
        smtp.config("starttls")
    )
}

/// The JSON example of what a webhook receives, from docs/notifications.md.
fn documented_webhook_body() -> serde_json::Value {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/notifications.md")).unwrap();
    let section = &docs[docs.find("### What is sent").expect("the docs say what is sent")..];
    let start = section.find("```json\n").expect("with a JSON example") + "```json\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    serde_json::from_str(example).unwrap_or_else(|e| panic!("the documented example is JSON: {e}\n{example}"))
}

/// The keys of an object, sorted.
fn keys(value: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> =
        value.as_object().unwrap_or_else(|| panic!("{value} is an object")).keys().cloned().collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn a_night_leak_reaches_hcqt_and_the_department_head_by_e_mail_with_the_nights_chart_and_the_webhook_once() {
    use crate::common::{SmtpServer, signature_is_valid, webhook_receiver};
    let smtp = SmtpServer::start("starttls");
    let (port, received) = webhook_receiver().await;
    let mut s = Scenario::new("2026-11-09", &leak_recipients(&smtp, port), None).await;
    // The leak is behind the public service centre's sub-meter (the building's meter sees it too).
    let sub_meter: MeterId = "nuoc-tt-phuc-vu-hcc".parse().unwrap();
    let model = std::mem::replace(&mut s.model, Model::new(&s.config, 7));
    s.model = model.with_leak(&sub_meter, "2026-11-09".parse().unwrap());
    let dispatcher = s.dispatcher();

    // Readings every 15 minutes, the rules every hour and the outbox after each round, until
    // the next morning's work starts.
    let mut sent = 0;
    while s.clock < local(&s.config, "2026-11-10", 8) {
        let next = s.clock + SignedDuration::from_hours(1);
        s.advance_to(next, 15, Some(60), &[]).await;
        let pass = dispatcher.send_due(s.clock).await.unwrap();
        assert_eq!(pass.failed, 0);
        sent += pass.sent;
    }
    let leaks = s.raised(AlertRule::NightLeak);
    let meters: Vec<&str> = leaks.iter().filter_map(|l| l.alert.meter.as_deref()).collect();
    assert_eq!(meters, ["nuoc-toa-nha", "nuoc-tt-phuc-vu-hcc"], "{leaks:#?}");
    assert_eq!(sent, 3, "one e-mail each and one webhook call");

    let mail = smtp.messages();
    assert_eq!(mail.len(), 2, "{mail:#?}");
    let to = |who: &str| mail.iter().find(|m| m["rcpt_tos"][0].as_str().unwrap().starts_with(who)).unwrap();
    let head = to("giamdoc.hcc@");
    let subject = head["subject"].as_str().unwrap();
    assert!(
        subject.starts_with(
            "[Xanh] Cảnh báo: Đồng hồ nước Trung tâm Phục vụ hành chính công: nước chảy suốt đêm 10/11/2026"
        ),
        "{subject}"
    );
    assert!(subject.contains(" lít") && subject.contains(" đồng)"), "litres lost and their cost: {subject}");
    let text = head["text"].as_str().unwrap();
    assert!(text.starts_with("Kính gửi Giám đốc Trung tâm Phục vụ hành chính công,"), "{text}");
    let hcqt = to("hcqt@");
    assert_eq!(hcqt["subject"], "[Xanh] 2 cảnh báo mới (Rò rỉ nước ban đêm × 2)");
    let text = hcqt["text"].as_str().unwrap();
    assert_eq!(text.matches("[Rò rỉ nước ban đêm]").count(), 2, "{text}");
    assert_eq!(text.matches(" đồng)").count(), 2, "{text}");

    for (message, charts) in [(head, 1), (hcqt, 2)] {
        let attachments = message["attachments"].as_array().unwrap();
        assert_eq!(attachments.len(), charts, "a chart of the night per leak: {message}");
        for attachment in attachments {
            assert_eq!(attachment["file_name"], "dem-10-11-2026.png");
            assert_eq!(attachment["content_type"], "image/png");
            let png = image::load_from_memory_with_format(&smtp.attachment(attachment), image::ImageFormat::Png)
                .expect("the attachment is a PNG");
            assert_eq!((png.width(), png.height()), (xanh::charts::night::WIDTH, xanh::charts::night::HEIGHT));
        }
    }

    let calls = received.lock().unwrap().clone();
    assert_eq!(calls.len(), 1, "one call for the round, not one per alert");
    let (headers, body) = &calls[0];
    let timestamp = headers["x-xanh-timestamp"].to_str().unwrap();
    assert!(signature_is_valid(WEBHOOK_SECRET, timestamp, body, headers["x-xanh-signature"].to_str().unwrap()));
    let event: serde_json::Value = serde_json::from_slice(body).unwrap();
    let documented = documented_webhook_body();
    assert_eq!(keys(&event), keys(&documented), "the body has the documented fields: {event}");
    let alert = &event["raised"][1];
    assert_eq!(keys(alert), keys(&documented["raised"][0]), "each alert has the documented fields: {alert}");
    assert_eq!(alert["rule"], "night_leak");
    assert_eq!(alert["resource"], "water");
    assert_eq!(alert["meter"], "nuoc-tt-phuc-vu-hcc");
    assert_eq!(alert["department"], "trung-tam-phuc-vu-hanh-chinh-cong");
    assert_eq!(alert["severity"], "critical");
    assert_eq!(alert["started"], "2026-11-10T05:00:00+07:00");
    assert!(alert["resolved"].is_null());
    assert!(alert["last_value"].as_f64().unwrap() > 1000.0, "litres lost: {alert}");
    assert_eq!(alert["id"], leaks[1].alert.id);
    assert_eq!(alert["message"], leaks[1].alert.message.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_for_a_receiver_that_is_down_waits_in_the_store_and_goes_once_it_is_back_even_after_a_restart() {
    let port = crate::common::free_port();
    let recipients = format!(
        "[[notify.webhook]]\nname = \"ok\"\nurl = \"http://127.0.0.1:{port}/ok\"\ntimeout_seconds = 2\n\n\
         [[alerts.recipients]]\nname = \"Cầu nối Zalo OA\"\nrole = \"hc_qt\"\nwebhook = \"ok\"\n"
    );
    let mut s = Scenario::new("2026-11-16", &recipients, None).await;
    s.advance_to(s.clock + SignedDuration::from_hours(3), 15, Some(15), &["dien-kinh-te"]).await;
    let silent = s.raised(AlertRule::SilentMeter)[0].alert.clone();
    let pass = s.dispatcher().send_due(s.clock).await.unwrap();
    assert_eq!((pass.sent, pass.failed), (0, 1), "the receiver is down");
    assert_eq!(s.book.failures(10).unwrap().len(), 1, "kept in the store's outbox");

    // Xanh stops; the receiver comes back; a new Xanh on the same data directory sends it.
    let dir = s._dir;
    let received = crate::common::webhook_receiver_on(port).await;
    let mut env: Vec<(&str, &str)> = CHANNEL_SECRETS.to_vec();
    let store_path = dir.path().join("xanh.db").display().to_string();
    env.extend([
        ("XANH_STORE_PATH", store_path.as_str()),
        ("XANH_WEB_LISTEN", "127.0.0.1:0"),
        ("XANH_MQTT_LISTEN", "127.0.0.1:0"),
    ]);
    let app = crate::common::spawn_app_from_env(&format!("{BUILT_IN_DEFAULT}\n{recipients}"), dir, &env).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let delivered = loop {
        let calls = received.lock().unwrap().clone();
        let found = calls
            .iter()
            .map(|(_, body)| serde_json::from_slice::<serde_json::Value>(body).unwrap())
            .find(|event| event["raised"].as_array().is_some_and(|raised| raised.iter().any(|a| a["id"] == silent.id)));
        if found.is_some() || std::time::Instant::now() > deadline {
            break found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let event = delivered.expect("the kept message arrived after the restart");
    assert!(event["raised"][0]["message"].as_str().unwrap().contains("không gửi số liệu từ"), "{event}");
    app.stop().await;
}

#[tokio::test]
async fn quiet_hours_hold_a_warning_until_morning_and_a_digest_comes_once_a_day() {
    let recipients = r#"
[[alerts.recipients]]
name = "Trực ban"
role = "hc_qt"
email = "trucban@ubnd.example.gov.vn"
quiet_hours = "21:00-06:30"

[[alerts.recipients]]
name = "Chánh văn phòng"
role = "hc_qt"
email = "chanhvanphong@ubnd.example.gov.vn"
digest_at = "07:00"
"#;
    let mut s = Scenario::new("2026-11-16", recipients, None).await;
    s.advance_to(local(&s.config, "2026-11-16", 21), 15, Some(15), &[]).await;
    // The meter stops at 21:00: silent (a warning) at 22:30, in the quiet hours.
    s.advance_to(local(&s.config, "2026-11-17", 6), 15, Some(15), &["dien-kinh-te"]).await;
    assert_eq!(s.raised(AlertRule::SilentMeter).len(), 1);
    let morning = local(&s.config, "2026-11-17", 6) + SignedDuration::from_mins(30);
    let waiting = s.book.due(morning, 100).unwrap();
    assert_eq!(waiting.len(), 1, "only the quiet recipient's message, and no digest yet: {waiting:#?}");
    assert!(waiting[0].recipient.contains("trucban@"));
    assert_eq!(waiting[0].next_at, morning, "held until the quiet hours end");
    assert!(s.book.due(morning - SignedDuration::from_secs(1), 100).unwrap().is_empty());

    // The digest recipient hears nothing per round, then one message at 07:00, once that day.
    s.advance_to(local(&s.config, "2026-11-17", 12), 15, Some(15), &["dien-kinh-te"]).await;
    let digests: Vec<_> =
        s.book.due(s.clock, 100).unwrap().into_iter().filter(|q| q.recipient.contains("chanhvanphong@")).collect();
    assert_eq!(digests.len(), 1, "{digests:#?}");
    assert_eq!(digests[0].next_at, local(&s.config, "2026-11-17", 7));
    let subject = digests[0].notification["subject"].as_str().unwrap();
    assert_eq!(subject, "[Xanh] Tổng hợp cảnh báo ngày 17/11/2026: 1 đang diễn ra, 0 đã hết");
}
