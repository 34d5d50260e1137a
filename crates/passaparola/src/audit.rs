//! `passaparola verify`: an auditor's checks of a Passaparola log, from the outside, with
//! nothing but the log's verifier key. The checks themselves are the `ledger` crate's (and
//! the entry format is `domain::log_entry`); this module fetches and reports.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use domain::ids::{BusinessId, ReviewId};
use domain::log_entry::LogEntry;
use ledger::note::open_checkpoint;
use ledger::rebuild::Rebuild;
use ledger::receipt::Receipt;
use ledger::tiles::{TILE_HEIGHT, TILE_WIDTH, TileKind, TilePath, decode_bundle, tile_hashes};
use ledger::{Checkpoint, Hash};

/// `verify receipt FILE --key VKEY`: offline.
pub fn receipt(file: &Path, key: &str) -> Result<()> {
    let text = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let receipt = Receipt::parse(&text).context("the file is not a tlog-proof receipt")?;
    let checkpoint = receipt.verify(key).context("the receipt does not verify")?;
    let entry = receipt
        .extra
        .as_deref()
        .map(LogEntry::decode)
        .transpose()
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .context("the receipt carries no entry")?;
    println!(
        "OK: entry {} of log {} (checkpoint of {} entries) is a {} event of review {}, at {} (Unix ms)",
        receipt.index,
        checkpoint.origin(),
        checkpoint.size(),
        entry.kind.as_str(),
        entry.review,
        entry.at_ms
    );
    Ok(())
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<Vec<u8>> {
    let resp = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("fetching {url}"))?;
    if !resp.status().is_success() {
        bail!("{url} answered {}", resp.status());
    }
    Ok(resp.bytes().await?.to_vec())
}

/// Fetches a tile or bundle. A partial one may be gone once the log has grown past it; then
/// the full one is fetched and cut to the width (C2SP tlog-tiles allows both).
async fn fetch_tile(client: &reqwest::Client, prefix: &str, path: TilePath) -> Result<Vec<u8>> {
    match fetch(client, &format!("{prefix}/{}", path.to_path())).await {
        Ok(bytes) => Ok(bytes),
        Err(_) if !path.is_full() => {
            let full = TilePath {
                width: TILE_WIDTH as u16,
                ..path
            };
            let bytes = fetch(client, &format!("{prefix}/{}", full.to_path())).await?;
            let width = usize::from(path.width);
            Ok(match path.kind {
                TileKind::Hashes(_) => bytes.get(..width * 32).unwrap_or(&bytes).to_vec(),
                TileKind::Entries => {
                    let entries = decode_bundle(&bytes).context("a malformed entry bundle")?;
                    ledger::tiles::encode_bundle(entries.iter().take(width).map(Vec::as_slice))?
                }
            })
        }
        Err(e) => Err(e),
    }
}

/// Where each subject's chain ends so far, the business it is about, and whether it is a
/// review's (or a business's invitation template's).
#[derive(Default)]
struct Chains {
    last: HashMap<ReviewId, (u64, BusinessId, bool)>,
}

impl Chains {
    fn follow(&mut self, index: u64, entry: &LogEntry) -> Result<()> {
        let seen = self.last.get(&entry.review).copied();
        let review = entry.kind.is_about_a_review();
        let what = if review { "review" } else { "template" };
        let expected = seen.map(|(i, _, _)| i);
        if entry.previous != expected {
            bail!(
                "entry {index} of {what} {} points back to {:?}, but its previous entry is {:?}: the chain has a gap",
                entry.review,
                entry.previous,
                expected
            );
        }
        match seen {
            None if review && !entry.kind.is_first() => bail!(
                "entry {index} is the first of review {} but is a {} event",
                entry.review,
                entry.kind.as_str()
            ),
            Some(_) if entry.kind.is_first() => bail!(
                "entry {index} publishes review {} a second time (as a {} event)",
                entry.review,
                entry.kind.as_str()
            ),
            Some((_, _, was_review)) if was_review != review => bail!(
                "entry {index} is a {} event in the chain of {} {}",
                entry.kind.as_str(),
                if was_review { "review" } else { "template" },
                entry.review
            ),
            Some((_, business, _)) if business != entry.business => bail!(
                "entry {index} moves {what} {} to another business",
                entry.review
            ),
            _ => {}
        }
        self.last
            .insert(entry.review, (index, entry.business, review));
        Ok(())
    }
}

/// The log's prefix URL and its checkpoint. `url` is either the log's own prefix (as C2SP
/// tools take it: `https://host/log`, under which `checkpoint` and `tile/…` live) or the
/// instance's base URL (`https://host`, whose log is under `/log`): the one whose
/// `checkpoint` answers is the prefix, the more likely one tried first.
async fn find_log(client: &reqwest::Client, url: &str) -> Result<(String, Vec<u8>)> {
    let url = url.trim_end_matches('/');
    let below = format!("{url}/log");
    let candidates = if url.ends_with("/log") {
        [url.to_owned(), below]
    } else {
        [below, url.to_owned()]
    };
    let mut failures = Vec::new();
    for prefix in candidates {
        match fetch(client, &format!("{prefix}/checkpoint")).await {
            Ok(signed) => return Ok((prefix, signed)),
            Err(e) => failures.push(format!("{e:#}")),
        }
    }
    bail!("no log at {url}: {}", failures.join("; "))
}

/// `verify log URL --key VKEY [--state FILE]`: a monitor.
pub async fn log(url: &str, key: &str, state: Option<&Path>) -> Result<()> {
    let client = reqwest::Client::new();
    let (prefix, signed) = find_log(&client, url).await?;
    let checkpoint = open_checkpoint(&signed, key).context("the checkpoint does not verify")?;
    let old: Option<Checkpoint> = match state {
        Some(path) if path.exists() => {
            let bytes = std::fs::read(path)?;
            Some(open_checkpoint(&bytes, key).context("the saved checkpoint does not verify")?)
        }
        _ => None,
    };
    let size = checkpoint.size();
    if let Some(old) = &old
        && old.size() > size
    {
        bail!(
            "the log shrank: it showed {} entries before and shows {size} now",
            old.size()
        );
    }

    let mut rebuild = Rebuild::new();
    let mut chains = Chains::default();
    // Hashes of the tree at every eighth level above the leaves: tile levels 1, 2, …
    let mut upper: HashMap<(u8, u64), Hash> = HashMap::new();
    let mut consistent_with = None;
    let bundles = size.div_ceil(TILE_WIDTH);
    for b in 0..bundles {
        let width = (size - b * TILE_WIDTH).min(TILE_WIDTH) as u16;
        let bundle_path = TilePath {
            kind: TileKind::Entries,
            index: b,
            width,
        };
        let bytes = fetch_tile(&client, &prefix, bundle_path).await?;
        let entries = decode_bundle(&bytes).context("a malformed entry bundle")?;
        if entries.len() != usize::from(width) {
            bail!(
                "entry bundle {b} holds {} entries, not {width}",
                entries.len()
            );
        }
        let mut leaves = Vec::with_capacity(entries.len());
        for entry in &entries {
            let n = rebuild.len();
            let decoded =
                LogEntry::decode(entry).map_err(|e| anyhow::anyhow!("entry {n}: {}", e.message))?;
            chains.follow(n, &decoded)?;
            let hashes = rebuild.push(entry)?;
            leaves.push(hashes[0]);
            for (level, h) in hashes.iter().enumerate().skip(1) {
                let level = level as u8;
                if level.is_multiple_of(TILE_HEIGHT) {
                    upper.insert((level / TILE_HEIGHT, n >> level), *h);
                }
            }
            if let Some(old) = &old
                && rebuild.len() == old.size()
            {
                if rebuild.root()?.0 != old.hash().0 {
                    bail!("the log is not consistent with the checkpoint seen before");
                }
                consistent_with = Some(old.size());
            }
        }
        // The level-0 tile must hold exactly these entries' leaf hashes.
        let tile = TilePath {
            kind: TileKind::Hashes(0),
            ..bundle_path
        };
        let served = tile_hashes(&fetch_tile(&client, &prefix, tile).await?)?;
        if served.iter().map(|h| h.0).ne(leaves.iter().map(|h| h.0)) {
            bail!("tile {} does not match its entry bundle", tile.to_path());
        }
    }
    if rebuild.root()?.0 != checkpoint.hash().0 {
        bail!("the entries do not hash to the checkpoint's root");
    }
    // Every upper tile that exists at this size.
    let mut level = 1u8;
    let mut upper_tiles = 0;
    while (size >> (u32::from(TILE_HEIGHT) * u32::from(level))) > 0 {
        let level_size = size >> (u32::from(TILE_HEIGHT) * u32::from(level));
        for index in 0..level_size.div_ceil(TILE_WIDTH) {
            let width = (level_size - index * TILE_WIDTH).min(TILE_WIDTH) as u16;
            let tile = TilePath {
                kind: TileKind::Hashes(level),
                index,
                width,
            };
            let served = tile_hashes(&fetch_tile(&client, &prefix, tile).await?)?;
            for (i, h) in served.iter().enumerate() {
                let expected = upper.get(&(level, index * TILE_WIDTH + i as u64));
                if expected.map(|e| e.0) != Some(h.0) {
                    bail!("tile {} does not match the entries", tile.to_path());
                }
            }
            upper_tiles += 1;
        }
        level += 1;
    }
    if let Some(path) = state {
        std::fs::write(path, &signed).with_context(|| format!("saving {}", path.display()))?;
    }
    println!(
        "OK: log {}: {size} entries in {bundles} bundles and {upper_tiles} upper tiles match \
         the signed root; {} reviews and {} invitation templates, every chain complete{}",
        checkpoint.origin(),
        chains
            .last
            .values()
            .filter(|(_, _, review)| *review)
            .count(),
        chains
            .last
            .values()
            .filter(|(_, _, review)| !*review)
            .count(),
        match (consistent_with, &old) {
            (Some(n), _) => format!("; consistent with the checkpoint of {n} entries seen before"),
            (None, Some(old)) if old.size() == 0 => "; the previous checkpoint was empty".into(),
            _ => String::new(),
        }
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::lifecycle::EventKind;

    fn entry(
        kind: EventKind,
        business: BusinessId,
        review: ReviewId,
        previous: Option<u64>,
    ) -> LogEntry {
        LogEntry {
            kind,
            at_ms: 0,
            business,
            review,
            previous,
            commitment: [0; 32],
        }
    }

    #[test]
    fn chains_refuse_gaps_and_rewritten_beginnings() {
        use EventKind::*;
        let (b, other_b) = (BusinessId::generate(), BusinessId::generate());
        let (r, s) = (ReviewId::generate(), ReviewId::generate());
        // Entries 0..3 of a good log: r published, s published, r edited.
        let good = [
            entry(ReviewPublished, b, r, None),
            entry(ReviewPublished, b, s, None),
            entry(ReviewEdited, b, r, Some(0)),
        ];
        let mut chains = Chains::default();
        for (i, e) in good.iter().enumerate() {
            chains.follow(i as u64, e).unwrap();
        }
        let cases = [
            ("a gap", entry(ReplyPublished, b, r, Some(0))),
            ("a link to nothing", entry(ReplyPublished, b, r, None)),
            (
                "a second publication",
                entry(ReviewPublished, b, r, Some(2)),
            ),
            (
                "another business",
                entry(ReplyPublished, other_b, r, Some(2)),
            ),
            (
                "an import of a review already published",
                entry(ReviewImported, b, r, Some(2)),
            ),
            (
                "a review that starts mid-way",
                entry(ReviewEdited, b, ReviewId::generate(), None),
            ),
        ];
        for (what, bad) in cases {
            let mut chains = Chains::default();
            for (i, e) in good.iter().enumerate() {
                chains.follow(i as u64, e).unwrap();
            }
            assert!(chains.follow(3, &bad).is_err(), "{what} went unnoticed");
        }
        chains
            .follow(3, &entry(ReplyPublished, b, r, Some(2)))
            .unwrap();
        // A template's chain: its revisions, and nothing else, follow one another.
        let template = ReviewId::generate();
        let mut with_template = Chains::default();
        for (i, e) in good.iter().enumerate() {
            with_template.follow(i as u64, e).unwrap();
        }
        with_template
            .follow(3, &entry(InvitationTemplateChanged, b, template, None))
            .unwrap();
        with_template
            .follow(4, &entry(InvitationTemplateChanged, b, template, Some(3)))
            .unwrap();
        for (what, bad) in [
            (
                "a reply in a template",
                entry(ReplyPublished, b, template, Some(4)),
            ),
            (
                "a template in a review",
                entry(InvitationTemplateChanged, b, r, Some(2)),
            ),
            (
                "a template moved",
                entry(InvitationTemplateChanged, other_b, template, Some(4)),
            ),
            (
                "a template with a gap",
                entry(InvitationTemplateChanged, b, template, Some(3)),
            ),
        ] {
            let mut chains = Chains::default();
            for (i, e) in good.iter().enumerate() {
                chains.follow(i as u64, e).unwrap();
            }
            chains
                .follow(3, &entry(InvitationTemplateChanged, b, template, None))
                .unwrap();
            chains
                .follow(4, &entry(InvitationTemplateChanged, b, template, Some(3)))
                .unwrap();
            assert!(chains.follow(5, &bad).is_err(), "{what} went unnoticed");
        }
        // An imported review starts its own chain.
        let imported = ReviewId::generate();
        chains
            .follow(4, &entry(ReviewImported, b, imported, None))
            .unwrap();
        chains
            .follow(5, &entry(ReplyPublished, b, imported, Some(4)))
            .unwrap();
    }
}
