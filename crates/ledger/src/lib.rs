//! The verifiable log, usable by any auditor: it knows nothing of reviews or HTTP.
//!
//! - Merkle hashing and proofs (RFC 9162, the same as RFC 6962: leaf `SHA-256(0x00‖data)`,
//!   node `SHA-256(0x01‖left‖right)`) come from `tlog_tiles`, Cloudflare's port of Go's
//!   `golang.org/x/mod/sumdb/tlog`, which stores a log as an append-only array of "stored
//!   hashes" ([`stored_hash_index`]). Re-exported here so that callers depend on one crate.
//! - Signed checkpoints (C2SP `tlog-checkpoint` in a C2SP `signed-note`, Ed25519) come from
//!   `signed_note` and `tlog_tiles`; [`note`] wraps them with our key handling.
//! - Written here because no crate does them: the C2SP `tlog-tiles` paths and tile contents
//!   (`tlog_tiles` 0.2 uses the older Go sumdb paths, with the tile height in them) and entry
//!   bundles ([`tiles`]), and C2SP `tlog-proof` receipts ([`receipt`]).

pub mod memory;
pub mod note;
pub mod rebuild;
pub mod receipt;
pub mod tiles;

pub use tlog_tiles::Error as TlogError;
pub use tlog_tiles::{
    Checkpoint, EMPTY_HASH, HASH_SIZE, Hash, HashReader, RecordProof, TreeProof, check_record,
    check_tree, node_hash, prove_record, prove_tree, record_hash, stored_hash_count,
    stored_hash_index, stored_hashes_for_record_hash, tree_hash,
};

/// What can go wrong when reading, proving or verifying.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Tlog(#[from] tlog_tiles::Error),
    #[error("malformed {0}")]
    Malformed(&'static str),
    #[error("signature verification failed: {0}")]
    Signature(String),
    #[error("{0}")]
    Mismatch(String),
}
