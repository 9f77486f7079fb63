//! Resources the office saves and the units their values arrive in.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A resource that the movement asks departments to save.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resource {
    Electricity,
    Water,
    Paper,
}

impl Resource {
    pub const ALL: [Resource; 3] = [Resource::Electricity, Resource::Water, Resource::Paper];

    /// The unit every figure of this resource is stored and shown in.
    pub fn canonical_unit(self) -> Unit {
        match self {
            Resource::Electricity => Unit::KilowattHour,
            Resource::Water => Unit::CubicMetre,
            Resource::Paper => Unit::Sheet,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Electricity => "electricity",
            Resource::Water => "water",
            Resource::Paper => "paper",
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a resource: use electricity, water or paper")]
pub struct UnknownResource(pub String);

impl std::str::FromStr for Resource {
    type Err = UnknownResource;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "electricity" => Ok(Resource::Electricity),
            "water" => Ok(Resource::Water),
            "paper" => Ok(Resource::Paper),
            other => Err(UnknownResource(other.to_owned())),
        }
    }
}

/// A resource the API may be asked about: one of the three metered, or a configured one
/// (stationery, toner, fuel) known by its id. Built by `Config::any_resource`, which checks the
/// id against the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyResource {
    Metered(Resource),
    Supply(super::SupplyId),
}

/// A unit that meter values may arrive in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unit {
    #[serde(rename = "Wh")]
    WattHour,
    #[serde(rename = "kWh")]
    KilowattHour,
    #[serde(rename = "MWh")]
    MegawattHour,
    /// What Shelly Gen1 relays and emeters count `energy` in: 1 Wmin = 1/60 Wh.
    #[serde(rename = "Wmin")]
    WattMinute,
    /// What SenML sums of power come to (1 kWh = 3.6 MJ).
    #[serde(rename = "J")]
    Joule,
    #[serde(rename = "L")]
    Litre,
    #[serde(rename = "m3", alias = "m³")]
    CubicMetre,
    #[serde(rename = "sheet")]
    Sheet,
    #[serde(rename = "ream")]
    Ream,
}

/// Sheets in a ream of office paper.
pub const SHEETS_PER_REAM: f64 = 500.0;

impl Unit {
    pub const ALL: [Unit; 9] = [
        Unit::WattHour,
        Unit::KilowattHour,
        Unit::MegawattHour,
        Unit::WattMinute,
        Unit::Joule,
        Unit::Litre,
        Unit::CubicMetre,
        Unit::Sheet,
        Unit::Ream,
    ];

    pub fn symbol(self) -> &'static str {
        match self {
            Unit::WattHour => "Wh",
            Unit::KilowattHour => "kWh",
            Unit::MegawattHour => "MWh",
            Unit::WattMinute => "Wmin",
            Unit::Joule => "J",
            Unit::Litre => "L",
            Unit::CubicMetre => "m³",
            Unit::Sheet => "tờ",
            Unit::Ream => "ram",
        }
    }

    /// The config spelling, for messages that tell the user what to write.
    pub fn config_name(self) -> &'static str {
        match self {
            Unit::WattHour => "Wh",
            Unit::KilowattHour => "kWh",
            Unit::MegawattHour => "MWh",
            Unit::WattMinute => "Wmin",
            Unit::Joule => "J",
            Unit::Litre => "L",
            Unit::CubicMetre => "m3",
            Unit::Sheet => "sheet",
            Unit::Ream => "ream",
        }
    }

    /// The resource this unit measures.
    pub fn resource(self) -> Resource {
        match self {
            Unit::WattHour | Unit::KilowattHour | Unit::MegawattHour | Unit::WattMinute | Unit::Joule => {
                Resource::Electricity
            }
            Unit::Litre | Unit::CubicMetre => Resource::Water,
            Unit::Sheet | Unit::Ream => Resource::Paper,
        }
    }

    /// Multiply a value in this unit by this to get the resource's canonical unit.
    fn factor_to_canonical(self) -> f64 {
        match self {
            Unit::WattHour => 0.001,
            Unit::KilowattHour => 1.0,
            Unit::MegawattHour => 1000.0,
            Unit::WattMinute => 0.001 / 60.0,
            Unit::Joule => 1.0 / 3.6e6,
            Unit::Litre => 0.001,
            Unit::CubicMetre => 1.0,
            Unit::Sheet => 1.0,
            Unit::Ream => SHEETS_PER_REAM,
        }
    }

    /// The units a meter of `resource` may report in, for error messages.
    pub fn names_for(resource: Resource) -> String {
        let units: Vec<&str> =
            Unit::ALL.into_iter().filter(|u| u.resource() == resource).map(Unit::config_name).collect();
        units.join(", ")
    }
}

/// How a meter's values become its resource's canonical unit; only exists for a unit that
/// measures that resource, so kWh can never be added to m³.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conversion {
    from: Unit,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{unit} does not measure {resource}: use one of {allowed}", unit = .unit.config_name(), allowed = Unit::names_for(*.resource))]
pub struct UnitMismatch {
    pub unit: Unit,
    pub resource: Resource,
}

impl Conversion {
    pub fn new(from: Unit, resource: Resource) -> Result<Self, UnitMismatch> {
        if from.resource() == resource { Ok(Self { from }) } else { Err(UnitMismatch { unit: from, resource }) }
    }

    pub fn unit(self) -> Unit {
        self.from
    }

    pub fn to_canonical(self, value: f64) -> f64 {
        value * self.from.factor_to_canonical()
    }

    /// Back from the canonical unit to the meter's own, as a device would report it.
    pub fn from_canonical(self, value: f64) -> f64 {
        value / self.from.factor_to_canonical()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_reach_the_canonical_unit() {
        let wh = Conversion::new(Unit::WattHour, Resource::Electricity).unwrap();
        assert_eq!(wh.to_canonical(1500.0), 1.5);
        let litres = Conversion::new(Unit::Litre, Resource::Water).unwrap();
        assert_eq!(litres.to_canonical(250.0), 0.25);
        let reams = Conversion::new(Unit::Ream, Resource::Paper).unwrap();
        assert_eq!(reams.to_canonical(3.0), 1500.0);
        let watt_minutes = Conversion::new(Unit::WattMinute, Resource::Electricity).unwrap();
        assert!((watt_minutes.to_canonical(60_000.0) - 1.0).abs() < 1e-12);
        let joules = Conversion::new(Unit::Joule, Resource::Electricity).unwrap();
        assert!((joules.to_canonical(3.6e6) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_unit_of_another_resource_is_refused_with_the_allowed_ones() {
        let err = Conversion::new(Unit::CubicMetre, Resource::Electricity).unwrap_err();
        assert_eq!(err.to_string(), "m3 does not measure electricity: use one of Wh, kWh, MWh, Wmin, J");
    }
}
