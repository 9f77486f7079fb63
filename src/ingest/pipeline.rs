//! From a raw message to what the store keeps: find the meter, decode, convert, validate.
//! MQTT, the web form and the HTTP API all come through here.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

use super::announce::{self, Announced, Announcements};
use super::formats::{DecodeContext, RawValue, decoder_for};
use super::found;
use crate::config::{ConfigProblem, IngestConfig, MeterSpec, check_meters};
use crate::domain::{
    DepartmentId, Incoming, Meter, MeterId, MeterKind, Origin, Reading, RejectReason, Rejection, Topic,
};
use crate::store::MeterRecord;

/// The largest payload decoded; meters send a few hundred bytes.
const MAX_PAYLOAD: usize = 256 * 1024;
/// The longest period one delta amount may cover.
const MAX_PERIOD: SignedDuration = SignedDuration::from_hours(400 * 24);

/// The meters messages are read against, replaced whole when the office's setup changes.
struct MeterTable {
    /// In the order the setup lists them.
    order: Vec<MeterId>,
    meters: HashMap<MeterId, Meter>,
    /// Several wmbusmeters meters may share a topic, told apart by their `device_id`.
    by_topic: HashMap<String, Vec<MeterId>>,
    /// Retired meters and the moment from which their readings are refused.
    retired: HashMap<MeterId, Timestamp>,
}

impl MeterTable {
    fn new(meters: &[Meter], retired: HashMap<MeterId, Timestamp>) -> MeterTable {
        let mut by_topic: HashMap<String, Vec<MeterId>> = HashMap::new();
        for meter in meters {
            by_topic.entry(meter.topic.as_str().to_owned()).or_default().push(meter.id.clone());
        }
        MeterTable {
            order: meters.iter().map(|m| m.id.clone()).collect(),
            by_topic,
            meters: meters.iter().map(|m| (m.id.clone(), m.clone())).collect(),
            retired,
        }
    }
}

/// Turns messages into readings or rejections. Cheap to clone; the clones share one meter
/// table, so a meter added in the web app is read by every ingest path at once.
#[derive(Clone)]
pub struct Pipeline {
    table: Arc<RwLock<Arc<MeterTable>>>,
    /// Counts the table's replacements, for the MQTT client to subscribe to new topics.
    changes: Arc<watch::Sender<u64>>,
    limits: IngestConfig,
    /// The office's, for device times written without an offset.
    timezone: TimeZone,
    /// What devices announced about themselves.
    announcements: Arc<Announcements>,
}

impl Pipeline {
    pub fn new(meters: &[Meter], limits: IngestConfig, timezone: TimeZone) -> Pipeline {
        Pipeline {
            table: Arc::new(RwLock::new(Arc::new(MeterTable::new(meters, HashMap::new())))),
            changes: Arc::new(watch::Sender::new(0)),
            limits,
            timezone,
            announcements: Arc::default(),
        }
    }

    /// Read against these meters from now on; a retired meter's readings from its moment on
    /// are refused.
    pub fn set_meters(&self, meters: &[Meter], retired: HashMap<MeterId, Timestamp>) {
        let table = Arc::new(MeterTable::new(meters, retired));
        *self.table.write().unwrap_or_else(|p| p.into_inner()) = table;
        self.changes.send_modify(|n| *n += 1);
    }

    /// Check the store's meters against each other and the departments, then read against
    /// them from now on; the meters, or what is wrong with them (nothing is replaced then).
    pub fn set_setup(
        &self,
        records: &[MeterRecord],
        departments: &[DepartmentId],
    ) -> Result<Vec<Meter>, Vec<ConfigProblem>> {
        let specs: Vec<MeterSpec> = records.iter().map(|r| r.spec.clone()).collect();
        let meters = check_meters(&specs, departments)?;
        let retired = records
            .iter()
            .filter_map(|r| {
                let from = r.retired_from?.to_zoned(self.timezone.clone()).ok()?.timestamp();
                Some((r.spec.id.parse().ok()?, from))
            })
            .collect();
        self.set_meters(&meters, retired);
        Ok(meters)
    }

    /// Every meter read now, in the setup's order, with the moment a retired one stopped.
    pub fn meters(&self) -> Vec<(Meter, Option<Timestamp>)> {
        let table = self.table();
        table.order.iter().map(|id| (table.meters[id].clone(), table.retired.get(id).copied())).collect()
    }

    /// The meters not retired at `now`, in the setup's order.
    pub fn meters_in_use(&self, now: Timestamp) -> Vec<Meter> {
        self.meters().into_iter().filter(|(_, retired)| retired.is_none_or(|from| from > now)).map(|(m, _)| m).collect()
    }

    /// Counts the meter table's replacements: a new number, new meters.
    pub fn meters_version(&self) -> u64 {
        *self.changes.borrow()
    }

    /// Told each time the meters change.
    pub fn meter_changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn table(&self) -> Arc<MeterTable> {
        Arc::clone(&self.table.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The MQTT subscriptions that cover every configured meter, then the topics watched for
    /// new devices. A meter's own topic stays subscribed even where a watched filter covers
    /// it: subscribing to it when the meter is added brings the device's retained message
    /// (a broker may then deliver a message once per matching subscription; the second copy
    /// is stored as a duplicate, which changes nothing).
    pub fn subscriptions(&self) -> Vec<String> {
        let table = self.table();
        let mut filters = vec![Topic::GENERIC_FILTER.to_owned()];
        let mut others: Vec<&String> = table
            .by_topic
            .keys()
            .filter(|t| !Topic::try_from((*t).clone()).is_ok_and(|t| t.matches_filter(Topic::GENERIC_FILTER)))
            .collect();
        others.sort();
        filters.extend(others.into_iter().cloned());
        filters.extend(found::DEVICE_FILTERS.iter().map(|f| (*f).to_owned()));
        filters
    }

    /// Where devices announce themselves: subscribed by every instance, never shared, for
    /// their retained announcements come only to a plain subscription.
    pub fn announcement_filters(&self) -> Vec<String> {
        announce::FILTERS.iter().map(|f| (*f).to_owned()).collect()
    }

    /// What devices announced about themselves, as heard.
    pub fn announcements(&self) -> Arc<Announcements> {
        Arc::clone(&self.announcements)
    }

    /// The meters-to-be devices announced, but those a meter already reads.
    pub fn announced(&self) -> Vec<Announced> {
        let table = self.table();
        let mut devices = self.announcements.devices();
        devices.retain(|d| d.topic.as_ref().is_none_or(|t| !table.by_topic.contains_key(t)));
        devices
    }

    /// The office's time zone, for device times written without an offset.
    pub fn timezone(&self) -> &TimeZone {
        &self.timezone
    }

    /// Whether a meter publishes on exactly `topic`.
    pub fn has_meter_on(&self, topic: &str) -> bool {
        self.table().by_topic.contains_key(topic)
    }

    /// Whether a message on `topic` is one of the meters' (what [`Self::subscriptions`] covers).
    pub fn ingests(&self, topic: &str) -> bool {
        self.table().by_topic.contains_key(topic)
            || Topic::try_from(topic.to_owned()).is_ok_and(|t| t.matches_filter(Topic::GENERIC_FILTER))
            || found::on_device_topic(topic)
            || announce::is_announcement(topic)
    }

    pub fn meter(&self, id: &MeterId) -> Option<Meter> {
        self.table().meters.get(id).cloned()
    }

    /// Decode one MQTT message. A device's announcement of itself is kept for the new
    /// devices' list and stores nothing.
    pub fn from_mqtt(&self, topic: &str, payload: &[u8], received_at: Timestamp) -> Vec<Incoming> {
        if announce::is_announcement(topic) && !self.has_meter_on(topic) {
            self.announcements.hear(topic, payload, received_at);
            return Vec::new();
        }
        if payload.len() > MAX_PAYLOAD {
            // Its start is kept, enough to tell which sender to fix.
            let origin = Origin {
                source: crate::domain::Source::Mqtt,
                received_at,
                topic: Some(topic.to_owned()),
                payload: payload[..Rejection::KEPT_PAYLOAD_BYTES].to_vec(),
                sender: None,
            };
            return vec![Incoming::Rejected(Rejection {
                origin,
                meter: None,
                reason: RejectReason::Undecodable,
                detail: format!(
                    "bản tin dài {} byte, lớn hơn mọi bản tin của công tơ (tối đa {MAX_PAYLOAD} byte); chỉ giữ lại {} byte đầu",
                    payload.len(),
                    Rejection::KEPT_PAYLOAD_BYTES
                ),
            })];
        }
        let origin = Origin {
            source: crate::domain::Source::Mqtt,
            received_at,
            topic: Some(topic.to_owned()),
            payload: payload.to_vec(),
            sender: None,
        };
        let table = self.table();
        let meter = match Self::meter_for(&table, topic, payload, &origin) {
            Ok(meter) => meter,
            // On a topic watched for new devices, only what a format reads is a reading kept
            // for adoption; a door sensor's or a bridge's chatter is not.
            Err(rejection)
                if rejection.reason == RejectReason::UnknownTopic
                    && found::on_device_topic(topic)
                    && found::recognise(topic, payload, &self.timezone, received_at).is_none() =>
            {
                return Vec::new();
            }
            Err(rejection) => return vec![Incoming::Rejected(*rejection)],
        };
        let context = DecodeContext::for_meter(meter, &self.timezone, received_at);
        match decoder_for(meter.format).decode(payload, &context) {
            Ok(values) if values.is_empty() => vec![Incoming::Rejected(Rejection {
                origin,
                meter: Some(meter.id.clone()),
                reason: RejectReason::Undecodable,
                detail: "bản tin không có giá trị nào của công tơ này".into(),
            })],
            Ok(values) => values.into_iter().map(|raw| self.validate(meter, raw, origin.clone())).collect(),
            Err(e) => vec![Incoming::Rejected(Rejection {
                origin,
                meter: Some(meter.id.clone()),
                reason: RejectReason::Undecodable,
                detail: e.0,
            })],
        }
    }

    /// The meter a message on `topic` belongs to: the topic's only meter, or, where radio
    /// meters share a topic, the one whose `device_id` the message names.
    fn meter_for<'t>(
        table: &'t MeterTable,
        topic: &str,
        payload: &[u8],
        origin: &Origin,
    ) -> Result<&'t Meter, Box<Rejection>> {
        let reject =
            |reason, detail: String| Box::new(Rejection { origin: origin.clone(), meter: None, reason, detail });
        let candidates: Vec<&Meter> = match table.by_topic.get(topic) {
            Some(ids) => ids.iter().map(|id| &table.meters[id]).collect(),
            None => Vec::new(),
        };
        // Meters share a topic only with the same format: the config checks it.
        let format = match candidates[..] {
            [] => return Err(Box::new(unknown_topic(topic, origin.clone()))),
            [only] if only.select.device_id.is_none() => return Ok(only),
            [first, ..] => first.format,
        };
        let named = decoder_for(format)
            .device_id(payload)
            .map_err(|e| reject(RejectReason::Undecodable, e.0))?
            .ok_or_else(|| {
                reject(
                    RejectReason::Undecodable,
                    format!("bản tin không nêu thiết bị gửi, nên không biết là của công tơ nào trên `{topic}`"),
                )
            })?;
        candidates
            .into_iter()
            .find(|m| m.select.device_id.as_deref() == Some(named.as_str()))
            .ok_or_else(|| {
                reject(
                    RejectReason::UnknownMeter,
                    format!("không công tơ nào trên `{topic}` có device_id = \"{named}\"; hãy khai báo device_id này cho công tơ của thiết bị đó trong [[meters]]"),
                )
            })
    }

    /// A time as the office reads it, for the details of a refused reading.
    fn local(&self, ts: Timestamp) -> String {
        ts.to_zoned(self.timezone.clone()).strftime("%H:%M:%S %d/%m/%Y").to_string()
    }

    /// Check one value of a known meter and convert it to the canonical unit.
    pub fn validate(&self, meter: &Meter, raw: RawValue, origin: Origin) -> Incoming {
        let reject = |reason, detail: String| {
            Incoming::Rejected(Rejection { origin: origin.clone(), meter: Some(meter.id.clone()), reason, detail })
        };
        let value = meter.conversion.to_canonical(raw.value);
        if !value.is_finite() {
            return reject(RejectReason::NonFinite, format!("giá trị {} không phải là số hữu hạn", raw.value));
        }
        if value.abs() > Reading::MAX_VALUE {
            return reject(
                RejectReason::NonFinite,
                format!(
                    "giá trị {} vượt quá giới hạn của mọi công tơ (tối đa {} {})",
                    raw.value,
                    Reading::MAX_VALUE,
                    meter.resource.canonical_unit().config_name()
                ),
            );
        }
        if raw.value < 0.0 {
            let what = match meter.kind {
                MeterKind::Counter => "chỉ số công tơ không thể nhỏ hơn 0",
                MeterKind::Delta => "lượng sử dụng không thể âm (muốn bớt đi thì nhập hiệu chỉnh)",
            };
            return reject(RejectReason::Negative, format!("giá trị {} là số âm: {what}", raw.value));
        }
        let ts = raw.ts.unwrap_or(origin.received_at);
        let skew = SignedDuration::try_from(self.limits.max_clock_skew).unwrap_or(SignedDuration::MAX);
        let max_age = SignedDuration::try_from(self.limits.max_age).unwrap_or(SignedDuration::MAX);
        let latest = origin.received_at.checked_add(skew).unwrap_or(Timestamp::MAX);
        let earliest = origin.received_at.checked_sub(max_age).unwrap_or(Timestamp::MIN);
        for (name, time) in [("ts", Some(ts)), ("from", raw.period_start)] {
            let Some(time) = time else { continue };
            if time > latest {
                return reject(
                    RejectReason::FutureTimestamp,
                    format!(
                        "`{name}` {} đi trước thời điểm nhận ({}) hơn {} giây; hãy kiểm tra đồng hồ và múi giờ của thiết bị",
                        self.local(time),
                        self.local(origin.received_at),
                        self.limits.max_clock_skew.as_secs()
                    ),
                );
            }
            if time < earliest {
                return reject(
                    RejectReason::TooOld,
                    format!(
                        "`{name}` {} cũ hơn {} ngày, giới hạn văn phòng nhận (ingest.max_age_days)",
                        self.local(time),
                        self.limits.max_age.as_secs() / 86_400
                    ),
                );
            }
        }
        if let Some(retired) = self.table().retired.get(&meter.id).filter(|from| ts >= **from) {
            return reject(
                RejectReason::MeterRetired,
                format!(
                    "công tơ `{}` đã thôi dùng từ {}; số liệu lúc {} không được tính. Nếu thiết bị vẫn gửi, hãy gắn nó cho một công tơ mới",
                    meter.id,
                    self.local(*retired),
                    self.local(ts)
                ),
            );
        }
        let period_start = match (meter.kind, raw.period_start) {
            (MeterKind::Delta, Some(start)) if start < ts && ts.duration_since(start) > MAX_PERIOD => {
                return reject(
                    RejectReason::Undecodable,
                    format!(
                        "khoảng từ {} đến {} dài hơn 400 ngày: hãy nhập thành từng lượng theo năm hoặc theo tháng",
                        self.local(start),
                        self.local(ts)
                    ),
                );
            }
            (MeterKind::Delta, Some(start)) if start < ts => Some(start),
            (MeterKind::Delta, Some(start)) => {
                return reject(
                    RejectReason::Undecodable,
                    format!(
                        "thời điểm bắt đầu {} không trước thời điểm của số liệu {}",
                        self.local(start),
                        self.local(ts)
                    ),
                );
            }
            // A counter's value is a point on its register; a period means nothing to it.
            _ => None,
        };
        Incoming::Reading(
            Reading {
                meter: meter.id.clone(),
                ts,
                value,
                ts_assumed: raw.ts.is_none(),
                period_start,
                source: origin.source,
                entered_by: None,
                cost_vnd: None,
            },
            origin,
        )
    }
}

fn unknown_topic(topic: &str, origin: Origin) -> Rejection {
    let generic_id =
        topic.strip_prefix("xanh/").and_then(|rest| rest.strip_suffix("/reading")).filter(|id| !id.contains('/'));
    match generic_id.map(|id| (id, id.parse::<MeterId>())) {
        Some((_, Ok(id))) => Rejection {
            origin,
            detail: format!(
                "chưa khai báo công tơ `{id}`; hãy thêm công tơ vào [[meters]] hoặc sửa chủ đề của thiết bị gửi"
            ),
            meter: Some(id),
            reason: RejectReason::UnknownMeter,
        },
        Some((raw, Err(e))) => Rejection {
            origin,
            meter: None,
            reason: RejectReason::UnknownMeter,
            detail: format!("chủ đề nêu công tơ `{raw}`, không phải một mã công tơ hợp lệ: {e}"),
        },
        None => Rejection {
            origin,
            meter: None,
            reason: RejectReason::UnknownTopic,
            detail: format!(
                "không công tơ nào được khai báo gửi trên `{topic}`; hãy đặt `topic` của công tơ trong cấu hình"
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    const RADIO_METERS: &str = r#"
[office]
name = "X"
[[meters]]
id = "nuoc-1"
name = "1"
resource = "water"
kind = "counter"
unit = "m3"
format = "wmbusmeters"
topic = "wmbus/water"
device_id = "33225544"
[[meters]]
id = "nuoc-2"
name = "2"
resource = "water"
kind = "counter"
unit = "L"
format = "wmbusmeters"
topic = "wmbus/water"
device_id = "11223344"
"#;

    fn pipeline() -> Pipeline {
        let config = Config::parse("test.toml", RADIO_METERS, &|_| None).expect("the test config is valid");
        Pipeline::new(&config.meters, config.ingest, config.office.timezone)
    }

    #[test]
    fn device_topics_are_watched_and_only_what_a_format_reads_on_them_is_kept() {
        let text = format!(
            "{RADIO_METERS}[[meters]]\nid = \"dien-in\"\nname = \"in\"\nresource = \"electricity\"\nkind = \"counter\"\nunit = \"kWh\"\nformat = \"tasmota\"\ntopic = \"tele/may-in/SENSOR\"\n"
        );
        let config = Config::parse("test.toml", &text, &|_| None).expect("the test config is valid");
        let pipeline = Pipeline::new(&config.meters, config.ingest, config.office.timezone);
        let filters = pipeline.subscriptions();
        assert!(
            filters.contains(&"tele/+/SENSOR".to_owned()) && filters.contains(&"wmbus/water".to_owned()),
            "{filters:?}"
        );
        assert!(filters.contains(&"tele/may-in/SENSOR".to_owned()), "{filters:?}");

        let at = "2026-11-28T00:00:00Z".parse().expect("a valid time");
        let sensor = br#"{"ENERGY":{"Total":1.5}}"#;
        let kept = pipeline.from_mqtt("tele/may-photo/SENSOR", sensor, at);
        assert!(matches!(&kept[..], [Incoming::Rejected(r)] if r.reason == RejectReason::UnknownTopic), "{kept:?}");
        assert!(pipeline.from_mqtt("zigbee2mqtt/cua", br#"{"contact":true}"#, at).is_empty());
    }

    fn decode(payload: &str) -> Incoming {
        let received_at = "2024-03-03T18:40:00Z".parse().expect("a valid time");
        let mut incoming = pipeline().from_mqtt("wmbus/water", payload.as_bytes(), received_at);
        assert_eq!(incoming.len(), 1, "{incoming:?}");
        incoming.remove(0)
    }

    fn message(id: &str) -> String {
        format!(r#"{{"id":"{id}","total_m3":123.529,"timestamp":"2024-03-03T18:37:00Z"}}"#)
    }

    #[test]
    fn radio_meters_on_one_topic_are_told_apart_by_id() {
        for (id, meter) in [("33225544", "nuoc-1"), ("11223344", "nuoc-2")] {
            match decode(&message(id)) {
                Incoming::Reading(reading, _) => {
                    assert_eq!((reading.meter.as_str(), reading.value), (meter, 123.529));
                }
                other => panic!("{id}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_unknown_or_missing_id_is_rejected_with_the_reason() {
        let Incoming::Rejected(rejection) = decode(&message("99999999")) else { panic!("an unknown id is stored") };
        assert_eq!(rejection.reason, RejectReason::UnknownMeter);
        assert!(rejection.detail.contains("device_id = \"99999999\""), "{}", rejection.detail);
        let Incoming::Rejected(rejection) = decode(r#"{"total_m3":1}"#) else {
            panic!("a message without id is stored")
        };
        assert_eq!(rejection.reason, RejectReason::Undecodable);
        assert!(rejection.detail.contains("`id`"), "{}", rejection.detail);
    }
}
