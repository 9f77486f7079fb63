//! The office's vocabulary as types that cannot be misused: ids, resources, units, meters and
//! readings. Everything here is built once from checked input and trusted afterwards.

mod access;
mod alert;
mod calendar;
pub mod consumption;
mod correction;
mod digest;
mod documents;
pub mod electricity_price;
mod ids;
mod meetings;
mod office;
mod payload_format;
pub mod period;
mod reading;
mod rejection;
mod resource;
mod supply;
mod topic;

pub use access::{InvalidUsername, Role, Sender, UnknownRole, User, Username};
pub use alert::{AlertRule, Condition, Severity};
pub use calendar::{Calendar, CalendarDay, CalendarDayError, CalendarYear, DayKind, YearDays, YearStatus};
pub use correction::{Correction, CorrectionRecord, InvalidCorrection};
pub use digest::PasswordDigest;
pub use documents::{DocumentCount, InvalidMonth, Month};
pub use electricity_price::PriceScheme;
pub use ids::{DepartmentId, InvalidId, ItemId, MeterId, OfficeId, SupplyId};
pub use meetings::{MeetingCount, TooManyPaperless};
pub use office::{InvalidWorkingHours, Letterhead, Office, WorkingDays, WorkingHours};
pub use payload_format::{Format, ValueSelector};
pub use period::{NamedPeriod, PeriodError, Phase, Step, TimeRange};
pub use reading::{Reading, Source};
pub use rejection::{Incoming, Origin, RejectReason, Rejection};
pub use resource::{AnyResource, Conversion, Resource, SHEETS_PER_REAM, Unit, UnitMismatch, UnknownResource};
pub use supply::{
    IssueSlip, Measure, Norm, NormBasis, NormEvery, Price, PricedLine, SlipLine, SlipProblem, Supply, SupplyItem,
};
pub use topic::{InvalidShareGroup, InvalidTopic, PEER_TOPIC_ROOT, ShareGroup, Topic, TopicFilter};

/// A department (phòng, ban, trung tâm).
#[derive(Debug, Clone, PartialEq)]
pub struct Department {
    pub id: DepartmentId,
    pub name: String,
    /// The English name, when one was given.
    pub name_en: Option<String>,
    pub headcount: u32,
    pub area_m2: f64,
}

/// How a meter reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MeterKind {
    /// A cumulative register: consumption is the difference between readings.
    Counter,
    /// An amount used in an interval: reams issued, a monthly bill.
    Delta,
}

/// A configured meter.
#[derive(Debug, Clone)]
pub struct Meter {
    pub id: MeterId,
    pub name: String,
    pub resource: Resource,
    /// The department it serves; `None` for the whole building.
    pub department: Option<DepartmentId>,
    /// A meter above this one (a building main meter above floor sub-meters).
    pub parent: Option<MeterId>,
    pub kind: MeterKind,
    /// From the unit values arrive in to the resource's canonical unit.
    pub conversion: Conversion,
    pub format: Format,
    pub topic: Topic,
    /// Which value of the device's messages is this meter's (`field`, `channel`, `device_id`).
    pub select: ValueSelector,
    /// The canonical value at which a counter's register wraps back to zero.
    pub register_max: Option<f64>,
    /// The most the meter can plausibly use in an hour, in the canonical unit (kWh, m³,
    /// sheets); a jump beyond it is held for review instead of being counted.
    pub max_rate: Option<f64>,
    /// The longest a meter may stay silent before its figures count as incomplete; `None` for
    /// a meter that reports when it has something (a delta meter, a manual monthly reading).
    pub expected_interval: Option<std::time::Duration>,
}

#[cfg(test)]
impl Meter {
    /// A plain kWh counter on its generic topic, for tests to adjust.
    pub(crate) fn test_counter(id: &str) -> Meter {
        let id: MeterId = id.parse().expect("a valid test meter id");
        Meter {
            topic: Topic::generic_for(&id),
            id,
            name: String::new(),
            resource: Resource::Electricity,
            department: None,
            parent: None,
            kind: MeterKind::Counter,
            conversion: Conversion::new(Unit::KilowattHour, Resource::Electricity).expect("kWh measures electricity"),
            format: Format::Generic,
            select: Default::default(),
            register_max: None,
            max_rate: None,
            expected_interval: None,
        }
    }
}
