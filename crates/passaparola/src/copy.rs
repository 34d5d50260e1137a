//! `passaparola copy`: the command around `app::copy`, with a progress bar on the terminal.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

pub async fn run(from: &str, to: &str) -> Result<()> {
    let bar = ProgressBar::hidden();
    let shown = bar.clone();
    let start = move |total: u64| {
        shown.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        shown.set_length(total);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {msg:20} [{bar:40}] {human_pos}/{human_len} rows ({per_sec}, {eta} left)",
        ) {
            shown.set_style(style.progress_chars("=> "));
        }
    };
    let moving = bar.clone();
    let progress = move |table: store::dump::Table, rows: u64| {
        moving.set_message(table.name());
        moving.inc(rows);
    };
    let copied = app::copy::copy(from, to, start, &progress)
        .await
        .with_context(|| {
            format!(
                "copying {} to {}",
                app::backend::redacted(from),
                app::backend::redacted(to)
            )
        })?;
    bar.finish_and_clear();
    println!(
        "copied {} rows; the log's {} entries and its checkpoints are the same, under the same key",
        copied.rows, copied.log_entries
    );
    println!(
        "Start the servers with --database-url {} and the same data directory's keys.",
        app::backend::redacted(to)
    );
    Ok(())
}
