//! A transaction's readings by reference, as its outbox row keeps them: for each meter, the
//! series its points go to and the times of the readings the transaction wrote. The drainer
//! reads each reading's value from the journal when it sends, so a write formats no line
//! protocol and commits a few bytes a reading instead of a line.
//!
//! The text holds three lines a meter: its id, its series (measurement and tags; line
//! protocol turns a line break in a tag into a space, so a series is one line), and the
//! times in ms, the first whole and each next as its step from the one before, separated by
//! spaces.

/// One meter's readings of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MeterReadings {
    pub(super) meter: String,
    pub(super) series: String,
    /// In ascending order.
    pub(super) times: Vec<i64>,
}

/// A transaction's readings, meter by meter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ReadingRefs(pub(super) Vec<MeterReadings>);

impl ReadingRefs {
    /// How many readings (points) they are.
    pub(super) fn points(&self) -> usize {
        self.0.iter().map(|m| m.times.len()).sum()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.points() == 0
    }

    /// The text an outbox row keeps.
    pub(super) fn encode(&self) -> String {
        let mut text = String::with_capacity(self.0.iter().map(|m| 96 + 8 * m.times.len()).sum());
        for m in &self.0 {
            encode_meter(&mut text, &m.meter, &m.series, &m.times);
        }
        text
    }

    /// What [`ReadingRefs::encode`] wrote; an error names what is malformed.
    pub(super) fn decode(text: &str) -> Result<ReadingRefs, String> {
        let mut meters = Vec::new();
        let mut lines = text.lines();
        while let Some(meter) = lines.next() {
            let series = lines.next().ok_or_else(|| format!("meter {meter}: no series"))?;
            let steps = lines.next().ok_or_else(|| format!("meter {meter}: no times"))?;
            let mut times = Vec::new();
            let mut at = 0_i64;
            for (i, step) in steps.split(' ').enumerate() {
                let step: i64 = step.parse().map_err(|_| format!("meter {meter}: time {step:?} is not a number"))?;
                at = if i == 0 {
                    step
                } else {
                    at.checked_add(step).ok_or_else(|| format!("meter {meter}: time overflows"))?
                };
                times.push(at);
            }
            meters.push(MeterReadings { meter: meter.to_owned(), series: series.to_owned(), times });
        }
        Ok(ReadingRefs(meters))
    }

    /// Keep the first `n` readings (in meter order) and return the rest.
    pub(super) fn split_off(&mut self, n: usize) -> ReadingRefs {
        let mut kept = 0;
        let mut rest = Vec::new();
        let mut cut = self.0.len();
        for (i, m) in self.0.iter_mut().enumerate() {
            if kept + m.times.len() <= n {
                kept += m.times.len();
                continue;
            }
            let later = m.times.split_off(n - kept);
            rest.push(MeterReadings { meter: m.meter.clone(), series: m.series.clone(), times: later });
            cut = i + 1;
            break;
        }
        rest.extend(self.0.drain(cut..));
        self.0.retain(|m| !m.times.is_empty());
        ReadingRefs(rest)
    }
}

/// Add one meter's readings to `text` as [`ReadingRefs::encode`] does; `times` ascending,
/// not empty.
pub(super) fn encode_meter(text: &mut String, meter: &str, series: &str, times: &[i64]) {
    use std::fmt::Write;
    text.push_str(meter);
    text.push('\n');
    text.push_str(series);
    text.push('\n');
    let mut before = None;
    for &ts in times {
        match before {
            None => write!(text, "{ts}"),
            Some(b) => write!(text, " {}", ts - b),
        }
        .expect("writing to a String cannot fail");
        before = Some(ts);
    }
    text.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs() -> ReadingRefs {
        ReadingRefs(vec![
            MeterReadings {
                meter: "dien-a".into(),
                series: "reading,meter=dien-a,office=vp\\ thu,resource=electricity".into(),
                times: vec![1_793_577_600_000, 1_793_577_660_000, 1_793_581_200_000],
            },
            MeterReadings { meter: "nuoc-b".into(), series: "reading,meter=nuoc-b".into(), times: vec![-5, 7] },
        ])
    }

    #[test]
    fn a_transaction_s_readings_read_back_as_written_in_a_few_bytes_each() {
        let text = refs().encode();
        assert_eq!(ReadingRefs::decode(&text), Ok(refs()));
        assert_eq!(refs().points(), 5);
        let steps = text.lines().nth(2).unwrap();
        assert_eq!(steps, "1793577600000 60000 3540000");
    }

    #[test]
    fn a_row_sent_in_part_keeps_the_rest_in_order() {
        for n in 0..=5 {
            let mut first = refs();
            let rest = first.split_off(n);
            assert_eq!((first.points(), rest.points()), (n, 5 - n));
            let joined: Vec<(String, i64)> =
                first.0.iter().chain(&rest.0).flat_map(|m| m.times.iter().map(|t| (m.meter.clone(), *t))).collect();
            let all: Vec<(String, i64)> =
                refs().0.iter().flat_map(|m| m.times.iter().map(|t| (m.meter.clone(), *t))).collect();
            assert_eq!(joined, all, "n = {n}");
            assert!(first.0.iter().chain(&rest.0).all(|m| !m.times.is_empty()), "n = {n}");
        }
    }

    #[test]
    fn a_malformed_row_is_an_error_naming_the_meter() {
        assert_eq!(ReadingRefs::decode("dien-a\nreading,meter=dien-a\n"), Err("meter dien-a: no times".into()));
        assert!(ReadingRefs::decode("dien-a\ns\n1 x\n").unwrap_err().contains("\"x\" is not a number"));
        assert_eq!(ReadingRefs::decode(""), Ok(ReadingRefs::default()));
    }
}
