//! A correction: a stored reading is never silently overwritten; the change is kept with the
//! old value, the new one, who made it, when and why.

use jiff::Timestamp;

use super::MeterId;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidCorrection(pub String);

/// A checked request to change or remove one stored reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    meter: MeterId,
    ts: Timestamp,
    new_value: Option<f64>,
    by: String,
    reason: String,
}

impl Correction {
    /// `new_value` in the resource's canonical unit (as figures are shown); `None` removes the
    /// reading. Who and why are required: the council must be able to see both.
    pub fn new(
        meter: MeterId,
        ts: Timestamp,
        new_value: Option<f64>,
        by: &str,
        reason: &str,
    ) -> Result<Correction, InvalidCorrection> {
        if let Some(value) = new_value
            && (!value.is_finite() || value < 0.0)
        {
            return Err(InvalidCorrection(format!("the new value {value} must be a finite number, zero or more")));
        }
        let by = by.trim();
        let reason = reason.trim();
        if by.is_empty() {
            return Err(InvalidCorrection("say who makes the correction (`by`)".into()));
        }
        if reason.chars().count() < 5 {
            return Err(InvalidCorrection(
                "give the reason for the correction (`reason`, at least a few words)".into(),
            ));
        }
        Ok(Correction { meter, ts, new_value, by: by.to_owned(), reason: reason.to_owned() })
    }

    pub fn meter(&self) -> &MeterId {
        &self.meter
    }

    pub fn ts(&self) -> Timestamp {
        self.ts
    }

    pub fn new_value(&self) -> Option<f64> {
        self.new_value
    }

    pub fn by(&self) -> &str {
        &self.by
    }

    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// A correction as kept in the store.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrectionRecord {
    pub id: i64,
    pub meter: String,
    pub ts: Timestamp,
    pub old_value: f64,
    pub new_value: Option<f64>,
    pub by: String,
    pub at: Timestamp,
    pub reason: String,
}
