//! The Grafana dashboards in dashboards/grafana/ and their provisioning files: what a
//! maintainer editing them (by hand or by exporting from Grafana) would otherwise break.
//!
//! Grafana itself is not run here: these checks read the files. Each check has a test below
//! that breaks a copy of the shipped files in memory and sees the check fail.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The uid the provisioned data source has and every panel refers to.
const DATASOURCE_UID: &str = "xanh-influxdb";
/// The tags Xanh writes on its points (the agreed schema).
const TAGS: [&str; 5] = ["office", "meter", "resource", "department", "parent"];
/// The columns every InfluxDB table has.
const COLUMNS: [&str; 6] = ["_measurement", "_field", "_value", "_time", "_start", "_stop"];
/// How the dashboards read the bucket: the `bucket` variable.
const FROM_BUCKET: &str = "from(bucket: \"${bucket}\")";
const OFFICE_FILTER: &str = "r.office =~ /^${office:regex}$/";
const LOCAL_DAYS: &str = "location: timezone.location(name: \"Asia/Ho_Chi_Minh\")";
const VIETNAMESE_LETTERS: &str = "ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ";
/// The dashboards the issue asked for.
const TITLES: [&str; 3] = ["Xanh – Tổng quan văn phòng", "Xanh – So sánh phòng ban", "Xanh – So sánh văn phòng (tỉnh)"];

#[derive(Clone)]
struct Files {
    /// (file name, parsed JSON)
    dashboards: Vec<(String, Value)>,
    datasource: String,
    provider: String,
}

fn grafana_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards/grafana")
}

fn load() -> Files {
    let dir = grafana_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    let dashboards = names
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(&name)).unwrap();
            let value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("dashboards/grafana/{name}: not JSON: {e}"));
            (name, value)
        })
        .collect();
    let read = |path: &str| {
        std::fs::read_to_string(dir.join(path)).unwrap_or_else(|e| panic!("dashboards/grafana/{path}: {e}"))
    };
    Files {
        dashboards,
        datasource: read("provisioning/datasources/xanh.yaml"),
        provider: read("provisioning/dashboards/xanh.yaml"),
    }
}

// ---- YAML, read as lines (no YAML parser among the dependencies) ------------------------

/// The values of `key: value` lines (indentation and comments ignored, quotes stripped).
fn yaml_values(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.split(" #").next().unwrap().trim().trim_start_matches("- "))
        .filter_map(|line| line.strip_prefix(key).and_then(|rest| rest.strip_prefix(':')))
        .map(|value| value.trim().trim_matches('"').trim_matches('\'').to_string())
        .collect()
}

fn yaml_value(text: &str, key: &str) -> Option<String> {
    yaml_values(text, key).into_iter().next()
}

fn check_datasource_yaml(text: &str, out: &mut Vec<String>) {
    let p = "provisioning/datasources/xanh.yaml";
    let expect = |key: &str, want: &str, out: &mut Vec<String>| {
        if yaml_value(text, key).as_deref() != Some(want) {
            out.push(format!("{p}: `{key}` should be `{want}`, is {:?}", yaml_value(text, key)));
        }
    };
    expect("apiVersion", "1", out);
    expect("uid", DATASOURCE_UID, out);
    expect("type", "influxdb", out);
    expect("version", "Flux", out);
    if yaml_values(text, "datasources").len() != 1 {
        out.push(format!("{p}: no `datasources:` list"));
    }
    for key in ["organization", "defaultBucket"] {
        if yaml_value(text, key).is_none_or(|v| v.is_empty()) {
            out.push(format!("{p}: `{key}` is missing"));
        }
    }
    if !yaml_value(text, "url")
        .is_some_and(|v| v.starts_with("http://") || v.starts_with("https://") || v.starts_with('$'))
    {
        out.push(format!("{p}: `url` should be an http(s) address, is {:?}", yaml_value(text, "url")));
    }
    match yaml_value(text, "token") {
        Some(token) if (token.starts_with("${") || token.starts_with("$__env{")) && token.ends_with('}') => {}
        other => {
            out.push(format!("{p}: the token must come from the environment (`${{INFLUXDB_TOKEN}}`), is {other:?}"))
        }
    }
    if !text.contains("secureJsonData:") {
        out.push(format!("{p}: the token belongs under `secureJsonData:`"));
    }
}

fn check_provider_yaml(text: &str, out: &mut Vec<String>) {
    let p = "provisioning/dashboards/xanh.yaml";
    if yaml_value(text, "apiVersion").as_deref() != Some("1") {
        out.push(format!("{p}: dashboard provider: `apiVersion` should be 1"));
    }
    if yaml_values(text, "providers").len() != 1 {
        out.push(format!("{p}: dashboard provider: no `providers:` list"));
    }
    if yaml_value(text, "type").as_deref() != Some("file") {
        out.push(format!("{p}: dashboard provider: `type` should be `file`, is {:?}", yaml_value(text, "type")));
    }
    if !yaml_value(text, "path").is_some_and(|v| v.starts_with('/') || v.starts_with('$')) {
        out.push(format!(
            "{p}: dashboard provider: `path` should be the absolute folder of the JSON files, is {:?}",
            yaml_value(text, "path")
        ));
    }
}

// ---- Flux, read as text -----------------------------------------------------------------

/// The text between the parenthesis (or bracket) opening at `open` and its match.
fn enclosed(text: &str, open: usize) -> &str {
    let bytes = text.as_bytes();
    let (left, right) = (bytes[open], if bytes[open] == b'(' { b')' } else { b']' });
    let mut depth = 0;
    let mut in_string = false;
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        match b {
            b'"' => in_string = !in_string,
            _ if in_string => {}
            _ if b == left => depth += 1,
            _ if b == right => {
                depth -= 1;
                if depth == 0 {
                    return &text[open + 1..i];
                }
            }
            _ => {}
        }
    }
    &text[open + 1..]
}

/// The arguments of every call of `name(…)`.
fn calls<'a>(query: &'a str, name: &str) -> Vec<&'a str> {
    let pattern = format!("{name}(");
    query
        .match_indices(&pattern)
        .filter(|(i, _)| !query[..*i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.'))
        .map(|(i, _)| enclosed(query, i + pattern.len() - 1))
        .collect()
}

/// The string literals that directly follow `prefix` (which ends before the opening quote).
fn strings_after(text: &str, prefix: &str) -> Vec<String> {
    text.match_indices(prefix)
        .filter_map(|(i, _)| {
            let rest = text[i + prefix.len()..].strip_prefix('"')?;
            Some(rest[..rest.find('"')?].to_string())
        })
        .collect()
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The columns a query names: `r.x` (after `r["x"]` is rewritten so), and the strings in
/// `columns: […]`, `rowKey: […]`, `columnKey: […]`, `valueColumn:`, `column:` and `tag:`.
fn columns_named(query: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (i, _) in query.match_indices("r.") {
        if query[..i].ends_with(is_ident) || query[..i].ends_with('.') {
            continue;
        }
        let name: String = query[i + 2..].chars().take_while(|&c| is_ident(c)).collect();
        if !name.is_empty() {
            names.insert(name);
        }
    }
    for key in ["columns: [", "rowKey: [", "columnKey: ["] {
        for (i, _) in query.match_indices(key) {
            let list = enclosed(query, i + key.len() - 1);
            names.extend(list.split(',').map(|s| s.trim().trim_matches('"').to_string()).filter(|s| !s.is_empty()));
        }
    }
    for key in ["valueColumn: ", " column: ", "(column: ", "tag: "] {
        names.extend(strings_after(query, key));
    }
    names
}

/// The columns a query makes itself: the keys of the records its `map` calls build.
fn columns_made(query: &str) -> BTreeSet<String> {
    let mut made = BTreeSet::new();
    for args in calls(query, "map") {
        for (i, _) in args.match_indices(':') {
            let before = &args[..i];
            let name: String =
                before.chars().rev().take_while(|&c| is_ident(c)).collect::<Vec<_>>().into_iter().rev().collect();
            let lead = before[..before.len() - name.len()].trim_end();
            if !name.is_empty() && (lead.ends_with('{') || lead.ends_with(',') || lead.ends_with(" with")) {
                made.insert(name);
            }
        }
    }
    made
}

/// A Flux duration that spans local days: `1d`, `7d`, `1w`, `1mo`, `1y`.
fn is_calendar_duration(every: &str) -> bool {
    let unit = every.trim_start_matches(|c: char| c.is_ascii_digit());
    every.len() > unit.len() && ["d", "w", "mo", "y"].contains(&unit)
}

/// The problems of one Flux query, at `place`. `office_variable`: the query that lists the
/// offices (which cannot filter by them).
fn check_flux(place: &str, raw: &str, office_variable: bool, out: &mut Vec<String>) {
    // `r["x"]` and `r.x` mean the same column.
    let mut query = raw.to_string();
    while let Some(i) = query.find("r[\"") {
        let end = query[i + 3..].find("\"]").map_or(query.len(), |j| i + 3 + j);
        let name = query[i + 3..end].to_string();
        query.replace_range(i..(end + 2).min(query.len()), &format!("r.{name}"));
    }
    let query = query.as_str();
    let reads_bucket = query.contains(FROM_BUCKET);
    let schema = query.contains("schema.tagValues(");
    if query.contains("from(") && !reads_bucket {
        out.push(format!("{place}: reads a bucket other than the `bucket` variable: write `{FROM_BUCKET}`"));
    }
    if query.matches("from(").count() > query.matches(FROM_BUCKET).count() {
        out.push(format!("{place}: every `from` should read `{FROM_BUCKET}`"));
    }
    if schema && calls(query, "schema.tagValues").iter().any(|args| !args.contains("bucket: \"${bucket}\"")) {
        out.push(format!("{place}: schema.tagValues should read `bucket: \"${{bucket}}\"`"));
    }
    if !reads_bucket && !schema {
        out.push(format!("{place}: reads no bucket"));
    }
    if reads_bucket {
        let measurements: BTreeSet<String> = strings_after(query, "r._measurement == ").into_iter().collect();
        let fields: BTreeSet<String> = strings_after(query, "r._field == ").into_iter().collect();
        if measurements.is_empty() {
            out.push(format!("{place}: no `r._measurement == \"…\"` filter: read `reading` or `consumption`"));
        }
        let mut want_fields = BTreeSet::new();
        for m in &measurements {
            match m.as_str() {
                "reading" => want_fields.insert("value".to_string()),
                "consumption" => want_fields.insert("consumption".to_string()),
                other => {
                    out.push(format!("{place}: measurement `{other}` is not one Xanh writes (reading, consumption)"));
                    true
                }
            };
        }
        if fields != want_fields {
            out.push(format!("{place}: field filter {fields:?} does not fit measurement {measurements:?} (reading: value, consumption: consumption)"));
        }
        if query.contains("r._measurement")
            && query.matches("r._measurement").count() != query.matches("r._measurement == \"").count()
        {
            out.push(format!("{place}: filter `_measurement` only with `== \"reading\"` or `== \"consumption\"`"));
        }
        for args in calls(query, "range") {
            if !args.contains("v.timeRangeStop") {
                out.push(format!("{place}: range({args}) ignores the dashboard's time range (v.timeRangeStop)"));
            }
        }
        if calls(query, "range").is_empty() {
            out.push(format!("{place}: no range()"));
        }
    }
    let made = columns_made(query);
    for name in columns_named(query) {
        if !TAGS.contains(&name.as_str()) && !COLUMNS.contains(&name.as_str()) && !made.contains(&name) {
            out.push(format!(
                "{place}: column `{name}` is not a tag Xanh writes (office, meter, resource, department)"
            ));
        }
    }
    if !office_variable && !query.contains(OFFICE_FILTER) {
        out.push(format!("{place}: does not filter by the office variable: add `{OFFICE_FILTER}`"));
    }
    for name in ["aggregateWindow", "window"] {
        for args in calls(query, name) {
            let every: String = args
                .split("every:")
                .nth(1)
                .map(|s| s.trim().chars().take_while(|&c| is_ident(c)).collect())
                .unwrap_or_default();
            if is_calendar_duration(&every) && !args.contains(LOCAL_DAYS) {
                out.push(format!(
                    "{place}: {name}(every: {every}) must pass `{LOCAL_DAYS}` so days start at 00:00 +07:00"
                ));
            }
        }
    }
    if query.contains("timezone.location") && !query.contains("import \"timezone\"") {
        out.push(format!("{place}: uses timezone.location without `import \"timezone\"`"));
    }
    // Every variable the query uses is one the dashboard defines: checked by the caller.
}

/// The names in `${name}`, `${name:format}` and `$name` of a query.
fn variables_used(query: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for (i, _) in query.match_indices('$') {
        let rest = query[i + 1..].trim_start_matches('{');
        let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
        if !name.is_empty() && !name.starts_with("__") {
            used.insert(name);
        }
    }
    used
}

// ---- dashboards ---------------------------------------------------------------------------

fn is_vietnamese(text: &str) -> bool {
    text.to_lowercase().chars().any(|c| VIETNAMESE_LETTERS.contains(c))
}

/// Every panel, those inside collapsed rows too.
fn panels(dashboard: &Value) -> Vec<&Value> {
    let mut all = Vec::new();
    for panel in dashboard["panels"].as_array().into_iter().flatten() {
        all.push(panel);
        all.extend(panel["panels"].as_array().into_iter().flatten());
    }
    all
}

fn unit_of(resource: &str) -> &'static str {
    match resource {
        "electricity" => "kwatth",
        "water" => "m3",
        "paper" => "suffix: tờ",
        _ => "?",
    }
}

fn check_dashboard(file: &str, d: &Value, default_bucket: Option<&str>, out: &mut Vec<String>) {
    let title = d["title"].as_str().unwrap_or("");
    if !title.starts_with("Xanh – ") || !is_vietnamese(title) {
        out.push(format!("{file}: title {title:?} should be Vietnamese, with its diacritics, after `Xanh – `"));
    }
    if d["uid"].as_str().is_none_or(|u| u.is_empty() || u.len() > 40) {
        out.push(format!("{file}: uid missing (at most 40 characters)"));
    }
    if d["timezone"] != "Asia/Ho_Chi_Minh" {
        out.push(format!("{file}: timezone should be Asia/Ho_Chi_Minh, is {}", d["timezone"]));
    }
    match d["schemaVersion"].as_u64() {
        Some(38..=41) => {}
        other => out.push(format!("{file}: schemaVersion {other:?} is not one of Grafana 10 or 11 (38 to 41)")),
    }
    if d.get("__inputs").is_some() || d.to_string().contains("${DS_") {
        out.push(format!("{file}: exported for sharing (`__inputs`, `${{DS_…}}`): export with the data source kept, uid {DATASOURCE_UID}"));
    }

    // Variables.
    let variables: Vec<&Value> = d["templating"]["list"].as_array().into_iter().flatten().collect();
    let variable = |name: &str| variables.iter().copied().find(|v| v["name"] == name);
    let defined: BTreeSet<String> = variables.iter().filter_map(|v| v["name"].as_str().map(String::from)).collect();
    for name in ["bucket", "office", "resource"] {
        if variable(name).is_none() {
            out.push(format!("{file}: no `{name}` variable"));
        }
    }
    if let Some(bucket) = variable("bucket") {
        if !matches!(bucket["type"].as_str(), Some("custom" | "constant")) {
            out.push(format!("{file}: variable bucket should be custom or constant"));
        }
        if default_bucket.is_some_and(|b| bucket["current"]["value"] != b) {
            out.push(format!(
                "{file}: variable bucket's value {} is not the data source's defaultBucket {default_bucket:?}",
                bucket["current"]["value"]
            ));
        }
    }
    if let Some(office) = variable("office") {
        let query = office["query"].as_str().unwrap_or("");
        if office["type"] != "query"
            || office["multi"] != true
            || !query.contains("schema.tagValues(")
            || !query.contains("tag: \"office\"")
        {
            out.push(format!("{file}: variable office should be a multi-select query `schema.tagValues(bucket: \"${{bucket}}\", tag: \"office\")`"));
        }
    }
    for v in &variables {
        let name = v["name"].as_str().unwrap_or("?");
        if v["type"] == "query" {
            if v["datasource"]["uid"] != DATASOURCE_UID {
                out.push(format!(
                    "{file}: variable {name}: datasource should be uid {DATASOURCE_UID}, is {}",
                    v["datasource"]
                ));
            }
            let query = v["query"].as_str().or(v["query"]["query"].as_str()).unwrap_or("");
            let place = format!("{file}: variable {name}");
            check_flux(&place, query, name == "office", out);
            for used in variables_used(query) {
                if !defined.contains(&used) {
                    out.push(format!("{place}: uses the variable `{used}`, which the dashboard does not define"));
                }
            }
        }
    }

    // Panels.
    let mut ids = BTreeSet::new();
    for panel in panels(d) {
        let ptitle = panel["title"].as_str().unwrap_or("");
        let place = format!("{file}: panel {ptitle:?}");
        if !ids.insert(panel["id"].to_string()) {
            out.push(format!("{place}: id {} is used twice", panel["id"]));
        }
        if !is_vietnamese(ptitle) {
            out.push(format!("{place}: title should be Vietnamese"));
        }
        let targets: Vec<&Value> = panel["targets"].as_array().into_iter().flatten().collect();
        if panel["type"] == "row" && targets.is_empty() {
            continue;
        }
        if targets.is_empty() {
            out.push(format!("{place}: has no query"));
        }
        if panel["datasource"]["uid"] != DATASOURCE_UID || panel["datasource"]["type"] != "influxdb" {
            out.push(format!(
                "{place}: datasource should be {{type influxdb, uid {DATASOURCE_UID}}}, is {}",
                panel["datasource"]
            ));
        }
        let mut resources = BTreeSet::new();
        for t in &targets {
            let tplace = format!("{place} query {}", t["refId"].as_str().unwrap_or("?"));
            if !t["datasource"].is_null() && t["datasource"]["uid"] != DATASOURCE_UID {
                out.push(format!("{tplace}: datasource should be uid {DATASOURCE_UID}, is {}", t["datasource"]));
            }
            let query = t["query"].as_str().unwrap_or("");
            check_flux(&tplace, query, false, out);
            for used in variables_used(query) {
                if !defined.contains(&used) {
                    out.push(format!("{tplace}: uses the variable `{used}`, which the dashboard does not define"));
                }
            }
            let one: Vec<String> = strings_after(query, "r.resource == ");
            resources.insert(if one.len() == 1 { one[0].clone() } else { String::new() });
        }
        // A panel about one resource shows its unit.
        if resources.len() == 1 {
            let resource = resources.into_iter().next().unwrap();
            if !resource.is_empty() {
                let unit = &panel["fieldConfig"]["defaults"]["unit"];
                if unit != unit_of(&resource) {
                    out.push(format!("{place}: unit should be `{}` for {resource}, is {unit}", unit_of(&resource)));
                }
            }
        }
    }
}

fn problems(files: &Files) -> Vec<String> {
    let mut out = Vec::new();
    check_datasource_yaml(&files.datasource, &mut out);
    check_provider_yaml(&files.provider, &mut out);
    let default_bucket = yaml_value(&files.datasource, "defaultBucket");
    let mut uids = BTreeMap::new();
    for (file, d) in &files.dashboards {
        check_dashboard(file, d, default_bucket.as_deref(), &mut out);
        if let Some(uid) = d["uid"].as_str()
            && let Some(other) = uids.insert(uid.to_string(), file.clone())
        {
            out.push(format!("{file}: uid `{uid}` is also {other}'s"));
        }
    }
    let titles: BTreeSet<&str> = files.dashboards.iter().filter_map(|(_, d)| d["title"].as_str()).collect();
    for title in TITLES {
        if !titles.contains(title) {
            out.push(format!("no dashboard titled {title:?}"));
        }
    }
    out
}

#[test]
fn the_shipped_dashboards_and_provisioning_pass_every_check() {
    let files = load();
    assert!(files.dashboards.len() >= 3, "{} dashboards", files.dashboards.len());
    let found = problems(&files);
    assert!(found.is_empty(), "\n{}", found.join("\n"));
}

// ---- each check fails on a broken copy ----------------------------------------------------

/// Replaces `from` in every string of dashboard `index` (panics when there is none).
fn edit_strings(files: &mut Files, index: usize, from: &str, to: &str) {
    fn walk(v: &mut Value, from: &str, to: &str) -> usize {
        match v {
            Value::String(s) if s.contains(from) => {
                *s = s.replace(from, to);
                1
            }
            Value::Array(items) => items.iter_mut().map(|item| walk(item, from, to)).sum(),
            Value::Object(map) => map.values_mut().map(|item| walk(item, from, to)).sum(),
            _ => 0,
        }
    }
    assert!(walk(&mut files.dashboards[index].1, from, to) > 0, "no {from:?} in {}", files.dashboards[index].0);
}

fn index_of(files: &Files, title: &str) -> usize {
    files.dashboards.iter().position(|(_, d)| d["title"] == title).unwrap()
}

#[track_caller]
fn fails_with(files: &Files, expected: &str) {
    let found = problems(files);
    assert!(
        found.iter().any(|p| p.contains(expected)),
        "expected a problem with {expected:?}, found:\n{}",
        found.join("\n")
    );
}

fn overview(files: &Files) -> usize {
    index_of(files, TITLES[0])
}

#[test]
fn a_dashboard_uid_used_twice_fails() {
    let mut files = load();
    let uid = files.dashboards[0].1["uid"].clone();
    files.dashboards[1].1["uid"] = uid;
    fails_with(&files, "is also");
}

#[test]
fn a_panel_on_another_data_source_fails() {
    let mut files = load();
    let i = overview(&files);
    files.dashboards[i].1["panels"][0]["datasource"]["uid"] = "influxdb-prod".into();
    fails_with(&files, "datasource should be {type influxdb");
    let mut files = load();
    files.dashboards[i].1["panels"][1]["targets"][0]["datasource"]["uid"] = "P951FEA4DE68E13C5".into();
    fails_with(&files, "query A: datasource should be uid");
    let mut files = load();
    files.datasource = files.datasource.replace("uid: xanh-influxdb", "uid: influx");
    fails_with(&files, "`uid` should be `xanh-influxdb`");
}

#[test]
fn a_query_on_a_fixed_bucket_fails() {
    let mut files = load();
    let i = overview(&files);
    edit_strings(&mut files, i, FROM_BUCKET, "from(bucket: \"xanh\")");
    fails_with(&files, "reads a bucket other than the `bucket` variable");
    let mut files = load();
    edit_strings(&mut files, i, "schema.tagValues(bucket: \"${bucket}\"", "schema.tagValues(bucket: v.defaultBucket");
    fails_with(&files, "schema.tagValues should read");
}

#[test]
fn another_measurement_or_the_wrong_field_fails() {
    let mut files = load();
    let i = overview(&files);
    edit_strings(&mut files, i, "r._measurement == \"consumption\"", "r._measurement == \"consumption_daily\"");
    fails_with(&files, "measurement `consumption_daily` is not one Xanh writes");
    let mut files = load();
    edit_strings(&mut files, i, "r._field == \"consumption\"", "r._field == \"value\"");
    fails_with(&files, "does not fit measurement");
    let mut files = load();
    edit_strings(&mut files, i, "r._measurement == \"reading\"", "r._measurement =~ /read/");
    fails_with(&files, "no `r._measurement == \"…\"` filter");
    let mut files = load();
    edit_strings(&mut files, i, "  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)", "  |> range(start: -1y)");
    fails_with(&files, "ignores the dashboard's time range");
}

#[test]
fn a_tag_xanh_does_not_write_fails() {
    let mut files = load();
    let i = index_of(&files, TITLES[1]);
    edit_strings(&mut files, i, "exists r.department and", "exists r.floor and");
    fails_with(&files, "column `floor` is not a tag Xanh writes");
    let mut files = load();
    edit_strings(&mut files, i, "group(columns: [\"office\", \"department\"", "group(columns: [\"office\", \"phong\"");
    fails_with(&files, "column `phong` is not a tag");
    let mut files = load();
    edit_strings(&mut files, i, "tag: \"department\"", "tag: \"dept\"");
    fails_with(&files, "column `dept` is not a tag");
}

#[test]
fn a_query_that_ignores_the_office_variable_fails() {
    let mut files = load();
    let i = index_of(&files, TITLES[2]);
    edit_strings(&mut files, i, &format!("  |> filter(fn: (r) => {OFFICE_FILTER})\n"), "");
    fails_with(&files, "does not filter by the office variable");
    let mut files = load();
    files.dashboards[i].1["templating"]["list"][1]["multi"] = false.into();
    fails_with(&files, "variable office should be a multi-select");
}

#[test]
fn a_daily_or_monthly_window_in_utc_fails() {
    let mut files = load();
    let i = overview(&files);
    edit_strings(&mut files, i, &format!(", {LOCAL_DAYS})"), ")");
    fails_with(&files, "aggregateWindow(every: 1d) must pass");
    let mut files = load();
    let i = index_of(&files, TITLES[2]);
    edit_strings(
        &mut files,
        i,
        &format!("every: 1mo, fn: sum, timeSrc: \"_start\", createEmpty: false, {LOCAL_DAYS}"),
        "every: 1mo, fn: sum",
    );
    fails_with(&files, "aggregateWindow(every: 1mo) must pass");
    let mut files = load();
    edit_strings(&mut files, i, "import \"timezone\"", "");
    fails_with(&files, "without `import \"timezone\"`");
}

#[test]
fn titles_without_vietnamese_fail() {
    let mut files = load();
    let i = overview(&files);
    files.dashboards[i].1["title"] = "Xanh - Office overview".into();
    fails_with(&files, "should be Vietnamese");
    fails_with(&files, "no dashboard titled");
    let mut files = load();
    files.dashboards[i].1["panels"][0]["title"] = "Dien theo ngay".into();
    fails_with(&files, "title should be Vietnamese");
}

#[test]
fn the_wrong_unit_time_zone_schema_or_variable_fails() {
    let mut files = load();
    let i = overview(&files);
    files.dashboards[i].1["panels"][0]["fieldConfig"]["defaults"]["unit"] = "m3".into();
    fails_with(&files, "unit should be `kwatth` for electricity");
    let mut files = load();
    files.dashboards[i].1["timezone"] = "browser".into();
    fails_with(&files, "timezone should be Asia/Ho_Chi_Minh");
    let mut files = load();
    files.dashboards[i].1["schemaVersion"] = 27.into();
    fails_with(&files, "schemaVersion");
    let mut files = load();
    edit_strings(&mut files, i, "${resource:regex}", "${ressource:regex}");
    fails_with(&files, "uses the variable `ressource`");
    let mut files = load();
    files.dashboards[i].1["templating"]["list"][0]["current"]["value"] = "xanh-test".into();
    fails_with(&files, "is not the data source's defaultBucket");
    let mut files = load();
    files.dashboards[i].1["panels"][2]["id"] = files.dashboards[i].1["panels"][1]["id"].clone();
    fails_with(&files, "is used twice");
}

#[test]
fn provisioning_without_its_keys_or_with_a_written_token_fails() {
    let mut files = load();
    files.datasource = files.datasource.replace("${INFLUXDB_TOKEN}", "my-secret-token");
    fails_with(&files, "the token must come from the environment");
    let mut files = load();
    files.datasource = files.datasource.replace("version: Flux", "version: InfluxQL");
    fails_with(&files, "`version` should be `Flux`");
    let mut files = load();
    files.datasource = files.datasource.replace("defaultBucket:", "bucket:");
    fails_with(&files, "`defaultBucket` is missing");
    let mut files = load();
    files.provider = files.provider.replace("type: file", "type: git");
    fails_with(&files, "`type` should be `file`");
    let mut files = load();
    let path = yaml_value(&files.provider, "path").unwrap();
    files.provider = files.provider.replace(&format!("path: {path}"), "path:");
    fails_with(&files, "`path` should be the absolute folder");
}
