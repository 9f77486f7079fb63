//! Users, sessions, API tokens and the audit log, kept in the embedded SQLite database beside
//! the readings (and there even when readings go to another backend). Only hashes of
//! passwords and secrets are stored. Methods block: call them from `spawn_blocking`.

use super::{from_ms, ms};
use std::path::Path;
use std::sync::Mutex;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::StoreError;
use crate::domain::{DepartmentId, MeterId, Role, User, Username};

/// This part's own schema versions, recorded in its own table `accounts_schema`, so that it
/// neither depends on the readings' migrations nor gets in their way (it may run first, from
/// `xanh user add` on a new data directory).
const MIGRATIONS: &[&str] = &[r#"
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        username      TEXT    NOT NULL UNIQUE,
        display_name  TEXT    NOT NULL,
        role          TEXT    NOT NULL,
        departments   TEXT    NOT NULL DEFAULT '',   -- comma-separated department ids
        password_hash TEXT    NOT NULL,              -- Argon2id PHC string
        disabled      INTEGER NOT NULL DEFAULT 0,
        created_at    INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        secret_hash TEXT    PRIMARY KEY,             -- hash of the cookie's value
        user_id     INTEGER NOT NULL REFERENCES users (id),
        csrf        TEXT    NOT NULL,
        created_at  INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE api_tokens (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        name        TEXT    NOT NULL,
        secret_hash TEXT    NOT NULL UNIQUE,
        user_id     INTEGER NOT NULL REFERENCES users (id),
        role        TEXT    NOT NULL,
        meters      TEXT,                            -- comma-separated meter ids; NULL: any
        created_at  INTEGER NOT NULL,
        last_used   INTEGER,
        revoked_at  INTEGER
    );
    CREATE TABLE audit (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        at      INTEGER NOT NULL,
        actor   TEXT    NOT NULL,
        address TEXT,
        action  TEXT    NOT NULL,
        target  TEXT    NOT NULL,
        before  TEXT,                                -- JSON
        after   TEXT                                 -- JSON
    );
"#];

pub struct Accounts {
    conn: Mutex<Connection>,
}

/// A new user as checked by the caller (the password already hashed).
pub struct NewUser {
    pub username: Username,
    pub display_name: String,
    pub role: Role,
    pub departments: Vec<DepartmentId>,
    pub password_hash: String,
}

/// A session as found by its cookie.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub user: User,
    pub csrf: String,
    pub expires_at: Timestamp,
}

/// An API token as listed (its secret is never kept).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    pub owner: Username,
    pub role: Role,
    /// The meters it may submit readings for; `None`: any the owner may.
    pub meters: Option<Vec<MeterId>>,
    #[serde(serialize_with = "crate::store::accounts::as_rfc3339")]
    pub created_at: Timestamp,
    #[serde(serialize_with = "crate::store::accounts::as_rfc3339_opt")]
    pub last_used: Option<Timestamp>,
    #[serde(serialize_with = "crate::store::accounts::as_rfc3339_opt")]
    pub revoked_at: Option<Timestamp>,
}

/// One line of the audit log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditRecord {
    pub id: i64,
    #[serde(serialize_with = "crate::store::accounts::as_rfc3339")]
    pub at: Timestamp,
    pub actor: String,
    pub address: Option<String>,
    pub action: String,
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Which lines of the audit log to show: by whom, which action, from and until when (each
/// `None`: any).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

/// The people and actions the audit log holds.
#[derive(Debug, Clone, Default)]
pub struct AuditChoices {
    pub actors: Vec<String>,
    pub actions: Vec<String>,
}

/// What to add to the audit log.
pub struct AuditEntry<'a> {
    pub actor: &'a str,
    pub address: Option<String>,
    pub action: &'a str,
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

pub(crate) fn as_rfc3339<S: serde::Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(ts)
}

pub(crate) fn as_rfc3339_opt<S: serde::Serializer>(ts: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match ts {
        Some(ts) => s.collect_str(ts),
        None => s.serialize_none(),
    }
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, format!("{what}: {e}").into())
}

fn split_list<T: std::str::FromStr>(text: &str) -> Result<Vec<T>, rusqlite::Error>
where
    T::Err: std::fmt::Display,
{
    text.split(',').filter(|s| !s.is_empty()).map(|s| s.parse::<T>().map_err(|e| corrupt("a stored id", e))).collect()
}

fn join_list<T: std::fmt::Display>(items: &[T]) -> String {
    items.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",")
}

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.departments, u.disabled, u.created_at";

fn user_from(row: &Row<'_>, at: usize) -> Result<User, rusqlite::Error> {
    Ok(User {
        id: row.get(at)?,
        username: row.get::<_, String>(at + 1)?.parse().map_err(|e| corrupt("a stored user name", e))?,
        display_name: row.get(at + 2)?,
        role: row.get::<_, String>(at + 3)?.parse().map_err(|e| corrupt("a stored role", e))?,
        departments: split_list(&row.get::<_, String>(at + 4)?)?,
        disabled: row.get::<_, i64>(at + 5)? != 0,
        created_at: from_ms(row.get(at + 6)?),
    })
}

impl Accounts {
    pub fn open(path: &Path) -> Result<Accounts, StoreError> {
        let open_error = |reason: String| StoreError::Open { path: path.display().to_string(), reason };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| open_error(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut conn = Connection::open(path).map_err(|e| open_error(e.to_string()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let applied = accounts_version(&conn).map_err(|e| open_error(e.to_string()))?;
        if applied > ACCOUNTS_VERSION {
            return Err(open_error(format!(
                "its users and tokens: {}",
                super::sqlite::newer_schema_message(applied, ACCOUNTS_VERSION)
            )));
        }
        migrate(&mut conn).map_err(|e| open_error(format!("accounts schema migration failed: {e}")))?;
        Ok(Accounts { conn: Mutex::new(conn) })
    }

    fn with<T>(&self, work: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error>) -> Result<T, StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work(&mut conn)?)
    }

    pub fn user_count(&self) -> Result<u64, StoreError> {
        self.with(|c| c.query_row("SELECT count(*) FROM users", [], |r| r.get::<_, i64>(0))).map(|n| n as u64)
    }

    /// Add a user; `None` when the name is taken.
    pub fn add_user(&self, user: &NewUser) -> Result<Option<User>, StoreError> {
        let now = Timestamp::now();
        self.with(|c| {
            let inserted = c.execute(
                "INSERT INTO users (username, display_name, role, departments, password_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (username) DO NOTHING",
                params![
                    user.username.as_str(),
                    user.display_name,
                    user.role.as_str(),
                    join_list(&user.departments),
                    user.password_hash,
                    ms(now)
                ],
            )?;
            if inserted == 0 {
                return Ok(None);
            }
            Ok(Some(User {
                id: c.last_insert_rowid(),
                username: user.username.clone(),
                display_name: user.display_name.clone(),
                role: user.role,
                departments: user.departments.clone(),
                disabled: false,
                created_at: now,
            }))
        })
    }

    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(&format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.username"))?;
            let rows = stmt.query_map([], |r| user_from(r, 0))?;
            rows.collect()
        })
    }

    pub fn user(&self, username: &Username) -> Result<Option<User>, StoreError> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.username = ?1"),
                [username.as_str()],
                |r| user_from(r, 0),
            )
            .optional()
        })
    }

    /// The user and their password hash, for a login.
    pub fn credentials(&self, username: &Username) -> Result<Option<(User, String)>, StoreError> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = ?1"),
                [username.as_str()],
                |r| Ok((user_from(r, 0)?, r.get(7)?)),
            )
            .optional()
        })
    }

    /// Disable or enable a user; disabling also ends their sessions. `false` if no such user.
    pub fn set_disabled(&self, username: &Username, disabled: bool) -> Result<bool, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let changed = tx.execute(
                "UPDATE users SET disabled = ?2 WHERE username = ?1",
                params![username.as_str(), disabled as i64],
            )?;
            if disabled {
                tx.execute(
                    "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = ?1)",
                    [username.as_str()],
                )?;
            }
            tx.commit()?;
            Ok(changed > 0)
        })
    }

    /// Set a new password hash and end the user's sessions. `false` if no such user.
    pub fn set_password(&self, username: &Username, password_hash: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let changed = tx.execute(
                "UPDATE users SET password_hash = ?2 WHERE username = ?1",
                params![username.as_str(), password_hash],
            )?;
            tx.execute(
                "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = ?1)",
                [username.as_str()],
            )?;
            tx.commit()?;
            Ok(changed > 0)
        })
    }

    /// Change a user's role and departments. `false` if no such user.
    pub fn set_role(&self, username: &Username, role: Role, departments: &[DepartmentId]) -> Result<bool, StoreError> {
        self.with(|c| {
            let changed = c.execute(
                "UPDATE users SET role = ?2, departments = ?3 WHERE username = ?1",
                params![username.as_str(), role.as_str(), join_list(departments)],
            )?;
            Ok(changed > 0)
        })
    }

    pub fn create_session(
        &self,
        user_id: i64,
        secret_hash: &str,
        csrf: &str,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        let now = Timestamp::now();
        self.with(|c| {
            // Expired sessions are removed as new ones start, so the table stays small.
            c.execute("DELETE FROM sessions WHERE expires_at <= ?1", [ms(now)])?;
            c.execute(
                "INSERT INTO sessions (secret_hash, user_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![secret_hash, user_id, csrf, ms(now), ms(expires_at)],
            )?;
            Ok(())
        })
    }

    /// A live session of an enabled user.
    pub fn session(&self, secret_hash: &str, now: Timestamp) -> Result<Option<SessionRecord>, StoreError> {
        self.with(|c| {
            c.query_row(
                &format!(
                    "SELECT {USER_COLUMNS}, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.secret_hash = ?1 AND s.expires_at > ?2 AND u.disabled = 0"
                ),
                params![secret_hash, ms(now)],
                |r| Ok(SessionRecord { user: user_from(r, 0)?, csrf: r.get(7)?, expires_at: from_ms(r.get(8)?) }),
            )
            .optional()
        })
    }

    /// Sessions that still let someone in at `now`.
    pub fn live_sessions(&self, now: Timestamp) -> Result<u64, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.expires_at > ?1 AND u.disabled = 0",
                [ms(now)],
                |r| r.get::<_, i64>(0),
            )
        })
        .map(|n| n as u64)
    }

    pub fn end_session(&self, secret_hash: &str) -> Result<(), StoreError> {
        self.with(|c| c.execute("DELETE FROM sessions WHERE secret_hash = ?1", [secret_hash]).map(|_| ()))
    }

    pub fn create_token(
        &self,
        name: &str,
        secret_hash: &str,
        owner: &User,
        role: Role,
        meters: Option<&[MeterId]>,
    ) -> Result<TokenRecord, StoreError> {
        let now = Timestamp::now();
        self.with(|c| {
            c.execute(
                "INSERT INTO api_tokens (name, secret_hash, user_id, role, meters, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![name, secret_hash, owner.id, role.as_str(), meters.map(join_list), ms(now)],
            )?;
            Ok(TokenRecord {
                id: c.last_insert_rowid(),
                name: name.to_owned(),
                owner: owner.username.clone(),
                role,
                meters: meters.map(<[MeterId]>::to_vec),
                created_at: now,
                last_used: None,
                revoked_at: None,
            })
        })
    }

    /// A token that is not revoked, with its enabled owner; notes its use.
    pub fn token(&self, secret_hash: &str, now: Timestamp) -> Result<Option<(TokenRecord, User)>, StoreError> {
        self.with(|c| {
            let found = c
                .query_row(
                    &format!(
                        "SELECT {USER_COLUMNS}, t.id, t.name, t.role, t.meters, t.created_at, t.last_used FROM api_tokens t
                         JOIN users u ON u.id = t.user_id
                         WHERE t.secret_hash = ?1 AND t.revoked_at IS NULL AND u.disabled = 0"
                    ),
                    [secret_hash],
                    |r| {
                        let user = user_from(r, 0)?;
                        let meters: Option<String> = r.get(10)?;
                        let token = TokenRecord {
                            id: r.get(7)?,
                            name: r.get(8)?,
                            owner: user.username.clone(),
                            role: r.get::<_, String>(9)?.parse().map_err(|e| corrupt("a stored role", e))?,
                            meters: meters.as_deref().map(split_list).transpose()?,
                            created_at: from_ms(r.get(11)?),
                            last_used: r.get::<_, Option<i64>>(12)?.map(from_ms),
                            revoked_at: None,
                        };
                        Ok((token, user))
                    },
                )
                .optional()?;
            if let Some((token, _)) = &found {
                // Noted at most once a minute per token, to keep reads from becoming writes.
                if token.last_used.is_none_or(|t| ms(now) - ms(t) > 60_000) {
                    c.execute("UPDATE api_tokens SET last_used = ?2 WHERE id = ?1", params![token.id, ms(now)])?;
                }
            }
            Ok(found)
        })
    }

    pub fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT t.id, t.name, u.username, t.role, t.meters, t.created_at, t.last_used, t.revoked_at
                 FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id",
            )?;
            let rows = stmt.query_map([], |r| {
                let meters: Option<String> = r.get(4)?;
                Ok(TokenRecord {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    owner: r.get::<_, String>(2)?.parse().map_err(|e| corrupt("a stored user name", e))?,
                    role: r.get::<_, String>(3)?.parse().map_err(|e| corrupt("a stored role", e))?,
                    meters: meters.as_deref().map(split_list).transpose()?,
                    created_at: from_ms(r.get(5)?),
                    last_used: r.get::<_, Option<i64>>(6)?.map(from_ms),
                    revoked_at: r.get::<_, Option<i64>>(7)?.map(from_ms),
                })
            })?;
            rows.collect()
        })
    }

    /// Revoke a token; `false` if there is no such live token.
    pub fn revoke_token(&self, id: i64) -> Result<bool, StoreError> {
        let now = Timestamp::now();
        self.with(|c| {
            let changed = c.execute(
                "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, ms(now)],
            )?;
            Ok(changed > 0)
        })
    }

    pub fn audit(&self, entry: AuditEntry<'_>) -> Result<(), StoreError> {
        let actor = super::audit::Actor { name: entry.actor.to_owned(), address: entry.address };
        let detail = super::audit::AuditDetail { target: entry.target, before: entry.before, after: entry.after };
        self.with(|c| super::audit::insert(c, &actor, entry.action, detail))
    }

    /// The newest `limit` lines the filter keeps before `before_id` (all when `None`), newest
    /// first.
    pub fn audit_log(
        &self,
        filter: &AuditFilter,
        before_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT id, at, actor, address, action, target, before, after FROM audit
                 WHERE id < ?1 AND (?3 IS NULL OR actor = ?3) AND (?4 IS NULL OR action = ?4)
                   AND (?5 IS NULL OR at >= ?5) AND (?6 IS NULL OR at < ?6)
                 ORDER BY id DESC LIMIT ?2",
            )?;
            let json = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
            let rows = stmt.query_map(
                params![
                    before_id.unwrap_or(i64::MAX),
                    limit as i64,
                    filter.actor,
                    filter.action,
                    filter.from.map(ms),
                    filter.until.map(ms)
                ],
                |r| {
                    Ok(AuditRecord {
                        id: r.get(0)?,
                        at: from_ms(r.get(1)?),
                        actor: r.get(2)?,
                        address: r.get(3)?,
                        action: r.get(4)?,
                        target: r.get(5)?,
                        before: json(r.get(6)?),
                        after: json(r.get(7)?),
                    })
                },
            )?;
            rows.collect()
        })
    }

    /// Everyone who has a line in the audit log, and every action it holds, for a filter's
    /// choices.
    pub fn audit_choices(&self) -> Result<AuditChoices, StoreError> {
        self.with(|c| {
            let distinct = |column: &str| -> Result<Vec<String>, rusqlite::Error> {
                let mut stmt = c.prepare(&format!("SELECT DISTINCT {column} FROM audit ORDER BY {column}"))?;
                stmt.query_map([], |r| r.get(0))?.collect()
            };
            Ok(AuditChoices { actors: distinct("actor")?, actions: distinct("action")? })
        })
    }
}

/// The accounts schema version this binary writes.
pub const ACCOUNTS_VERSION: i64 = MIGRATIONS.len() as i64;

/// The accounts schema version a store file records (0: none yet).
pub fn accounts_version(conn: &Connection) -> Result<i64, rusqlite::Error> {
    let tables: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'accounts_schema'", [], |r| r.get(0))?;
    if tables == 0 {
        return Ok(0);
    }
    conn.query_row("SELECT coalesce(max(version), 0) FROM accounts_schema", [], |r| r.get(0))
}

fn migrate(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS accounts_schema (version INTEGER NOT NULL)")?;
    let applied = accounts_version(conn)?;
    for (version, sql) in MIGRATIONS.iter().enumerate().skip(applied.max(0) as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.execute("INSERT INTO accounts_schema (version) VALUES (?1)", [version as i64 + 1])?;
        tx.commit()?;
    }
    Ok(())
}
