//! Alerts: what Xanh tells people about (a leak, a silent meter, a forecast above target), how
//! serious it is, and one condition as the rules find it.

use serde::Serialize;

use super::{DepartmentId, MeterId, Resource};

/// The rules of issue 16, each with its stable code (the API's `rule`, the MQTT topic's level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertRule {
    /// Night water flow that never reaches zero.
    NightLeak,
    /// Electricity outside working hours above a share of working-hours use.
    OffHours,
    /// Electricity drawn at night above its usual level (learned from the previous weeks).
    NightBaseLoad,
    /// A meter silent past its expected interval.
    SilentMeter,
    /// The forecast of a period crossing its target.
    Forecast,
    /// Readings held for review waiting longer than allowed.
    HeldReadings,
    /// Rejected input piling up from one topic.
    RejectedInput,
    /// The store cannot take a write, or its disk is nearly full.
    StoreUnwritable,
    /// The InfluxDB outbox waited past its alert age.
    InfluxOutbox,
    /// The external broker's session was lost (messages may have been dropped).
    MqttSession,
    /// The embedded broker dropped messages for a subscriber that fell behind.
    BrokerDrops,
}

impl AlertRule {
    pub const ALL: [AlertRule; 11] = [
        AlertRule::NightLeak,
        AlertRule::OffHours,
        AlertRule::NightBaseLoad,
        AlertRule::SilentMeter,
        AlertRule::Forecast,
        AlertRule::HeldReadings,
        AlertRule::RejectedInput,
        AlertRule::StoreUnwritable,
        AlertRule::InfluxOutbox,
        AlertRule::MqttSession,
        AlertRule::BrokerDrops,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AlertRule::NightLeak => "night_leak",
            AlertRule::OffHours => "off_hours",
            AlertRule::NightBaseLoad => "night_base_load",
            AlertRule::SilentMeter => "silent_meter",
            AlertRule::Forecast => "forecast",
            AlertRule::HeldReadings => "held_readings",
            AlertRule::RejectedInput => "rejected_input",
            AlertRule::StoreUnwritable => "store_unwritable",
            AlertRule::InfluxOutbox => "influx_outbox",
            AlertRule::MqttSession => "mqtt_session",
            AlertRule::BrokerDrops => "broker_drops",
        }
    }

    pub fn parse(code: &str) -> Option<AlertRule> {
        AlertRule::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The rule's name as people read it.
    pub fn name(self, vietnamese: bool) -> &'static str {
        let (vi, en) = match self {
            AlertRule::NightLeak => ("Rò rỉ nước ban đêm", "Night water leak"),
            AlertRule::OffHours => ("Dùng điện ngoài giờ", "Electricity outside working hours"),
            AlertRule::NightBaseLoad => ("Điện nền ban đêm tăng", "Night base load up"),
            AlertRule::SilentMeter => ("Công tơ mất tín hiệu", "Silent meter"),
            AlertRule::Forecast => ("Dự báo vượt mục tiêu", "Forecast above target"),
            AlertRule::HeldReadings => ("Số liệu chờ xem xét quá lâu", "Held readings waiting too long"),
            AlertRule::RejectedInput => ("Số liệu bị từ chối dồn lại", "Rejected input piling up"),
            AlertRule::StoreUnwritable => ("Không ghi được dữ liệu", "Store not writable"),
            AlertRule::InfluxOutbox => ("InfluxDB chậm nhận dữ liệu", "InfluxDB outbox behind"),
            AlertRule::MqttSession => ("Mất phiên MQTT", "MQTT session lost"),
            AlertRule::BrokerDrops => ("Máy chủ MQTT bỏ bản tin", "Broker dropping messages"),
        };
        if vietnamese { vi } else { en }
    }
}

/// How urgently someone should act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn code(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(code: &str) -> Option<Severity> {
        [Severity::Info, Severity::Warning, Severity::Critical].into_iter().find(|s| s.code() == code)
    }
}

/// One condition a rule found true now. Its `key` names the condition (the rule and what it is
/// about, e.g. `silent_meter/dien-a`): while the same key stays true, it is one alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub rule: AlertRule,
    pub key: String,
    pub resource: Option<Resource>,
    pub meter: Option<MeterId>,
    pub department: Option<DepartmentId>,
    pub severity: Severity,
    /// The figure that made it true (litres lost, kWh, minutes silent, items waiting).
    pub last_value: Option<f64>,
    /// What it says, in Vietnamese, then in English.
    pub message: String,
    pub message_en: String,
    /// Raised at most once for its key (a forecast: once per period), even if it comes back.
    pub once: bool,
    /// The night in question hour by hour in local time (a leak: litres per hour), drawn as
    /// the chart its e-mail carries; empty for rules about no particular night.
    pub night: Vec<(jiff::civil::DateTime, f64)>,
}
