//! The readings Xanh instances of one shared subscription send each other.
//!
//! The broker gives each device message to one instance of the group, but consumption is
//! worked out from a meter's consecutive readings: every instance must hold every reading.
//! So an instance that stored the readings of device messages publishes them (QoS 1) on the
//! group's peer topic before it acknowledges those messages; every instance subscribes to
//! that topic unshared and stores the others' readings through the same store write, marked
//! `source = peer` with the sender's client id in `entered_by`. Those are never sent on.
//! The store counts a reading it already holds as a duplicate, so redelivery is harmless.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::{Incoming, MeterId, MeterKind, Origin, Reading, RejectReason, Rejection, Source};
use crate::ingest::Pipeline;

/// Most readings in one peer message, so that it stays far below the client's packet limit.
pub const MAX_READINGS: usize = 1000;

/// One peer message: who sent it and the readings it stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerBatch {
    /// The sender's MQTT client id, unique within the group.
    pub sender: String,
    pub readings: Vec<PeerReading>,
}

/// A reading as the sender stored it: canonical unit, times in ms since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerReading {
    pub meter: MeterId,
    pub ts: i64,
    pub value: f64,
    /// A delta meter's period start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
    /// When the sender received it, so that "last heard from" agrees on every instance.
    pub received_at: i64,
}

impl PeerReading {
    pub fn of(reading: &Reading, origin: &Origin) -> PeerReading {
        PeerReading {
            meter: reading.meter.clone(),
            ts: reading.ts.as_millisecond(),
            value: reading.value,
            from: reading.period_start.map(Timestamp::as_millisecond),
            received_at: origin.received_at.as_millisecond(),
        }
    }
}

/// What a message on the peer topic is.
#[derive(Debug)]
pub enum Received {
    /// One of this instance's own batches, back from the broker: already stored.
    Own,
    /// Another instance's readings (and what of them cannot be stored here, kept as rejected).
    Peer(Vec<Incoming>),
}

/// Read a message from the peer topic. Input that does not read as a batch, or a reading
/// this instance cannot store (a meter missing from its config), is kept as rejected with
/// the reason, like any other input.
pub fn receive(payload: &[u8], topic: &str, own_id: &str, pipeline: &Pipeline, received_at: Timestamp) -> Received {
    let batch: PeerBatch = match serde_json::from_slice(payload) {
        Ok(batch) => batch,
        Err(e) => {
            let origin = Origin {
                source: Source::Peer,
                received_at,
                topic: Some(topic.to_owned()),
                payload: payload.to_vec(),
                sender: None,
            };
            return Received::Peer(vec![Incoming::Rejected(Rejection {
                origin,
                meter: None,
                reason: RejectReason::Undecodable,
                detail: format!(
                    "bản tin trên chủ đề đồng bộ không phải một lô số liệu từ một phiên bản Xanh khác ({e}); chỉ Xanh được gửi lên chủ đề này"
                ),
            })]);
        }
    };
    if batch.sender == own_id {
        return Received::Own;
    }
    let readings = batch
        .readings
        .into_iter()
        .map(|reading| {
            // Each reading keeps a batch of its own as its payload, so that a rejected one
            // can be decoded again alone (`decode_again`).
            let single = PeerBatch { sender: batch.sender.clone(), readings: vec![reading.clone()] };
            let origin = Origin {
                source: Source::Peer,
                received_at: Timestamp::from_millisecond(reading.received_at).unwrap_or(received_at),
                topic: Some(topic.to_owned()),
                payload: serde_json::to_vec(&single).unwrap_or_default(),
                sender: None,
            };
            incoming(reading, &batch.sender, origin, pipeline)
        })
        .collect();
    Received::Peer(readings)
}

/// A kept peer reading decoded again (after the config gained its meter).
pub fn decode_again(origin: &Origin, pipeline: &Pipeline) -> Vec<Incoming> {
    match serde_json::from_slice::<PeerBatch>(&origin.payload) {
        Ok(batch) => batch.readings.into_iter().map(|r| incoming(r, &batch.sender, origin.clone(), pipeline)).collect(),
        Err(_) => Vec::new(),
    }
}

fn incoming(reading: PeerReading, sender: &str, origin: Origin, pipeline: &Pipeline) -> Incoming {
    let reject = |reason, detail: String, meter: Option<MeterId>| {
        Incoming::Rejected(Rejection { origin: origin.clone(), meter, reason, detail })
    };
    let Some(meter) = pipeline.meter(&reading.meter) else {
        return reject(
            RejectReason::UnknownMeter,
            format!(
                "phiên bản `{sender}` đã lưu số liệu của công tơ `{}` mà cấu hình của phiên bản này không có; hãy khai báo cùng một [[meters]] cho mọi phiên bản trong nhóm",
                reading.meter
            ),
            Some(reading.meter),
        );
    };
    let ts = Timestamp::from_millisecond(reading.ts);
    let from = reading.from.map(Timestamp::from_millisecond).transpose();
    let sound = reading.value.is_finite() && (0.0..=Reading::MAX_VALUE).contains(&reading.value);
    let (Ok(ts), Ok(from), true) = (ts, from, sound) else {
        return reject(
            RejectReason::Undecodable,
            format!("phiên bản `{sender}` gửi số liệu vượt quá giới hạn: {reading:?}"),
            Some(reading.meter),
        );
    };
    let period_start = match (meter.kind, from) {
        (MeterKind::Delta, Some(from)) if from < ts => Some(from),
        (_, None) => None,
        _ => {
            return reject(
                RejectReason::Undecodable,
                format!("phiên bản `{sender}` gửi thời điểm bắt đầu không hợp với công tơ: {reading:?}"),
                Some(reading.meter),
            );
        }
    };
    Incoming::Reading(
        Reading {
            meter: reading.meter,
            ts,
            // The sender already settled the time; a clash here is a real conflict.
            ts_assumed: false,
            value: reading.value,
            period_start,
            source: Source::Peer,
            entered_by: Some(sender.to_owned()),
            cost_vnd: None,
        },
        origin,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn pipeline() -> Pipeline {
        let text = "[office]\nname = \"X\"\n\
            [[meters]]\nid = \"dien-a\"\nname = \"a\"\nresource = \"electricity\"\nkind = \"counter\"\nunit = \"Wh\"\n\
            [[meters]]\nid = \"giay-a\"\nname = \"g\"\nresource = \"paper\"\nkind = \"delta\"\nunit = \"ream\"\n";
        let config = Config::parse("test.toml", text, &|_| None).unwrap();
        Pipeline::new(&config.meters, config.ingest, config.office.timezone)
    }

    fn now() -> Timestamp {
        "2026-11-28T07:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_peer_reading_is_stored_as_the_sender_stored_it_and_marked_as_a_peers() {
        // Canonical values travel: 1500 (kWh) stays 1500 though dien-a's devices send Wh.
        let payload = br#"{"sender":"xanh-b","readings":[
            {"meter":"dien-a","ts":1764313200000,"value":1500.0,"received_at":1764313201000},
            {"meter":"giay-a","ts":1764313200000,"value":500.0,"from":1764226800000,"received_at":1764313202000}]}"#;
        let Received::Peer(items) = receive(payload, "xanh-peers/g", "xanh-a", &pipeline(), now()) else {
            panic!("taken for our own")
        };
        let Incoming::Reading(counter, origin) = &items[0] else { panic!("{items:?}") };
        assert_eq!(
            (counter.value, counter.source, counter.entered_by.as_deref()),
            (1500.0, Source::Peer, Some("xanh-b"))
        );
        assert_eq!((counter.ts.as_millisecond(), origin.received_at.as_millisecond()), (1764313200000, 1764313201000));
        assert!(counter.period_start.is_none() && !counter.ts_assumed);
        let Incoming::Reading(delta, origin) = &items[1] else { panic!("{items:?}") };
        assert_eq!(delta.period_start.map(Timestamp::as_millisecond), Some(1764226800000));
        // A rejected one could be decoded alone again.
        assert_eq!(decode_again(origin, &pipeline()), vec![items[1].clone()]);
        assert!(matches!(receive(payload, "xanh-peers/g", "xanh-b", &pipeline(), now()), Received::Own));
    }

    #[test]
    fn a_full_batch_fits_in_one_packet_xanh_sends() {
        let longest_id: MeterId = format!("m{}", "-9".repeat(31)).parse().unwrap();
        let reading = PeerReading {
            meter: longest_id,
            ts: i64::MAX,
            value: -1.234_567_890_123_456_7e-300,
            from: Some(i64::MIN),
            received_at: i64::MIN,
        };
        let batch = PeerBatch { sender: "x".repeat(92), readings: vec![reading; MAX_READINGS] };
        let size = serde_json::to_vec(&batch).unwrap().len();
        assert!(size + 1024 < super::super::MAX_OUTGOING_PACKET, "{size} bytes");
    }

    #[test]
    fn what_cannot_be_stored_is_kept_with_the_reason() {
        let reason = |payload: &[u8]| match receive(payload, "xanh-peers/g", "xanh-a", &pipeline(), now()) {
            Received::Peer(items) => match &items[..] {
                [Incoming::Rejected(rejection)] => (rejection.reason, rejection.detail.clone()),
                other => panic!("{other:?}"),
            },
            Received::Own => panic!("taken for our own"),
        };
        let (why, detail) = reason(b"42");
        assert_eq!(why, RejectReason::Undecodable);
        assert!(detail.contains("chỉ Xanh được gửi lên chủ đề này"), "{detail}");
        let (why, detail) =
            reason(br#"{"sender":"b","readings":[{"meter":"nuoc-x","ts":0,"value":1,"received_at":0}]}"#);
        assert_eq!(why, RejectReason::UnknownMeter);
        assert!(detail.contains("cùng một [[meters]]"), "{detail}");
        for bad in [
            r#"{"sender":"b","readings":[{"meter":"dien-a","ts":0,"value":-1,"received_at":0}]}"#,
            r#"{"sender":"b","readings":[{"meter":"dien-a","ts":0,"value":1e300,"received_at":0}]}"#,
            r#"{"sender":"b","readings":[{"meter":"dien-a","ts":10,"value":1,"from":0,"received_at":0}]}"#,
            r#"{"sender":"b","readings":[{"meter":"giay-a","ts":10,"value":1,"from":20,"received_at":0}]}"#,
            r#"{"sender":"b","readings":[{"meter":"dien-a","ts":9223372036854775807,"value":1,"received_at":0}]}"#,
        ] {
            assert_eq!(reason(bad.as_bytes()).0, RejectReason::Undecodable, "{bad}");
        }
    }
}
