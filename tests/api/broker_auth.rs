//! Who may use the broker: the embedded broker's clients (passwords, publish topics, TLS) and
//! the same set-up on a real Mosquitto, as the README describes it.

use crate::common::{
    Mosquitto, PublishOutcome, config_text, external_mqtt, free_port, mosquitto_pub_tls, mqtt_password_hash,
    office_config_text, publish_once, publish_once_as, reading, spawn_app_from, spawn_app_from_env, start_error,
    test_certificate,
};

/// Two floors, each with a gateway that publishes its floor's meter under its own prefix.
const FLOORS: &str = r#"
[office]
name = "Văn phòng thử nghiệm"

[[departments]]
id = "tang-1"
name = "Tầng 1"
headcount = 10
area_m2 = 100.0

[[departments]]
id = "tang-2"
name = "Tầng 2"
headcount = 10
area_m2 = 100.0

[[meters]]
id = "dien-tang-1"
name = "Công tơ điện tầng 1"
resource = "electricity"
department = "tang-1"
kind = "counter"
unit = "kWh"
topic = "gateways/tang-1/dien"

[[meters]]
id = "dien-tang-2"
name = "Công tơ điện tầng 2"
resource = "electricity"
department = "tang-2"
kind = "counter"
unit = "kWh"
topic = "gateways/tang-2/dien"
"#;

const TANG_1: (&str, &str) = ("tang-1", "mật-khẩu-tầng-1");
const TANG_2: (&str, &str) = ("tang-2", "mat-khau-tang-2");

/// The embedded broker with the two gateways as its clients, each hash made by `xanh mqtt-password`.
fn embedded_with_gateways(extra: &str) -> String {
    let mut mqtt = "embedded = true\nlisten = \"127.0.0.1:0\"\n".to_owned();
    for (user, password) in [TANG_1, TANG_2] {
        mqtt.push_str(&format!(
            "[[mqtt.clients]]\nusername = \"{user}\"\npassword_hash = \"{}\"\npublish = [\"gateways/{user}/#\"]\n",
            mqtt_password_hash(password)
        ));
    }
    mqtt + extra
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_broker_lets_in_only_its_clients_and_keeps_each_to_its_topics() {
    let dir = tempfile::tempdir().unwrap();
    let text = office_config_text(FLOORS, &embedded_with_gateways(""), &dir.path().join("xanh.db"));
    // spawn_app waits until the broker's gate is open.
    let app = spawn_app_from(&text, dir).await;
    let broker = app.mqtt.clone();
    let own_topic = "gateways/tang-1/dien";

    let refused = [
        ("no login", None),
        ("an unknown username", Some(("tang-9", TANG_1.1))),
        ("a wrong password", Some((TANG_1.0, "mat-khau-sai"))),
        ("another gateway's password", Some((TANG_1.0, TANG_2.1))),
    ];
    for (what, login) in refused {
        let outcome = publish_once(&broker, login, own_topic, reading(100.0, "08:00")).await;
        assert_eq!(outcome, PublishOutcome::RefusedAtConnect, "{what}");
    }

    assert_eq!(publish_once(&broker, Some(TANG_1), own_topic, reading(100.0, "08:00")).await, PublishOutcome::Acked);
    app.wait_processed(1).await;
    assert_eq!(app.meter("dien-tang-1").await["readings"], 1);

    // Gateway 1 writes on gateway 2's meter: the broker closes its connection instead of
    // acknowledging, and the message never reaches Xanh's subscription (counted below).
    let outcome = publish_once(&broker, Some(TANG_1), "gateways/tang-2/dien", reading(999.0, "08:00")).await;
    assert_eq!(outcome, PublishOutcome::ClosedWithoutAck);
    // Nor can a gateway take Xanh's own client id (which would end Xanh's session).
    let outcome = publish_once_as(&broker, "xanh-ingest", Some(TANG_1), own_topic, reading(101.0, "09:00")).await;
    assert_eq!(outcome, PublishOutcome::RefusedAtConnect);

    // Gateway 2's own reading for that meter, published after, is stored; once it is, Xanh
    // has received exactly the two allowed messages, so the refused one was never routed.
    assert_eq!(
        publish_once(&broker, Some(TANG_2), "gateways/tang-2/dien", reading(200.0, "08:00")).await,
        PublishOutcome::Acked
    );
    app.wait_processed(2).await;
    let health = app.health().await;
    assert_eq!(health["ingest"]["messages"], 2, "{health}");
    assert_eq!(health["broker"]["connected"], true, "{health}");
    let meter = app.meter("dien-tang-2").await;
    assert_eq!(meter["readings"], 1, "{meter}");
    assert_eq!(app.meter("dien-tang-1").await["readings"], 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_publishes_over_tls_with_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = test_certificate(dir.path());
    let tls_port = free_port();
    let tls = format!(
        "[mqtt.tls]\nlisten = \"127.0.0.1:{tls_port}\"\ncert = \"{}\"\nkey = \"{}\"\n",
        cert.display(),
        key.display()
    );
    let text = office_config_text(FLOORS, &embedded_with_gateways(&tls), &dir.path().join("xanh.db"));
    let app = spawn_app_from(&text, dir).await;

    // A client that opens a connection and never starts its handshake must not hold up others.
    let _idle = std::net::TcpStream::connect(("127.0.0.1", tls_port)).unwrap();
    // The real mosquitto_pub, checking the broker's certificate against the test CA, by name
    // and by IP address (which OpenSSL also sends as the TLS server name).
    let topic = "gateways/tang-1/dien";
    assert!(mosquitto_pub_tls("localhost", tls_port, &cert, TANG_1, topic, &reading(100.0, "08:00")));
    assert!(mosquitto_pub_tls("127.0.0.1", tls_port, &cert, TANG_1, topic, &reading(110.0, "09:00")));
    assert!(!mosquitto_pub_tls(
        "127.0.0.1",
        tls_port,
        &cert,
        (TANG_1.0, "mat-khau-sai"),
        topic,
        &reading(150.0, "10:00")
    ));
    // The topic limits hold behind TLS too: mosquitto_pub fails when its connection is closed.
    assert!(!mosquitto_pub_tls("127.0.0.1", tls_port, &cert, TANG_1, "gateways/tang-2/dien", &reading(150.0, "10:00")));
    app.wait_processed(2).await;
    let meter = app.meter("dien-tang-1").await;
    assert_eq!(meter["readings"], 2, "{meter}");
    assert_eq!(app.meter("dien-tang-2").await["readings"], 0);
    assert_eq!(app.health().await["ingest"]["messages"], 2);
    app.stop().await;
}

#[tokio::test]
async fn tls_files_are_checked_at_start_up_with_the_key_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, _key) = test_certificate(dir.path());
    let tls = |cert: &str, key: &str| {
        let mqtt = format!(
            "embedded = true\nlisten = \"127.0.0.1:0\"\n[mqtt.tls]\nlisten = \"127.0.0.1:0\"\ncert = \"{cert}\"\nkey = \"{key}\"\n"
        );
        config_text(&mqtt, &dir.path().join("xanh.db"))
    };
    let cert = cert.display().to_string();

    let missing = start_error(&tls("/nonexistent/broker.crt", &cert)).await;
    assert!(missing.starts_with("test.toml: mqtt.tls.cert: `/nonexistent/broker.crt` cannot be read"), "{missing}");
    assert!(missing.contains("fix: give the path of a PEM file"), "{missing}");

    let no_key = start_error(&tls(&cert, &cert)).await;
    assert!(no_key.starts_with("test.toml: mqtt.tls.key:") && no_key.contains("holds no PEM private key"), "{no_key}");
    assert!(no_key.contains("fix: give the certificate's private key"), "{no_key}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xanh_logs_in_to_mosquitto_whose_acl_keeps_gateways_to_their_prefix() {
    // The README's Mosquitto set-up: a password file and `pattern write gateways/%u/#`.
    let acl = "user xanh\ntopic read #\n\npattern write gateways/%u/#\n";
    let broker = Mosquitto::start_secured(&[("xanh", "xanh-secret"), TANG_1, TANG_2], acl);
    let dir = tempfile::tempdir().unwrap();
    let mqtt = external_mqtt(broker.port, "xanh-acl") + "\nusername = \"xanh\"";
    let text = office_config_text(FLOORS, &mqtt, &dir.path().join("xanh.db"));
    let app = spawn_app_from_env(&text, dir, &[("XANH_MQTT_PASSWORD", "xanh-secret")]).await;

    let mosquitto = broker.broker();
    let outcome = publish_once(&mosquitto, None, "gateways/tang-1/dien", reading(1.0, "07:00")).await;
    assert_eq!(outcome, PublishOutcome::RefusedAtConnect);
    let outcome =
        publish_once(&mosquitto, Some((TANG_1.0, "mat-khau-sai")), "gateways/tang-1/dien", reading(1.0, "07:00")).await;
    assert_eq!(outcome, PublishOutcome::RefusedAtConnect);
    // Mosquitto acknowledges a publish its ACL denies (MQTT 3.1.1 lets it) and drops it.
    let outcome = publish_once(&mosquitto, Some(TANG_1), "gateways/tang-2/dien", reading(999.0, "08:00")).await;
    assert_eq!(outcome, PublishOutcome::Acked);
    for (login, topic) in [(TANG_1, "gateways/tang-1/dien"), (TANG_2, "gateways/tang-2/dien")] {
        assert_eq!(publish_once(&mosquitto, Some(login), topic, reading(200.0, "08:00")).await, PublishOutcome::Acked);
    }
    app.wait_processed(2).await;
    assert_eq!(app.health().await["ingest"]["messages"], 2, "the denied message reached Xanh");
    assert_eq!(app.meter("dien-tang-1").await["readings"], 1);
    assert_eq!(app.meter("dien-tang-2").await["readings"], 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_cannot_take_another_gateways_client_id() {
    let dir = tempfile::tempdir().unwrap();
    let text = office_config_text(FLOORS, &embedded_with_gateways(""), &dir.path().join("xanh.db"));
    let app = spawn_app_from(&text, dir).await;
    let broker = app.mqtt.clone();
    let mine = |value: f64, time: &str| ("gateways/tang-1/dien", reading(value, time));
    let (topic, payload) = mine(100.0, "08:00");
    assert_eq!(publish_once_as(&broker, "gw-tang-1", Some(TANG_1), topic, payload).await, PublishOutcome::Acked);
    // Gateway 2, with its own valid login, under gateway 1's client id (which would end
    // gateway 1's session).
    let outcome =
        publish_once_as(&broker, "gw-tang-1", Some(TANG_2), "gateways/tang-2/dien", reading(1.0, "08:00")).await;
    assert_eq!(outcome, PublishOutcome::RefusedAtConnect);
    let (topic, payload) = mine(110.0, "09:00");
    assert_eq!(publish_once_as(&broker, "gw-tang-1", Some(TANG_1), topic, payload).await, PublishOutcome::Acked);
    app.wait_processed(2).await;
    assert_eq!(app.meter("dien-tang-1").await["readings"], 2);
    assert_eq!(app.meter("dien-tang-2").await["readings"], 0);
    app.stop().await;
}

/// A TCP connection from `source` (another loopback address stands for another machine).
async fn connect_from(source: &str, port: u16) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    socket.connect(format!("127.0.0.1:{port}").parse().unwrap()).await.unwrap()
}

/// Whether the broker closes `stream` within `within` (reading nothing but a CONNACK).
async fn closed_within(stream: &mut tokio::net::TcpStream, within: std::time::Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buffer = [0u8; 64];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_from_one_address_neither_stay_nor_crowd_out_the_gateways() {
    let dir = tempfile::tempdir().unwrap();
    let mqtt = format!("max_connections_per_address = 10\nconnect_timeout_s = 1\n{}", embedded_with_gateways(""));
    let app = spawn_app_from(&office_config_text(FLOORS, &mqtt, &dir.path().join("xanh.db")), dir).await;
    let port = app.mqtt.1;
    let mut idle = Vec::new();
    for _ in 0..30 {
        idle.push(connect_from("127.0.0.2", port).await);
    }
    // Beyond its 10, an address's connections are closed at once.
    let mut refused = 0;
    for stream in idle.iter_mut().skip(10) {
        refused += usize::from(closed_within(stream, std::time::Duration::from_millis(500)).await);
    }
    assert_eq!(refused, 20, "connections over the address's limit were kept");
    let outcome = publish_once(&app.mqtt, Some(TANG_1), "gateways/tang-1/dien", reading(100.0, "08:00")).await;
    assert_eq!(outcome, PublishOutcome::Acked, "a gateway from another address got in");
    // Those held are closed once the CONNECT time has passed without a CONNECT.
    for stream in idle.iter_mut().take(10) {
        assert!(closed_within(stream, std::time::Duration::from_secs(3)).await, "an idle connection stayed open");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_bad_logins_from_one_address_refuses_no_real_gateway() {
    use rumqttd::protocol::v4::V4;
    use rumqttd::protocol::{Connect, Login, Packet, Protocol};
    use tokio::io::AsyncWriteExt;

    let dir = tempfile::tempdir().unwrap();
    let text = office_config_text(FLOORS, &embedded_with_gateways(""), &dir.path().join("xanh.db"));
    let app = spawn_app_from(&text, dir).await;
    let port = app.mqtt.1;
    let flooding = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut flood = Vec::new();
    for n in 0..100 {
        let flooding = std::sync::Arc::clone(&flooding);
        flood.push(tokio::spawn(async move {
            let mut attempt = 0;
            while flooding.load(std::sync::atomic::Ordering::Relaxed) {
                attempt += 1;
                let mut bytes = bytes::BytesMut::new();
                let connect =
                    Connect { keep_alive: 30, client_id: format!("flood-{n}-{attempt}"), clean_session: true };
                let login = Login { username: TANG_1.0.into(), password: format!("guess-{attempt}") };
                V4.write(Packet::Connect(connect, None, None, None, Some(login)), &mut bytes).unwrap();
                let mut stream = connect_from("127.0.0.2", port).await;
                let _ = stream.write_all(&bytes).await;
                closed_within(&mut stream, std::time::Duration::from_secs(10)).await;
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mut refused = 0;
    for i in 0..14 {
        let time = format!("{:02}:00", 6 + i);
        let outcome =
            publish_once(&app.mqtt, Some(TANG_1), "gateways/tang-1/dien", reading(100.0 + i as f64, &time)).await;
        refused += usize::from(outcome != PublishOutcome::Acked);
    }
    flooding.store(false, std::sync::atomic::Ordering::Relaxed);
    for task in flood {
        task.await.unwrap();
    }
    assert_eq!(refused, 0, "{refused} of 14 real gateway logins were refused during the flood");
    app.wait_processed(14).await;
    app.stop().await;
}

/// What a subscriber logged in as `login` receives on `xanh/alerts/#` within a second: the
/// retained alert topics.
async fn retained_alerts_as(broker: &(String, u16), login: (&str, &str)) -> Vec<(String, serde_json::Value)> {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
    let mut options = MqttOptions::new(format!("{}-watcher", login.0), broker.0.clone(), broker.1);
    options.set_credentials(login.0, login.1);
    let (client, mut events) = AsyncClient::new(options, 10);
    client.subscribe("xanh/alerts/#", QoS::AtLeastOnce).await.unwrap();
    let mut seen = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), async {
        while let Ok(event) = events.poll().await {
            if let Event::Incoming(Packet::Publish(p)) = event {
                seen.push((p.topic.clone(), serde_json::from_slice(&p.payload).unwrap_or_default()));
            }
        }
    })
    .await;
    let _ = client.disconnect().await;
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_clients_configured_xanhs_alerts_still_reach_the_broker_and_no_client_can_take_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let text = office_config_text(FLOORS, &embedded_with_gateways(""), &dir.path().join("xanh.db"))
        + "\n[alerts]\nrejected_per_hour = 3\n";
    let app = spawn_app_from(&text, dir).await;
    let broker = app.mqtt.clone();
    // Gateway 1 sends three messages its meter's format cannot read: an alert.
    for i in 0..3 {
        let outcome = publish_once(&broker, Some(TANG_1), "gateways/tang-1/dien", format!("hỏng {i}")).await;
        assert_eq!(outcome, PublishOutcome::Acked);
    }
    let mut retained = Vec::new();
    for _ in 0..15 {
        retained = retained_alerts_as(&broker, TANG_2).await;
        if !retained.is_empty() {
            break;
        }
    }
    assert_eq!(retained.len(), 1, "the alert is retained on its topic: {retained:?}");
    let (topic, alert) = &retained[0];
    assert!(topic.starts_with("xanh/alerts/rejected_input/"), "{topic}");
    assert_eq!(alert["message"], "3 bản tin từ gateways/tang-1/dien bị từ chối trong một giờ qua");

    // Nobody may log in with the alerts publisher's client id (which would end its session).
    let outcome =
        publish_once_as(&broker, "xanh-ingest-alerts", Some(TANG_1), "gateways/tang-1/dien", reading(1.0, "09:00"))
            .await;
    assert_eq!(outcome, PublishOutcome::RefusedAtConnect);
    app.stop().await;
}
