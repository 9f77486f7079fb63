//! `[alerts]`: the thresholds of the alert rules (defaults that suit the demo office), settings
//! per meter, department or resource (`[[alerts.overrides]]`), and who is told
//! (`[[alerts.recipients]]`). See docs/alerts.md.

use std::collections::HashSet;
use std::time::Duration;

use jiff::civil::Time;
use serde::Deserialize;

use crate::domain::{AlertRule, DepartmentId, Meter, MeterId, Resource};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct AlertsSection {
    evaluate_every_s: u64,
    after_readings_s: u64,
    leak_litres_per_hour: f64,
    off_hours_share: f64,
    night_base_load_ratio: f64,
    held_after_hours: u64,
    rejected_per_hour: u64,
    retry_after_s: u64,
    overrides: Vec<OverrideEntry>,
    recipients: Vec<RecipientFields>,
}

impl Default for AlertsSection {
    fn default() -> Self {
        AlertsSection {
            evaluate_every_s: 60,
            after_readings_s: 5,
            leak_litres_per_hour: 1.0,
            off_hours_share: 0.4,
            night_base_load_ratio: 1.5,
            held_after_hours: 24,
            rejected_per_hour: 20,
            retry_after_s: 60,
            overrides: Vec::new(),
            recipients: Vec::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverrideEntry {
    meter: Option<String>,
    department: Option<String>,
    resource: Option<String>,
    #[serde(default)]
    off: Vec<String>,
    leak_litres_per_hour: Option<f64>,
    off_hours_share: Option<f64>,
    silent_after_minutes: Option<u64>,
}

/// A recipient as written: a `[[alerts.recipients]]` entry, a row of the store's list and the
/// API's body. [`RecipientFields::resolve`] checks it into a [`Recipient`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecipientFields {
    pub name: String,
    /// `hc_qt` or `department_head`.
    pub role: String,
    pub department: Option<String>,
    pub email: Option<String>,
    /// The name of a `[[notify.webhooks]]` entry.
    pub webhook: Option<String>,
    /// "21:00-06:30"
    pub quiet_hours: Option<String>,
    /// "07:00"
    pub digest_at: Option<String>,
}

impl RecipientFields {
    /// The recipient these fields describe for the departments of `departments`, or what is
    /// wrong with them (each problem with its fix), their keys under `key`.
    pub fn resolve(self, key: &str, departments: &[crate::domain::Department]) -> Result<Recipient, String> {
        let ids: HashSet<&DepartmentId> = departments.iter().map(|d| &d.id).collect();
        let mut problems = Vec::new();
        let resolved = resolve_recipient(key, self, &ids, &mut |key, problem, fix| {
            problems.push(format!("{key}: {problem}; fix: {fix}"))
        });
        match resolved {
            Some(recipient) if problems.is_empty() => Ok(recipient),
            _ => Err(problems.join("; ")),
        }
    }
}

impl From<&Recipient> for RecipientFields {
    fn from(r: &Recipient) -> RecipientFields {
        let (email, webhook) = match &r.address {
            crate::notify::Address::Email(email) => (Some(email.clone()), None),
            crate::notify::Address::Webhook(name) => (None, Some(name.clone())),
        };
        let (role, department) = match &r.role {
            RecipientRole::HcQt => ("hc_qt", None),
            RecipientRole::DepartmentHead(d) => ("department_head", Some(d.to_string())),
        };
        let time = |t: Time| t.strftime("%H:%M").to_string();
        RecipientFields {
            name: r.name.clone(),
            role: role.into(),
            department,
            email,
            webhook,
            quiet_hours: r.quiet_hours.map(|q| format!("{}-{}", time(q.start), time(q.end))),
            digest_at: r.digest_at.map(time),
        }
    }
}

/// The alert rules' settings as the program uses them.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertsConfig {
    /// How often every rule is evaluated even when no reading arrives.
    pub evaluate_every: Duration,
    /// While readings stream in, at most one round in this time (a round reads much).
    pub after_readings: Duration,
    /// The settings that apply where no override says otherwise.
    pub defaults: AlertSettings,
    /// Later overrides win; a meter's beats its department's, which beats its resource's.
    pub overrides: Vec<AlertOverride>,
    /// An electricity meter's night base load above this many times its usual level (the
    /// median of the previous two weeks' nights) raises an alert.
    pub night_base_load_ratio: f64,
    /// Readings held for review longer than this raise an alert.
    pub held_after: Duration,
    /// Rejected items from one topic within an hour that raise an alert.
    pub rejected_per_hour: u64,
    /// The first wait before a notification that could not be sent is tried again (doubling
    /// each time, up to an hour).
    pub retry_after: Duration,
    pub recipients: Vec<Recipient>,
}

/// What the rules use for one meter.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSettings {
    /// Rules switched off.
    pub off: Vec<AlertRule>,
    /// The lowest night flow (litres an hour) that counts as never stopping.
    pub leak_litres_per_hour: f64,
    /// Off-hours use per hour above this share of working-hours use per hour raises an alert.
    pub off_hours_share: f64,
    /// Silent longer than this is an alert; `None`: the meter's expected interval.
    pub silent_after: Option<Duration>,
}

/// Settings for the meters a selector picks.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertOverride {
    pub selector: Selector,
    pub off: Vec<AlertRule>,
    pub leak_litres_per_hour: Option<f64>,
    pub off_hours_share: Option<f64>,
    pub silent_after: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Selector {
    Meter(MeterId),
    Department(DepartmentId),
    Resource(Resource),
}

impl Selector {
    fn picks(&self, meter: &Meter) -> bool {
        match self {
            Selector::Meter(id) => &meter.id == id,
            Selector::Department(id) => meter.department.as_ref() == Some(id),
            Selector::Resource(resource) => meter.resource == *resource,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Selector::Resource(_) => 0,
            Selector::Department(_) => 1,
            Selector::Meter(_) => 2,
        }
    }
}

/// Who is told, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    pub name: String,
    pub role: RecipientRole,
    pub address: crate::notify::Address,
    /// Messages without a critical alert wait until these hours end (office time).
    pub quiet_hours: Option<QuietHours>,
    /// Instead of a message per round, one digest a day from this time (office time).
    pub digest_at: Option<Time>,
}

/// A span of the day, possibly over midnight ("21:00-06:30").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: Time,
    pub end: Time,
}

impl QuietHours {
    pub fn contains(&self, time: Time) -> bool {
        if self.start <= self.end {
            self.start <= time && time < self.end
        } else {
            time >= self.start || time < self.end
        }
    }

    /// When the quiet hours that `now` falls in end; `None` when `now` is not in them.
    pub fn end_after(&self, now: jiff::Timestamp, tz: &jiff::tz::TimeZone) -> Option<jiff::Timestamp> {
        let local = now.to_zoned(tz.clone());
        if !self.contains(local.time()) {
            return None;
        }
        let day = if local.time() >= self.end { local.date().tomorrow().ok()? } else { local.date() };
        day.to_datetime(self.end).to_zoned(tz.clone()).ok().map(|z| z.timestamp())
    }
}

fn parse_time(text: &str) -> Option<Time> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m) = (h.parse::<i8>().ok()?, m.parse::<i8>().ok()?);
    (h.to_string().len() <= 2 && m.to_string().len() <= 2).then_some(())?;
    Time::new(h, m, 0, 0).ok()
}

#[derive(Debug, Clone, PartialEq)]
pub enum RecipientRole {
    /// HC-QT (administration): every alert.
    HcQt,
    /// The head of a department: the alerts about its meters.
    DepartmentHead(DepartmentId),
}

impl AlertsConfig {
    /// The settings for `meter`: the defaults, with the overrides that pick it laid over them
    /// (resource, then department, then meter; in file order within each).
    pub fn settings_for(&self, meter: &Meter) -> AlertSettings {
        let mut settings = self.defaults.clone();
        let mut picking: Vec<&AlertOverride> = self.overrides.iter().filter(|o| o.selector.picks(meter)).collect();
        picking.sort_by_key(|o| o.selector.rank());
        for o in picking {
            settings.off.extend(o.off.iter().copied());
            if let Some(v) = o.leak_litres_per_hour {
                settings.leak_litres_per_hour = v;
            }
            if let Some(v) = o.off_hours_share {
                settings.off_hours_share = v;
            }
            if let Some(v) = o.silent_after {
                settings.silent_after = Some(v);
            }
        }
        settings
    }

    /// The settings for a whole resource (office-wide rules such as the forecast).
    pub fn settings_for_resource(&self, resource: Resource) -> AlertSettings {
        let mut settings = self.defaults.clone();
        for o in self.overrides.iter().filter(|o| o.selector == Selector::Resource(resource)) {
            settings.off.extend(o.off.iter().copied());
            if let Some(v) = o.off_hours_share {
                settings.off_hours_share = v;
            }
        }
        settings
    }
}

pub(super) fn resolve_alerts(
    section: AlertsSection,
    meters: &[Meter],
    departments: &HashSet<&DepartmentId>,
    problem: &mut impl FnMut(String, String, String),
) -> AlertsConfig {
    if section.evaluate_every_s == 0 || section.evaluate_every_s > 60 {
        problem(
            "alerts.evaluate_every_s".into(),
            format!("is {}", section.evaluate_every_s),
            "use 1 to 60 (the rules are evaluated at least every minute)".into(),
        );
    }
    if section.after_readings_s == 0 || section.after_readings_s > section.evaluate_every_s {
        problem(
            "alerts.after_readings_s".into(),
            format!("is {}", section.after_readings_s),
            format!("use 1 to alerts.evaluate_every_s ({})", section.evaluate_every_s),
        );
    }
    let mut positive = |key: &str, value: f64| {
        if !(value.is_finite() && value > 0.0) {
            problem(key.into(), format!("is {value}"), "use a number above 0".into());
        }
    };
    positive("alerts.leak_litres_per_hour", section.leak_litres_per_hour);
    positive("alerts.off_hours_share", section.off_hours_share);
    if !(section.night_base_load_ratio.is_finite() && section.night_base_load_ratio > 1.0) {
        problem(
            "alerts.night_base_load_ratio".into(),
            format!("is {}", section.night_base_load_ratio),
            "use a number above 1 such as 1.5 (half as much again as usual)".into(),
        );
    }
    if section.rejected_per_hour == 0 {
        problem("alerts.rejected_per_hour".into(), "is 0".into(), "use a count such as 20".into());
    }
    if section.held_after_hours == 0 {
        problem("alerts.held_after_hours".into(), "is 0".into(), "use a number of hours such as 24".into());
    }
    let overrides = section
        .overrides
        .into_iter()
        .enumerate()
        .filter_map(|(i, entry)| resolve_override(i, entry, meters, departments, problem))
        .collect();
    let recipients = section
        .recipients
        .into_iter()
        .enumerate()
        .filter_map(|(i, entry)| resolve_recipient(&format!("alerts.recipients[{i}]"), entry, departments, problem))
        .collect();
    AlertsConfig {
        evaluate_every: Duration::from_secs(section.evaluate_every_s.clamp(1, 60)),
        after_readings: Duration::from_secs(section.after_readings_s.clamp(1, 60)),
        defaults: AlertSettings {
            off: Vec::new(),
            leak_litres_per_hour: section.leak_litres_per_hour,
            off_hours_share: section.off_hours_share,
            silent_after: None,
        },
        overrides,
        night_base_load_ratio: section.night_base_load_ratio,
        held_after: Duration::from_secs(section.held_after_hours.max(1) * 3600),
        rejected_per_hour: section.rejected_per_hour.max(1),
        retry_after: Duration::from_secs(section.retry_after_s.max(1)),
        recipients,
    }
}

fn resolve_override(
    index: usize,
    entry: OverrideEntry,
    meters: &[Meter],
    departments: &HashSet<&DepartmentId>,
    problem: &mut impl FnMut(String, String, String),
) -> Option<AlertOverride> {
    let key = format!("alerts.overrides[{index}]");
    let selector = match (&entry.meter, &entry.department, &entry.resource) {
        (Some(meter), None, None) => match meters.iter().find(|m| m.id.as_str() == meter) {
            Some(m) => Some(Selector::Meter(m.id.clone())),
            None => {
                problem(
                    format!("{key}.meter"),
                    format!("`{meter}` is not a configured meter"),
                    "use the id of a [[meters]] entry".into(),
                );
                None
            }
        },
        (None, Some(department), None) => match departments.iter().find(|d| d.as_str() == department) {
            Some(d) => Some(Selector::Department((*d).clone())),
            None => {
                problem(
                    format!("{key}.department"),
                    format!("`{department}` is not a configured department"),
                    "use the id of a [[departments]] entry".into(),
                );
                None
            }
        },
        (None, None, Some(resource)) => match resource.parse::<Resource>() {
            Ok(r) => Some(Selector::Resource(r)),
            Err(e) => {
                problem(format!("{key}.resource"), e.to_string(), "use electricity, water or paper".into());
                None
            }
        },
        _ => {
            problem(
                key.clone(),
                "names no meter, department or resource, or more than one".into(),
                "give exactly one of meter, department or resource".into(),
            );
            None
        }
    };
    let mut off = Vec::new();
    for code in &entry.off {
        match AlertRule::parse(code) {
            Some(rule) => off.push(rule),
            None => problem(
                format!("{key}.off"),
                format!("`{code}` is not a rule"),
                format!("use some of: {}", AlertRule::ALL.map(|r| r.code()).join(", ")),
            ),
        }
    }
    for (name, value) in
        [("leak_litres_per_hour", entry.leak_litres_per_hour), ("off_hours_share", entry.off_hours_share)]
    {
        if let Some(v) = value.filter(|v| !(v.is_finite() && *v > 0.0)) {
            problem(format!("{key}.{name}"), format!("is {v}"), "use a number above 0".into());
        }
    }
    if entry.silent_after_minutes == Some(0) {
        problem(format!("{key}.silent_after_minutes"), "is 0".into(), "use a number of minutes such as 120".into());
    }
    Some(AlertOverride {
        selector: selector?,
        off,
        leak_litres_per_hour: entry.leak_litres_per_hour,
        off_hours_share: entry.off_hours_share,
        silent_after: entry.silent_after_minutes.map(|m| Duration::from_secs(m.max(1) * 60)),
    })
}

fn resolve_recipient(
    key: &str,
    entry: RecipientFields,
    departments: &HashSet<&DepartmentId>,
    problem: &mut impl FnMut(String, String, String),
) -> Option<Recipient> {
    let role = match (entry.role.as_str(), &entry.department) {
        ("hc_qt", None) => Some(RecipientRole::HcQt),
        ("department_head", Some(department)) => match departments.iter().find(|d| d.as_str() == department) {
            Some(d) => Some(RecipientRole::DepartmentHead((*d).clone())),
            None => {
                problem(
                    format!("{key}.department"),
                    format!("`{department}` is not a configured department"),
                    "use the id of a [[departments]] entry".into(),
                );
                None
            }
        },
        ("department_head", None) => {
            problem(format!("{key}.department"), "is missing".into(), "name the department this person heads".into());
            None
        }
        ("hc_qt", Some(_)) => {
            problem(
                format!("{key}.department"),
                "is given for HC-QT".into(),
                "HC-QT hears of every department: remove department".into(),
            );
            None
        }
        (other, _) => {
            problem(
                format!("{key}.role"),
                format!("`{other}` is not a role"),
                "use \"hc_qt\" or \"department_head\"".into(),
            );
            None
        }
    };
    let address = match (entry.email, entry.webhook) {
        (Some(email), None) if email.contains('@') && !email.contains(char::is_whitespace) => {
            Some(crate::notify::Address::Email(email))
        }
        (Some(email), None) => {
            problem(
                format!("{key}.email"),
                format!("`{email}` is not an e-mail address"),
                "write it as name@example.gov.vn".into(),
            );
            None
        }
        (None, Some(webhook)) if !webhook.trim().is_empty() => Some(crate::notify::Address::Webhook(webhook)),
        _ => {
            problem(
                key.to_owned(),
                "needs exactly one of email or webhook".into(),
                "give email = \"…\" or webhook = \"name\"".into(),
            );
            None
        }
    };
    let quiet_hours = entry.quiet_hours.as_deref().and_then(|text| {
        let parsed =
            text.split_once('-').and_then(|(a, b)| Some(QuietHours { start: parse_time(a)?, end: parse_time(b)? }));
        if parsed.is_none_or(|q| q.start == q.end) {
            problem(
                format!("{key}.quiet_hours"),
                format!("`{text}` is not a span of the day"),
                "write it as \"21:00-06:30\"".into(),
            );
        }
        parsed
    });
    let digest_at = entry.digest_at.as_deref().and_then(|text| {
        let parsed = parse_time(text);
        if parsed.is_none() {
            problem(
                format!("{key}.digest_at"),
                format!("`{text}` is not a time of day"),
                "write it as \"07:00\"".into(),
            );
        }
        parsed
    });
    Some(Recipient { name: entry.name, role: role?, address: address?, quiet_hours, digest_at })
}

#[cfg(test)]
mod tests {
    use crate::config::{BUILT_IN_DEFAULT, Config};
    use crate::domain::AlertRule;

    fn parse(extra: &str) -> Result<Config, String> {
        Config::parse("office.toml", &format!("{BUILT_IN_DEFAULT}\n{extra}"), &|_| None).map_err(|e| e.to_string())
    }

    #[test]
    fn overrides_apply_resource_then_department_then_meter() {
        let config = parse(
            "[alerts]\nleak_litres_per_hour = 2.0\n\
             [[alerts.overrides]]\nmeter = \"nuoc-toa-nha\"\nleak_litres_per_hour = 30.0\n\
             [[alerts.overrides]]\nresource = \"water\"\nleak_litres_per_hour = 5.0\noff = [\"silent_meter\"]\n",
        )
        .unwrap();
        let meter = |id: &str| config.meters.iter().find(|m| m.id.as_str() == id).unwrap();
        let building = config.alerts.settings_for(meter("nuoc-toa-nha"));
        assert_eq!(building.leak_litres_per_hour, 30.0, "the meter's own beats its resource's");
        assert_eq!(building.off, [AlertRule::SilentMeter]);
        assert_eq!(config.alerts.settings_for(meter("nuoc-tt-phuc-vu-hcc")).leak_litres_per_hour, 5.0);
        assert!(config.alerts.settings_for(meter("dien-toa-nha")).off.is_empty());
    }

    #[test]
    fn wrong_alert_settings_are_named_with_their_fix() {
        let err = parse(
            "[alerts]\nevaluate_every_s = 600\noff_hours_share = -1\n\
             [[alerts.overrides]]\nmeter = \"khong-co\"\n\
             [[alerts.overrides]]\nresource = \"water\"\ndepartment = \"phong-kinh-te\"\n\
             [[alerts.overrides]]\nresource = \"water\"\noff = [\"leak\"]\n\
             [[alerts.recipients]]\nname = \"A\"\nrole = \"department_head\"\nemail = \"a@b.vn\"\n\
             [[alerts.recipients]]\nname = \"B\"\nrole = \"hc_qt\"\nemail = \"không phải thư\"\n",
        )
        .unwrap_err();
        for expected in [
            "alerts.evaluate_every_s",
            "use 1 to 60",
            "alerts.off_hours_share",
            "alerts.overrides[0].meter",
            "`khong-co` is not a configured meter",
            "alerts.overrides[1]: names no meter, department or resource, or more than one",
            "alerts.overrides[2].off",
            "night_leak",
            "alerts.recipients[0].department",
            "alerts.recipients[1].email",
        ] {
            assert!(err.contains(expected), "{expected} missing from: {err}");
        }
        assert!(parse("[alerts]\nunknown = 1\n").unwrap_err().contains("unknown"), "unknown keys are refused");
        let err = parse("[alerts]\nevaluate_every_s = 30\nafter_readings_s = 45\n").unwrap_err();
        assert!(
            err.contains("alerts.after_readings_s") && err.contains("use 1 to alerts.evaluate_every_s (30)"),
            "{err}"
        );
    }
}
