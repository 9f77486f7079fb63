//! The schema: the migrations that build it, in order, and how a connection is opened.

use std::path::Path;

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, TransactionBehavior};

/// Schema versions, applied in order; `PRAGMA user_version` records how many ran.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE readings (
        meter        TEXT    NOT NULL,
        ts           INTEGER NOT NULL,   -- ms since the Unix epoch
        value        REAL    NOT NULL,   -- canonical unit
        period_start INTEGER,            -- delta meters: start of the period the amount covers
        source       TEXT    NOT NULL,
        entered_by   TEXT,
        received_at  INTEGER NOT NULL,
        PRIMARY KEY (meter, ts)
    ) WITHOUT ROWID;
    CREATE TABLE consumption_hourly (
        meter  TEXT    NOT NULL,
        hour   INTEGER NOT NULL,         -- ms, start of a UTC hour
        amount REAL    NOT NULL,
        PRIMARY KEY (meter, hour)
    ) WITHOUT ROWID;
    CREATE TABLE consumption_daily (
        meter  TEXT    NOT NULL,
        day    INTEGER NOT NULL,         -- ms, local midnight in the office's time zone
        amount REAL    NOT NULL,
        PRIMARY KEY (meter, day)
    ) WITHOUT ROWID;
    CREATE TABLE meter_status (
        meter            TEXT PRIMARY KEY,
        last_ts          INTEGER NOT NULL,
        last_value       REAL    NOT NULL,
        last_received_at INTEGER NOT NULL,
        readings         INTEGER NOT NULL
    );
    CREATE TABLE rejected (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        received_at INTEGER NOT NULL,
        source      TEXT    NOT NULL,
        topic       TEXT,
        payload     BLOB    NOT NULL,
        meter       TEXT,
        reason      TEXT    NOT NULL,
        detail      TEXT    NOT NULL
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"#,
    r#"
    -- A rejected item that a second attempt stored is kept, marked, for the record.
    ALTER TABLE rejected ADD COLUMN reprocessed_at INTEGER;
"#,
    r#"
    -- Every change to a stored reading: the old value, the new one (NULL: removed), who,
    -- when and why.
    CREATE TABLE corrections (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        meter        TEXT    NOT NULL,
        ts           INTEGER NOT NULL,
        old_value    REAL    NOT NULL,
        new_value    REAL,
        corrected_by TEXT    NOT NULL,
        corrected_at INTEGER NOT NULL,
        reason       TEXT    NOT NULL
    );
    CREATE INDEX corrections_by_meter ON corrections (meter, ts);
"#,
    r#"
    -- A person's decision on an item held for review: accepted (then stored) or rejected.
    ALTER TABLE rejected ADD COLUMN review_decision TEXT;
    ALTER TABLE rejected ADD COLUMN reviewed_by TEXT;
    ALTER TABLE rejected ADD COLUMN review_reason TEXT;
"#,
    r#"
    -- What a bill charged for an amount entered from it, in VND.
    ALTER TABLE readings ADD COLUMN cost_vnd REAL;
"#,
    r#"
    -- Documents a department issued in a month (YYYY-MM), electronically and on paper.
    CREATE TABLE documents (
        department TEXT    NOT NULL,
        month      TEXT    NOT NULL,
        electronic INTEGER NOT NULL,
        paper      INTEGER NOT NULL,
        entered_by TEXT    NOT NULL,
        entered_at INTEGER NOT NULL,
        PRIMARY KEY (month, department)
    ) WITHOUT ROWID;
    -- Changes to baselines and targets made in the web app; the latest per key is in force.
    CREATE TABLE plan_edits (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        kind       TEXT    NOT NULL,     -- baseline | target
        resource   TEXT    NOT NULL,
        department TEXT,                 -- NULL: the whole office
        period     TEXT,                 -- NULL: every period (targets)
        old_value  TEXT,                 -- JSON; NULL: the config's value was in force
        new_value  TEXT,                 -- JSON; NULL: back to the config's value
        edited_by  TEXT    NOT NULL,
        edited_at  INTEGER NOT NULL,
        reason     TEXT    NOT NULL
    );
"#,
    r#"
    -- The InfluxDB backend's outbox: line protocol committed with the change it mirrors,
    -- sent in seq order, deleted once InfluxDB took it.
    CREATE TABLE influx_outbox (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        line        TEXT    NOT NULL,
        enqueued_at INTEGER NOT NULL
    );
    -- Lines InfluxDB refused as bad, moved aside with its answer so the queue goes on.
    CREATE TABLE influx_dead_letters (
        seq         INTEGER PRIMARY KEY,
        line        TEXT    NOT NULL,
        enqueued_at INTEGER NOT NULL,
        failed_at   INTEGER NOT NULL,
        error       TEXT    NOT NULL
    );
"#,
    r#"
    -- Who sent a refused row over the web and with what rights (JSON), so that a second
    -- attempt stores only what they could have stored.
    ALTER TABLE rejected ADD COLUMN sender TEXT;
"#,
    r#"
    -- Alerts: one row per condition while it lasts (its key unique among the active ones),
    -- kept after it resolves; mqtt_state follows its retained topic (pending, published,
    -- clear_pending, cleared).
    CREATE TABLE alerts (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        rule        TEXT    NOT NULL,
        key         TEXT    NOT NULL,
        resource    TEXT,
        meter       TEXT,
        department  TEXT,
        severity    TEXT    NOT NULL,
        started_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        resolved_at INTEGER,
        last_value  REAL,
        message     TEXT    NOT NULL,
        message_en  TEXT    NOT NULL,
        acked_by    TEXT,
        acked_at    INTEGER,
        ack_comment TEXT,
        mqtt_state  TEXT    NOT NULL DEFAULT 'pending'
    );
    CREATE UNIQUE INDEX alerts_active_key ON alerts (key) WHERE resolved_at IS NULL;
    CREATE INDEX alerts_by_key ON alerts (key);
    -- Notifications waiting to be sent (or sent, or given up), tried again with backoff.
    CREATE TABLE alert_outbox (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at   INTEGER NOT NULL,
        recipient    TEXT    NOT NULL,
        notification TEXT    NOT NULL,   -- JSON
        attempts     INTEGER NOT NULL DEFAULT 0,
        next_at      INTEGER NOT NULL,
        last_error   TEXT,
        sent_at      INTEGER,
        gave_up_at   INTEGER,
        dedup        TEXT    UNIQUE      -- a digest's recipient and day: queued once
    );
    CREATE INDEX alert_outbox_due ON alert_outbox (next_at) WHERE sent_at IS NULL AND gave_up_at IS NULL;
"#,
    // The reports made by the schedule (docs/reports.md): one row per period, made once.
    r#"
    CREATE TABLE scheduled_reports (
        period   TEXT    PRIMARY KEY,   -- 2026-11, 2026-Q4, 2026
        issued   TEXT    NOT NULL,      -- the office's local date it was made for, YYYY-MM-DD
        made_at  INTEGER NOT NULL,
        pdf      BLOB    NOT NULL,
        docx     BLOB    NOT NULL
    );
"#,
    // Issue slips (phiếu xuất kho) of the configured resources (docs/resources.md): one slip
    // for a department on a date, its lines priced on that date.
    r#"
    CREATE TABLE issue_slips (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        number     TEXT    NOT NULL,
        department TEXT    NOT NULL,
        day        TEXT    NOT NULL,    -- the office's local date, YYYY-MM-DD
        entered_by TEXT    NOT NULL,
        entered_at INTEGER NOT NULL
    );
    CREATE INDEX issue_slips_by_day ON issue_slips (day);
    CREATE TABLE issue_lines (
        slip           INTEGER NOT NULL REFERENCES issue_slips (id),
        line           INTEGER NOT NULL,
        resource       TEXT    NOT NULL,
        item           TEXT    NOT NULL,
        quantity       REAL    NOT NULL,
        unit_price_vnd REAL    NOT NULL,
        value_vnd      REAL    NOT NULL,
        PRIMARY KEY (slip, line)
    ) WITHOUT ROWID;
"#,
    // Meetings a department held in a month (YYYY-MM) and how many of them were paperless.
    r#"
    CREATE TABLE meetings (
        department TEXT    NOT NULL,
        month      TEXT    NOT NULL,
        held       INTEGER NOT NULL,
        paperless  INTEGER NOT NULL,
        entered_by TEXT    NOT NULL,
        entered_at INTEGER NOT NULL,
        PRIMARY KEY (month, department)
    ) WITHOUT ROWID;
"#,
    // The office's setup as the web app keeps it (docs/setup.md): the meters, seeded once from
    // the config file, then changed in the browser (a meter with readings is retired, not
    // deleted); and the departments' headcount and floor area over time.
    r#"
    CREATE TABLE meters (
        id           TEXT    PRIMARY KEY,
        position     INTEGER NOT NULL,  -- the order they are listed in
        spec         TEXT    NOT NULL,  -- JSON: the keys of a [[meters]] entry
        retired_from TEXT               -- the office's local date, YYYY-MM-DD; NULL: in use
    );
    -- Headcount and floor area changes entered in the web app, laid over the config's
    -- [[staffing]]; each in force from its local day until the next.
    CREATE TABLE staffing_changes (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        department TEXT    NOT NULL,
        from_day   TEXT    NOT NULL,    -- YYYY-MM-DD
        headcount  INTEGER,
        area_m2    REAL,
        entered_by TEXT    NOT NULL,
        entered_at INTEGER NOT NULL
    );
"#,
    // Queued notifications' attachments as base64 text, not JSON arrays of numbers (a 60 KiB
    // PDF took about 200 KiB): see `attachments_as_base64`.
    r#"
    UPDATE alert_outbox SET notification = xanh_attachments_as_base64(notification)
    WHERE json_array_length(notification, '$.attachments') > 0;
"#,
    // Who is told of alerts, edited by an admin (docs/alerts.md): seeded once from
    // `[[alerts.recipients]]`, the fields as the config writes them.
    r#"
    CREATE TABLE alert_recipients (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        name        TEXT    NOT NULL,
        role        TEXT    NOT NULL,   -- hc_qt, department_head
        department  TEXT,
        email       TEXT,
        webhook     TEXT,
        quiet_hours TEXT,               -- 21:00-06:30
        digest_at   TEXT                -- 07:00
    );
"#,
    // Prices entered in the web app, laid over the config's [[tariffs]]; each in force from
    // its local day until the next of its resource.
    r#"
    CREATE TABLE tariff_changes (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        resource   TEXT    NOT NULL,
        from_day   TEXT    NOT NULL,    -- YYYY-MM-DD
        price_vnd  REAL    NOT NULL,
        per        TEXT    NOT NULL,    -- the unit, as a config writes it: kWh, m3, ream
        note       TEXT    NOT NULL,
        entered_by TEXT    NOT NULL,
        entered_at INTEGER NOT NULL
    );
"#,
    // Emission factors entered in the web app, laid over the config's [[emission_factors]];
    // each for its year and after, until a later one of its resource.
    r#"
    CREATE TABLE emission_factor_changes (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        resource    TEXT    NOT NULL,
        year        INTEGER NOT NULL,
        value       REAL    NOT NULL,
        unit        TEXT    NOT NULL,    -- as a config writes it: tCO2/MWh, kgCO2e/m3, kgCO2e/kg
        kg_per_ream REAL,
        source      TEXT    NOT NULL,
        entered_by  TEXT    NOT NULL,
        entered_at  INTEGER NOT NULL
    );
"#,
    // Years of the working calendar set in the web app (issue 18): the latest row of a year
    // takes the place of its shipped and configured days; `days` is a JSON array of
    // {date: YYYY-MM-DD, kind: off|worked, reason}.
    r#"
    CREATE TABLE calendar_years (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        year       INTEGER NOT NULL,
        status     TEXT    NOT NULL,    -- official or provisional
        source     TEXT    NOT NULL,
        days       TEXT    NOT NULL,
        entered_by TEXT    NOT NULL,
        entered_at INTEGER NOT NULL
    );
"#,
    // The last announcement devices made of themselves on each topic (Home Assistant
    // discovery, Tasmota, Shelly, Zigbee2MQTT), kept over a restart of the embedded broker,
    // which keeps no retained message.
    r#"
    CREATE TABLE device_announcements (
        key      TEXT    PRIMARY KEY,   -- the topic (a Shelly Gen1's: shellies/announce/<id>)
        payload  BLOB    NOT NULL,
        heard_at INTEGER NOT NULL
    ) WITHOUT ROWID;
"#,
    // The departments as the web app keeps them (docs/setup.md): seeded once from the config
    // file's [[departments]], then added and renamed in the browser, never deleted.
    r#"
    CREATE TABLE departments (
        id       TEXT    PRIMARY KEY,
        position INTEGER NOT NULL,     -- the order they are listed in
        spec     TEXT    NOT NULL      -- JSON: the keys of a [[departments]] entry
    );
"#,
    // Item prices and norms of the configured resources entered in the web app, laid over the
    // config's price lists (`[[resources.items]] prices`) and norms (`[[resources.norms]]`);
    // each in force from its day until a later one of its item, or of its resource and
    // department (NULL: every department).
    r#"
    CREATE TABLE supply_price_changes (
        id         INTEGER PRIMARY KEY,
        resource   TEXT    NOT NULL,
        item       TEXT    NOT NULL,
        from_day   TEXT    NOT NULL,
        price_vnd  REAL    NOT NULL,
        note       TEXT    NOT NULL,
        entered_by TEXT    NOT NULL,
        entered_at INTEGER NOT NULL
    );
    CREATE TABLE supply_norm_changes (
        id              INTEGER PRIMARY KEY,
        resource        TEXT    NOT NULL,
        department      TEXT,
        from_day        TEXT    NOT NULL,
        per             TEXT    NOT NULL,
        every           TEXT    NOT NULL,
        amount          REAL    NOT NULL,
        measure         TEXT    NOT NULL,
        regulation      TEXT    NOT NULL,
        regulation_date TEXT    NOT NULL,
        entered_by      TEXT    NOT NULL,
        entered_at      INTEGER NOT NULL
    );
"#,
    // The InfluxDB outbox takes one row a transaction (its readings' lines, one a line, and a
    // running count of points so the backlog is counted without reading the rows), and the
    // consumption hours wait by (meter, hour): the drainer sends each hour's amount as the
    // journal holds it then, so an hour rewritten by many transactions is sent once.
    r#"
    ALTER TABLE influx_outbox ADD COLUMN points INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE influx_outbox ADD COLUMN upto INTEGER;
    UPDATE influx_outbox SET upto = seq;
    CREATE TRIGGER influx_outbox_upto AFTER INSERT ON influx_outbox BEGIN
        UPDATE influx_outbox
        SET upto = new.points + coalesce((SELECT upto FROM influx_outbox WHERE seq < new.seq ORDER BY seq DESC LIMIT 1), 0)
        WHERE seq = new.seq;
    END;
    ALTER TABLE influx_dead_letters ADD COLUMN points INTEGER NOT NULL DEFAULT 1;
    CREATE TABLE influx_outbox_hours (
        meter       TEXT    NOT NULL,
        hour        INTEGER NOT NULL,    -- ms, start of a UTC hour
        series      TEXT    NOT NULL,    -- the point's measurement and tags
        enqueued_at INTEGER NOT NULL,    -- when the hour first changed since it was last sent
        PRIMARY KEY (meter, hour)
    ) WITHOUT ROWID;
"#,
    // Electricity's time-of-use prices or monthly blocks (issue 18), as JSON
    // {"time_of_use": {...}} or {"blocks": [...]}; NULL: the row's one price.
    r#"
    ALTER TABLE tariff_changes ADD COLUMN scheme TEXT;
"#,
    // The InfluxDB outbox keeps a transaction's readings by reference (issue 19): each
    // meter's series and reading times, their values read from the journal when sent. Rows
    // committed before keep their lines (refs NULL) and are sent as they are.
    r#"
    ALTER TABLE influx_outbox ADD COLUMN refs TEXT;
"#,
];

/// The schema version this binary writes: how many migrations it knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The schema version a store file records (0: new or not a Xanh store).
pub fn schema_version(conn: &Connection) -> Result<i64, rusqlite::Error> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// Refuse a store that a newer Xanh wrote: this binary would misread what it does not know.
pub(super) fn refuse_newer(conn: &Connection) -> Result<(), String> {
    let found = schema_version(conn).map_err(|e| e.to_string())?;
    if found > SCHEMA_VERSION {
        return Err(newer_schema_message(found, SCHEMA_VERSION));
    }
    Ok(())
}

/// What to say of a store (or a part of it) written by a newer Xanh than this one.
pub fn newer_schema_message(found: i64, known: i64) -> String {
    format!(
        "it was written by a newer Xanh (schema version {found}; this xanh {} knows versions up to {known}), \
         and going back to an older version is not supported; fix: run the newer xanh again, or restore a \
         backup made before the upgrade with `xanh restore FILE`",
        env!("CARGO_PKG_VERSION")
    )
}

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 64;

pub(super) fn open_connection(path: &Path) -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a committed batch survives a power cut, which is what a QoS 1 ack promises.
    conn.pragma_update(None, "synchronous", "FULL")?;
    // The write path alone uses more statements than rusqlite's default cache of 16 holds:
    // a batch with late readings would otherwise parse its SQL again at every reading.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.create_scalar_function(
        "xanh_attachments_as_base64",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let text: String = ctx.get(0)?;
            attachments_as_base64(&text).map_err(|e| rusqlite::Error::UserFunctionError(e.into()))
        },
    )?;
    Ok(conn)
}

/// A queued notification's JSON with each attachment's `bytes` as base64 text, as
/// `notify::Attachment` now keeps them. Bytes already in base64 stay as they are, and so does
/// an array that is not all bytes: the dispatcher then reports that notification unreadable.
pub(super) fn attachments_as_base64(notification: &str) -> Result<String, serde_json::Error> {
    use base64::Engine;
    let mut json: serde_json::Value = serde_json::from_str(notification)?;
    for attachment in json["attachments"].as_array_mut().into_iter().flatten() {
        let bytes: Option<Vec<u8>> = attachment["bytes"]
            .as_array()
            .and_then(|numbers| numbers.iter().map(|n| n.as_u64().and_then(|n| u8::try_from(n).ok())).collect());
        if let Some(bytes) = bytes {
            attachment["bytes"] = base64::engine::general_purpose::STANDARD.encode(bytes).into();
        }
    }
    Ok(json.to_string())
}

pub(super) fn migrate(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    let applied = schema_version(conn)?;
    for (version, sql) in MIGRATIONS.iter().enumerate().skip(applied.max(0) as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
