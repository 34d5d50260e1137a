//! C2SP `tlog-tiles`: tile paths, tile contents read from stored hashes, entry bundles.
//!
//! Tiles have height 8: a level-`L` tile holds up to 256 hashes of the tree at height `8L`.
//! In the stored-hash layout of `tlog_tiles`, hash `i` of level-`L` tile `N` is
//! `stored_hash_index(8 * L, N * 256 + i)`, so a tile is one range read.

use crate::{Hash, HashReader, LedgerError, stored_hash_index};

/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Tree levels spanned by one tile level.
pub const TILE_HEIGHT: u8 = 8;

/// What a tile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileKind {
    /// Merkle tree hashes at tile level `0..=63`.
    Hashes(u8),
    /// Log entries (an entry bundle), parallel to level-0 tiles.
    Entries,
}

/// A tile's coordinates: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TilePath {
    pub kind: TileKind,
    pub index: u64,
    /// 1–256; 256 is a full tile.
    pub width: u16,
}

impl TilePath {
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// The level whose hashes the tile holds (entries: 0).
    pub fn level(&self) -> u8 {
        match self.kind {
            TileKind::Hashes(l) => l,
            TileKind::Entries => 0,
        }
    }

    /// The path below the log's prefix, without a leading slash.
    pub fn to_path(&self) -> String {
        let mut n = self.index;
        let mut digits = format!("{:03}", n % 1000);
        while n >= 1000 {
            n /= 1000;
            digits = format!("x{:03}/{digits}", n % 1000);
        }
        let level = match self.kind {
            TileKind::Hashes(l) => l.to_string(),
            TileKind::Entries => "entries".to_owned(),
        };
        let partial = if self.is_full() {
            String::new()
        } else {
            format!(".p/{}", self.width)
        };
        format!("tile/{level}/{digits}{partial}")
    }

    /// Parses a path as [`Self::to_path`] writes it, strictly: no leading zeroes where the
    /// spec forbids them, no empty or out-of-range parts.
    pub fn parse(path: &str) -> Result<Self, LedgerError> {
        let bad = || LedgerError::Malformed("tile path");
        let rest = path.strip_prefix("tile/").ok_or_else(bad)?;
        let (level, rest) = rest.split_once('/').ok_or_else(bad)?;
        let kind = if level == "entries" {
            TileKind::Entries
        } else {
            TileKind::Hashes(parse_decimal(level, 63).ok_or_else(bad)? as u8)
        };
        let (digits, width) = match rest.split_once(".p/") {
            Some((digits, w)) => {
                let w = parse_decimal(w, 255).filter(|w| *w >= 1).ok_or_else(bad)?;
                (digits, w as u16)
            }
            None => (rest, TILE_WIDTH as u16),
        };
        let parts: Vec<&str> = digits.split('/').collect();
        if parts.len() > 7 {
            return Err(bad());
        }
        let mut index: u64 = 0;
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let digits = if last {
                *part
            } else {
                part.strip_prefix('x').ok_or_else(bad)?
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            // One index, one path: no leading groups of zeroes (`x000/001` is `001`).
            if i == 0 && !last && digits == "000" {
                return Err(bad());
            }
            let d: u64 = digits.parse().map_err(|_| bad())?;
            index = index
                .checked_mul(1000)
                .and_then(|v| v.checked_add(d))
                .ok_or_else(bad)?;
        }
        Ok(Self { kind, index, width })
    }

    /// Whether every hash of this tile exists in a tree of `size` entries. Partial tiles are
    /// served for any width that exists; the full tile replaces them once complete.
    pub fn exists_in(&self, size: u64) -> bool {
        // Level 8 and above would shift by 64 bits or more: no tree of a u64 size reaches
        // them (`>>` would panic in a debug build and wrap in a release one).
        let level_size = size
            .checked_shr(u32::from(TILE_HEIGHT) * u32::from(self.level()))
            .unwrap_or(0);
        self.index
            .checked_mul(TILE_WIDTH)
            .and_then(|start| start.checked_add(u64::from(self.width)))
            .is_some_and(|end| end <= level_size)
            // A partial tile is not served once the full one exists (its width would differ
            // from the tile's current width); callers fetch the full one instead.
            && (self.is_full() || self.index.saturating_add(1).saturating_mul(TILE_WIDTH) > level_size)
    }

    /// The entry indexes an entry bundle (or a level-0 tile) covers.
    pub fn entry_range(&self) -> std::ops::Range<u64> {
        let start = self.index * TILE_WIDTH;
        start..start + u64::from(self.width)
    }
}

fn parse_decimal(s: &str, max: u64) -> Option<u64> {
    if s.is_empty() || s.len() > 3 || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|v| *v <= max)
}

/// The stored-hash indexes of a hash tile, in order.
pub fn hash_tile_indexes(level: u8, index: u64, width: u16) -> Vec<u64> {
    (0..u64::from(width))
        .map(|i| stored_hash_index(level * TILE_HEIGHT, index * TILE_WIDTH + i))
        .collect()
}

/// The bytes of a hash tile: its hashes, concatenated.
pub fn read_hash_tile<R: HashReader>(
    reader: &R,
    level: u8,
    index: u64,
    width: u16,
) -> Result<Vec<u8>, LedgerError> {
    let hashes = reader.read_hashes(&hash_tile_indexes(level, index, width))?;
    Ok(hashes.iter().flat_map(|h| h.0).collect())
}

/// Splits tile bytes into hashes.
pub fn tile_hashes(bytes: &[u8]) -> Result<Vec<Hash>, LedgerError> {
    if !bytes.len().is_multiple_of(32) {
        return Err(LedgerError::Malformed("tile"));
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            Hash(h)
        })
        .collect())
}

/// The largest entry an entry bundle can carry.
pub const MAX_ENTRY_LEN: usize = u16::MAX as usize;

/// Encodes entries as an entry bundle: each prefixed with its length as a big-endian `u16`.
pub fn encode_bundle<'a>(
    entries: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<u8>, LedgerError> {
    let mut out = Vec::new();
    for e in entries {
        let len = u16::try_from(e.len()).map_err(|_| LedgerError::Malformed("entry (too long)"))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Decodes an entry bundle.
pub fn decode_bundle(mut bytes: &[u8]) -> Result<Vec<Vec<u8>>, LedgerError> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let [a, b, rest @ ..] = bytes else {
            return Err(LedgerError::Malformed("entry bundle"));
        };
        let len = usize::from(u16::from_be_bytes([*a, *b]));
        if rest.len() < len {
            return Err(LedgerError::Malformed("entry bundle"));
        }
        out.push(rest[..len].to_vec());
        bytes = &rest[len..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn paths_as_the_spec_writes_them() {
        let p = |kind, index, width| TilePath { kind, index, width }.to_path();
        assert_eq!(
            p(TileKind::Hashes(0), 1_234_067, 256),
            "tile/0/x001/x234/067"
        );
        assert_eq!(p(TileKind::Hashes(2), 5, 17), "tile/2/005.p/17");
        assert_eq!(p(TileKind::Entries, 0, 1), "tile/entries/000.p/1");
        assert_eq!(p(TileKind::Entries, 1000, 256), "tile/entries/x001/000");
    }

    #[test]
    fn bad_paths_are_refused() {
        for bad in [
            "tile/0/1",
            "tile/0/0001",
            "tile/00/000",
            "tile/64/000",
            "tile/0/001/002",
            "tile/0/x001",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/01",
            "tile/data/000",
            "tile//000",
            "tile/0/",
            "tile/0/x1000/000",
            "tile/0/x000/001",
            "tile/0/x000/x001/000",
            "tile/entries/x000/001.p/97",
            "tiles/0/000",
            "tile/0/-01",
            "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
        ] {
            assert!(TilePath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn which_tiles_exist() {
        // The spec's example: a tree of 70,000 entries.
        let t = |kind, index, width: u16| TilePath { kind, index, width };
        assert!(t(TileKind::Hashes(0), 272, 256).exists_in(70_000));
        assert!(t(TileKind::Hashes(0), 273, 112).exists_in(70_000));
        assert!(!t(TileKind::Hashes(0), 273, 113).exists_in(70_000));
        assert!(!t(TileKind::Hashes(0), 273, 256).exists_in(70_000));
        assert!(t(TileKind::Hashes(1), 0, 256).exists_in(70_000));
        assert!(t(TileKind::Hashes(1), 1, 17).exists_in(70_000));
        assert!(t(TileKind::Hashes(2), 0, 1).exists_in(70_000));
        assert!(
            !t(TileKind::Hashes(0), 0, 5).exists_in(70_000),
            "partial of a full tile"
        );
        assert!(!t(TileKind::Hashes(3), 0, 1).exists_in(70_000));
    }

    proptest! {
        /// A tile exists exactly when every hash it holds is in the tree, computed without
        /// any overflow; and asking never panics, whatever the path.
        #[test]
        fn a_tile_exists_only_inside_the_tree(
            level in 0u8..=63,
            index in prop_oneof![0u64..4, any::<u64>()],
            width in 1u16..=256,
            size in prop_oneof![0u64..100_000, any::<u64>()],
        ) {
            let tile = TilePath { kind: TileKind::Hashes(level), index, width };
            let exists = tile.exists_in(size);
            // The number of entries the tree needs for the tile's last hash; None past u128.
            let end = (level < 8).then(|| {
                (u128::from(index) * 256 + u128::from(width))
                    .checked_mul(1u128 << (8 * u32::from(level)))
            }).flatten();
            if exists {
                prop_assert!(end.is_some_and(|end| end <= u128::from(size)), "{tile:?} in {size}");
            } else {
                // Absent: past the tree, or a partial tile whose full tile exists.
                let full_exists = end.is_some_and(|_| {
                    ((u128::from(index) + 1) * 256)
                        .checked_mul(1u128 << (8 * u32::from(level)))
                        .is_some_and(|full| full <= u128::from(size))
                });
                prop_assert!(end.is_none_or(|end| end > u128::from(size)) || full_exists,
                    "{tile:?} in {size}");
            }
            if level >= 8 {
                prop_assert!(!exists);
            }
        }

        #[test]
        fn paths_round_trip(level in 0u8..=63, index in any::<u64>(), width in 1u16..=256, entries: bool) {
            let kind = if entries { TileKind::Entries } else { TileKind::Hashes(level) };
            let path = TilePath { kind, index, width };
            prop_assert_eq!(TilePath::parse(&path.to_path()).unwrap(), path);
        }

        #[test]
        fn bundles_round_trip(entries in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..20)) {
            let bundle = encode_bundle(entries.iter().map(Vec::as_slice)).unwrap();
            prop_assert_eq!(decode_bundle(&bundle).unwrap(), entries);
        }

        #[test]
        fn truncated_bundles_are_refused(entries in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..50), 1..5), cut in 1usize..40) {
            let bundle = encode_bundle(entries.iter().map(Vec::as_slice)).unwrap();
            let cut = cut.min(bundle.len());
            let truncated = &bundle[..bundle.len() - cut];
            // A truncation either fails or decodes to fewer entries: never to the same ones.
            if let Ok(decoded) = decode_bundle(truncated) {
                prop_assert_ne!(decoded, entries);
            }
        }
    }
}
