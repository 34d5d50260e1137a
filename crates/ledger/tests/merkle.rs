//! The log's Merkle hashing and proofs against a second, independent implementation
//! (`ct-merkle`), the RFC 6962 test vectors, the C2SP tile layout, and receipts; every
//! tampered proof is refused.

#![allow(clippy::unwrap_used, reason = "a panic in a test is a failing test")]

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ledger::note::LogSigner;
use ledger::receipt::Receipt;
use ledger::tiles::{TileKind, TilePath, read_hash_tile, tile_hashes};
use ledger::{
    Hash, HashReader, check_record, check_tree, prove_record, prove_tree, record_hash,
    stored_hashes_for_record_hash, tree_hash,
};
use proptest::prelude::*;
use sha2_011::Sha256;

/// The log as `tlog_tiles` stores it: an append-only array of hashes.
#[derive(Default)]
struct Storage(Vec<Hash>, u64);

impl HashReader for Storage {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|i| {
                self.0
                    .get(*i as usize)
                    .copied()
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

impl Storage {
    fn append(&mut self, data: &[u8]) {
        let n = self.leaves();
        let hashes = stored_hashes_for_record_hash(n, record_hash(data), self).unwrap();
        self.0.extend(hashes);
        self.1 += 1;
        assert_eq!(ledger::stored_hash_count(self.1), self.0.len() as u64);
    }

    fn leaves(&self) -> u64 {
        self.1
    }
}

fn entry(i: u64) -> Vec<u8> {
    format!("entry {i}").into_bytes()
}

fn build(n: u64) -> (Storage, MemoryBackedTree<Sha256, Vec<u8>>) {
    let mut ours = Storage::default();
    let mut theirs = MemoryBackedTree::new();
    for i in 0..n {
        ours.append(&entry(i));
        theirs.push(entry(i));
    }
    (ours, theirs)
}

fn bytes(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

/// Every way to spoil a proof: flip a bit in each hash, drop one, add one.
fn tampered(proof: &[Hash]) -> Vec<Vec<Hash>> {
    let mut out = Vec::new();
    for i in 0..proof.len() {
        let mut p = proof.to_vec();
        p[i].0[i % 32] ^= 0x80;
        out.push(p);
        let mut p = proof.to_vec();
        p.remove(i);
        out.push(p);
    }
    let mut p = proof.to_vec();
    p.push(Hash([0x42; 32]));
    out.push(p);
    out
}

#[test]
fn rfc_6962_test_vectors() {
    // The eight leaves and the roots of their prefixes from the RFC 6962 reference tests.
    let leaves: [&[u8]; 8] = [
        b"",
        &[0x00],
        &[0x10],
        &[0x20, 0x21],
        &[0x30, 0x31],
        &[0x40, 0x41, 0x42, 0x43],
        &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        &[
            0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
            0x6e, 0x6f,
        ],
    ];
    let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    let mut log = Storage::default();
    for (leaf, root) in leaves.iter().zip(roots) {
        log.append(leaf);
        let hex: String = tree_hash(log.leaves(), &log)
            .unwrap()
            .0
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, root, "root of the first {} leaves", log.leaves());
    }
    // The empty tree's root is SHA-256 of nothing.
    assert_eq!(tree_hash(0, &log).unwrap().0[..4], [0xe3, 0xb0, 0xc4, 0x42]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Roots and inclusion proofs equal ct-merkle's for every index; tampered ones fail.
    #[test]
    fn inclusion_matches_ct_merkle(n in 1u64..300) {
        let (ours, theirs) = build(n);
        let root = tree_hash(n, &ours).unwrap();
        let their_root = theirs.root();
        prop_assert_eq!(&root.0[..], their_root.as_bytes().as_slice());
        for i in 0..n {
            let proof = prove_record(n, i, &ours).unwrap();
            prop_assert_eq!(bytes(&proof), theirs.prove_inclusion(i as usize).as_bytes().to_vec());
            let leaf = record_hash(&entry(i));
            prop_assert!(check_record(&proof, n, root, i, leaf).is_ok());
            prop_assert!(theirs.root().verify_inclusion(&entry(i), i, &theirs.prove_inclusion(i as usize)).is_ok());
            prop_assert!(check_record(&proof, n, root, i, record_hash(b"other")).is_err());
            if i + 1 < n {
                prop_assert!(check_record(&proof, n, root, i + 1, leaf).is_err());
            }
            for bad in tampered(&proof) {
                prop_assert!(check_record(&bad, n, root, i, leaf).is_err());
            }
        }
    }

    /// Consistency proofs equal ct-merkle's for every (old, new) pair; tampered ones fail.
    #[test]
    fn consistency_matches_ct_merkle(n in 1u64..48) {
        let mut ours = Storage::default();
        let mut theirs = MemoryBackedTree::<Sha256, Vec<u8>>::new();
        let mut roots = Vec::new();
        for new in 1..=n {
            ours.append(&entry(new - 1));
            theirs.push(entry(new - 1));
            let new_root = tree_hash(new, &ours).unwrap();
            roots.push(new_root);
            for old in 1..=new {
                let old_root = roots[old as usize - 1];
                let proof = prove_tree(new, old, &ours).unwrap();
                if old < new {
                    let reference = theirs.prove_consistency((new - old) as usize);
                    prop_assert_eq!(bytes(&proof), reference.as_bytes().to_vec());
                }
                prop_assert!(check_tree(&proof, new, new_root, old, old_root).is_ok());
                if old < new {
                    for bad in tampered(&proof) {
                        prop_assert!(check_tree(&bad, new, new_root, old, old_root).is_err());
                    }
                    prop_assert!(check_tree(&proof, new, new_root, old, new_root).is_err());
                }
            }
        }
    }

    /// Garbage proofs are refused, never a panic.
    #[test]
    fn garbage_proofs_are_refused(t in 1u64..10_000, n in 0u64..10_000, len in 0usize..40, seed: u8) {
        let proof: Vec<Hash> = (0..len).map(|i| Hash([seed.wrapping_add(i as u8); 32])).collect();
        let h = Hash([seed; 32]);
        prop_assert!(check_record(&proof, t, h, n, h).is_err());
        let old = 1 + n % t;
        if old < t {
            prop_assert!(check_tree(&proof, t, h, old, Hash([seed ^ 1; 32])).is_err());
        }
    }
}

#[test]
fn tiles_hold_the_tree_at_every_eighth_level() {
    // Past one full level-1 tile (65,536 entries), so that level 2 exists.
    let n = 70_000;
    let mut log = Storage::default();
    for i in 0..n {
        log.append(&entry(i));
    }
    let t = |kind, index, width| TilePath { kind, index, width };
    // Level 0: leaf hashes.
    let tile = tile_hashes(&read_hash_tile(&log, 0, 273, 112).unwrap()).unwrap();
    assert_eq!(tile.len(), 112);
    assert_eq!(tile[5], record_hash(&entry(273 * 256 + 5)));
    // Level 1: each hash is the root of a full level-0 tile.
    let l1 = tile_hashes(&read_hash_tile(&log, 1, 0, 256).unwrap()).unwrap();
    let mut first = Storage::default();
    for i in 0..256 {
        first.append(&entry(i));
    }
    assert_eq!(l1[0], tree_hash(256, &first).unwrap());
    // Level 2: the root of the first 65,536 entries.
    let l2 = tile_hashes(&read_hash_tile(&log, 2, 0, 1).unwrap()).unwrap();
    // (`tree_hash(k, …)` is the root of the first k entries, even in a longer log.)
    assert_eq!(l2[0], tree_hash(65_536, &log).unwrap());
    assert!(t(TileKind::Hashes(2), 0, 1).exists_in(n));
}

#[test]
fn receipts_verify_and_every_flipped_byte_is_refused() {
    let (log, _) = build(37);
    let signer = LogSigner::from_seed("reviews.example/log", [3; 32]).unwrap();
    let root = tree_hash(37, &log).unwrap();
    let checkpoint = signer.sign_checkpoint(37, root).unwrap();
    let receipt = Receipt {
        extra: Some(entry(11)),
        index: 11,
        proof: prove_record(37, 11, &log).unwrap(),
        checkpoint,
    };
    let text = receipt.to_text();
    assert!(text.starts_with(b"c2sp.org/tlog-proof@v1\nextra "));
    let parsed = Receipt::parse(&text).unwrap();
    assert_eq!(parsed, receipt);
    let cp = parsed.verify(signer.verifier_key()).unwrap();
    assert_eq!(cp.size(), 37);
    for i in 0..text.len() {
        let mut bad = text.clone();
        bad[i] ^= 0x01;
        let ok = Receipt::parse(&bad).and_then(|r| r.verify(signer.verifier_key()));
        assert!(
            ok.is_err(),
            "flipping byte {i} ({:?}) went unnoticed",
            text[i] as char
        );
    }
}
