//! Identifiers that are checked once, at the boundary, and trusted everywhere else.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why an identifier was refused; the message says what a valid one looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{value}` is not a valid id: use 1–64 lowercase letters a–z, digits and single hyphens, such as `phong-tong-hop`"
)]
pub struct InvalidId {
    pub value: String,
}

fn check_slug(value: &str) -> Result<(), InvalidId> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-')
        && !value.contains("--");
    if ok { Ok(()) } else { Err(InvalidId { value: value.to_owned() }) }
}

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(value: String) -> Result<Self, InvalidId> {
                check_slug(&value)?;
                Ok(Self(value))
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(value: &str) -> Result<Self, InvalidId> {
                Self::try_from(value.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slug_id!(
    /// A meter's id, as used in topics, URLs and the store: `dien-tong-hop`.
    MeterId
);
slug_id!(
    /// A department's id: `phong-tong-hop`.
    DepartmentId
);
slug_id!(
    /// The office's own id (`[office] id`), the `office` tag of its points in InfluxDB, where
    /// several offices may share a bucket: `vp-ubnd-tinh`.
    OfficeId
);
slug_id!(
    /// A configured resource other than the metered three (`[[resources]] id`):
    /// `van-phong-pham`.
    SupplyId
);
slug_id!(
    /// An item of a configured resource (`[[resources.items]] id`): `but-bi`.
    ItemId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_accept_lowercase_words_joined_by_hyphens() {
        assert_eq!("dien-tong-hop".parse::<MeterId>().unwrap().as_str(), "dien-tong-hop");
        assert!("may-in-3".parse::<MeterId>().is_ok());
    }

    #[test]
    fn slugs_refuse_what_would_break_a_topic_or_url() {
        for bad in ["", "Dien", "điện", "a/b", "a+b", "-a", "a-", "a--b", "a b", &"x".repeat(65)] {
            let err = bad.parse::<MeterId>().unwrap_err();
            assert!(err.to_string().contains("lowercase"), "{bad}: {err}");
        }
    }
}
