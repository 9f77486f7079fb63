use crate::config::{BUILT_IN_DEFAULT, Config};
use crate::domain::Resource;

pub(super) const OFFICE: &str =
    "[office]\nname = \"X\"\n[[departments]]\nid = \"phong-a\"\nname = \"A\"\nheadcount = 1\narea_m2 = 10.0\n";

#[test]
fn the_shipped_plan_has_the_directive_targets_factor_and_tariff() {
    let config = Config::parse("default.toml", BUILT_IN_DEFAULT, &|_| None).unwrap();
    let plan = &config.plan;
    let period = crate::domain::period::NamedPeriod::parse("2026").unwrap();
    let electricity = plan.target(Resource::Electricity, None, &period).unwrap();
    assert_eq!((electricity.saving_percent, electricity.stretch_percent), (2.0, Some(10.0)));
    assert_eq!(plan.target(Resource::Water, None, &period).unwrap().saving_percent, 5.0);
    assert_eq!(plan.target(Resource::Paper, None, &period).unwrap().saving_percent, 10.0);
    assert_eq!(plan.emission_factor(Resource::Electricity, 2026).unwrap().kg_per_unit, 0.6592);
    // 0,919 kg CO2e a kg × 2,5 kg a ream / 500 sheets.
    assert!((plan.emission_factor(Resource::Paper, 2026).unwrap().kg_per_unit - 0.004595).abs() < 1e-12);
    assert_eq!(plan.tariff(Resource::Electricity, jiff::civil::date(2026, 1, 1)).unwrap().price_vnd, 2226.0);
    assert!(plan.tariff(Resource::Electricity, jiff::civil::date(2025, 5, 9)).is_none());
    assert!(plan.tariff(Resource::Water, jiff::civil::date(2026, 1, 1)).is_none());
}

#[test]
fn the_most_specific_target_wins() {
    let text = format!(
        "{OFFICE}[[targets]]\nresource = \"water\"\nsaving_percent = 5.0\n\
         [[targets]]\nresource = \"water\"\nsaving_percent = 7.0\nperiod = \"2026\"\n\
         [[targets]]\nresource = \"water\"\nsaving_percent = 9.0\ndepartment = \"phong-a\"\n"
    );
    let config = Config::parse("office.toml", &text, &|_| None).unwrap();
    let p = |s: &str| crate::domain::period::NamedPeriod::parse(s).unwrap();
    let a: crate::domain::DepartmentId = "phong-a".parse().unwrap();
    assert_eq!(config.plan.target(Resource::Water, None, &p("2027")).unwrap().saving_percent, 5.0);
    assert_eq!(config.plan.target(Resource::Water, None, &p("2026")).unwrap().saving_percent, 7.0);
    assert_eq!(config.plan.target(Resource::Water, Some(&a), &p("2026")).unwrap().saving_percent, 9.0);
    // Paper has no rule once [[targets]] is written: the file replaces the defaults.
    assert!(config.plan.target(Resource::Paper, None, &p("2026")).is_none());
}

#[test]
fn plan_mistakes_name_the_key_and_the_fix() {
    let text = format!(
        "{OFFICE}[baselines]\nreference = \"2025-13\"\nwater = \"per_head\"\n\
         [[baselines.entered]]\nresource = \"water\"\nperiod = \"2025\"\namount = -3.0\n\
         [[targets]]\nresource = \"electricity\"\nsaving_percent = 120.0\n\
         [[targets]]\nresource = \"paper\"\nsaving_percent = 10.0\nstretch_percent = 5.0\ndepartment = \"phong-z\"\n\
         [[emission_factors]]\nresource = \"paper\"\nyear = 2023\nvalue = 0.9\nunit = \"kgCO2e/kg\"\n\
         [[emission_factors]]\nresource = \"water\"\nyear = 2023\nvalue = 0.2\nunit = \"tCO2/MWh\"\n\
         [[tariffs]]\nresource = \"water\"\nfrom = \"01/01/2026\"\nprice_vnd = 15000.0\nper = \"m3\"\n\
         [[tariffs]]\nresource = \"electricity\"\nfrom = \"2026-01-01\"\nprice_vnd = 2000.0\nper = \"m3\"\n\
         [[staffing]]\ndepartment = \"phong-a\"\nfrom = \"2026-01-01\"\n"
    );
    let err = Config::parse("office.toml", &text, &|_| None).unwrap_err();
    let said = |key: &str, words: &str| {
        assert!(
            err.problems.iter().any(|p| p.key == key && format!("{} {}", p.problem, p.fix).contains(words)),
            "{key} should say {words:?}:\n{err}"
        )
    };
    said("baselines.reference", "\"2026-Q3\"");
    said("baselines.water", "\"per_person\"");
    said("baselines.entered[0].amount", "greater than 0");
    said("targets[0].saving_percent", "from 0 to below 100");
    said("targets[1].stretch_percent", "below saving_percent");
    said("targets[1].department", "phong-a");
    said("emission_factors[0].kg_per_ream", "kg_per_ream = 2.5");
    said("emission_factors[1].unit", "kgCO2e/m3");
    said("tariffs[0].from", "\"2026-07-01\"");
    said("tariffs[1].per", "kWh");
    said("staffing[0].headcount", "area_m2");
    assert!(err.to_string().starts_with("office.toml: "), "{err}");
}
