//! C2SP `tlog-proof` receipts: an entry's index, its inclusion proof and the signed
//! checkpoint it is proved against, verifiable offline. Our receipts carry the entry itself
//! in the `extra` line, so that the receipt alone is enough to recompute the leaf hash.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::note::open_checkpoint;
use crate::{Checkpoint, Hash, LedgerError, check_record, record_hash};

const HEADER: &str = "c2sp.org/tlog-proof@v1";

#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// Opaque data; ours is the log entry.
    pub extra: Option<Vec<u8>>,
    pub index: u64,
    pub proof: Vec<Hash>,
    /// The signed checkpoint, verbatim.
    pub checkpoint: Vec<u8>,
}

impl Receipt {
    pub fn to_text(&self) -> Vec<u8> {
        let mut out = format!("{HEADER}\n");
        if let Some(extra) = &self.extra {
            out.push_str(&format!("extra {}\n", STANDARD.encode(extra)));
        }
        out.push_str(&format!("index {}\n", self.index));
        for h in &self.proof {
            out.push_str(&format!("{}\n", STANDARD.encode(h.0)));
        }
        out.push('\n');
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.checkpoint);
        bytes
    }

    pub fn parse(text: &[u8]) -> Result<Self, LedgerError> {
        let bad = |what| LedgerError::Malformed(what);
        // The head is ASCII lines up to the first empty line; the checkpoint follows verbatim.
        let split = text
            .windows(2)
            .position(|w| w == b"\n\n")
            .ok_or(bad("receipt (no checkpoint)"))?;
        let head = std::str::from_utf8(&text[..split]).map_err(|_| bad("receipt"))?;
        let checkpoint = text[split + 2..].to_vec();
        let mut lines = head.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(bad("receipt (not c2sp.org/tlog-proof@v1)"));
        }
        let mut line = lines.next().ok_or(bad("receipt (no index)"))?;
        let mut extra = None;
        if let Some(b64) = line.strip_prefix("extra ") {
            extra = Some(STANDARD.decode(b64).map_err(|_| bad("receipt extra"))?);
            line = lines.next().ok_or(bad("receipt (no index)"))?;
        }
        let index = line
            .strip_prefix("index ")
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            .filter(|d| *d == "0" || !d.starts_with('0'))
            .and_then(|d| d.parse().ok())
            .ok_or(bad("receipt index"))?;
        let mut proof = Vec::new();
        for line in lines {
            let bytes = STANDARD
                .decode(line)
                .map_err(|_| bad("receipt proof hash"))?;
            let hash: [u8; 32] = bytes.try_into().map_err(|_| bad("receipt proof hash"))?;
            proof.push(Hash(hash));
        }
        Ok(Self {
            extra,
            index,
            proof,
            checkpoint,
        })
    }

    /// Verifies the receipt against the log's verifier key: the checkpoint's signature, and
    /// that the entry (the `extra` data) is at `index` in the checkpointed tree. Returns the
    /// checkpoint.
    pub fn verify(&self, vkey: &str) -> Result<Checkpoint, LedgerError> {
        let entry = self
            .extra
            .as_deref()
            .ok_or(LedgerError::Malformed("receipt (no entry in extra)"))?;
        self.verify_leaf(record_hash(entry), vkey)
    }

    /// As [`Self::verify`], for a leaf hash the caller computed.
    pub fn verify_leaf(&self, leaf: Hash, vkey: &str) -> Result<Checkpoint, LedgerError> {
        let checkpoint = open_checkpoint(&self.checkpoint, vkey)?;
        if self.index >= checkpoint.size() {
            return Err(LedgerError::Mismatch(
                "the index is beyond the checkpoint".into(),
            ));
        }
        check_record(
            &self.proof,
            checkpoint.size(),
            *checkpoint.hash(),
            self.index,
            leaf,
        )?;
        Ok(checkpoint)
    }
}
