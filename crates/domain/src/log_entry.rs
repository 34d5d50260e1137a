//! Review events as entries of the public log (`docs/log-format.md` is the specification).
//!
//! An entry names the event, its time, the business and the review, and the index of the
//! previous entry about the same review (so anyone can walk a review's history and see a
//! gap). Its content is only a salted commitment: no personal data and no review text are in
//! the log. The salt and the canonical content (the *opening*) are published beside the
//! review while it stands; erasing them leaves the log intact and unlinkable.

use sha2::{Digest, Sha256};

use crate::error::Invalid;
use crate::ids::{BusinessId, ReviewId};
use crate::lifecycle::EventKind;

/// The format version this build writes.
pub const VERSION: u8 = 1;
/// `prev` value meaning "no earlier entry about this review".
pub const NO_PREVIOUS: u64 = u64::MAX;
const COMMITMENT_DOMAIN: &[u8] = b"passaparola/commitment/v1\0";

/// One log entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogEntry {
    pub kind: EventKind,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub business: BusinessId,
    /// The entry's subject: the review, or for an `invitation_template_changed` event the
    /// business's template for one locale (`store::TemplateRevision::template_id`).
    pub review: ReviewId,
    /// The log index of the previous entry about this subject.
    pub previous: Option<u64>,
    pub commitment: [u8; 32],
}

impl LogEntry {
    /// The canonical encoding: fixed-width big-endian fields, then the commitment with a
    /// `u16` length prefix. One value has exactly one encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 1 + 8 + 16 + 16 + 8 + 2 + 32);
        out.push(VERSION);
        out.push(self.kind.code());
        out.extend_from_slice(&self.at_ms.to_be_bytes());
        out.extend_from_slice(self.business.0.as_bytes());
        out.extend_from_slice(self.review.0.as_bytes());
        out.extend_from_slice(&self.previous.unwrap_or(NO_PREVIOUS).to_be_bytes());
        out.extend_from_slice(&32u16.to_be_bytes());
        out.extend_from_slice(&self.commitment);
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, Invalid> {
        let bad =
            |what: &str| Invalid::new("malformed_entry", format!("malformed log entry: {what}"));
        let take = |b: &mut &[u8], n: usize| -> Result<Vec<u8>, Invalid> {
            if b.len() < n {
                return Err(bad("too short"));
            }
            let (head, tail) = b.split_at(n);
            *b = tail;
            Ok(head.to_vec())
        };
        let mut b = bytes;
        let version = take(&mut b, 1)?[0];
        if version != VERSION {
            return Err(bad("unknown version"));
        }
        let kind = EventKind::from_code(take(&mut b, 1)?[0]).ok_or_else(|| bad("unknown event"))?;
        let at_ms = i64::from_be_bytes(take(&mut b, 8)?.try_into().map_err(|_| bad("time"))?);
        let uuid = |v: Vec<u8>| uuid::Uuid::from_slice(&v).map_err(|_| bad("identifier"));
        let business = BusinessId(uuid(take(&mut b, 16)?)?);
        let review = ReviewId(uuid(take(&mut b, 16)?)?);
        let prev = u64::from_be_bytes(take(&mut b, 8)?.try_into().map_err(|_| bad("previous"))?);
        let len = u16::from_be_bytes(take(&mut b, 2)?.try_into().map_err(|_| bad("length"))?);
        if len != 32 {
            return Err(bad("commitment length"));
        }
        let commitment: [u8; 32] = take(&mut b, 32)?
            .try_into()
            .map_err(|_| bad("commitment"))?;
        if !b.is_empty() {
            return Err(bad("trailing bytes"));
        }
        Ok(Self {
            kind,
            at_ms,
            business,
            review,
            previous: (prev != NO_PREVIOUS).then_some(prev),
            commitment,
        })
    }
}

/// The commitment to an event's content:
/// `SHA-256("passaparola/commitment/v1" ‖ 0x00 ‖ salt ‖ content)`.
pub fn commitment(salt: &[u8; 32], content: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(COMMITMENT_DOMAIN);
    h.update(salt);
    h.update(content);
    h.finalize().into()
}

/// The canonical content of an event: its JSON snapshot with object keys sorted, no
/// insignificant white space, strings as UTF-8 (serde_json's compact writer over a
/// `serde_json::Value`, whose maps are sorted).
pub fn canonical_content(snapshot: &serde_json::Value) -> Vec<u8> {
    // serde_json::Value serialises infallibly to a Vec.
    serde_json::to_vec(snapshot).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(prev: Option<u64>) -> LogEntry {
        LogEntry {
            kind: EventKind::ReviewEdited,
            at_ms: 1_763_856_000_123,
            business: BusinessId(uuid::Uuid::from_u128(1)),
            review: ReviewId(uuid::Uuid::from_u128(2)),
            previous: prev,
            commitment: [7; 32],
        }
    }

    #[test]
    fn golden_encoding() {
        let bytes = entry(Some(5)).encode();
        assert_eq!(bytes.len(), 84);
        assert_eq!(&bytes[..2], &[1, 2]);
        assert_eq!(&bytes[2..10], &1_763_856_000_123i64.to_be_bytes());
        assert_eq!(bytes[25], 1);
        assert_eq!(bytes[41], 2);
        assert_eq!(&bytes[42..50], &5u64.to_be_bytes());
        assert_eq!(&bytes[50..52], &[0, 32]);
        assert_eq!(entry(None).encode()[42..50], [0xff; 8]);
    }

    #[test]
    fn commitment_binds_salt_and_content() {
        let c = commitment(&[1; 32], br#"{"rating":5}"#);
        assert_ne!(c, commitment(&[2; 32], br#"{"rating":5}"#));
        assert_ne!(c, commitment(&[1; 32], br#"{"rating":4}"#));
        let json = serde_json::json!({"title": "x", "rating": 5, "body": "è"});
        assert_eq!(
            canonical_content(&json),
            r#"{"body":"è","rating":5,"title":"x"}"#.as_bytes()
        );
    }

    #[test]
    fn malformed_entries_are_refused() {
        let good = entry(None).encode();
        assert!(LogEntry::decode(&good[..good.len() - 1]).is_err());
        let mut long = good.clone();
        long.push(0);
        assert!(LogEntry::decode(&long).is_err());
        let mut v2 = good.clone();
        v2[0] = 2;
        assert!(LogEntry::decode(&v2).is_err());
        let mut kind = good;
        kind[1] = 200;
        assert!(LogEntry::decode(&kind).is_err());
    }

    proptest! {
        #[test]
        fn round_trips(code in 1u8..=9, at in any::<i64>(), b in any::<u128>(), r in any::<u128>(), prev in proptest::option::of(0u64..u64::MAX), c in any::<[u8; 32]>()) {
            let e = LogEntry {
                kind: EventKind::from_code(code).unwrap(),
                at_ms: at,
                business: BusinessId(uuid::Uuid::from_u128(b)),
                review: ReviewId(uuid::Uuid::from_u128(r)),
                previous: prev,
                commitment: c,
            };
            prop_assert_eq!(LogEntry::decode(&e.encode()).unwrap(), e);
        }

        /// Fuzzed: any bytes (and any one byte changed in a valid entry) decode without
        /// panicking, and what decodes has exactly these bytes as its one encoding.
        #[test]
        fn any_bytes_decode_to_nothing_or_their_one_value(
            bytes in prop::collection::vec(any::<u8>(), 0..128),
            flip in (0usize..84, 1u8..=255),
        ) {
            if let Ok(e) = LogEntry::decode(&bytes) {
                prop_assert_eq!(e.encode(), bytes);
            }
            let mut changed = entry(Some(5)).encode();
            changed[flip.0] ^= flip.1;
            if let Ok(e) = LogEntry::decode(&changed) {
                prop_assert_eq!(e.encode(), changed);
            }
        }
    }
}
