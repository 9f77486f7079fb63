//! Who may do what: roles and the people who hold them.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;

use super::{DepartmentId, Meter, MeterId};

/// A role in the office's use of Xanh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything.
    Viewer,
    /// Enters and corrects readings for the departments assigned to them; reads everything.
    Reporter,
    /// HC-QT: everything, including users, tokens and settings.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Reporter => "reporter",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a role: use admin, reporter or viewer")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "reporter" => Ok(Role::Reporter),
            "admin" => Ok(Role::Admin),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

/// Who sent a piece of input and with what rights. Kept with input that is refused, so that
/// a second attempt later (after the config changed) stores only what they could have
/// stored themselves.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sender {
    /// As the audit log names them: `lan`, or `lan/script` for a token.
    pub name: String,
    pub role: Role,
    pub departments: Vec<DepartmentId>,
    /// A token limited to these meters.
    pub meters: Option<Vec<MeterId>>,
}

impl Sender {
    /// Whether they may enter and correct readings of `meter`: an admin any meter; a reporter
    /// the meters of their departments (not the whole building's); a token only its meters.
    pub fn may_write(&self, meter: &Meter) -> bool {
        let by_role = match self.role {
            Role::Admin => true,
            Role::Reporter => meter.department.as_ref().is_some_and(|d| self.departments.contains(d)),
            Role::Viewer => false,
        };
        by_role && self.meters.as_ref().is_none_or(|meters| meters.contains(&meter.id))
    }
}

/// A login name: 2–32 characters of lowercase letters, digits, `.`, `-` and `_`, starting
/// with a letter (so it reads the same in a URL, a log line and a spreadsheet).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Username(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a user name: use 2–32 lowercase letters, digits, `.`, `-` or `_`, starting with a letter (such as nguyen.lan)"
)]
pub struct InvalidUsername(pub String);

impl FromStr for Username {
    type Err = InvalidUsername;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (2..=32).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
        if ok { Ok(Username(s.to_owned())) } else { Err(InvalidUsername(s.to_owned())) }
    }
}

impl Username {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person who may sign in.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub username: Username,
    /// The name shown in pages and recorded with entries, such as "Nguyễn Thị Lan".
    pub display_name: String,
    pub role: Role,
    /// For a reporter: the departments whose meters they may enter and correct.
    pub departments: Vec<DepartmentId>,
    pub disabled: bool,
    #[serde(skip)]
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_plain_lowercase_words() {
        for good in ["lan", "nguyen.lan", "hc-qt_01"] {
            assert!(good.parse::<Username>().is_ok(), "{good}");
        }
        for bad in ["", "l", "Lan", "lan admin", "1lan", "lân", &"a".repeat(33), "../x"] {
            assert!(bad.parse::<Username>().is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_read_their_names() {
        assert_eq!("reporter".parse::<Role>().unwrap(), Role::Reporter);
        assert!("root".parse::<Role>().unwrap_err().to_string().contains("admin, reporter or viewer"));
        assert!(Role::Viewer < Role::Reporter && Role::Reporter < Role::Admin);
    }
}
