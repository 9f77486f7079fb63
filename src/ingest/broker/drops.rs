//! The messages the embedded rumqttd drops for a subscriber that fell behind. Its router keeps
//! each subscription's messages in a bounded ring of segments; a subscriber (Home Assistant, a
//! dashboard; never Xanh, which stores at the gate) that falls behind by more than the ring
//! loses the oldest, and rumqttd says so only in a WARN of its own ("Read cursor start jumped
//! from (segment, offset) to (segment, offset) on FILTER"), which the log filter hides. This
//! layer reads that event from the tracing pipeline and counts the messages skipped.
//!
//! rumqttd is one per process, so the count is too.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer};

/// Where rumqttd logs a subscriber's read cursor jumping over dropped messages.
const JUMP_TARGET: &str = "rumqttd::router::routing";

static DROPPED: AtomicU64 = AtomicU64::new(0);
static LAST: Mutex<Option<LastDrop>> = Mutex::new(None);

/// The latest drop: when, and on which subscription filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastDrop {
    pub at: jiff::Timestamp,
    pub filter: String,
}

/// Messages the embedded broker dropped for lagging subscribers since the process started.
pub fn dropped_messages() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// The latest drop, if any.
pub fn last_drop() -> Option<LastDrop> {
    LAST.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// The layer that counts drops, with its own filter: it sees rumqttd's cursor jumps whatever
/// the log filter lets through, and nothing else.
pub fn counting_layer<S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>>()
-> impl Layer<S> + Send + Sync + 'static {
    let only_jumps: Targets = Targets::new().with_target(JUMP_TARGET, Level::WARN);
    CursorJumps.with_filter(only_jumps)
}

struct CursorJumps;

impl<S: Subscriber> Layer<S> for CursorJumps {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut jump = JumpFields::default();
        event.record(&mut jump);
        if let Some(lost) = jump.lost() {
            count(lost, jump.filter());
        }
    }
}

fn count(lost: u64, filter: String) {
    DROPPED.fetch_add(lost, Ordering::Relaxed);
    *LAST.lock().unwrap_or_else(|p| p.into_inner()) = Some(LastDrop { at: jiff::Timestamp::now(), filter });
}

/// The fields of rumqttd's cursor jump event, as it formats them (`(3, 1200)`).
#[derive(Default)]
struct JumpFields {
    from: Option<(u64, u64)>,
    to: Option<(u64, u64)>,
    error: String,
}

impl JumpFields {
    /// Messages skipped: the offsets are absolute within the subscription's log.
    fn lost(&self) -> Option<u64> {
        let (from, to) = (self.from?, self.to?);
        Some(to.1.saturating_sub(from.1)).filter(|lost| *lost > 0)
    }

    fn filter(&self) -> String {
        self.error.rsplit_once(" on ").map(|(_, filter)| filter.to_owned()).unwrap_or_default()
    }
}

impl Visit for JumpFields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        match field.name() {
            "request_cursor" => self.from = cursor(&text),
            "start_cursor" => self.to = cursor(&text),
            "error" => self.error = text.trim_matches('"').to_owned(),
            _ => {}
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "error" {
            self.error = value.to_owned();
        }
    }
}

/// `(3, 1200)` as rumqttd's cursors print.
fn cursor(text: &str) -> Option<(u64, u64)> {
    let (segment, offset) = text.trim().strip_prefix('(')?.strip_suffix(')')?.split_once(',')?;
    Some((segment.trim().parse().ok()?, offset.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_jump_counts_the_offsets_skipped() {
        let jump = JumpFields {
            from: cursor("(0, 120)"),
            to: cursor("(3, 5120)"),
            error: "Read cursor start jumped from (0, 120) to (3, 5120) on bulk/#".into(),
        };
        assert_eq!((jump.lost(), jump.filter().as_str()), (Some(5000), "bulk/#"));
        assert_eq!(cursor("Some((1, 2))"), None, "only a plain cursor is read");
    }
}
