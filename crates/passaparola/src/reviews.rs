//! `passaparola review …` (also `reviews …`): the operator's acts on reviews, and the
//! import of reviews a business collected elsewhere.
//!
//! `import` reads a CSV file whole and checks every row before it writes anything
//! (`app::import::reviews`), then writes the reviews in file order through the one write
//! path. Each is found again by its source and identifier, so a run cut short is completed
//! by running the same file again, and a file imported twice adds nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Result, anyhow, bail};
use app::import::ImportError;
use app::import::reviews::ReviewRow;
use chrono::Utc;
use clap::Subcommand;
use domain::ids::ReviewId;
use store::{ReviewCommand, Store};

#[derive(Debug, Clone, Subcommand)]
pub enum ReviewCommandCli {
    /// Erase a review's personal content on request (texts, event contents and salts, the
    /// invitee's name and address). The log keeps its entries and records the erasure.
    Erase {
        /// The review's id.
        #[arg(long)]
        id: String,
    },
    /// Import reviews the business collected elsewhere, from a CSV file, all or none.
    ///
    /// They are published labelled *imported*, with their source and original date, never
    /// as verified; they count in no figure and stay out of structured data, and the log
    /// records each as a `review_imported` event: it proves when it was imported, not that
    /// it is genuine. The header row names the columns, in any order: source, original_date
    /// (YYYY-MM-DD), rating (1–5), title, body, author_name, language (it, en, de-CH …),
    /// and optionally external_id (the review's id at its source) and relationship
    /// (customer by default). Every row is checked first: one bad row and nothing is
    /// imported. A review already imported (same source and external_id, or without one the
    /// same words) is left as it is, so the same file can be imported again safely.
    Import {
        /// The business's slug.
        #[arg(long)]
        business: String,
        /// The CSV file, in UTF-8, with a header row naming its columns.
        file: PathBuf,
    },
}

pub async fn run(store: Arc<dyn Store>, command: &ReviewCommandCli) -> Result<()> {
    match command {
        ReviewCommandCli::Erase { id } => erase(store.as_ref(), id).await,
        ReviewCommandCli::Import { business, file } => import(store, business, file).await,
    }
}

async fn erase(store: &dyn Store, id: &str) -> Result<()> {
    let review: ReviewId = id
        .parse()
        .map_err(|_| anyhow!("--id: {id:?} is not a review id"))?;
    let write = store
        .write_review(ReviewCommand::Erase {
            review,
            by: store::Eraser::Operator,
            at: Utc::now(),
        })
        .await
        .map_err(|e| match e {
            store::StoreError::NotFound(_) => anyhow!("no review with the id {id}"),
            e => e.into(),
        })?;
    if write.created {
        println!("erased the content of review {review}; the log records the erasure");
    } else {
        println!("review {review} was already erased");
    }
    Ok(())
}

async fn import(store: Arc<dyn Store>, slug: &str, file: &Path) -> Result<()> {
    let data = std::fs::read(file).map_err(|e| anyhow!("reading {}: {e}", file.display()))?;
    let now = Utc::now();
    let rows = app::import::reviews::parse(data.as_slice(), now).map_err(|e| match e {
        // Its message lists every bad line and says that nothing was imported.
        ImportError::Rows(_) => anyhow!("{}: {e}", file.display()),
        e => anyhow!("{}: {e}; nothing was imported", file.display()),
    })?;
    let business = store
        .business_by_slug(slug)
        .await?
        .ok_or_else(|| anyhow!("no business has the slug {slug:?}; nothing was imported"))?;

    let progress = crate::batch::progress(rows.len(), format!("importing into {slug}"));
    let (mut created, mut existing) = (0u64, 0u64);
    let rows = rows
        .into_iter()
        .map(|ReviewRow { line, review }| (line, review));
    let failed = crate::batch::write_all(
        rows,
        &progress,
        |review| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .write_review(ReviewCommand::Import {
                        business: business.id,
                        id: ReviewId::generate(),
                        review,
                        at: now,
                    })
                    .await
                    .map(|w| w.created)
            })
        },
        |new| {
            if new {
                created += 1;
            } else {
                existing += 1;
            }
        },
    )
    .await;
    if let Some((line, error)) = failed {
        progress.abandon();
        bail!(
            "{}, line {line}: {error}\n\
             the import stopped there: {created} new review(s) were written and {existing} \
             were already there; the rows from line {line} on were not all imported. Running \
             the same command again is safe: it leaves the reviews already there as they are \
             and imports the rest",
            file.display(),
        );
    }
    progress.finish_and_clear();
    println!(
        "imported {created} reviews ({existing} already there), labelled as imported and \
         counted in no figure"
    );
    Ok(())
}
