//! The config as a whole: parsed from text, with every problem named.

use std::time::Duration;

use super::*;
use crate::domain::{Format, OfficeId, ShareGroup};

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse("office.toml", text, &|_| None)
}

#[test]
fn the_office_calendar_is_read_and_checked() {
    let config = parse(
        "[office]\nname = \"X\"\nworking_hours = \"08:00-16:30\"\nworking_days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\"]\nholidays = [\"2026-09-02\"]\n",
    )
    .unwrap();
    assert_eq!(config.office.working_hours.to_string(), "08:00-16:30");
    assert!(config.office.is_working_day(jiff::civil::date(2026, 11, 28)), "Saturday is a working day here");
    assert!(!config.office.is_working_day(jiff::civil::date(2026, 9, 2)));

    let err = parse("[office]\nname = \"X\"\nworking_hours = \"17:00-07:30\"\nworking_days = [\"monday\"]\nholidays = [\"02/09/2026\"]\n")
        .unwrap_err()
        .to_string();
    for expected in
        ["office.working_hours", "\"07:30-17:00\"", "office.working_days", "`monday`", "office.holidays", "YYYY-MM-DD"]
    {
        assert!(err.contains(expected), "{expected} missing from: {err}");
    }
}

#[test]
fn a_calendar_year_of_the_file_takes_the_place_of_the_shipped_one_and_a_wrong_one_is_named() {
    let year = "[[office.calendar]]\nyear = 2027\nstatus = \"official\"\n\
                days_off = [{ date = \"2027-02-12\", reason = \"Tết\" }]\n\
                working_days = [{ date = \"2027-02-20\" }]\n";
    let config = parse(&format!("[office]\nname = \"X\"\nholidays = [\"2027-03-01\"]\n{year}")).unwrap();
    let office = &config.office;
    // Tết on 05/02 and 08–11/02 of the provisional year gave way; 01/03 of `holidays` is on top.
    assert!(
        office.is_working_day(jiff::civil::date(2027, 2, 5)) && !office.is_working_day(jiff::civil::date(2027, 2, 12))
    );
    assert!(
        office.is_working_day(jiff::civil::date(2027, 2, 20)) && !office.is_working_day(jiff::civil::date(2027, 3, 1))
    );
    assert_eq!(office.calendar.year(2027).map(|y| y.status), Some(crate::domain::YearStatus::Official));
    assert_eq!(config.file_calendar.years.len(), 1);

    let wrong = "[office]\nname = \"X\"\n[[office.calendar]]\nyear = 2027\nstatus = \"final\"\n\
                 [[office.calendar]]\nyear = 2028\nstatus = \"official\"\ndays_off = [{ date = \"2028-01-08\" }]\n\
                 [[office.calendar]]\nyear = 2029\nstatus = \"official\"\ndays_off = [{ date = \"01/01/2029\" }]\n";
    let err = parse(wrong).unwrap_err().to_string();
    for expected in [
        "office.calendar[0].status",
        "\"official\" or \"provisional\"",
        "office.calendar[1].days_off",
        "2028-01-08",
        "office.calendar[2].days_off[0].date",
        "YYYY-MM-DD",
    ] {
        assert!(err.contains(expected), "{expected} missing from: {err}");
    }
}

#[test]
fn the_default_config_is_valid() {
    let config = parse(BUILT_IN_DEFAULT).unwrap();
    assert_eq!(config.office.name, "Văn phòng UBND tỉnh");
    assert_eq!(config.meters.len(), 19);
    let Broker::Embedded(embedded) = &config.mqtt.broker else { panic!("{:?}", config.mqtt.broker) };
    assert_eq!(embedded.listen, "127.0.0.1:1883".parse().unwrap());
    assert!(embedded.clients.is_empty() && embedded.tls.is_none());
}

#[test]
fn the_reports_letterhead_is_read_and_blank_keys_are_named() {
    let config = parse(BUILT_IN_DEFAULT).unwrap();
    assert_eq!(config.letterhead.superior, "UBND TỈNH LAI CHÂU");
    assert_eq!(config.letterhead.issuing_body, "VĂN PHÒNG");
    assert_eq!(config.letterhead.place, "Lai Châu");
    assert_eq!(config.letterhead.signer_title, "CHÁNH VĂN PHÒNG");

    // Left out: the issuing body is the office, the other lines are left to fill in by hand.
    let config = parse("[office]\nname = \"Văn phòng Sở Tài chính\"\n").unwrap();
    assert_eq!(config.letterhead.issuing_body, "Văn phòng Sở Tài chính");
    assert_eq!((config.letterhead.superior.as_str(), config.letterhead.signer_name.as_str()), ("", ""));

    let err = parse("[office]\nname = \"X\"\nplace = \" \"\nsigner_name = \"\"\n").unwrap_err().to_string();
    for expected in ["office.place", "\"Lai Châu\"", "office.signer_name", "leave the key out"] {
        assert!(err.contains(expected), "{expected} missing from: {err}");
    }
}

#[test]
fn the_scheduled_reports_are_read_and_mistakes_named_with_their_fix() {
    use super::{ReportPeriodKind, ReportRecipients};
    let config = parse("[office]\nname = \"X\"\n").unwrap();
    assert!(!config.reports.scheduled, "off unless asked for");

    let config = parse("[office]\nname = \"X\"\n[reports]\nscheduled = true\nrecipients = \"hc_qt\"\n").unwrap();
    let all = [ReportPeriodKind::Month, ReportPeriodKind::Quarter, ReportPeriodKind::Year];
    assert_eq!(
        (config.reports.periods.as_slice(), &config.reports.recipients),
        (&all[..], &ReportRecipients::AlertsHcQt)
    );

    let config =
        parse("[office]\nname = \"X\"\n[reports]\nperiods = [\"year\", \"month\"]\nrecipients = [\"a@b.vn\"]\n")
            .unwrap();
    assert_eq!(config.reports.periods, [ReportPeriodKind::Month, ReportPeriodKind::Year]);
    assert_eq!(config.reports.recipients, ReportRecipients::Addresses(vec!["a@b.vn".into()]));

    let err = parse("[office]\nname = \"X\"\n[reports]\nperiods = [\"week\"]\nrecipients = [\"van thu\"]\n")
        .unwrap_err()
        .to_string();
    for expected in ["office.toml", "reports.periods", "`week`", "reports.recipients", "name@example.gov.vn"] {
        assert!(err.contains(expected), "{expected} missing from: {err}");
    }
    let err = parse("[office]\nname = \"X\"\n[reports]\nschedule = true\n").unwrap_err().to_string();
    assert!(err.contains("schedule"), "{err}");
}

/// A hash of "tang-1-secret", made once with `xanh mqtt-password`.
const TANG_1_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$Pruc6pFUGhO98sdlK8X87Q$aa7BBr4ha1gSuvzNrCxOjPeJhkB3qxIWs2jFtbRXh1E";

#[test]
fn broker_clients_and_tls_are_read_and_checked() {
    let text = format!(
        "[office]\nname = \"X\"\n[mqtt]\nlisten = \"0.0.0.0:1883\"\n\
         [[mqtt.clients]]\nusername = \"tang-1\"\npassword_hash = \"{TANG_1_HASH}\"\npublish = [\"gateways/tang-1/#\", \"tele/+/SENSOR\"]\n\
         [mqtt.tls]\ncert = \"/etc/xanh/mqtt.crt\"\nkey = \"/etc/xanh/mqtt.key\"\n"
    );
    let config = parse(&text).unwrap();
    let Broker::Embedded(embedded) = &config.mqtt.broker else { panic!() };
    assert_eq!(embedded.clients[0].username, "tang-1");
    assert!(crate::auth::password::verify("tang-1-secret", embedded.clients[0].password_hash.as_str()));
    assert!(embedded.clients[0].publish[1].matches("tele/o-cam/SENSOR"));
    let tls = embedded.tls.as_ref().unwrap();
    assert_eq!((tls.listen.port(), tls.cert.to_str().unwrap()), (8883, "/etc/xanh/mqtt.crt"));

    let text = format!(
        "[office]\nname = \"X\"\n[mqtt]\nallow_anonymous = true\n\
         [[mqtt.clients]]\nusername = \"tang 1\"\npassword_hash = \"tang-1-secret\"\npublish = [\"gateways/#/x\"]\n\
         [[mqtt.clients]]\nusername = \"xanh-ingest\"\npassword_hash = \"{TANG_1_HASH}\"\npublish = []\n"
    );
    let err = parse(&text).unwrap_err();
    let said = |key: &str, words: &str| {
        assert!(
            err.problems.iter().any(|p| p.key == key && format!("{} {}", p.problem, p.fix).contains(words)),
            "{key} should say {words:?}:\n{err}"
        )
    };
    said("mqtt.clients[0] (\"tang 1\").username", "letters, digits");
    said("mqtt.clients[0] (\"tang 1\").password_hash", "xanh mqtt-password");
    said("mqtt.clients[0] (\"tang 1\").publish", "# may only be the whole last level");
    said("mqtt.clients[1] (\"xanh-ingest\").username", "Xanh's own ingestor");
    said("mqtt.allow_anonymous", "every client must log in");

    let err = parse("[office]\nname = \"X\"\n[[mqtt.clients]]\nusername = \"a\"\npassword = \"x\"\npublish = []\n")
        .unwrap_err();
    assert!(err.to_string().contains("run `xanh mqtt-password`"), "{err}");
}

#[test]
fn the_embedded_brokers_connection_limits_are_read_and_checked() {
    let config = parse("[office]\nname = \"X\"\n").unwrap();
    let Broker::Embedded(embedded) = &config.mqtt.broker else { panic!("the default broker is embedded") };
    assert_eq!((embedded.max_connections, embedded.max_connections_per_address), (200, 20));
    assert_eq!(embedded.connect_timeout.as_secs(), 10);

    let err = parse(
        "[office]\nname = \"X\"\n[mqtt]\nmax_connections = 10\nmax_connections_per_address = 50\nconnect_timeout_s = 0\n",
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("mqtt.max_connections_per_address") && text.contains("at most max_connections"), "{text}");
    assert!(text.contains("mqtt.connect_timeout_s") && text.contains("is 0"), "{text}");
}

#[test]
fn an_open_embedded_broker_stays_on_loopback_unless_allowed() {
    let err = parse("[office]\nname = \"X\"\n[mqtt]\nlisten = \"0.0.0.0:1883\"\n").unwrap_err();
    assert_eq!(err.problems[0].key, "mqtt.listen");
    assert!(err.problems[0].fix.contains("allow_anonymous = true"), "{err}");
    let err = parse("[office]\nname = \"X\"\n[mqtt.tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\n").unwrap_err();
    assert_eq!(err.problems[0].key, "mqtt.tls.listen", "{err}");
    assert!(parse("[office]\nname = \"X\"\n[mqtt]\nlisten = \"0.0.0.0:1883\"\nallow_anonymous = true\n").is_ok());
    let env = |name: &str| match name {
        "XANH_MQTT_LISTEN" => Some("0.0.0.0:1883".to_owned()),
        "XANH_MQTT_ALLOW_ANONYMOUS" => Some("true".to_owned()),
        _ => None,
    };
    assert!(Config::parse("office.toml", "[office]\nname = \"X\"\n", &env).is_ok());
    assert!(parse("[office]\nname = \"X\"\n[mqtt]\nlisten = \"[::1]:1883\"\n").is_ok());
    let err =
        parse("[office]\nname = \"X\"\n[mqtt]\nembedded = false\nhost = \"b\"\nallow_anonymous = true\n").unwrap_err();
    assert!(err.problems[0].fix.contains("Securing the broker"), "{err}");
}

const INFLUX: &str = "[office]\nid = \"vp-thu\"\nname = \"X\"\n[store]\nbackend = \"influxdb\"\nurl = \"http://127.0.0.1:8086\"\norg = \"vp\"\nbucket = \"xanh\"\npath = \"data/x.db\"\n";

fn influx_token(name: &str) -> Option<String> {
    (name == "XANH_INFLUXDB_TOKEN").then(|| "token-from-env".to_owned())
}

/// The problems of `text` (with the InfluxDB token set) as "key: problem fix" lines.
fn influx_problems(text: &str) -> String {
    let err = Config::parse("office.toml", text, &influx_token).unwrap_err();
    err.problems.iter().map(|p| format!("{}: {} {}", p.key, p.problem, p.fix)).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_influxdb_backend_takes_its_token_from_the_environment() {
    let config = Config::parse("office.toml", INFLUX, &influx_token).unwrap();
    let StoreConfig::Influx(influx) = &config.store else { panic!("{:?}", config.store) };
    assert_eq!(
        (influx.url.as_str(), influx.org.as_str(), influx.bucket.as_str()),
        ("http://127.0.0.1:8086/", "vp", "xanh")
    );
    assert_eq!((influx.office.as_str(), influx.token.as_str()), ("vp-thu", "token-from-env"));
    assert_eq!(
        (influx.batch_size, influx.timeout.as_secs(), influx.outbox_alert_after.as_secs()),
        (DEFAULT_INFLUX_BATCH, 10, 300)
    );
    assert_eq!(config.store.embedded_path(), Path::new("data/x.db"));
    assert_eq!(config.office.id.as_ref().map(OfficeId::as_str), Some("vp-thu"));
    assert!(!format!("{config:?}").contains("token-from-env"), "the token stays out of logs");
}

#[test]
fn influxdb_settings_are_checked_with_fixes() {
    let err = parse(INFLUX).unwrap_err().to_string();
    assert!(err.contains("environment variable XANH_INFLUXDB_TOKEN: is not set"), "{err}");

    let err = parse(&format!("{INFLUX}token = \"abc\"\n")).unwrap_err().to_string();
    assert!(err.contains("unknown field `token`") && err.contains("set XANH_INFLUXDB_TOKEN"), "{err}");

    let said = influx_problems(&INFLUX.replace("http://127.0.0.1:8086", "https://proxy.example/influx/"));
    assert!(said.starts_with("store.url: ") && said.contains("has a path"), "{said}");
    for url in ["ftp://influx:8086", "influx:8086", "http://", "not a url"] {
        let said = influx_problems(&INFLUX.replace("http://127.0.0.1:8086", url));
        assert!(said.starts_with("store.url: ") && said.contains("http or https address with a host"), "{url}: {said}");
    }
    let said =
        influx_problems(&INFLUX.replace("url = \"http://127.0.0.1:8086\"\norg = \"vp\"\nbucket = \"xanh\"\n", ""));
    for key in ["store.url: is not set", "store.org: is not set", "store.bucket: is not set"] {
        assert!(said.contains(key), "{key}: {said}");
    }
    let said = influx_problems(&INFLUX.replace("id = \"vp-thu\"\n", ""));
    assert!(
        said.contains("office.id: is not set but store.backend is influxdb") && said.contains("add id = "),
        "{said}"
    );
    let said = influx_problems(&INFLUX.replace("vp-thu", "VP Thử"));
    assert!(said.starts_with("office.id: ") && said.contains("lowercase"), "{said}");
    assert_eq!(said.lines().count(), 1, "a wrong id is reported once: {said}");

    let said = influx_problems(&format!("{INFLUX}batch_size = 0\ntimeout_s = 0\noutbox_alert_s = 0\n"));
    for key in ["store.batch_size", "store.timeout_s", "store.outbox_alert_s"] {
        assert!(said.contains(&format!("{key}: ")), "{key}: {said}");
    }
    let said = influx_problems(&INFLUX.replace("influxdb\"", "sqlite\""));
    assert!(said.contains("store.url: applies to the InfluxDB backend only"), "{said}");
    let said = influx_problems(&INFLUX.replace("influxdb\"", "influx\""));
    assert!(said.contains("or \"influxdb\""), "{said}");
}

#[test]
fn an_external_broker_takes_tls_and_a_shared_group() {
    let config = parse(
        "[office]\nname = \"X\"\n[mqtt]\nembedded = false\nhost = \"mqtt.example\"\nshared_group = \"xanh\"\n\
         [mqtt.tls]\nca_file = \"/etc/xanh/ca.crt\"\n",
    )
    .unwrap();
    let Broker::External(external) = &config.mqtt.broker else { panic!("{:?}", config.mqtt.broker) };
    assert_eq!(external.port, 8883, "TLS defaults to MQTT's TLS port");
    assert_eq!(external.tls.as_ref().unwrap().ca_file.as_deref(), Some(Path::new("/etc/xanh/ca.crt")));
    assert_eq!(external.shared_group.as_ref().map(ShareGroup::as_str), Some("xanh"));
    // Without [mqtt.tls]: plain MQTT on 1883, the system's roots never involved.
    let plain = parse("[office]\nname = \"X\"\n[mqtt]\nembedded = false\nhost = \"b\"\n").unwrap();
    let Broker::External(plain) = &plain.mqtt.broker else { panic!() };
    assert_eq!((plain.port, plain.tls.is_none(), plain.shared_group.is_none()), (1883, true, true));

    let err = parse(
        "[office]\nname = \"X\"\n[mqtt]\nembedded = false\nhost = \"b\"\nshared_group = \"xanh/#\"\n\
         [mqtt.tls]\ncert = \"c.pem\"\nclient_cert = \"me.pem\"\n\
         [[meters]]\nid = \"m\"\nname = \"m\"\nresource = \"water\"\nkind = \"counter\"\nunit = \"m3\"\ntopic = \"xanh-peers/xanh\"\n",
    )
    .unwrap_err();
    let said = |key: &str, words: &str| {
        assert!(
            err.problems.iter().any(|p| p.key == key && format!("{} {}", p.problem, p.fix).contains(words)),
            "{key} should say {words:?}:\n{err}"
        )
    };
    said("mqtt.shared_group", "letters, digits");
    said("mqtt.tls.cert", "ca_file");
    said("mqtt.tls.client_cert", "client_key go together");
    said("meters[0] (\"m\").topic", "reserved");

    let err = parse("[office]\nname = \"X\"\n[mqtt]\nshared_group = \"xanh\"\n[mqtt.tls]\nlisten = \"127.0.0.1:8883\"\nca_file = \"ca.pem\"\n").unwrap_err();
    let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["mqtt.shared_group", "mqtt.tls.ca_file", "mqtt.tls.cert", "mqtt.tls.key"], "{err}");
    let env = |name: &str| (name == "XANH_MQTT_SHARED_GROUP").then(|| "nhóm".to_owned());
    let err = Config::parse("office.toml", "[office]\nname = \"X\"\n[mqtt]\nembedded = false\nhost = \"b\"\n", &env)
        .unwrap_err();
    assert_eq!(err.problems[0].key, "mqtt.shared_group", "{err}");
}

#[test]
fn half_hour_time_zones_are_refused() {
    let err = parse("[office]\nname = \"X\"\ntimezone = \"Asia/Kolkata\"\n").unwrap_err().to_string();
    assert!(err.contains("office.timezone") && err.contains("whole number of hours"), "{err}");
}

#[test]
fn meters_are_checked_against_departments_parents_and_each_other() {
    let text = r#"
[office]
name = "X"
[[departments]]
id = "phong-a"
name = "A"
headcount = 1
area_m2 = 10.0
[[meters]]
id = "m1"
name = "m1"
resource = "water"
kind = "counter"
unit = "L"
parent = "m2"
[[meters]]
id = "m2"
name = "m2"
resource = "water"
kind = "counter"
unit = "m3"
parent = "m1"
[[meters]]
id = "m3"
name = "m3"
resource = "paper"
kind = "delta"
unit = "ream"
register_max = 100
topic = "xanh/m1/reading"
"#;
    let err = parse(text).unwrap_err();
    let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
    assert!(keys.contains(&"meters[2] (\"m3\").topic"), "{err}");
    assert!(keys.contains(&"meters[2] (\"m3\").register_max"), "{err}");
    assert!(keys.contains(&"meters (\"m1\").parent"), "{err}");
    assert!(err.to_string().contains("leads back to this meter"), "{err}");
}

/// An office with one meter per entry, each given as its own TOML lines (a counter unless
/// the lines set `kind`).
fn office_with_meters(meters: &[&str]) -> String {
    let mut text = "[office]\nname = \"X\"\n".to_owned();
    for (i, meter) in meters.iter().enumerate() {
        let kind = if meter.contains("kind =") { "" } else { "kind = \"counter\"\n" };
        text.push_str(&format!("[[meters]]\nid = \"m{i}\"\nname = \"m{i}\"\n{kind}{meter}\n"));
    }
    text
}

#[test]
fn device_formats_with_their_keys_are_accepted() {
    let text = office_with_meters(&[
        "resource = \"electricity\"\nunit = \"kWh\"\nformat = \"tasmota\"\ntopic = \"tele/plug/SENSOR\"\nchannel = 1",
        "resource = \"electricity\"\nunit = \"Wmin\"\nformat = \"shelly-gen1\"\ntopic = \"shellies/plug/relay/0/energy\"",
        "resource = \"water\"\nunit = \"m3\"\nformat = \"wmbusmeters\"\ntopic = \"wmbus/water\"\ndevice_id = \"1\"",
        "resource = \"water\"\nunit = \"L\"\nformat = \"wmbusmeters\"\ntopic = \"wmbus/water\"\ndevice_id = \"2\"\nfield = \"total_m3\"",
        "resource = \"electricity\"\nunit = \"J\"\nformat = \"senml\"\ntopic = \"senml/a\"\nfield = \"energy\"",
    ]);
    let config = parse(&text).unwrap();
    assert_eq!(config.meters[0].format, Format::Tasmota);
    assert_eq!(config.meters[0].select.channel, 1);
    assert_eq!(config.meters[3].select.device_id.as_deref(), Some("2"));
    assert_eq!(config.meters[4].select.field.as_deref(), Some("energy"));
}

#[test]
fn device_format_keys_are_checked_with_fixes() {
    let text = office_with_meters(&[
        "resource = \"electricity\"\nunit = \"kWh\"\nformat = \"tasmota\"",
        "resource = \"electricity\"\nunit = \"kWh\"\nformat = \"esphome\"\ntopic = \"e/sensor/x/state\"\nchannel = 1",
        "resource = \"electricity\"\nunit = \"kWh\"\nformat = \"tasmota\"\ntopic = \"tele/a/SENSOR\"\ndevice_id = \"7\"\nfield = \"ENERGY.Today\"",
        "resource = \"electricity\"\nunit = \"Wh\"\nformat = \"shelly-gen1\"\ntopic = \"shellies/p/relay/0/energy\"",
        "resource = \"water\"\nunit = \"m3\"\nformat = \"wmbusmeters\"\ntopic = \"wmbus/water\"",
        "resource = \"water\"\nunit = \"m3\"\nformat = \"wmbusmeters\"\ntopic = \"wmbus/water\"\ndevice_id = \"9\"",
        "resource = \"water\"\nunit = \"m3\"\nformat = \"wmbusmeters\"\ntopic = \"wmbus/water2\"\ndevice_id = \"9\"\nchannel = -1",
        "resource = \"paper\"\nunit = \"ream\"\nformat = \"senml\"\ntopic = \"senml/p\"\nkind = \"delta\"",
        "resource = \"paper\"\nunit = \"sheet\"\nformat = \"modbus\"",
    ]);
    let err = parse(&text).unwrap_err();
    let said = |key: &str, words: &str| {
        assert!(
            err.problems.iter().any(|p| p.key == key && format!("{} {}", p.problem, p.fix).contains(words)),
            "{key} should say {words:?}:\n{err}"
        )
    };
    said("meters[0] (\"m0\").topic", "tele/tasmota_5A3F2C/SENSOR");
    said("meters[1] (\"m1\").channel", "applies to the formats tasmota");
    said("meters[2] (\"m2\").device_id", "applies to the formats wmbusmeters");
    said("meters[2] (\"m2\").field", "resets every day");
    said("meters[3] (\"m3\").unit", "set unit = \"Wmin\"");
    said("meters[5] (\"m5\").topic", "is also the topic of meter `m4`");
    said("meters[6] (\"m6\").channel", "count channels from 0");
    said("meters[7] (\"m7\").kind", "set kind = \"counter\"");
    said("meters[8] (\"m8\").format", "generic, tasmota, shelly-gen1");
}

#[test]
fn expected_intervals_default_by_kind_and_are_checked() {
    let text = office_with_meters(&[
        "resource = \"electricity\"\nunit = \"kWh\"",
        "resource = \"paper\"\nunit = \"ream\"\nkind = \"delta\"",
        "resource = \"water\"\nunit = \"m3\"\nexpected_interval = \"31d\"",
        "resource = \"water\"\nunit = \"m3\"\nexpected_interval = \"none\"",
        "resource = \"paper\"\nunit = \"ream\"\nkind = \"delta\"\nexpected_interval = \"15m\"",
    ]);
    let config = parse(&text).unwrap();
    let intervals: Vec<Option<u64>> = config.meters.iter().map(|m| m.expected_interval.map(|d| d.as_secs())).collect();
    assert_eq!(intervals, vec![Some(3600), None, Some(31 * 86_400), None, Some(900)]);

    let text = office_with_meters(&[
        "resource = \"electricity\"\nunit = \"kWh\"\nexpected_interval = \"15\"",
        "resource = \"electricity\"\nunit = \"kWh\"\nexpected_interval = \"0s\"",
        "resource = \"electricity\"\nunit = \"kWh\"\nexpected_interval = \"1 week\"",
    ]);
    let err = parse(&text).unwrap_err();
    for i in 0..3 {
        let key = format!("meters[{i}] (\"m{i}\").expected_interval");
        assert!(err.problems.iter().any(|p| p.key == key && p.fix.contains("\"15m\"")), "{key}:\n{err}");
    }
}

#[test]
fn intervals_parse_with_checked_arithmetic() {
    assert_eq!(parse_interval("15m"), Ok(Duration::from_secs(900)));
    assert_eq!(parse_interval(" 1h "), Ok(Duration::from_secs(3600)));
    assert_eq!(parse_interval("31d"), Ok(Duration::from_secs(31 * 86_400)));
    assert_eq!(parse_interval("1s"), Ok(Duration::from_secs(1)));
    for bad in ["", "h", "-1h", "1.5h", "1y", "99999999999999999999d", "18446744073709551615d", "3661d", "0m"] {
        assert!(parse_interval(bad).is_err(), "{bad}");
    }
}

#[test]
fn radio_meters_on_one_topic_need_different_device_ids() {
    let text = office_with_meters(&[
        "resource = \"water\"\nunit = \"m3\"\nformat = \"wmbusmeters\"\ntopic = \"wmbus/water\"\ndevice_id = \"9\"",
        "resource = \"water\"\nunit = \"m3\"\nformat = \"wmbusmeters\"\ntopic = \"wmbus/water\"\ndevice_id = \"9\"",
    ]);
    let err = parse(&text).unwrap_err();
    assert_eq!(err.problems[0].key, "meters[1] (\"m1\").device_id", "{err}");
}

#[test]
fn every_unknown_key_in_the_file_is_reported_at_once() {
    let text = "[office]\nname = \"X\"\nnmae = \"Y\"\n\n[web]\nlisten = \"127.0.0.1:0\"\nlisen = \"x\"\n\n[lgo]\nformat = \"json\"\n\n[store]\npaht = \"a.db\"\n";
    let err = parse(text).unwrap_err();
    let lines: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        lines,
        ["line 3 (`nmae = \"Y\"`)", "line 7 (`lisen = \"x\"`)", "line 9 (`[lgo]`)", "line 13 (`paht = \"a.db\"`)"],
        "{err}"
    );
    for (problem, key) in err.problems.iter().zip(["nmae", "lisen", "lgo", "paht"]) {
        assert!(problem.problem.contains(&format!("unknown field `{key}`")), "{problem:?}");
        assert!(problem.fix.contains("correct its spelling"), "{problem:?}");
    }
    // A file with one problem of another kind still reports that one.
    let err = parse("[web]\nlisten = 8080\n").unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
}

#[test]
fn the_daily_backup_is_read_and_checked() {
    assert_eq!(parse("[office]\nname = \"X\"\n").unwrap().backup, None, "no [backup]: no daily copy");
    let config = parse("[office]\nname = \"X\"\n[backup]\nfolder = \"/var/backups/xanh\"\n").unwrap();
    let backup = config.backup.unwrap();
    assert_eq!(
        (backup.folder.to_str(), backup.at, backup.keep),
        (Some("/var/backups/xanh"), jiff::civil::time(2, 0, 0, 0), 7)
    );
    let config = parse("[office]\nname = \"X\"\n[backup]\nfolder = \"b\"\nat = \"23:45\"\nkeep = 30\n").unwrap();
    assert_eq!(config.backup.map(|b| (b.at, b.keep)), Some((jiff::civil::time(23, 45, 0, 0), 30)));

    let text =
        parse("[office]\nname = \"X\"\n[backup]\nfolder = \"\"\nat = \"25:00\"\nkeep = 0\n").unwrap_err().to_string();
    assert!(text.contains("office.toml: backup.folder: is empty; fix: name the folder"), "{text}");
    assert!(
        text.contains("office.toml: backup.at: `25:00` is not a time of day; fix: write hours and minutes"),
        "{text}"
    );
    assert!(text.contains("office.toml: backup.keep: is 0, which would delete every copy"), "{text}");
    let text = parse("[office]\nname = \"X\"\n[backup]\nfolder = \"b\"\nevery = \"day\"\n").unwrap_err().to_string();
    assert!(text.contains("every"), "{text}");
    let text = parse("[office]\nname = \"X\"\n[backup]\nat = \"02:00\"\n").unwrap_err().to_string();
    assert!(text.contains("folder"), "{text}");
}

#[test]
fn raw_reading_retention_is_read_and_checked() {
    assert_eq!(parse("[office]\nname = \"X\"\n").unwrap().keep_raw_readings, None, "every raw reading kept");
    let config = parse("[office]\nname = \"X\"\n[store]\nkeep_raw_readings_days = 365\n").unwrap();
    assert_eq!(config.keep_raw_readings, Some(std::time::Duration::from_secs(365 * 86_400)));
    let text = parse("[office]\nname = \"X\"\n[store]\nkeep_raw_readings_days = 2\n").unwrap_err().to_string();
    assert!(
        text.contains("office.toml: store.keep_raw_readings_days: 2 is too short; fix: give at least 7 days"),
        "{text}"
    );
}

#[test]
fn configured_resources_their_items_and_norms_are_read_and_mistakes_named_with_their_fix() {
    let config = parse(BUILT_IN_DEFAULT).unwrap();
    let ids: Vec<&str> = config.supplies.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["van-phong-pham", "muc-in", "nhien-lieu"]);
    let stationery = &config.supplies[0];
    assert_eq!(stationery.norms.len(), 2, "the regulation and its revision");
    let department: DepartmentId = "phong-tong-hop".parse().unwrap();
    assert_eq!(stationery.norm_on(&department, jiff::civil::date(2026, 3, 1)).map(|n| n.amount), Some(120_000.0));
    assert_eq!(config.meetings_target_percent, 100.0);

    let office =
        "[office]\nname = \"X\"\n[[departments]]\nid = \"phong-a\"\nname = \"A\"\nheadcount = 3\narea_m2 = 10.0\n";
    let err = parse(&format!(
        "{office}[meetings]\ntarget_percent = 120\n\
         [[resources]]\nid = \"water\"\nname_vi = \"\"\nname_en = \"W\"\nkind = \"counter\"\nunit = \"m3\"\nmeasure = \"litres\"\n\
         [[resources.items]]\nid = \"a\"\nname = \"A\"\nunit = \"c\"\nprices = [{{ from = \"2026-02-01\", vnd = 1 }}, {{ from = \"2026-01-01\", vnd = 2 }}]\n\
         [[resources.norms]]\ndepartment = \"phong-z\"\nfrom = \"2026-01-01\"\nper = \"team\"\nevery = \"week\"\namount = 0\nmeasure = \"value\"\nregulation = \"QĐ 1\"\nregulation_date = \"2026-02-01\"\n"
    ))
    .unwrap_err()
    .to_string();
    for expected in [
        "office.toml: meetings.target_percent: 120 is not a share",
        "resources[0].id: `water` is a metered resource",
        "resources[0].name_vi: is empty",
        "resources[0].kind: a configured resource cannot be a counter; fix: counters are meters",
        "resources[0].measure: `litres` is not a measure",
        "resources[0].items[0].prices[1].from: 2026-01-01 is not after the price before it",
        "resources[0].norms[0].department: `phong-z` is not a configured department",
        "resources[0].norms[0].per: `team`",
        "resources[0].norms[0].every: `week`",
        "resources[0].norms[0].amount: 0 is not an allowance",
        "resources[0].norms[0].regulation_date: the regulation (2026-02-01) is dated after",
    ] {
        assert!(err.contains(expected), "{expected} missing from: {err}");
    }
    let unknown = parse(&format!("{office}[[resources]]\nid = \"x\"\nprice = 1\n")).unwrap_err().to_string();
    assert!(unknown.contains("unknown field `price`") && unknown.contains("`norms`"), "{unknown}");
}
