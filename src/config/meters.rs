//! `[[meters]]`: each meter's resource, department, parent, kind, unit, payload format,
//! topic and limits, checked against each other and against the departments.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ConfigProblem;
use crate::domain::{
    Conversion, DepartmentId, Format, Meter, MeterId, MeterKind, PEER_TOPIC_ROOT, Resource, Topic, Unit, ValueSelector,
};

/// A meter as the config file, the store and the admin form write it: text, checked into a
/// [`Meter`] by [`check_meters`] (the same checks wherever it comes from).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MeterSpec {
    pub id: String,
    pub name: String,
    pub resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub kind: String,
    pub unit: String,
    #[serde(default = "default_format")]
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register_max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
}

/// Check meters written as text against each other and against the departments: the meters,
/// or every problem found (its key names the meter by index and id).
pub fn check_meters(specs: &[MeterSpec], departments: &[DepartmentId]) -> Result<Vec<Meter>, Vec<ConfigProblem>> {
    let departments: HashSet<&DepartmentId> = departments.iter().collect();
    let mut problems = Vec::new();
    let meters = resolve_meters(specs, &departments, &mut |key, problem, fix| {
        problems.push(ConfigProblem { key, problem, fix })
    });
    if problems.is_empty() { Ok(meters) } else { Err(problems) }
}

pub(super) fn default_format() -> String {
    "generic".to_owned()
}

pub(super) fn resolve_meters(
    entries: &[MeterSpec],
    departments: &HashSet<&DepartmentId>,
    problem: &mut impl FnMut(String, String, String),
) -> Vec<Meter> {
    let mut meters: Vec<Meter> = Vec::new();
    let mut topics: HashMap<Topic, Vec<TopicSharer>> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        let key = |field: &str| format!("meters[{i}].{field}");
        let id = match MeterId::try_from(entry.id.clone()) {
            Ok(id) => id,
            Err(e) => {
                problem(key("id"), e.to_string(), "use a slug such as \"dien-tong-hop\"".into());
                continue;
            }
        };
        let key = |field: &str| format!("meters[{i}] (\"{id}\").{field}");
        if meters.iter().any(|m| m.id == id) {
            problem(key("id"), "is used by another meter".into(), "give each meter its own id".into());
        }
        let resource: Option<Resource> = match entry.resource.parse() {
            Ok(r) => Some(r),
            Err(e) => {
                problem(key("resource"), format!("{e}"), "write electricity, water or paper".into());
                None
            }
        };
        let department = match &entry.department {
            None => None,
            Some(d) => match DepartmentId::try_from(d.clone()) {
                Ok(d) if departments.contains(&d) => Some(d),
                _ => {
                    problem(
                        key("department"),
                        format!("`{d}` is not a configured department"),
                        "use the id of a [[departments]] entry, or leave it out for the whole building".into(),
                    );
                    None
                }
            },
        };
        let kind = match entry.kind.as_str() {
            "counter" => Some(MeterKind::Counter),
            "delta" => Some(MeterKind::Delta),
            other => {
                problem(
                    key("kind"),
                    format!("`{other}` is not a meter kind"),
                    "write \"counter\" (a cumulative register) or \"delta\" (an amount per interval)".into(),
                );
                None
            }
        };
        let unit: Option<Unit> = match toml::Value::String(entry.unit.clone()).try_into() {
            Ok(u) => Some(u),
            Err(_) => {
                problem(
                    key("unit"),
                    format!("`{}` is not a unit Xanh knows", entry.unit),
                    format!("use one of {}", unit_names()),
                );
                None
            }
        };
        let conversion = match (unit, resource) {
            (Some(u), Some(r)) => match Conversion::new(u, r) {
                Ok(c) => Some(c),
                Err(e) => {
                    problem(key("unit"), e.to_string(), "change unit or resource".to_owned());
                    None
                }
            },
            _ => None,
        };
        let format = match Format::ALL.into_iter().find(|f| f.config_name() == entry.format) {
            Some(f) => Some(f),
            None => {
                problem(
                    key("format"),
                    format!("`{}` is not a payload format this version decodes", entry.format),
                    format!("use one of {}", Format::names_where(|_| true)),
                );
                None
            }
        };
        let topic = match (&entry.topic, format) {
            (None, Some(Format::Generic)) => Some(Topic::generic_for(&id)),
            (None, Some(f)) => {
                problem(
                    key("topic"),
                    format!("is required for format {}: Xanh cannot guess the device's topic", f.config_name()),
                    format!("set topic to the exact topic the device publishes on, such as \"{}\"", f.example_topic()),
                );
                None
            }
            (None, None) => None,
            (Some(t), _) => match Topic::try_from(t.clone()) {
                Ok(t) => Some(t),
                Err(e) => {
                    problem(key("topic"), e.to_string(), "give the exact topic the meter publishes on".into());
                    None
                }
            },
        };
        let select = resolve_selector(entry, format, &key, problem);
        if let (Some(format), Some(kind)) = (format, kind)
            && format != Format::Generic
            && kind != MeterKind::Counter
        {
            problem(
                key("kind"),
                format!("format {} sends a cumulative register, not amounts per interval", format.config_name()),
                "set kind = \"counter\"".into(),
            );
        }
        if let (Some(Format::ShellyGen1), Some(topic)) = (format, &topic) {
            match Format::shelly_gen1_unit(topic) {
                Some(sent) if unit != Some(sent) => problem(
                    key("unit"),
                    format!("Shelly Gen1 sends `{topic}` in {}", sent.config_name()),
                    format!("set unit = \"{}\"", sent.config_name()),
                ),
                Some(_) => {}
                None => problem(
                    key("topic"),
                    format!("`{topic}` is not a Shelly Gen1 energy topic"),
                    "use shellies/<id>/emeter/<i>/total (Wh) or shellies/<id>/relay/<i>/energy (Wmin)".into(),
                ),
            }
        }
        if let Some(topic) = &topic {
            let sharers = topics.entry(topic.clone()).or_default();
            for other in sharers.iter() {
                match (&other.device_id, &select.device_id) {
                    (Some(theirs), Some(ours)) if other.format == format && theirs != ours => {}
                    (Some(theirs), Some(ours)) if theirs == ours => problem(
                        key("device_id"),
                        format!("`{ours}` is also the device_id of meter `{}` on `{topic}`", other.id),
                        "give each radio meter on a shared topic its own device_id".into(),
                    ),
                    _ => problem(
                        key("topic"),
                        format!("`{topic}` is also the topic of meter `{}`", other.id),
                        "give each meter its own topic; only wmbusmeters meters with different device_id values may share one".into(),
                    ),
                }
            }
            sharers.push(TopicSharer { id: id.clone(), format, device_id: select.device_id.clone() });
            if topic.matches_filter(Topic::GENERIC_FILTER) && topic.as_str() != Topic::generic_for(&id).as_str() {
                problem(
                    key("topic"),
                    format!("`{topic}` looks like another meter's generic topic"),
                    format!("use xanh/{id}/reading or a topic outside xanh/+/reading"),
                );
            }
            // Instances of a shared subscription talk to each other there: a device message
            // on it would be taken for a peer's batch, and a peer's batch for a reading.
            if topic.matches_filter(&format!("{PEER_TOPIC_ROOT}/#")) || topic.as_str().starts_with('$') {
                problem(
                    key("topic"),
                    format!(
                        "`{topic}` is reserved: {PEER_TOPIC_ROOT}/… carries Xanh instances' own messages, and topics starting with $ are the broker's"
                    ),
                    "use the topic the device publishes on, outside xanh-peers/ and not starting with $".into(),
                );
            }
        }
        let register_max = match (entry.register_max, kind, conversion) {
            (None, _, _) => None,
            (Some(max), Some(MeterKind::Counter), Some(c)) if max.is_finite() && max > 0.0 => Some(c.to_canonical(max)),
            (Some(max), _, _) => {
                problem(
                    key("register_max"),
                    format!("{max} cannot be the wrap-around value of this meter"),
                    "set it only on counter meters, to the positive value (in the meter's unit) at which the register returns to zero, such as 100000".into(),
                );
                None
            }
        };
        let max_rate = match entry.max_rate {
            Some(rate) if !(rate.is_finite() && rate > 0.0) => {
                problem(
                    key("max_rate"),
                    format!("{rate} cannot be the most this meter can use in an hour"),
                    "give a positive amount per hour in the resource's unit (kWh, m3 or sheets an hour), such as 50"
                        .into(),
                );
                None
            }
            rate => rate,
        };
        let expected_interval = match (&entry.expected_interval, kind) {
            (None, Some(MeterKind::Counter)) => Some(DEFAULT_COUNTER_INTERVAL),
            (None, _) => None,
            (Some(text), _) if text.trim() == "none" => None,
            (Some(text), _) => match parse_interval(text) {
                Ok(interval) => Some(interval),
                Err(e) => {
                    problem(
                        key("expected_interval"),
                        e,
                        "write a duration such as \"15m\", \"1h\" or \"31d\" (s, m, h, d), or \"none\" for a meter that reports only when it has something".into(),
                    );
                    None
                }
            },
        };
        let parent = match &entry.parent {
            None => None,
            Some(p) => match MeterId::try_from(p.clone()) {
                Ok(p) => Some(p),
                Err(e) => {
                    problem(key("parent"), e.to_string(), "use the id of another meter".into());
                    None
                }
            },
        };
        if let (Some(resource), Some(kind), Some(conversion), Some(format), Some(topic)) =
            (resource, kind, conversion, format, topic)
        {
            meters.push(Meter {
                id,
                name: entry.name.clone(),
                resource,
                department,
                parent,
                kind,
                conversion,
                format,
                topic,
                select,
                register_max,
                max_rate,
                expected_interval,
            });
        }
    }
    check_parents(&meters, problem);
    meters
}

/// How long a counter may stay silent when its `expected_interval` is not given.
pub const DEFAULT_COUNTER_INTERVAL: Duration = Duration::from_secs(3600);

/// A duration as the config writes it: a whole number and a unit, `30s`, `15m`, `1h`, `31d`;
/// from one second to ten years.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || format!("`{text}` is not a duration");
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(|| format!("`{text}` has no unit"))?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| bad())?;
    let seconds_each = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    match number.checked_mul(seconds_each) {
        Some(s) if (1..=3660 * 86_400).contains(&s) => Ok(Duration::from_secs(s)),
        _ => Err(format!("`{text}` is not between 1s and 3660d")),
    }
}

/// A meter already seen on a topic, to tell whether the next one may share it.
pub(super) struct TopicSharer {
    id: MeterId,
    format: Option<Format>,
    device_id: Option<String>,
}

pub(super) fn unit_names() -> String {
    let names: Vec<&str> = Unit::ALL.into_iter().map(Unit::config_name).collect();
    names.join(", ")
}

/// `field`, `channel` and `device_id`: each checked against the format that gives it meaning.
pub(super) fn resolve_selector(
    entry: &MeterSpec,
    format: Option<Format>,
    key: &dyn Fn(&str) -> String,
    problem: &mut impl FnMut(String, String, String),
) -> ValueSelector {
    let mut select = ValueSelector::default();
    let applies = |name: &str, takes: fn(Format) -> bool, problem: &mut dyn FnMut(String, String, String)| match format
    {
        Some(f) if !takes(f) => {
            problem(
                key(name),
                format!("means nothing for format {}", f.config_name()),
                format!("remove it; it applies to the formats {}", Format::names_where(takes)),
            );
            false
        }
        _ => true,
    };
    if let Some(field) = &entry.field {
        if field.trim().is_empty() {
            problem(
                key("field"),
                "is empty".into(),
                "name the value to take, such as \"total_m3\", or leave field out".into(),
            );
        } else if format == Some(Format::Tasmota) && (field.ends_with("Today") || field.ends_with("Yesterday")) {
            problem(
                key("field"),
                format!("`{field}` resets every day, so it is not a meter register"),
                "leave field out to take ENERGY.Total".into(),
            );
        } else if applies("field", Format::takes_field, problem) {
            select.field = Some(field.clone());
        }
    }
    if let Some(channel) = entry.channel {
        match usize::try_from(channel) {
            Ok(c) if c < 64 => {
                if applies("channel", Format::takes_channel, problem) {
                    select.channel = c;
                }
            }
            _ => problem(
                key("channel"),
                format!("{channel} is not a channel number"),
                "count channels from 0: channel = 1 is the device's second channel".into(),
            ),
        }
    }
    if let Some(device_id) = &entry.device_id {
        if device_id.trim().is_empty() {
            problem(
                key("device_id"),
                "is empty".into(),
                "give the radio meter's id as it sends it, such as \"33225544\"".into(),
            );
        } else if applies("device_id", Format::takes_device_id, problem) {
            select.device_id = Some(device_id.clone());
        }
    }
    select
}

pub(super) fn check_parents(meters: &[Meter], problem: &mut impl FnMut(String, String, String)) {
    let by_id: HashMap<&MeterId, &Meter> = meters.iter().map(|m| (&m.id, m)).collect();
    for meter in meters {
        let Some(parent_id) = &meter.parent else { continue };
        let key = format!("meters (\"{}\").parent", meter.id);
        match by_id.get(parent_id) {
            None => problem(
                key,
                format!("`{parent_id}` is not a configured meter"),
                "use the id of the meter above this one, or leave parent out".into(),
            ),
            Some(parent) if parent.resource != meter.resource => problem(
                key,
                format!("`{parent_id}` measures {}, not {}", parent.resource, meter.resource),
                "a parent meter must measure the same resource".into(),
            ),
            Some(_) => {
                // Walk up; a chain longer than the meter count is a cycle.
                let mut current = parent_id;
                for _ in 0..=meters.len() {
                    match by_id.get(current).and_then(|m| m.parent.as_ref()) {
                        Some(next) if next == &meter.id => {
                            problem(
                                key.clone(),
                                "the parent chain leads back to this meter".into(),
                                "remove the cycle: a meter cannot be above itself".into(),
                            );
                            break;
                        }
                        Some(next) => current = next,
                        None => break,
                    }
                }
            }
        }
    }
}
