//! Users, sessions, API tokens and the audit log: who is acting, and what they may do. The
//! web layer turns a request into a [`Principal`] through this service and hands handlers the
//! capability their route needs; storage is `store::accounts`, which keeps only hashes.

pub mod hashing;
pub mod limiter;
pub mod password;
pub mod secret;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};

use crate::domain::{DepartmentId, Meter, MeterId, Role, Sender, User, Username};
use crate::store::accounts::{AuditChoices, AuditEntry, AuditFilter, AuditRecord, NewUser, TokenRecord};
use crate::store::{Accounts, StoreError};
use hashing::HashingPool;
use limiter::LoginLimiter;
use password::Password;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Input that breaks a rule; the message says which.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("wrong user name or password")]
    BadCredentials,
    #[error("too many failed logins: try again in {} minutes", .0.as_secs().div_ceil(60))]
    Throttled(Duration),
    /// Too many logins are being checked at once: try again in a moment.
    #[error("the server is busy checking other logins: try again in a moment")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

/// Who is acting: a signed-in user, or a script holding one of a user's API tokens.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub via: Via,
    pub address: Option<IpAddr>,
}

#[derive(Debug, Clone)]
pub enum Via {
    /// A browser session; its forms must carry this CSRF token.
    Session {
        csrf: String,
        secret_hash: String,
    },
    Token {
        id: i64,
        name: String,
        role: Role,
        meters: Option<Vec<MeterId>>,
    },
}

impl Principal {
    /// What this principal may do: a token never does more than its owner.
    pub fn role(&self) -> Role {
        match &self.via {
            Via::Session { .. } => self.user.role,
            Via::Token { role, .. } => self.user.role.min(*role),
        }
    }

    /// The name recorded with what they enter: the user name, and the token's name for a
    /// script (`lan` or `lan/gateway-tang-1`).
    pub fn name(&self) -> String {
        match &self.via {
            Via::Session { .. } => self.user.username.to_string(),
            Via::Token { name, .. } => format!("{}/{}", self.user.username, name),
        }
    }

    /// Whether they may enter figures for `department` as a whole (documents issued): an admin
    /// any department, a reporter their own; a token limited to some meters none.
    pub fn may_write_department(&self, department: &DepartmentId) -> bool {
        let by_role = match self.role() {
            Role::Admin => true,
            Role::Reporter => self.user.departments.contains(department),
            Role::Viewer => false,
        };
        let meter_token = matches!(&self.via, Via::Token { meters: Some(_), .. });
        by_role && !meter_token
    }

    /// Whether they may record a reading as entered by `name`: anyone as themselves (their
    /// user name, or the name recorded for them); only an admin, not limited to some meters,
    /// as someone else (a reading taken over the phone).
    pub fn may_enter_as(&self, name: &str) -> bool {
        let admin = self.role() == Role::Admin && !matches!(&self.via, Via::Token { meters: Some(_), .. });
        admin || name == self.name() || name == self.user.username.as_str()
    }

    /// Whether they may enter and correct readings of `meter` (see [`Sender::may_write`]).
    pub fn may_write(&self, meter: &Meter) -> bool {
        self.sender().may_write(meter)
    }

    /// Who they are and what they may write, as kept with what they send.
    pub fn sender(&self) -> Sender {
        let meters = match &self.via {
            Via::Token { meters, .. } => meters.clone(),
            Via::Session { .. } => None,
        };
        Sender { name: self.name(), role: self.role(), departments: self.user.departments.clone(), meters }
    }
}

/// A session just started: the cookie's value (shown once) and its CSRF token.
pub struct NewSession {
    pub secret: String,
    pub expires_at: Timestamp,
}

/// Password checks at once: Argon2id takes 19 MiB each, so a burst of logins costs at most
/// this many buffers.
const HASHING_THREADS: usize = 2;
/// Logins waiting for a check; more at once are answered "busy" (about 5 s of work queued).
const HASHING_QUEUE: usize = 64;

pub struct Auth {
    accounts: Arc<Accounts>,
    limiter: LoginLimiter,
    hashing: HashingPool,
    session_ttl: SignedDuration,
    /// The hash of the one-time setup link's secret, while there is no user yet.
    setup: Mutex<Option<String>>,
    /// New tokens' secrets waiting to be shown once, by the hash of the session that made them.
    new_secrets: Mutex<HashMap<String, (String, Instant)>>,
}

/// How long a new token's secret waits to be shown.
const NEW_SECRET_SHOWN_WITHIN: Duration = Duration::from_secs(10 * 60);

impl Auth {
    pub fn new(accounts: Accounts, session_ttl: SignedDuration) -> Auth {
        Auth {
            accounts: Arc::new(accounts),
            limiter: LoginLimiter::default(),
            hashing: HashingPool::new(HASHING_THREADS, HASHING_QUEUE),
            session_ttl,
            setup: Mutex::new(None),
            new_secrets: Mutex::new(HashMap::new()),
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Accounts) -> Result<T, AuthError> + Send + 'static,
    ) -> Result<T, AuthError> {
        let accounts = Arc::clone(&self.accounts);
        tokio::task::spawn_blocking(move || work(&accounts))
            .await
            .map_err(|e| AuthError::Internal(format!("the accounts worker stopped: {e}")))?
    }

    /// When nobody can sign in yet: a one-time secret for the setup page (a new one each call;
    /// only the last works). `None` once a user exists.
    pub async fn setup_secret(&self) -> Result<Option<String>, AuthError> {
        if self.blocking(|a| Ok(a.user_count()?)).await? > 0 {
            return Ok(None);
        }
        let secret = secret::random_secret();
        *self.setup.lock().unwrap_or_else(|p| p.into_inner()) = Some(secret::secret_hash(&secret));
        Ok(Some(secret))
    }

    /// Whether `secret` is the live setup link's.
    pub fn setup_open(&self, secret: &str) -> bool {
        let expected = self.setup.lock().unwrap_or_else(|p| p.into_inner()).clone();
        expected.is_some_and(|hash| secret::same(&hash, &secret::secret_hash(secret)))
    }

    /// Create the first admin through the setup link, which then stops working.
    pub async fn complete_setup(
        &self,
        secret: &str,
        username: &str,
        display_name: &str,
        password: &str,
    ) -> Result<User, AuthError> {
        if !self.setup_open(secret) {
            return Err(AuthError::NotFound(
                "this setup link is used or out of date: sign in, or run `xanh user add --admin NAME`".into(),
            ));
        }
        let user = self.add_user(username, display_name, Role::Admin, Vec::new(), password).await?;
        *self.setup.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(user)
    }

    pub async fn add_user(
        &self,
        username: &str,
        display_name: &str,
        role: Role,
        departments: Vec<DepartmentId>,
        password: &str,
    ) -> Result<User, AuthError> {
        let username: Username =
            username.trim().parse().map_err(|e: crate::domain::InvalidUsername| AuthError::Invalid(e.to_string()))?;
        let display_name = display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > 100 {
            return Err(AuthError::Invalid(
                "give the person's full name (1–100 characters), such as Nguyễn Thị Lan".into(),
            ));
        }
        if role == Role::Reporter && departments.is_empty() {
            return Err(AuthError::Invalid("a reporter enters readings for departments: give at least one".into()));
        }
        let password = Password::new(password)?;
        let new = NewUser {
            username: username.clone(),
            display_name: display_name.to_owned(),
            role,
            departments,
            password_hash: String::new(),
        };
        self.blocking(move |accounts| {
            let new = NewUser { password_hash: password.hash()?, ..new };
            accounts.add_user(&new)?.ok_or_else(|| AuthError::Conflict(format!("there is already a user `{username}`")))
        })
        .await
    }

    pub async fn users(&self) -> Result<Vec<User>, AuthError> {
        self.blocking(|a| Ok(a.users()?)).await
    }

    pub async fn user(&self, username: &Username) -> Result<Option<User>, AuthError> {
        let username = username.clone();
        self.blocking(move |a| Ok(a.user(&username)?)).await
    }

    pub async fn set_disabled(&self, username: &Username, disabled: bool) -> Result<(), AuthError> {
        let username = username.clone();
        self.blocking(move |a| if a.set_disabled(&username, disabled)? { Ok(()) } else { Err(no_user(&username)) })
            .await
    }

    pub async fn reset_password(&self, username: &Username, password: &str) -> Result<(), AuthError> {
        let password = Password::new(password)?;
        let username = username.clone();
        self.blocking(
            move |a| if a.set_password(&username, &password.hash()?)? { Ok(()) } else { Err(no_user(&username)) },
        )
        .await
    }

    pub async fn set_role(
        &self,
        username: &Username,
        role: Role,
        departments: Vec<DepartmentId>,
    ) -> Result<(), AuthError> {
        if role == Role::Reporter && departments.is_empty() {
            return Err(AuthError::Invalid("a reporter enters readings for departments: give at least one".into()));
        }
        let username = username.clone();
        self.blocking(
            move |a| if a.set_role(&username, role, &departments)? { Ok(()) } else { Err(no_user(&username)) },
        )
        .await
    }

    /// Check a password and start a session. The attempt is counted (per user name and
    /// address, per address, per user name) before the password is checked, and the check
    /// waits its turn on the hashing pool; past a limit, or with the pool's queue full, the
    /// attempt is refused without looking at the password.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        address: Option<IpAddr>,
    ) -> Result<(User, NewSession), AuthError> {
        let name = username.trim().to_owned();
        let reservation = self.limiter.reserve(&name, address, Instant::now()).map_err(AuthError::Throttled)?;
        let lookup = name.clone();
        let found = self
            .blocking(move |accounts| match lookup.parse::<Username>() {
                Ok(username) => Ok(accounts.credentials(&username)?),
                Err(_) => Ok(None),
            })
            .await?;
        let attempt = password.to_owned();
        let checked = self
            .hashing
            .run(move |memory| match found {
                Some((user, hash)) => password::verify_in(&attempt, &hash, memory).then_some(user),
                None => {
                    // Spend the same time as for a real user, so timing tells nothing.
                    password::verify_in(&attempt, password::decoy_hash(), memory);
                    None
                }
            })
            .await
            .map_err(|_| AuthError::Busy)?;
        let Some(user) = checked.filter(|user| !user.disabled) else {
            return Err(AuthError::BadCredentials);
        };
        self.limiter.succeeded(reservation);
        let ttl = self.session_ttl;
        self.blocking(move |accounts| {
            let secret = secret::random_secret();
            let expires_at = Timestamp::now().checked_add(ttl).map_err(|e| AuthError::Internal(e.to_string()))?;
            accounts.create_session(user.id, &secret::secret_hash(&secret), &secret::random_secret(), expires_at)?;
            Ok((user, NewSession { secret, expires_at }))
        })
        .await
    }

    /// The principal behind a session cookie's value, if the session is live.
    pub async fn session(&self, secret: &str, address: Option<IpAddr>) -> Result<Option<Principal>, AuthError> {
        let secret_hash = secret::secret_hash(secret);
        self.blocking(move |a| {
            Ok(a.session(&secret_hash, Timestamp::now())?.map(|s| Principal {
                user: s.user,
                via: Via::Session { csrf: s.csrf, secret_hash },
                address,
            }))
        })
        .await
    }

    /// How many sign-ins are live now.
    pub async fn live_sessions(&self) -> Result<u64, AuthError> {
        self.blocking(|a| Ok(a.live_sessions(Timestamp::now())?)).await
    }

    pub async fn logout(&self, principal: &Principal) -> Result<(), AuthError> {
        if let Via::Session { secret_hash, .. } = &principal.via {
            let secret_hash = secret_hash.clone();
            self.blocking(move |a| Ok(a.end_session(&secret_hash)?)).await?;
        }
        Ok(())
    }

    /// The principal behind an API token, if it is live and its owner enabled.
    pub async fn token(&self, secret: &str, address: Option<IpAddr>) -> Result<Option<Principal>, AuthError> {
        let secret_hash = secret::secret_hash(secret);
        self.blocking(move |a| {
            Ok(a.token(&secret_hash, Timestamp::now())?.map(|(token, user)| Principal {
                user,
                via: Via::Token { id: token.id, name: token.name, role: token.role, meters: token.meters },
                address,
            }))
        })
        .await
    }

    /// A new token for `owner`, never with more rights than the owner; the secret is returned
    /// once and only its hash kept.
    pub async fn create_token(
        &self,
        owner: &User,
        name: &str,
        role: Role,
        meters: Option<Vec<MeterId>>,
    ) -> Result<(String, TokenRecord), AuthError> {
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(AuthError::Invalid(
                "name the token after what uses it (1–64 characters), such as gateway-tang-1".into(),
            ));
        }
        if role > owner.role {
            return Err(AuthError::Invalid(format!("a token cannot have more rights than its owner ({})", owner.role)));
        }
        if meters.as_ref().is_some_and(Vec::is_empty) {
            return Err(AuthError::Invalid("list at least one meter, or none for all the owner may write".into()));
        }
        let secret = secret::random_secret();
        let hash = secret::secret_hash(&secret);
        let owner = owner.clone();
        let record = self.blocking(move |a| Ok(a.create_token(&name, &hash, &owner, role, meters.as_deref())?)).await?;
        Ok((secret, record))
    }

    pub async fn tokens(&self) -> Result<Vec<TokenRecord>, AuthError> {
        self.blocking(|a| Ok(a.tokens()?)).await
    }

    pub async fn revoke_token(&self, id: i64) -> Result<(), AuthError> {
        self.blocking(move |a| {
            if a.revoke_token(id)? { Ok(()) } else { Err(AuthError::NotFound(format!("no live token {id}"))) }
        })
        .await
    }

    /// Record an action; `actor` is `None` for the command line on the server itself.
    pub async fn audit(
        &self,
        actor: Option<&Principal>,
        action: &str,
        target: String,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<(), AuthError> {
        let actor_name = actor.map(Principal::name).unwrap_or_else(|| "(command line)".to_owned());
        let address = actor.and_then(|p| p.address).map(|a| a.to_string());
        let action = action.to_owned();
        self.blocking(move |a| {
            Ok(a.audit(AuditEntry { actor: &actor_name, address, action: &action, target, before, after })?)
        })
        .await
    }

    /// Keep a new token's secret for the next page its creator's session loads, so that it
    /// never travels in a URL (where logs and browser history would keep it).
    pub fn hold_new_secret(&self, creator: &Principal, secret: String) {
        let Via::Session { secret_hash, .. } = &creator.via else { return };
        let mut held = self.new_secrets.lock().unwrap_or_else(|p| p.into_inner());
        held.retain(|_, (_, at)| at.elapsed() < NEW_SECRET_SHOWN_WITHIN);
        held.insert(secret_hash.clone(), (secret, Instant::now()));
    }

    /// The new token's secret this session made, once; `None` after that.
    pub fn take_new_secret(&self, viewer: &Principal) -> Option<String> {
        let Via::Session { secret_hash, .. } = &viewer.via else { return None };
        let mut held = self.new_secrets.lock().unwrap_or_else(|p| p.into_inner());
        held.remove(secret_hash).filter(|(_, at)| at.elapsed() < NEW_SECRET_SHOWN_WITHIN).map(|(secret, _)| secret)
    }

    pub async fn audit_log(
        &self,
        filter: AuditFilter,
        before_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, AuthError> {
        self.blocking(move |a| Ok(a.audit_log(&filter, before_id, limit)?)).await
    }

    pub async fn audit_choices(&self) -> Result<AuditChoices, AuthError> {
        self.blocking(|a| Ok(a.audit_choices()?)).await
    }
}

fn no_user(username: &Username) -> AuthError {
    AuthError::NotFound(format!("there is no user `{username}`: see `xanh user list`"))
}
