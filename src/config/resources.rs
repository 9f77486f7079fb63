//! `[[resources]]`: the office's resources beyond electricity, water and paper (stationery,
//! toner, fuel…), their items and dated price lists (docs/resources.md).

use std::collections::HashSet;

use jiff::civil::Date;
use serde::Deserialize;

use crate::domain::{
    DepartmentId, ItemId, Measure, Norm, NormBasis, NormEvery, Price, Resource, Supply, SupplyId, SupplyItem,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResourceEntry {
    id: String,
    name_vi: String,
    name_en: String,
    kind: String,
    unit: String,
    measure: String,
    co2e_kg_per_unit: Option<f64>,
    #[serde(default)]
    items: Vec<ItemEntry>,
    #[serde(default)]
    norms: Vec<NormEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NormEntry {
    department: Option<String>,
    from: String,
    per: String,
    every: String,
    amount: f64,
    measure: String,
    regulation: String,
    regulation_date: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemEntry {
    id: String,
    name: String,
    unit: String,
    #[serde(default)]
    prices: Vec<PriceEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceEntry {
    from: String,
    vnd: f64,
}

pub(super) fn resolve_resources(
    entries: Vec<ResourceEntry>,
    departments: &HashSet<&DepartmentId>,
    problem: &mut impl FnMut(String, String, String),
) -> Vec<Supply> {
    let mut seen = HashSet::new();
    let mut supplies = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let key = |field: &str| format!("resources[{i}].{field}");
        let id = match SupplyId::try_from(entry.id.clone()) {
            Ok(id) => id,
            Err(e) => {
                problem(key("id"), e.to_string(), "use a slug such as \"van-phong-pham\"".into());
                continue;
            }
        };
        if entry.id.parse::<Resource>().is_ok() {
            problem(
                key("id"),
                format!("`{id}` is a metered resource"),
                "electricity, water and paper are measured by [[meters]]: give this resource another id".into(),
            );
        }
        if !seen.insert(id.clone()) {
            problem(key("id"), format!("`{id}` is used by another resource"), "give each resource its own id".into());
        }
        for (field, value, what) in [
            ("name_vi", &entry.name_vi, "its Vietnamese name, such as \"Văn phòng phẩm\""),
            ("name_en", &entry.name_en, "its English name, such as \"Stationery\""),
            ("unit", &entry.unit, "what its figure is counted in, such as \"đồng\", \"hộp\" or \"lít\""),
        ] {
            if value.trim().is_empty() {
                problem(key(field), "is empty".into(), format!("give {what}"));
            }
        }
        match entry.kind.as_str() {
            "amount" => {}
            "counter" => problem(
                key("kind"),
                "a configured resource cannot be a counter".into(),
                "counters are meters, and meters measure electricity, water or paper ([[meters]]); \
                 write kind = \"amount\" for a resource issued in amounts"
                    .into(),
            ),
            other => problem(key("kind"), format!("`{other}` is not a kind"), "write kind = \"amount\"".into()),
        }
        let measure = match entry.measure.as_str() {
            "quantity" => Measure::Quantity,
            "value" => Measure::Value,
            other => {
                problem(
                    key("measure"),
                    format!("`{other}` is not a measure"),
                    "write \"quantity\" (the items' units add up: litres, cartridges) or \"value\" (their value in VND)"
                        .into(),
                );
                Measure::Value
            }
        };
        if let Some(factor) = entry.co2e_kg_per_unit
            && !(factor.is_finite() && factor >= 0.0)
        {
            problem(
                key("co2e_kg_per_unit"),
                format!("{factor} is not a factor"),
                "give kg CO2e per unit, 0 or more".into(),
            );
        }
        if entry.items.is_empty() {
            problem(key("items"), "has no item".into(), "list what can be issued in [[resources.items]]".into());
        }
        let items = resolve_items(&entry.items, &key("items"), problem);
        let norms = resolve_norms(&entry.norms, &key("norms"), departments, problem);
        supplies.push(Supply {
            id,
            name_vi: entry.name_vi,
            name_en: entry.name_en,
            unit: entry.unit,
            measure,
            co2e_kg_per_unit: entry.co2e_kg_per_unit,
            items,
            norms,
        });
    }
    supplies
}

fn resolve_items(
    entries: &[ItemEntry],
    prefix: &str,
    problem: &mut impl FnMut(String, String, String),
) -> Vec<SupplyItem> {
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let key = |field: &str| format!("{prefix}[{i}].{field}");
        let id = match ItemId::try_from(entry.id.clone()) {
            Ok(id) => id,
            Err(e) => {
                problem(key("id"), e.to_string(), "use a slug such as \"but-bi\"".into());
                continue;
            }
        };
        if !seen.insert(id.clone()) {
            problem(key("id"), format!("`{id}` is used by another item"), "give each item its own id".into());
        }
        if entry.name.trim().is_empty() {
            problem(key("name"), "is empty".into(), "give the item's Vietnamese name, such as \"Bút bi\"".into());
        }
        let mut prices: Vec<Price> = Vec::new();
        for (j, price) in entry.prices.iter().enumerate() {
            let price_key = |field: &str| format!("{prefix}[{i}].prices[{j}].{field}");
            let Ok(from) = price.from.parse::<Date>() else {
                problem(price_key("from"), format!("`{}` is not a date", price.from), "write it as 2026-01-01".into());
                continue;
            };
            if !(price.vnd.is_finite() && price.vnd >= 0.0) {
                problem(
                    price_key("vnd"),
                    format!("{} is not a price", price.vnd),
                    "give the price in VND, 0 or more".into(),
                );
                continue;
            }
            if prices.last().is_some_and(|p| p.from >= from) {
                problem(
                    price_key("from"),
                    format!("{from} is not after the price before it"),
                    "list an item's prices oldest first, one a date".into(),
                );
                continue;
            }
            prices.push(Price { from, vnd: price.vnd });
        }
        items.push(SupplyItem { id, name: entry.name.clone(), unit: entry.unit.clone(), prices });
    }
    items
}

fn resolve_norms(
    entries: &[NormEntry],
    prefix: &str,
    departments: &HashSet<&DepartmentId>,
    problem: &mut impl FnMut(String, String, String),
) -> Vec<Norm> {
    let mut norms: Vec<Norm> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let key = |field: &str| format!("{prefix}[{i}].{field}");
        let mut ok = true;
        let mut bad = |field: &str, what: String, fix: &str| {
            problem(key(field), what, fix.into());
            ok = false;
        };
        let department = match entry.department.as_deref().map(str::parse::<DepartmentId>) {
            None => None,
            Some(Ok(d)) if departments.contains(&d) => Some(d),
            Some(Ok(d)) => {
                bad("department", format!("`{d}` is not a configured department"), "use an id from [[departments]]");
                None
            }
            Some(Err(e)) => {
                bad(
                    "department",
                    e.to_string(),
                    "use an id from [[departments]], or leave it out for every department",
                );
                None
            }
        };
        let date = |field: &str, text: &str, bad: &mut dyn FnMut(&str, String, &str)| match text.parse::<Date>() {
            Ok(day) => Some(day),
            Err(_) => {
                bad(field, format!("`{text}` is not a date"), "write it as 2025-01-01");
                None
            }
        };
        let from = date("from", &entry.from, &mut bad);
        let regulation_date = date("regulation_date", &entry.regulation_date, &mut bad);
        let basis = match entry.per.as_str() {
            "person" => NormBasis::Person,
            "department" => NormBasis::Department,
            other => {
                bad("per", format!("`{other}` is not whom a norm is for"), "write \"person\" or \"department\"");
                NormBasis::Person
            }
        };
        let every = match entry.every.as_str() {
            "month" => NormEvery::Month,
            "quarter" => NormEvery::Quarter,
            "year" => NormEvery::Year,
            other => {
                bad("every", format!("`{other}` is not a norm's period"), "write \"month\", \"quarter\" or \"year\"");
                NormEvery::Month
            }
        };
        let measure = match entry.measure.as_str() {
            "value" => Measure::Value,
            "quantity" => Measure::Quantity,
            other => {
                bad(
                    "measure",
                    format!("`{other}` is not a measure"),
                    "write \"value\" (an allowance in VND) or \"quantity\" (in the resource's unit)",
                );
                Measure::Value
            }
        };
        if !(entry.amount.is_finite() && entry.amount > 0.0) {
            bad("amount", format!("{} is not an allowance", entry.amount), "give the allowance, greater than 0");
        }
        if entry.regulation.trim().is_empty() {
            bad("regulation", "is empty".into(), "name the regulation, such as \"Quyết định số 15/QĐ-VP\"");
        }
        let (Some(from), Some(regulation_date)) = (from, regulation_date) else { continue };
        if regulation_date > from {
            bad(
                "regulation_date",
                format!("the regulation ({regulation_date}) is dated after the norm takes effect ({from})"),
                "check both dates: a norm takes effect on or after the regulation's date",
            );
        }
        if norms.iter().any(|n| n.department == department && n.from == from) {
            bad(
                "from",
                format!("another norm for the same departments starts on {from}"),
                "give each revision its own date",
            );
        }
        if ok {
            norms.push(Norm {
                department,
                from,
                basis,
                every,
                amount: entry.amount,
                measure,
                regulation: entry.regulation.trim().to_owned(),
                regulation_date,
            });
        }
    }
    norms.sort_by_key(|n| n.from);
    norms
}
