//! Devices that announce themselves on the broker before they send a reading: Home Assistant
//! MQTT discovery, Tasmota's own discovery, Shelly's announce and Zigbee2MQTT's device list.
//! Each source is read in its own file; here the last announcement on each topic is kept and
//! read into [`Announced`] meters-to-be, saying only what the device says (what it leaves
//! unsaid stays `None`, for the admin to fill in).

mod home_assistant;
mod shelly;
mod tasmota;
mod zigbee2mqtt;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use tokio::sync::watch;

use super::Pipeline;
use super::found::{FoundDevice, found_devices};
use crate::domain::{Format, MeterKind, Resource, Topic, Unit};
use crate::store::announcements::{AnnouncementShelf, KeptAnnouncement};
use crate::store::{StoreError, StoreReads};

/// Where devices announce themselves (Home Assistant's discovery prefix is its default).
pub const FILTERS: &[&str] = &[
    "homeassistant/+/+/config",
    "homeassistant/+/+/+/config",
    "tasmota/discovery/+/config",
    "tasmota/discovery/+/sensors",
    "shellies/announce",
    "+/online",
    "zigbee2mqtt/bridge/devices",
];

/// The largest announcement read: a Zigbee2MQTT list of a few hundred devices fits.
pub const MAX_ANNOUNCEMENT: usize = 512 * 1024;

/// Keep the announcements in the store as they change, until `shutdown` (then once more, if
/// they changed meanwhile), so that the list survives a restart.
pub async fn keep_in_store(
    announcements: Arc<Announcements>,
    shelf: Arc<AnnouncementShelf>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut changes = announcements.changes();
    loop {
        let stopping = tokio::select! {
            changed = changes.changed() => changed.is_err(),
            _ = shutdown.wait_for(|stopping| *stopping) => true,
        };
        if stopping && !changes.has_changed().unwrap_or(false) {
            return;
        }
        changes.borrow_and_update();
        let snapshot = announcements.snapshot();
        let shelf = Arc::clone(&shelf);
        match tokio::task::spawn_blocking(move || shelf.replace(&snapshot)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "ingest: cannot keep the devices' announcements in the store"),
            Err(e) => tracing::error!(error = %e, "ingest: keeping the devices' announcements stopped"),
        }
        if stopping {
            return;
        }
    }
}

/// Who made the announcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AnnouncedBy {
    HomeAssistant,
    Tasmota,
    Shelly,
    Zigbee2mqtt,
}

impl AnnouncedBy {
    pub fn name(self) -> &'static str {
        match self {
            AnnouncedBy::HomeAssistant => "Home Assistant",
            AnnouncedBy::Tasmota => "Tasmota",
            AnnouncedBy::Shelly => "Shelly",
            AnnouncedBy::Zigbee2mqtt => "Zigbee2MQTT",
        }
    }
}

/// A meter as a device announced it; `None` where the announcement does not say.
#[derive(Debug, Clone, PartialEq)]
pub struct Announced {
    pub by: AnnouncedBy,
    /// The topic the announcement came on.
    pub announced_on: String,
    /// The device's own name.
    pub name: Option<String>,
    /// Where it publishes its values.
    pub topic: Option<String>,
    pub format: Option<Format>,
    /// The key or path of the value in its messages.
    pub field: Option<String>,
    pub unit: Option<Unit>,
    pub resource: Option<Resource>,
    pub kind: Option<MeterKind>,
    pub heard_at: Timestamp,
}

impl Announced {
    /// A meter id made from the device's name (or its topic): its letters, without their
    /// Vietnamese marks, and digits, joined by `-` ("Máy in P2" → `may-in-p2`).
    pub fn suggested_id(&self) -> String {
        let source = self.name.as_deref().or(self.topic.as_deref()).unwrap_or(&self.announced_on);
        let plain: String = source.chars().flat_map(char::to_lowercase).map(without_marks).collect();
        let words: Vec<&str> = plain.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
        words.join("-")
    }
}

/// What the admin would still have to say about an announced meter, for the device did not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsaid {
    Topic,
    Format,
    Field,
    Unit,
    Resource,
    Kind,
}

impl Unsaid {
    pub fn key(self) -> &'static str {
        match self {
            Unsaid::Topic => "topic",
            Unsaid::Format => "format",
            Unsaid::Field => "field",
            Unsaid::Unit => "unit",
            Unsaid::Resource => "resource",
            Unsaid::Kind => "kind",
        }
    }
}

impl Announced {
    /// What it leaves unsaid; a field only where its format reads one from a structured message.
    pub fn unsaid(&self) -> Vec<Unsaid> {
        let whole_message = matches!(self.format, Some(Format::Generic | Format::Esphome | Format::ShellyGen1));
        [
            (Unsaid::Topic, self.topic.is_none()),
            (Unsaid::Format, self.format.is_none()),
            (Unsaid::Field, self.field.is_none() && !whole_message),
            (Unsaid::Unit, self.unit.is_none()),
            (Unsaid::Resource, self.resource.is_none()),
            (Unsaid::Kind, self.kind.is_none()),
        ]
        .into_iter()
        .filter_map(|(unsaid, missing)| missing.then_some(unsaid))
        .collect()
    }
}

/// An announced meter-to-be, with what its topic has sent so far, if anything.
pub struct AnnouncedDevice {
    pub said: Announced,
    pub sent: Option<FoundDevice>,
}

/// The new devices: those announced (with what they sent), and those found by their messages
/// alone (a topic an announcement covers is listed with the announcement).
pub struct NewDevices {
    pub announced: Vec<AnnouncedDevice>,
    pub found: Vec<FoundDevice>,
}

pub async fn new_devices(store: &dyn StoreReads, pipeline: &Pipeline) -> Result<NewDevices, StoreError> {
    let mut found = found_devices(store, pipeline).await?;
    let announced = pipeline
        .announced()
        .into_iter()
        .map(|said| {
            let sent = found.iter().find(|f| Some(&f.topic) == said.topic.as_ref()).cloned();
            AnnouncedDevice { said, sent }
        })
        .collect::<Vec<_>>();
    found.retain(|f| !announced.iter().any(|a| a.said.topic.as_ref() == Some(&f.topic)));
    Ok(NewDevices { announced, found })
}

/// A lower-case Vietnamese letter without its marks.
fn without_marks(c: char) -> char {
    const LETTERS: [(&str, char); 7] = [
        ("àáảãạăằắẳẵặâầấẩẫậ", 'a'),
        ("èéẻẽẹêềếểễệ", 'e'),
        ("ìíỉĩị", 'i'),
        ("òóỏõọôồốổỗộơờớởỡợ", 'o'),
        ("ùúủũụưừứửữự", 'u'),
        ("ỳýỷỹỵ", 'y'),
        ("đ", 'd'),
    ];
    LETTERS.iter().find(|(marked, _)| marked.contains(c)).map_or(c, |(_, plain)| *plain)
}

/// Whether `topic` is one devices announce themselves on.
pub fn is_announcement(topic: &str) -> bool {
    Topic::try_from(topic.to_owned()).is_ok_and(|t| FILTERS.iter().any(|f| t.matches_filter(f)))
}

/// What one announcement topic says, checked when it arrives.
enum Said {
    /// Meters-to-be (none for a device that measures nothing Xanh counts).
    Devices(Vec<Announced>),
    /// Tasmota's sensor list, read with its config message.
    TasmotaSensors,
    /// Not an announcement after all (a `<name>/online` that is no Shelly's).
    Nothing,
}

struct Message {
    payload: Vec<u8>,
    heard_at: Timestamp,
}

/// The last announcement on each topic, and the topics whose bad announcements were logged.
pub struct Announcements {
    heard: Mutex<BTreeMap<String, Message>>,
    logged: Mutex<HashSet<String>>,
    /// Counts the changes, for keeping them in the store.
    changes: watch::Sender<u64>,
}

impl Default for Announcements {
    fn default() -> Announcements {
        Announcements { heard: Mutex::default(), logged: Mutex::default(), changes: watch::Sender::new(0) }
    }
}

impl Announcements {
    /// Told each time an announcement is kept or withdrawn.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Every announcement kept, to keep in the store.
    pub fn snapshot(&self) -> Vec<KeptAnnouncement> {
        let heard = self.heard.lock().unwrap_or_else(|p| p.into_inner());
        heard.iter().map(|(key, m)| (key.clone(), m.payload.clone(), m.heard_at)).collect()
    }

    /// Take back what the store kept (before any message is heard); what no longer reads is
    /// left out.
    pub fn restore(&self, kept: Vec<KeptAnnouncement>) {
        let mut heard = self.heard.lock().unwrap_or_else(|p| p.into_inner());
        for (key, payload, heard_at) in kept {
            if matches!(read(&key, &payload, None, heard_at), Ok(Said::Devices(_) | Said::TasmotaSensors)) {
                heard.insert(key, Message { payload, heard_at });
            }
        }
    }

    /// Keep what a message on an announcement topic says; an empty message withdraws the
    /// announcement (how a retained one is cleared); a bad one is logged once per topic and
    /// withdraws what the topic said before.
    pub fn hear(&self, topic: &str, payload: &[u8], heard_at: Timestamp) {
        // To the millisecond, as the store keeps it: the same after a restart.
        let heard_at = Timestamp::from_millisecond(heard_at.as_millisecond()).unwrap_or(heard_at);
        let key = match key_for(topic, payload) {
            Ok(key) => key,
            Err(problem) => return self.refuse(topic, &problem),
        };
        let mut heard = self.heard.lock().unwrap_or_else(|p| p.into_inner());
        let outcome = if payload.is_empty() { Ok(None) } else { read(&key, payload, None, heard_at).map(Some) };
        let changed = match outcome {
            Ok(Some(Said::Nothing)) => false,
            // The same retained message again (at each subscription) changes nothing.
            Ok(Some(_)) if heard.get(&key).is_some_and(|m| m.payload == payload) => false,
            Ok(Some(_)) => {
                heard.insert(key, Message { payload: payload.to_vec(), heard_at });
                true
            }
            Ok(None) => heard.remove(&key).is_some(),
            Err(problem) => {
                let removed = heard.remove(&key).is_some();
                drop(heard);
                self.refuse(topic, &problem);
                removed
            }
        };
        if changed {
            self.changes.send_modify(|n| *n += 1);
        }
    }

    fn refuse(&self, topic: &str, problem: &str) {
        if self.logged.lock().unwrap_or_else(|p| p.into_inner()).insert(topic.to_owned()) {
            tracing::warn!(%topic, %problem, "ingest: an announcement that cannot be read is left out of the new devices (logged once per topic)");
        }
    }

    /// Every meter-to-be announced, one per topic and field (Home Assistant's word first, as
    /// it says the most), by device name.
    pub fn devices(&self) -> Vec<Announced> {
        let heard = self.heard.lock().unwrap_or_else(|p| p.into_inner());
        let mut devices: Vec<Announced> = Vec::new();
        for (key, message) in heard.iter() {
            let sensors = tasmota::sensors_key(key).and_then(|k| heard.get(&k)).map(|m| m.payload.as_slice());
            if let Ok(Said::Devices(found)) = read(key, &message.payload, sensors, message.heard_at) {
                devices.extend(found);
            }
        }
        devices.sort_by_key(|d| d.by);
        let mut seen = HashSet::new();
        devices.retain(|d| d.topic.is_none() || seen.insert((d.topic.clone(), d.field.clone())));
        devices.sort_by(|a, b| (&a.name, &a.topic, &a.field).cmp(&(&b.name, &b.topic, &b.field)));
        devices
    }
}

/// The key an announcement is kept under: its topic, but for Shelly's one announce topic,
/// shared by every Gen1 device, the device's id under it.
fn key_for(topic: &str, payload: &[u8]) -> Result<String, String> {
    if payload.len() > MAX_ANNOUNCEMENT {
        return Err(format!("{} bytes, more than the {MAX_ANNOUNCEMENT} read", payload.len()));
    }
    if topic == "shellies/announce" {
        let id = shelly::gen1_id(payload)?;
        return Ok(format!("{topic}/{id}"));
    }
    Ok(topic.to_owned())
}

fn read(key: &str, payload: &[u8], sensors: Option<&[u8]>, heard_at: Timestamp) -> Result<Said, String> {
    let parts: Vec<&str> = key.split('/').collect();
    let devices = match parts[..] {
        ["homeassistant", component, .., "config"] => home_assistant::read(component, payload)?,
        ["tasmota", "discovery", _, "config"] => tasmota::read(payload, sensors)?,
        ["tasmota", "discovery", _, "sensors"] => {
            tasmota::check_sensors(payload)?;
            return Ok(Said::TasmotaSensors);
        }
        ["shellies", "announce", _] => shelly::read_gen1(payload)?,
        [prefix, "online"] => match shelly::read_gen2(prefix, payload) {
            Some(devices) => devices,
            None => return Ok(Said::Nothing),
        },
        ["zigbee2mqtt", "bridge", "devices"] => zigbee2mqtt::read(payload)?,
        _ => return Ok(Said::Nothing),
    };
    let by = match parts[0] {
        "homeassistant" => AnnouncedBy::HomeAssistant,
        "tasmota" => AnnouncedBy::Tasmota,
        "zigbee2mqtt" => AnnouncedBy::Zigbee2mqtt,
        _ => AnnouncedBy::Shelly,
    };
    let announced_on =
        if key.starts_with("shellies/announce/") { "shellies/announce".to_owned() } else { key.to_owned() };
    Ok(Said::Devices(
        devices
            .into_iter()
            .map(|d| Announced {
                by,
                announced_on: announced_on.clone(),
                name: d.name,
                topic: d.topic,
                format: d.format,
                field: d.field,
                unit: d.unit,
                resource: d.resource,
                kind: d.kind,
                heard_at,
            })
            .collect(),
    ))
}

/// What one source reads in an announcement, before it is stamped with who and when.
#[derive(Debug, Default, Clone, PartialEq)]
struct Description {
    name: Option<String>,
    topic: Option<String>,
    format: Option<Format>,
    field: Option<String>,
    unit: Option<Unit>,
    resource: Option<Resource>,
    kind: Option<MeterKind>,
}

/// A unit as devices write it (`kWh`, `Wh`, `m³`, `L`); `None` for what no meter counts in.
fn unit_named(text: &str) -> Option<Unit> {
    match text.trim() {
        "Wh" => Some(Unit::WattHour),
        "kWh" => Some(Unit::KilowattHour),
        "MWh" => Some(Unit::MegawattHour),
        "m³" | "m3" => Some(Unit::CubicMetre),
        "L" | "l" => Some(Unit::Litre),
        _ => None,
    }
}

/// The format a device's state topic says it sends, where it says.
fn format_of_topic(topic: &str) -> Option<Format> {
    let parts: Vec<&str> = topic.split('/').collect();
    match parts[..] {
        ["tele", _, "SENSOR"] => Some(Format::Tasmota),
        ["zigbee2mqtt", name] if name != "bridge" => Some(Format::Zigbee2mqtt),
        ["shellies", _, "emeter" | "relay", _, _] => Some(Format::ShellyGen1),
        [_, "status", component] if component.contains(':') => Some(Format::ShellyGen2),
        [.., "sensor", _, "state"] => Some(Format::Esphome),
        _ => None,
    }
}

fn json(payload: &[u8]) -> Result<serde_json::Value, String> {
    serde_json::from_slice(payload).map_err(|e| format!("not JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: Timestamp = Timestamp::UNIX_EPOCH;

    #[test]
    fn the_announcement_topics_are_recognised_and_no_others() {
        for topic in [
            "homeassistant/sensor/may-in/energy/config",
            "homeassistant/sensor/may-in_energy/config",
            "tasmota/discovery/DC4F220D2F6A/config",
            "tasmota/discovery/DC4F220D2F6A/sensors",
            "shellies/announce",
            "shellyplus1pm-a8032ab12345/online",
            "zigbee2mqtt/bridge/devices",
        ] {
            assert!(is_announcement(topic), "{topic}");
        }
        for topic in ["tele/may-in/SENSOR", "zigbee2mqtt/may-lanh", "homeassistant/status", "zigbee2mqtt/bridge/state"]
        {
            assert!(!is_announcement(topic), "{topic}");
        }
    }

    #[test]
    fn a_meter_id_is_suggested_from_the_name_without_its_marks() {
        let said = Announced {
            by: AnnouncedBy::HomeAssistant,
            announced_on: "homeassistant/sensor/a/config".into(),
            name: Some("Máy lạnh Phòng Đào tạo".into()),
            topic: None,
            format: None,
            field: None,
            unit: None,
            resource: None,
            kind: None,
            heard_at: AT,
        };
        assert_eq!(said.suggested_id(), "may-lanh-phong-dao-tao");
    }

    #[test]
    fn an_empty_message_withdraws_an_announcement() {
        let announcements = Announcements::default();
        let topic = "homeassistant/sensor/may-in/energy/config";
        let config = r#"{"name":"Điện","state_topic":"tele/may-in/SENSOR","value_template":"{{ value_json.ENERGY.Total }}","unit_of_measurement":"kWh","device_class":"energy","state_class":"total_increasing","device":{"name":"Máy in"}}"#;
        announcements.hear(topic, config.as_bytes(), AT);
        assert_eq!(announcements.devices().len(), 1);
        announcements.hear(topic, b"", AT);
        assert_eq!(announcements.devices(), []);
    }

    #[test]
    fn bad_announcements_are_left_out_and_the_others_still_listed() {
        let announcements = Announcements::default();
        announcements.hear(
            "homeassistant/sensor/a/config",
            br#"{"state_topic":"zigbee2mqtt/a","value_template":"{{ value_json.energy }}","unit_of_measurement":"kWh","device_class":"energy"}"#,
            AT,
        );
        announcements.hear("homeassistant/sensor/b/config", b"{not json", AT);
        announcements.hear("zigbee2mqtt/bridge/devices", &vec![b' '; 1024 * 1024], AT);
        announcements.hear("tasmota/discovery/AABBCCDDEEFF/config", br#"{"dn":"x"}"#, AT);
        announcements.hear("shellies/announce", br#"{"model":"SHEM-3"}"#, AT);
        let devices = announcements.devices();
        assert_eq!(devices.len(), 1, "{devices:?}");
        assert_eq!(devices[0].topic.as_deref(), Some("zigbee2mqtt/a"));
        assert_eq!(announcements.logged.lock().unwrap().len(), 4);
    }

    #[test]
    fn one_meter_announced_twice_is_listed_once() {
        let announcements = Announcements::default();
        announcements.hear(
            "homeassistant/sensor/0x00158d/energy/config",
            br#"{"state_topic":"zigbee2mqtt/may-lanh","value_template":"{{ value_json.energy }}","unit_of_measurement":"kWh","device_class":"energy","state_class":"total_increasing","device":{"name":"may-lanh"}}"#,
            AT,
        );
        announcements.hear(
            "zigbee2mqtt/bridge/devices",
            br#"[{"friendly_name":"may-lanh","type":"Router","definition":{"exposes":[{"type":"numeric","name":"energy","property":"energy","unit":"kWh"}]}}]"#,
            AT,
        );
        let devices = announcements.devices();
        assert_eq!(devices.len(), 1, "{devices:?}");
        assert_eq!((devices[0].by, devices[0].kind), (AnnouncedBy::HomeAssistant, Some(MeterKind::Counter)));
    }
}
