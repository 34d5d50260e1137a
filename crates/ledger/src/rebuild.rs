//! Rebuilding a log's stored hashes from its entries in one pass, with memory for only the
//! O(log n) subtree hashes still waiting for a right sibling. A store checks its whole log
//! with it (every entry, every stored hash, the root), and a monitor recomputes a log from
//! its entry bundles without holding it in memory.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::{
    Hash, HashReader, TlogError, record_hash, stored_hash_index, stored_hashes_for_record_hash,
    tree_hash,
};

/// The frontier of a log being rebuilt.
#[derive(Debug, Default)]
pub struct Rebuild {
    /// Completed subtrees that are left children (even index at their level): each is read
    /// once, when its right sibling completes, and then forgotten.
    frontier: RefCell<HashMap<u64, Hash>>,
    len: u64,
}

/// Reads from the frontier; `consume` forgets what it reads.
struct Frontier<'a> {
    rebuild: &'a Rebuild,
    consume: bool,
}

impl HashReader for Frontier<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TlogError> {
        let mut map = self.rebuild.frontier.borrow_mut();
        indexes
            .iter()
            .map(|i| {
                if self.consume {
                    map.remove(i)
                } else {
                    map.get(i).copied()
                }
                .ok_or(TlogError::IndexesNotInTree)
            })
            .collect()
    }
}

impl Rebuild {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends the next entry; returns the stored hashes it adds, in storage order (they
    /// belong at `stored_hash_index(0, n)` onwards).
    pub fn push(&mut self, entry: &[u8]) -> Result<Vec<Hash>, TlogError> {
        let n = self.len;
        let reader = Frontier {
            rebuild: self,
            consume: true,
        };
        let hashes = stored_hashes_for_record_hash(n, record_hash(entry), &reader)?;
        let mut frontier = self.frontier.borrow_mut();
        for (level, h) in hashes.iter().enumerate() {
            let index = n >> level;
            if index.is_multiple_of(2) {
                frontier.insert(stored_hash_index(level as u8, index), *h);
            }
        }
        drop(frontier);
        self.len += 1;
        Ok(hashes)
    }

    /// The root of the entries pushed so far.
    pub fn root(&self) -> Result<Hash, TlogError> {
        tree_hash(
            self.len,
            &Frontier {
                rebuild: self,
                consume: false,
            },
        )
    }

    /// Hashes held: stays O(log n).
    pub fn held(&self) -> usize {
        self.frontier.borrow().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryLog;

    #[test]
    fn rebuild_matches_a_full_log_in_logarithmic_memory() {
        let mut full = MemoryLog::new();
        let mut stored = Vec::new();
        let mut rebuild = Rebuild::new();
        for i in 0..3000u32 {
            let e = i.to_be_bytes();
            full.append(&e).unwrap();
            stored.extend(rebuild.push(&e).unwrap());
            assert!(
                rebuild.held() <= 13,
                "{} hashes held at {i}",
                rebuild.held()
            );
            if i % 97 == 0 {
                assert_eq!(
                    rebuild.root().unwrap(),
                    full.root(u64::from(i) + 1).unwrap()
                );
            }
        }
        let all: Vec<u64> = (0..stored.len() as u64).collect();
        assert_eq!(full.read_hashes(&all).unwrap(), stored);
    }
}
