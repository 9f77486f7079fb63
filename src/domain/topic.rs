//! MQTT topic names and filters, checked against the MQTT rules before they reach a client.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid MQTT topic: {why}")]
pub struct InvalidTopic {
    pub value: String,
    pub why: &'static str,
}

/// A topic a meter publishes on: no wildcards, not empty, no NUL, at most 65535 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Topic(String);

impl Topic {
    /// The subscription that catches every generic-format topic, configured or not, so that a
    /// message for an unknown meter is kept among the rejected instead of never being seen.
    pub const GENERIC_FILTER: &'static str = "xanh/+/reading";

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The generic format's topic for a meter: `xanh/<meter-id>/reading`.
    pub fn generic_for(meter: &super::MeterId) -> Topic {
        Topic(format!("xanh/{meter}/reading"))
    }

    /// Whether an MQTT subscription `filter` (with `+` and `#`) matches this topic.
    pub fn matches_filter(&self, filter: &str) -> bool {
        let mut levels = self.0.split('/');
        for part in filter.split('/') {
            match part {
                "#" => return true,
                "+" => {
                    if levels.next().is_none() {
                        return false;
                    }
                }
                exact => {
                    if levels.next() != Some(exact) {
                        return false;
                    }
                }
            }
        }
        levels.next().is_none()
    }
}

impl TryFrom<String> for Topic {
    type Error = InvalidTopic;
    fn try_from(value: String) -> Result<Self, InvalidTopic> {
        let why = if value.is_empty() {
            Some("it is empty")
        } else if value.len() > 65_535 {
            Some("it is longer than 65535 bytes")
        } else if value.contains(['+', '#']) {
            Some("a topic that a meter publishes on cannot hold the wildcards + or #")
        } else if value.contains('\0') {
            Some("it contains a NUL character")
        } else {
            None
        };
        match why {
            Some(why) => Err(InvalidTopic { value, why }),
            None => Ok(Topic(value)),
        }
    }
}

impl From<Topic> for String {
    fn from(topic: Topic) -> String {
        topic.0
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A topic filter with `+` and `#` that a client of the embedded broker may publish under,
/// checked against the MQTT rules: `#` only as the whole last level, `+` only as a whole level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicFilter(String);

impl TopicFilter {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a topic someone publishes on falls under this filter, as MQTT matches it: `a/#`
    /// also matches `a`, and a wildcard first level never matches a `$…` topic.
    pub fn matches(&self, topic: &str) -> bool {
        if topic.starts_with('$') && self.0.starts_with(['+', '#']) {
            return false;
        }
        let mut levels = topic.split('/');
        for part in self.0.split('/') {
            match (part, levels.next()) {
                ("#", _) => return true,
                ("+", Some(_)) => {}
                (exact, Some(level)) if exact == level => {}
                _ => return false,
            }
        }
        levels.next().is_none()
    }
}

impl TryFrom<String> for TopicFilter {
    type Error = InvalidTopic;
    fn try_from(value: String) -> Result<Self, InvalidTopic> {
        let levels: Vec<&str> = value.split('/').collect();
        let why = if value.is_empty() {
            Some("it is empty")
        } else if value.len() > 65_535 {
            Some("it is longer than 65535 bytes")
        } else if value.contains('\0') {
            Some("it contains a NUL character")
        } else if levels.iter().enumerate().any(|(i, l)| l.contains('#') && (*l != "#" || i + 1 != levels.len())) {
            Some("# may only be the whole last level, as in gateways/tang-1/#")
        } else if levels.iter().any(|l| l.contains('+') && *l != "+") {
            Some("+ may only stand for a whole level, as in gateways/+/status")
        } else {
            None
        };
        match why {
            Some(why) => Err(InvalidTopic { value, why }),
            None => Ok(TopicFilter(value)),
        }
    }
}

impl fmt::Display for TopicFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The first level of the topic on which Xanh instances that share a subscription send each
/// other the readings they stored (`xanh-peers/<group>`). No meter may publish under it.
pub const PEER_TOPIC_ROOT: &str = "xanh-peers";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a shared-subscription group name: use 1 to 64 letters, digits, `-` or `_`, such as \"xanh\"")]
pub struct InvalidShareGroup(pub String);

/// The group of an MQTT shared subscription (`$share/<group>/<filter>`): several Xanh
/// instances in one group split the devices' messages between them. One topic level of
/// letters, digits, `-` and `_`, so that it can hold neither a wildcard nor a `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareGroup(String);

impl ShareGroup {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The shared form of a device subscription.
    pub fn share(&self, filter: &str) -> String {
        format!("$share/{}/{filter}", self.0)
    }

    /// Where the group's instances send each other what they stored; every instance
    /// subscribes to it unshared, so each gets every other's batches.
    pub fn peer_topic(&self) -> String {
        format!("{PEER_TOPIC_ROOT}/{}", self.0)
    }
}

impl TryFrom<String> for ShareGroup {
    type Error = InvalidShareGroup;
    fn try_from(value: String) -> Result<Self, InvalidShareGroup> {
        let ok = (1..=64).contains(&value.len())
            && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
        if ok { Ok(ShareGroup(value)) } else { Err(InvalidShareGroup(value)) }
    }
}

impl fmt::Display for ShareGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(s: &str) -> Topic {
        Topic::try_from(s.to_owned()).unwrap()
    }

    #[test]
    fn wildcards_empty_and_nul_are_refused() {
        for bad in ["", "xanh/+/reading", "xanh/#", "a\0b"] {
            assert!(Topic::try_from(bad.to_owned()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn filters_match_like_a_broker_does() {
        let t = topic("xanh/dien-a/reading");
        assert!(t.matches_filter("xanh/+/reading"));
        assert!(t.matches_filter("xanh/#"));
        assert!(t.matches_filter("xanh/dien-a/reading"));
        assert!(!t.matches_filter("xanh/+"));
        assert!(!t.matches_filter("xanh/+/reading/+"));
        assert!(!t.matches_filter("tele/+/SENSOR"));
    }

    fn filter(s: &str) -> TopicFilter {
        TopicFilter::try_from(s.to_owned()).unwrap()
    }

    #[test]
    fn publish_filters_are_checked_and_match_like_mosquitto() {
        for bad in ["", "a/#/b", "a/b#", "a/+b", "a\0"] {
            assert!(TopicFilter::try_from(bad.to_owned()).is_err(), "{bad:?}");
        }
        let own = filter("gateways/tang-1/#");
        assert!(own.matches("gateways/tang-1/dien-a"));
        assert!(own.matches("gateways/tang-1"));
        assert!(!own.matches("gateways/tang-10/dien-a"));
        assert!(!own.matches("gateways/tang-2/dien-a"));
        assert!(!own.matches("gateways"));
        let plus = filter("tele/+/SENSOR");
        assert!(plus.matches("tele/plug-1/SENSOR"));
        assert!(!plus.matches("tele/plug-1/STATE"));
        assert!(!plus.matches("tele/a/b/SENSOR"));
        assert!(filter("#").matches("xanh/m/reading"));
        assert!(!filter("#").matches("$SYS/broker"));
    }

    #[test]
    fn share_groups_are_one_plain_level() {
        for bad in ["", "a/b", "a+", "#", "xanh peers", "nhóm", &"a".repeat(65)] {
            assert!(ShareGroup::try_from(bad.to_owned()).is_err(), "{bad:?}");
        }
        let group = ShareGroup::try_from("xanh_1-a".to_owned()).unwrap();
        assert_eq!(group.share("xanh/+/reading"), "$share/xanh_1-a/xanh/+/reading");
        assert_eq!(group.peer_topic(), "xanh-peers/xanh_1-a");
    }
}
