//! The parsers of what strangers send us, fuzzed with proptest (stable Rust has no
//! `cargo fuzz`): receipts, signed notes, tile paths and entry bundles. Arbitrary bytes and
//! random mutations of valid inputs never panic, a parse that succeeds round-trips, and a
//! mutated receipt or note never verifies to anything but the original. A crash found
//! becomes a case in `regressions` below.

#![allow(clippy::unwrap_used, reason = "a panic in a test is a failing test")]

use ledger::memory::MemoryLog;
use ledger::note::{LogSigner, open_checkpoint};
use ledger::prove_record;
use ledger::receipt::Receipt;
use ledger::tiles::{TilePath, decode_bundle, encode_bundle};
use proptest::prelude::*;

/// Cases per property: bounded, so that CI spends seconds here (`PROPTEST_CASES` raises it
/// for a longer local run).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000)
}

fn signer() -> LogSigner {
    LogSigner::from_seed("reviews.example/log", [9; 32]).unwrap()
}

/// A valid receipt for entry 3 of a log of 5, and its checkpoint.
fn valid_receipt() -> (Vec<u8>, Receipt) {
    let mut log = MemoryLog::new();
    for i in 0..5u8 {
        log.append(&[b'e', i]).unwrap();
    }
    let checkpoint = signer().sign_checkpoint(5, log.root(5).unwrap()).unwrap();
    let receipt = Receipt {
        extra: Some(vec![b'e', 3]),
        index: 3,
        proof: prove_record(5, 3, &log).unwrap(),
        checkpoint,
    };
    (receipt.to_text(), receipt)
}

/// A mutation: flip, overwrite, insert, delete bytes, or cut the text short.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1..16usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(bytes: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for m in mutations {
        let len = out.len().max(1);
        match m {
            Mutation::Flip(i, b) => {
                if !out.is_empty() {
                    out[i % len] ^= b;
                }
            }
            Mutation::Insert(i, b) => {
                let at = i % (out.len() + 1);
                out.splice(at..at, b.iter().copied());
            }
            Mutation::Delete(i, n) => {
                let at = i % len;
                let end = (at + n).min(out.len());
                if at < end {
                    out.drain(at..end);
                }
            }
            Mutation::Truncate(i) => out.truncate(i % len),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_as_a_receipt(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        if let Ok(r) = Receipt::parse(&bytes) {
            prop_assert_eq!(Receipt::parse(&r.to_text()).unwrap(), r.clone());
            let _ = r.verify(signer().verifier_key());
        }
    }

    #[test]
    fn a_mutated_receipt_verifies_only_as_the_original(
        mutations in prop::collection::vec(mutation(), 1..4)
    ) {
        let (text, original) = valid_receipt();
        let bad = mutate(&text, &mutations);
        let verified = Receipt::parse(&bad).and_then(|r| {
            r.verify(signer().verifier_key()).map(|cp| (r, cp))
        });
        if let Ok((r, cp)) = verified {
            prop_assert_eq!(r.index, original.index);
            prop_assert_eq!(&r.extra, &original.extra);
            prop_assert_eq!(cp.size(), 5);
        }
    }

    #[test]
    fn any_bytes_as_a_signed_note(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = open_checkpoint(&bytes, signer().verifier_key());
    }

    #[test]
    fn a_mutated_note_opens_only_as_the_original(
        mutations in prop::collection::vec(mutation(), 1..4)
    ) {
        let mut log = MemoryLog::new();
        log.append(b"one").unwrap();
        let root = log.root(1).unwrap();
        let signed = signer().sign_checkpoint(1, root).unwrap();
        let bad = mutate(&signed, &mutations);
        if let Ok(cp) = open_checkpoint(&bad, signer().verifier_key()) {
            prop_assert_eq!(cp.size(), 1);
            prop_assert_eq!(cp.hash(), &root);
        }
    }

    #[test]
    fn any_string_as_a_tile_path(path in ".{0,64}") {
        if let Ok(tile) = TilePath::parse(&path) {
            prop_assert_eq!(TilePath::parse(&tile.to_path()).unwrap(), tile);
        }
    }

    #[test]
    fn tile_shaped_strings(path in "(data/)?[0-9]{1,2}/(x[0-9]{3}/){0,3}[0-9]{1,4}(\\.p/[0-9]{1,4})?") {
        if let Ok(tile) = TilePath::parse(&path) {
            prop_assert_eq!(TilePath::parse(&tile.to_path()).unwrap(), tile);
        }
    }

    #[test]
    fn any_bytes_as_a_bundle(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        if let Ok(entries) = decode_bundle(&bytes) {
            let encoded = encode_bundle(entries.iter().map(Vec::as_slice)).unwrap();
            prop_assert_eq!(decode_bundle(&encoded).unwrap(), entries);
        }
    }

    #[test]
    fn bundles_round_trip(entries in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..20)) {
        let encoded = encode_bundle(entries.iter().map(Vec::as_slice)).unwrap();
        prop_assert_eq!(decode_bundle(&encoded).unwrap(), entries);
    }
}

/// Inputs fuzzing found interesting, kept so they are tried on every run.
mod regressions {
    use super::*;

    #[test]
    fn empty_and_degenerate_inputs() {
        for bytes in [
            &b""[..],
            b"\n\n",
            b"c2sp.org/tlog-proof@v1\n\n",
            b"c2sp.org/tlog-proof@v1\nindex \n\n",
            b"c2sp.org/tlog-proof@v1\nindex 18446744073709551616\n\n",
            b"c2sp.org/tlog-proof@v1\nextra !!\nindex 1\n\n",
        ] {
            assert!(Receipt::parse(bytes).is_err(), "{bytes:?}");
        }
        assert!(open_checkpoint(b"", signer().verifier_key()).is_err());
        for path in [
            "",
            "/",
            "0",
            "0/",
            "9/000",
            "0/x/000",
            "data/0/000.p/0",
            "0/000.p/256",
        ] {
            assert!(TilePath::parse(path).is_err(), "{path:?}");
        }
    }
}
