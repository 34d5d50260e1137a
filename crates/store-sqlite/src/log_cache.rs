//! The log's newest committed state in memory: the latest signed checkpoint, and the most
//! recently written or read stored hashes and entries. A receipt for a recent entry (every
//! submission asks for one) is then built without a query: before, it took about two dozen
//! reads on the blocking pool (BENCHMARKS.md, issue 12).
//!
//! Only committed values enter it: the writer publishes a batch's hashes, entries and
//! checkpoint after its COMMIT, and readers add what they read from the database, which is
//! committed. A committed stored hash or entry never changes (the log is append-only), so a
//! cached one is never stale; the checkpoint is replaced only by a larger one.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use ledger::{Hash, HashReader, TlogError};
use lru::LruCache;

/// Stored hashes kept (32 bytes each, about 4 MiB with the LRU's own): a receipt for any of
/// the last ~100,000 entries, and the large subtrees every proof shares, stay in memory.
const HASHES: usize = 1 << 18;
/// Entries kept (about 100 bytes each).
const ENTRIES: usize = 1 << 15;

/// What a committed batch added to the log.
#[derive(Debug, Default)]
pub(crate) struct Appended {
    pub entries: Vec<(u64, Vec<u8>)>,
    pub hashes: Vec<(u64, Hash)>,
}

impl Appended {
    pub fn extend(&mut self, other: Appended) {
        self.entries.extend(other.entries);
        self.hashes.extend(other.hashes);
    }
}

#[derive(Debug)]
pub(crate) struct LogCache(Mutex<Inner>);

#[derive(Debug)]
struct Inner {
    checkpoint: Option<(u64, Arc<[u8]>)>,
    hashes: LruCache<u64, Hash>,
    entries: LruCache<u64, Arc<[u8]>>,
}

impl Default for LogCache {
    fn default() -> Self {
        let size = |n: usize| NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN);
        Self(Mutex::new(Inner {
            checkpoint: None,
            hashes: LruCache::new(size(HASHES)),
            entries: LruCache::new(size(ENTRIES)),
        }))
    }
}

impl LogCache {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind: still usable.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The latest signed checkpoint known to this process: its size and signed note.
    pub fn checkpoint(&self) -> Option<(u64, Arc<[u8]>)> {
        self.inner().checkpoint.clone()
    }

    /// A committed batch: its entries, stored hashes and, if it signed one, its checkpoint.
    pub fn publish(&self, appended: Appended, checkpoint: Option<(u64, Vec<u8>)>) {
        let mut inner = self.inner();
        for (i, h) in appended.hashes {
            inner.hashes.put(i, h);
        }
        for (i, e) in appended.entries {
            inner.entries.put(i, Arc::from(e));
        }
        if let Some((size, signed)) = checkpoint
            && inner.checkpoint.as_ref().is_none_or(|(s, _)| *s < size)
        {
            inner.checkpoint = Some((size, Arc::from(signed)));
        }
    }

    /// A checkpoint read from the database (a larger one than known, if another server's).
    pub fn saw_checkpoint(&self, size: u64, signed: &[u8]) {
        let mut inner = self.inner();
        if inner.checkpoint.as_ref().is_none_or(|(s, _)| *s < size) {
            inner.checkpoint = Some((size, Arc::from(signed)));
        }
    }

    pub fn entry(&self, index: u64) -> Option<Arc<[u8]>> {
        self.inner().entries.get(&index).cloned()
    }

    /// Committed entries read from the database.
    pub fn saw_entry(&self, index: u64, entry: &[u8]) {
        self.inner().entries.put(index, Arc::from(entry));
    }

    /// The hashes at `indexes` if all are here.
    fn hashes(&self, indexes: &[u64]) -> Option<Vec<Hash>> {
        let mut inner = self.inner();
        indexes
            .iter()
            .map(|i| inner.hashes.get(i).copied())
            .collect()
    }

    /// Committed hashes read from the database.
    fn saw_hashes(&self, read: impl IntoIterator<Item = (u64, Hash)>) {
        let mut inner = self.inner();
        for (i, h) in read {
            inner.hashes.put(i, h);
        }
    }
}

/// Reads stored hashes from the cache, then from `fallback` (the database) for the rest.
/// With `learn`, what the fallback returns is committed and joins the cache; the writer,
/// whose connection also sees its own uncommitted rows, reads without learning.
pub(crate) struct CachedReader<'a, R> {
    pub cache: &'a LogCache,
    pub fallback: R,
    pub learn: bool,
}

impl<R: HashReader> HashReader for CachedReader<'_, R> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TlogError> {
        if let Some(all) = self.cache.hashes(indexes) {
            return Ok(all);
        }
        let read = self.fallback.read_hashes(indexes)?;
        if self.learn {
            self.cache
                .saw_hashes(indexes.iter().copied().zip(read.iter().copied()));
        }
        Ok(read)
    }
}

/// The cache alone: fails on a miss (then the caller reads the database).
pub(crate) struct OnlyCached<'a>(pub &'a LogCache);

impl HashReader for OnlyCached<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TlogError> {
        self.0.hashes(indexes).ok_or(TlogError::IndexesNotInTree)
    }
}
