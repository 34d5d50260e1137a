//! A log kept in memory: for verifiers and monitors that rebuild a log from its entries, and
//! for tests.

use crate::{Hash, HashReader, TlogError, record_hash, stored_hashes_for_record_hash, tree_hash};

/// The stored hashes of a log, in memory (about 64 bytes per entry).
#[derive(Debug, Default, Clone)]
pub struct MemoryLog {
    hashes: Vec<Hash>,
    len: u64,
}

impl HashReader for MemoryLog {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TlogError> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.hashes.get(i))
                    .copied()
                    .ok_or(TlogError::IndexesNotInTree)
            })
            .collect()
    }
}

impl MemoryLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an entry; returns its index.
    pub fn append(&mut self, entry: &[u8]) -> Result<u64, TlogError> {
        let n = self.len;
        let new = stored_hashes_for_record_hash(n, record_hash(entry), self)?;
        self.hashes.extend(new);
        self.len += 1;
        Ok(n)
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The root of the first `size` entries.
    pub fn root(&self, size: u64) -> Result<Hash, TlogError> {
        if size > self.len {
            return Err(TlogError::IndexesNotInTree);
        }
        tree_hash(size, self)
    }
}
