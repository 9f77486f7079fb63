//! Dashboard pages as data: each `dashboards/*.toml` file is one page (its path, its title in
//! Vietnamese and English, which controls it offers, and its panels). They are loaded and
//! checked at start-up, so an office can add or change a page without rebuilding, and a wrong
//! file stops the service with a message naming the file, the key and the fix.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::Deserialize;

use crate::config::{ConfigError, ConfigProblem};
use crate::domain::Resource;
use crate::domain::period::{NamedPeriod, PeriodError};
use crate::domain::{Step, TimeRange};

/// The folder read when the config does not name one.
pub const DEFAULT_DIR: &str = "dashboards";

/// The shipped pages, built into the binary for when the folder is absent.
const BUILT_IN: [(&str, &str); 6] = [
    ("overview.toml", include_str!("../../../../dashboards/overview.toml")),
    ("resource.toml", include_str!("../../../../dashboards/resource.toml")),
    ("departments.toml", include_str!("../../../../dashboards/departments.toml")),
    ("department.toml", include_str!("../../../../dashboards/department.toml")),
    ("waste.toml", include_str!("../../../../dashboards/waste.toml")),
    ("meters.toml", include_str!("../../../../dashboards/meters.toml")),
];

/// Paths the service itself answers; a page may not take them.
const RESERVED: [&str; 5] = ["/api", "/static", "/entry", "/rejected", "/charts"];

// ---- the file as written -------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageFile {
    path: String,
    title: TextFile,
    nav: Option<u32>,
    refresh_s: Option<u32>,
    #[serde(default)]
    controls: Vec<String>,
    #[serde(default)]
    department_required: bool,
    #[serde(default)]
    panels: Vec<PanelFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TextFile {
    vi: String,
    en: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PanelFile {
    chart: String,
    resource: Option<String>,
    group: Option<String>,
    measure: Option<String>,
    period: Option<String>,
    step: Option<String>,
    title: Option<TextFile>,
}

// ---- the pages as the service uses them ----------------------------------------------------

/// Words in both languages the pages speak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub vi: String,
    pub en: String,
}

/// What a panel draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// This month and this year against last year, baseline, target and forecast.
    Progress,
    /// Consumption over time, one bar per step.
    Bars,
    /// Departments (or meters) ranked by use.
    Ranking,
    /// Average use by hour of the week.
    Heatmap,
    /// Use outside working hours, night base load, likely leaks.
    Waste,
    /// Each meter's last reading and status.
    Meters,
    /// The configured resources issued on slips (stationery, toner, fuel): a table.
    Supplies,
}

impl ChartKind {
    const ALL: [(&str, ChartKind); 7] = [
        ("progress", ChartKind::Progress),
        ("bars", ChartKind::Bars),
        ("ranking", ChartKind::Ranking),
        ("heatmap", ChartKind::Heatmap),
        ("waste", ChartKind::Waste),
        ("meters", ChartKind::Meters),
        ("supplies", ChartKind::Supplies),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(_, k)| *k == self).map(|(name, _)| *name).unwrap_or("bars")
    }
}

/// What a panel's figures are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The office as a whole, or the department the page is showing.
    Office,
    Departments,
    Meters,
}

/// How a ranking compares departments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Total,
    PerPerson,
    PerArea,
}

/// A period a panel shows, relative to today or a named one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodSpec {
    Today,
    Last7Days,
    Last30Days,
    ThisMonth,
    ThisYear,
    Last12Months,
    Named(NamedPeriod),
}

/// The relative periods' codes, for messages and the period menu.
pub const RELATIVE_PERIODS: [(&str, PeriodSpec); 6] = [
    ("today", PeriodSpec::Today),
    ("last-7-days", PeriodSpec::Last7Days),
    ("last-30-days", PeriodSpec::Last30Days),
    ("this-month", PeriodSpec::ThisMonth),
    ("this-year", PeriodSpec::ThisYear),
    ("last-12-months", PeriodSpec::Last12Months),
];

impl PeriodSpec {
    pub fn parse(code: &str) -> Result<PeriodSpec, PeriodError> {
        if let Some((_, spec)) = RELATIVE_PERIODS.iter().find(|(c, _)| *c == code) {
            return Ok(*spec);
        }
        NamedPeriod::parse(code).map(PeriodSpec::Named).map_err(|_| {
            PeriodError(format!(
                "period `{code}` is not known: use one of {}, a year (2026), a quarter (2026-Q3), a month (2026-11) or a phase of the movement (gd1, gd2)",
                RELATIVE_PERIODS.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
            ))
        })
    }

    pub fn code(&self) -> String {
        match self {
            PeriodSpec::Named(named) => named.to_string(),
            other => {
                RELATIVE_PERIODS.iter().find(|(_, s)| s == other).map(|(c, _)| (*c).to_owned()).unwrap_or_default()
            }
        }
    }

    /// The local days the period covers, as of `now`; "this month" and "this year" run to
    /// their end, so a chart shows the days still to come.
    pub fn range(&self, now: Timestamp, tz: &TimeZone) -> Result<TimeRange, PeriodError> {
        let today = now.to_zoned(tz.clone()).date();
        let calendar = |e: jiff::Error| PeriodError(format!("the period runs past the calendar: {e}"));
        let add = |d: Date, span: jiff::Span| d.checked_add(span).map_err(calendar);
        let tomorrow = add(today, 1.day())?;
        let (first, last_exclusive) = match self {
            PeriodSpec::Today => (today, tomorrow),
            PeriodSpec::Last7Days => (add(tomorrow, (-7).days())?, tomorrow),
            PeriodSpec::Last30Days => (add(tomorrow, (-30).days())?, tomorrow),
            PeriodSpec::ThisMonth => (today.first_of_month(), add(today.first_of_month(), 1.month())?),
            PeriodSpec::ThisYear => {
                let first = today.first_of_year();
                (first, add(first, 1.year())?)
            }
            PeriodSpec::Last12Months => {
                let next = add(today.first_of_month(), 1.month())?;
                (add(next, (-12).months())?, next)
            }
            PeriodSpec::Named(named) => return named.range(tz),
        };
        TimeRange::days(first, last_exclusive, tz)
    }

    /// The step a chart of the period reads best at.
    pub fn default_step(&self, range: &TimeRange) -> Step {
        let days = (range.to_ms() - range.from_ms()) / 86_400_000;
        match days {
            0..=2 => Step::Hour,
            3..=62 => Step::Day,
            _ => Step::Month,
        }
    }
}

/// A page setting people may change with the form at the top of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Resource,
    Department,
    /// A named or relative period, or any date range.
    Period,
    Step,
}

impl Control {
    const ALL: [(&str, Control); 4] = [
        ("resource", Control::Resource),
        ("department", Control::Department),
        ("period", Control::Period),
        ("step", Control::Step),
    ];
}

#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub chart: ChartKind,
    /// `None` only for a meters table of every resource.
    pub resource: Option<Resource>,
    pub group: Group,
    pub measure: Measure,
    pub period: PeriodSpec,
    /// `None`: the period's default step.
    pub step: Option<Step>,
    pub title: Option<Text>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The file's name without `.toml`: names the page in chart download links.
    pub id: String,
    pub path: String,
    pub title: Text,
    /// Position in the navigation; `None` keeps the page out of it.
    pub nav: Option<u32>,
    pub refresh_s: Option<u32>,
    pub controls: Vec<Control>,
    /// The page is about one department: without a choice it shows the first.
    pub department_required: bool,
    pub panels: Vec<Panel>,
}

impl Page {
    pub fn has(&self, control: Control) -> bool {
        self.controls.contains(&control)
    }
}

/// Every page, in navigation order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dashboards {
    pub pages: Vec<Page>,
}

impl Dashboards {
    /// Load `dir` (from `web.dashboards`), or `dashboards/` when it is there, else the built-in
    /// pages.
    pub fn load(dir: Option<&Path>) -> Result<Dashboards, ConfigError> {
        let dir: PathBuf = match dir {
            Some(dir) => dir.to_owned(),
            None if Path::new(DEFAULT_DIR).is_dir() => PathBuf::from(DEFAULT_DIR),
            None => return Self::built_in(),
        };
        let unreadable = |e: std::io::Error| ConfigError {
            file: dir.display().to_string(),
            problems: vec![ConfigProblem {
                key: "(folder)".into(),
                problem: format!("cannot be read: {e}"),
                fix: "set web.dashboards in the config to the folder holding the page files".into(),
            }],
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(unreadable)? {
            let path = entry.map_err(unreadable)?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&path).map_err(|e| ConfigError {
                    file: path.display().to_string(),
                    problems: vec![ConfigProblem {
                        key: "(file)".into(),
                        problem: format!("cannot be read: {e}"),
                        fix: "check its permissions".into(),
                    }],
                })?;
                files.push((path, text));
            }
        }
        files.sort();
        let named: Vec<(String, &str)> = files.iter().map(|(p, t)| (p.display().to_string(), t.as_str())).collect();
        Self::parse_all(&named)
    }

    pub fn built_in() -> Result<Dashboards, ConfigError> {
        let files: Vec<(String, &str)> =
            BUILT_IN.iter().map(|(name, text)| (format!("{DEFAULT_DIR}/{name} (built-in copy)"), *text)).collect();
        Self::parse_all(&files)
    }

    /// Parse page files given as (file name, text); the first file with a problem is reported.
    pub fn parse_all(files: &[(String, &str)]) -> Result<Dashboards, ConfigError> {
        let mut pages: Vec<Page> = Vec::new();
        let mut seen: HashMap<String, String> = HashMap::new();
        for (file, text) in files {
            let page = parse_page(file, text)?;
            if let Some(other) = seen.insert(page.path.clone(), file.clone()) {
                return Err(one_problem(
                    file,
                    "path",
                    format!("`{}` is already the path of {other}", page.path),
                    "give each page its own path",
                ));
            }
            pages.push(page);
        }
        if pages.is_empty() {
            return Err(one_problem(
                "dashboards",
                "(folder)",
                "holds no page (*.toml)".into(),
                "copy the shipped dashboards/*.toml files there",
            ));
        }
        pages.sort_by_key(|p| (p.nav.is_none(), p.nav, p.path.clone()));
        Ok(Dashboards { pages })
    }

    pub fn page(&self, id: &str) -> Option<&Page> {
        self.pages.iter().find(|p| p.id == id)
    }
}

fn one_problem(file: &str, key: &str, problem: String, fix: &str) -> ConfigError {
    ConfigError {
        file: file.to_owned(),
        problems: vec![ConfigProblem { key: key.to_owned(), problem, fix: fix.to_owned() }],
    }
}

/// Parse and check one page file; `file` names it in errors.
pub fn parse_page(file: &str, text: &str) -> Result<Page, ConfigError> {
    let raw: PageFile = toml::from_str(text).map_err(|e| {
        let key = e
            .span()
            .map(|span| {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("line {line} (`{}`)", text.lines().nth(line - 1).unwrap_or("").trim())
            })
            .unwrap_or_else(|| "(file)".into());
        one_problem(
            file,
            &key,
            e.message().trim().to_owned(),
            "correct it; the page format is described in dashboards/README.md",
        )
    })?;
    let mut problems = Vec::new();
    let mut problem = |key: String, problem: String, fix: String| problems.push(ConfigProblem { key, problem, fix });

    let path = raw.path.trim().to_owned();
    let path_ok = path.starts_with('/')
        && path.chars().all(|c| c.is_ascii_alphanumeric() || "/-_".contains(c))
        && !path.contains("//");
    if !path_ok {
        problem(
            "path".into(),
            format!("`{path}` is not a page path"),
            "write a path such as \"/waste\": a slash, then letters, digits and dashes".into(),
        );
    } else if RESERVED.iter().any(|r| path == *r || path.starts_with(&format!("{r}/"))) {
        problem(
            "path".into(),
            format!("`{path}` is taken by the service itself"),
            format!("choose a path outside {}", RESERVED.join(", ")),
        );
    }
    for (key, value) in [("title.vi", &raw.title.vi), ("title.en", &raw.title.en)] {
        if value.trim().is_empty() {
            problem(key.into(), "is empty".into(), "give the page's title in both languages".into());
        }
    }
    let mut controls = Vec::new();
    for (i, name) in raw.controls.iter().enumerate() {
        match Control::ALL.iter().find(|(n, _)| n == name) {
            Some((_, c)) => controls.push(*c),
            None => problem(
                format!("controls[{i}]"),
                format!("`{name}` is not a control"),
                "use resource, department, period or step".into(),
            ),
        }
    }
    if raw.department_required && !controls.contains(&Control::Department) {
        problem(
            "department_required".into(),
            "needs the department control".into(),
            "add \"department\" to controls".into(),
        );
    }
    if raw.panels.is_empty() {
        problem(
            "panels".into(),
            "the page has no panel".into(),
            "add at least one [[panels]] table with a chart".into(),
        );
    }
    let mut panels = Vec::new();
    for (i, p) in raw.panels.iter().enumerate() {
        if let Some(panel) = parse_panel(p, &format!("panels[{i}]"), &mut problem) {
            panels.push(panel);
        }
    }
    if !problems.is_empty() {
        return Err(ConfigError { file: file.to_owned(), problems });
    }
    let id = Path::new(file)
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.split(".toml").next())
        .unwrap_or(file)
        .to_owned();
    Ok(Page {
        id,
        path,
        title: Text { vi: raw.title.vi, en: raw.title.en },
        nav: raw.nav,
        refresh_s: raw.refresh_s,
        controls,
        department_required: raw.department_required,
        panels,
    })
}

fn parse_panel(p: &PanelFile, at: &str, problem: &mut dyn FnMut(String, String, String)) -> Option<Panel> {
    let key = |name: &str| format!("{at}.{name}");
    let Some((_, chart)) = ChartKind::ALL.iter().find(|(n, _)| *n == p.chart) else {
        problem(
            key("chart"),
            format!("`{}` is not a chart kind", p.chart),
            "use progress, bars, ranking, heatmap, waste, meters or supplies".into(),
        );
        return None;
    };
    let chart = *chart;
    let resource = match p.resource.as_deref().map(str::parse::<Resource>) {
        Some(_) if chart == ChartKind::Supplies => {
            problem(
                key("resource"),
                "a supplies panel shows every configured resource".into(),
                "remove resource; the resources are listed in the config's [[resources]]".into(),
            );
            return None;
        }
        Some(Ok(r)) => Some(r),
        Some(Err(e)) => {
            problem(key("resource"), e.to_string(), "use electricity, water or paper".into());
            return None;
        }
        None if matches!(chart, ChartKind::Meters | ChartKind::Supplies) => None,
        None => {
            problem(
                key("resource"),
                format!("a {} panel needs a resource", chart.as_str()),
                "add resource = \"electricity\" (or water, paper)".into(),
            );
            return None;
        }
    };
    let group = match (chart, p.group.as_deref()) {
        (ChartKind::Ranking, None | Some("departments")) => Group::Departments,
        (ChartKind::Ranking, Some("meters")) => Group::Meters,
        (ChartKind::Supplies, Some("departments")) => Group::Departments,
        (ChartKind::Ranking, Some(other)) => {
            problem(
                key("group"),
                format!("`{other}` cannot be ranked"),
                "use group = \"departments\" or \"meters\"".into(),
            );
            return None;
        }
        (_, None | Some("office")) => Group::Office,
        (_, Some(other)) => {
            problem(
                key("group"),
                format!("a {} panel shows the office (or the page's department), not `{other}`", chart.as_str()),
                "leave group out, or use chart = \"ranking\" to compare departments or meters".into(),
            );
            return None;
        }
    };
    let measure = match (chart, p.measure.as_deref()) {
        (_, None | Some("total")) => Measure::Total,
        (ChartKind::Ranking, Some("per-person")) => Measure::PerPerson,
        (ChartKind::Ranking, Some("per-m2")) if group == Group::Departments => Measure::PerArea,
        (_, Some(other)) => {
            problem(
                key("measure"),
                format!("`{other}` is not a measure of a {} panel", chart.as_str()),
                "use measure = \"total\", or \"per-person\" / \"per-m2\" in a ranking of departments".into(),
            );
            return None;
        }
    };
    if matches!(measure, Measure::PerPerson) && group == Group::Meters {
        problem(
            key("measure"),
            "meters have no headcount".into(),
            "use measure = \"total\" for a ranking of meters".into(),
        );
        return None;
    }
    let period = match p.period.as_deref() {
        None => PeriodSpec::ThisMonth,
        Some(code) => match PeriodSpec::parse(code) {
            Ok(spec) => spec,
            Err(e) => {
                problem(key("period"), e.0, "write the period's code, such as \"this-month\" or \"2026\"".into());
                return None;
            }
        },
    };
    let step = match (chart, p.step.as_deref()) {
        (_, None) => None,
        (ChartKind::Bars, Some(s)) => match Step::parse(s) {
            Ok(step) => Some(step),
            Err(e) => {
                problem(key("step"), e.0, "use hour, day or month".into());
                return None;
            }
        },
        (_, Some(_)) => {
            problem(
                key("step"),
                format!("a {} panel has no step", chart.as_str()),
                "remove step; only bars panels have one".into(),
            );
            return None;
        }
    };
    let title = p.title.as_ref().map(|t| Text { vi: t.vi.clone(), en: t.en.clone() });
    Some(Panel { chart, resource, group, measure, period, step, title })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_pages_load() {
        let dashboards = Dashboards::built_in().unwrap();
        let paths: Vec<&str> = dashboards.pages.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["/", "/resource", "/departments", "/department", "/waste", "/meters"]);
        assert_eq!(Dashboards::load(None).unwrap(), dashboards, "the folder and the built-in copy agree");
        let resource = dashboards.page("resource").unwrap();
        assert!(resource.has(Control::Period) && resource.has(Control::Department));
    }

    #[test]
    fn a_mistake_names_the_file_the_key_and_the_fix() {
        let text = "path = \"/x\"\ntitle = { vi = \"Thử\", en = \"Try\" }\n[[panels]]\nchart = \"pie\"\n";
        let err = parse_page("dashboards/x.toml", text).unwrap_err().to_string();
        assert!(
            err.starts_with("dashboards/x.toml: panels[0].chart: `pie` is not a chart kind; fix: use progress"),
            "{err}"
        );

        let text = "path = \"/x\"\ntitle = { vi = \"Thử\", en = \"Try\" }\n[[panels]]\nchart = \"bars\"\nresource = \"gas\"\nperiod = \"yesterday\"\n";
        let err = parse_page("x.toml", text).unwrap_err().to_string();
        assert!(err.contains("x.toml: panels[0].resource:"), "{err}");

        let text = "path = \"/x\"\ntitle = { vi = \"Thử\", en = \"Try\" }\n[[panels]]\nchart = \"bars\"\nresource = \"water\"\nperiod = \"yesterday\"\nstep = \"week\"\n";
        let err = parse_page("x.toml", text).unwrap_err().to_string();
        assert!(err.contains("panels[0].period: period `yesterday` is not known"), "{err}");

        let text = "path = \"/x\"\ntitle = { vi = \"Thử\", en = \"Try\" }\ncolour = \"red\"\n";
        let err = parse_page("x.toml", text).unwrap_err().to_string();
        assert!(err.starts_with("x.toml: line 3 (`colour = \"red\"`): unknown field `colour`"), "{err}");

        let text = "path = \"/api/v2\"\ntitle = { vi = \"\", en = \"Try\" }\n[[panels]]\nchart = \"heatmap\"\nresource = \"water\"\nstep = \"day\"\n";
        let err = parse_page("x.toml", text).unwrap_err();
        let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["path", "title.vi", "panels[0].step"], "{err}");
    }

    #[test]
    fn two_pages_cannot_share_a_path() {
        let page = "path = \"/x\"\ntitle = { vi = \"Thử\", en = \"Try\" }\n[[panels]]\nchart = \"meters\"\n";
        let err = Dashboards::parse_all(&[("a.toml".into(), page), ("b.toml".into(), page)]).unwrap_err().to_string();
        assert!(err.starts_with("b.toml: path: `/x` is already the path of a.toml"), "{err}");
    }

    #[test]
    fn relative_periods_cover_whole_local_days() {
        let tz = TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
        let now: Timestamp = "2026-11-28T03:00:00Z".parse().unwrap();
        let month = PeriodSpec::ThisMonth.range(now, &tz).unwrap();
        assert_eq!(month.from().to_string(), "2026-10-31T17:00:00Z");
        assert_eq!(month.to().to_string(), "2026-11-30T17:00:00Z");
        let week = PeriodSpec::Last7Days.range(now, &tz).unwrap();
        assert_eq!(week.from().to_string(), "2026-11-21T17:00:00Z");
        assert_eq!(PeriodSpec::Last7Days.default_step(&week), Step::Day);
        assert_eq!(PeriodSpec::parse("last-12-months").unwrap().code(), "last-12-months");
    }
}
