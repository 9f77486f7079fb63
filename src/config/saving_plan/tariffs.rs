//! `[[tariffs]]`: a price from a date on, per unit; electricity may instead give time-of-use
//! prices (`[tariffs.time_of_use]`) or monthly blocks (`blocks`), checked by
//! `domain::electricity_price`.

use jiff::civil::Date;
use serde::Deserialize;

use super::{Problem, date, resource};
use crate::domain::electricity_price::{Block, TimeOfUseSpec};
use crate::domain::{PriceScheme, Resource, Unit};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::config) struct TariffEntry {
    resource: String,
    from: String,
    /// One price; electricity may instead give `time_of_use` or `blocks`.
    price_vnd: Option<f64>,
    per: String,
    time_of_use: Option<TimeOfUseSpec>,
    blocks: Option<Vec<Block>>,
    #[serde(default)]
    note: String,
}

/// A price in force from a date on (until a later one).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Tariff {
    pub resource: Resource,
    #[serde(serialize_with = "iso_date")]
    pub from: Date,
    pub price_vnd: f64,
    /// The unit the price is for, as written (kWh, m3, ream…).
    pub per: String,
    pub note: String,
    /// VND per canonical unit (kWh, m³, sheet); for time-of-use prices or blocks, the
    /// headline price (normal hours, the first block).
    #[serde(skip)]
    pub vnd_per_unit: f64,
    /// Electricity's time-of-use prices or monthly blocks, if not one price.
    #[serde(skip)]
    pub scheme: PriceScheme,
}

impl Tariff {
    /// A price of `price_vnd` per `per` (a unit of `resource`, as a config writes it: kWh,
    /// m3, ream…) from `from` on; `Err` says which units `resource` takes.
    pub fn new(resource: Resource, from: Date, price_vnd: f64, per: &str, note: &str) -> Result<Tariff, String> {
        let unit: Option<Unit> = serde_json::from_value(serde_json::Value::String(per.to_owned())).ok();
        let Some(unit) = unit.filter(|u| u.resource() == resource) else {
            return Err(format!("use one of {}", Unit::names_for(resource)));
        };
        // A price per ream is a 500th of it per sheet; per Wh a thousand times it per kWh.
        let vnd_per_unit =
            price_vnd / crate::domain::Conversion::new(unit, resource).map(|c| c.to_canonical(1.0)).unwrap_or(1.0);
        Ok(Tariff {
            resource,
            from,
            price_vnd,
            per: per.to_owned(),
            note: note.to_owned(),
            vnd_per_unit,
            scheme: PriceScheme::Flat,
        })
    }

    /// Electricity per kWh at time-of-use prices or in blocks (a flat scheme keeps the one
    /// price); `Err` says what to fix, in English and Vietnamese.
    pub fn priced_by(self, scheme: PriceScheme) -> Result<Tariff, (String, String)> {
        let Some(headline) = scheme.headline_vnd() else { return Ok(Tariff { scheme, ..self }) };
        if self.resource != Resource::Electricity || self.per != "kWh" {
            return Err((
                "time-of-use prices and blocks are for electricity per kWh: set resource = \"electricity\" and per = \"kWh\"".into(),
                "Giá theo giờ và giá bậc thang chỉ dùng cho điện, tính theo kWh".into(),
            ));
        }
        Ok(Tariff { price_vnd: headline, vnd_per_unit: headline, scheme, ..self })
    }
}

fn iso_date<S: serde::Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(date)
}

/// EVN's retail price for administrative offices below 6 kV from 10/05/2025, before VAT. The
/// water price is the office's to set.
pub(super) fn default_tariffs() -> Vec<Tariff> {
    vec![Tariff {
        resource: Resource::Electricity,
        from: jiff::civil::date(2025, 5, 10),
        price_vnd: 2226.0,
        per: "kWh".into(),
        note: "Giá bán lẻ điện cho cơ quan hành chính sự nghiệp, cấp điện áp dưới 6 kV, chưa gồm VAT".into(),
        vnd_per_unit: 2226.0,
        scheme: PriceScheme::Flat,
    }]
}

pub(super) fn resolve_tariffs(entries: &[TariffEntry], problem: Problem<'_>) -> Vec<Tariff> {
    let mut tariffs: Vec<Tariff> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let key = |f: &str| format!("tariffs[{i}].{f}");
        let res = resource(&e.resource, &key("resource"), problem);
        let from = date(&e.from, &key("from"), problem);
        let scheme_key = if e.blocks.is_some() { "blocks" } else { "time_of_use" };
        let scheme = match PriceScheme::from_parts(e.time_of_use.clone(), e.blocks.clone()) {
            Ok(scheme) => scheme,
            Err(err) => {
                problem(key(scheme_key), err.english(), "correct it as the bill or EVN's notice gives it".into());
                continue;
            }
        };
        let price_vnd = match (e.price_vnd, scheme.headline_vnd()) {
            (Some(p), None) => p,
            (None, Some(headline)) => headline,
            (None, None) => {
                problem(
                    key("price_vnd"),
                    "no price given".into(),
                    "give price_vnd, or for electricity time_of_use or blocks".into(),
                );
                continue;
            }
            (Some(_), Some(_)) => {
                problem(
                    key("price_vnd"),
                    format!("price_vnd given with {scheme_key}"),
                    format!("leave out price_vnd: the prices are in {scheme_key}"),
                );
                continue;
            }
        };
        if !(price_vnd.is_finite() && price_vnd >= 0.0) {
            problem(key("price_vnd"), format!("{price_vnd} is not a price"), "give the price in VND, 0 or more".into());
            continue;
        }
        let (Some(resource), Some(from)) = (res, from) else { continue };
        let tariff = match Tariff::new(resource, from, price_vnd, &e.per, &e.note) {
            Ok(tariff) => tariff,
            Err(fix) => {
                problem(key("per"), format!("`{}` is not a unit of {resource}", e.per), fix);
                continue;
            }
        };
        let tariff = match tariff.priced_by(scheme) {
            Ok(tariff) => tariff,
            Err((fix, _)) => {
                problem(key(scheme_key), format!("{scheme_key} given for {resource} per {}", e.per), fix);
                continue;
            }
        };
        if tariffs.iter().any(|t| t.resource == resource && t.from == from) {
            problem(
                key("from"),
                format!("another {resource} tariff starts on {from}"),
                "keep one tariff per resource and start date".into(),
            );
            continue;
        }
        tariffs.push(tariff);
    }
    tariffs
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::saving_plan::tests::OFFICE;
    use crate::domain::Resource;

    #[test]
    fn electricity_tiers_in_the_file_are_checked_with_their_key() {
        let tou = "[[tariffs]]\nresource = \"electricity\"\nfrom = \"2026-01-01\"\nper = \"kWh\"\n\
                   [tariffs.time_of_use]\nnormal_vnd = 2000.0\npeak_vnd = 3000.0\noff_peak_vnd = 1000.0\n\
                   monday_saturday = [{ from = \"22:00\", to = \"04:00\", band = \"off_peak\" }, \
                   { from = \"04:00\", to = \"22:00\", band = \"normal\" }]\n";
        let good = format!("{OFFICE}{tou}sunday = [{{ from = \"00:00\", to = \"24:00\", band = \"normal\" }}]\n");
        let config = Config::parse("office.toml", &good, &|_| None).unwrap();
        let tariff = config.plan.tariff(Resource::Electricity, jiff::civil::date(2026, 1, 1)).unwrap();
        assert_eq!((tariff.price_vnd, tariff.scheme.parts().0.map(|t| t.sunday.len())), (2000.0, Some(1)));

        let gap = format!(
            "{OFFICE}{tou}sunday = [{{ from = \"00:00\", to = \"23:30\", band = \"normal\" }}]\n\
             [[tariffs]]\nresource = \"electricity\"\nfrom = \"2027-01-01\"\nper = \"kWh\"\nprice_vnd = 1.0\n\
             blocks = [{{ up_to_kwh = 50.0, price_vnd = 1.0 }}, {{ price_vnd = 2.0 }}]\n"
        );
        let err = Config::parse("office.toml", &gap, &|_| None).unwrap_err();
        let said = |key: &str, words: &str| {
            assert!(
                err.problems.iter().any(|p| p.key == key && format!("{} {}", p.problem, p.fix).contains(words)),
                "{key} should say {words:?}:\n{err}"
            )
        };
        said("tariffs[0].time_of_use", "no Sunday window covers 23:30");
        said("tariffs[1].price_vnd", "leave out price_vnd");
    }
}
