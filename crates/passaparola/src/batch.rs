//! Writing a file's rows from the command line: a few at a time (the store's writer then
//! commits them in groups rather than one by one), in file order, with a progress bar, and
//! stopping at the first failure.

use std::collections::VecDeque;

use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinHandle;

/// Rows written at once.
const IN_FLIGHT: usize = 32;

/// A progress bar of `len` rows.
pub(crate) fn progress(len: usize, message: String) -> ProgressBar {
    let progress = ProgressBar::new(len as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({elapsed}, about {eta} left)")
    {
        progress.set_style(style.progress_chars("=> "));
    }
    progress.set_message(message);
    progress
}

/// Starts `write` for each `(line, row)`, [`IN_FLIGHT`] at a time, and hands each result to
/// `done` in file order. After a failure no row is started; those already started are
/// waited for and counted. Returns the first failure's line and message.
pub(crate) async fn write_all<R, T, E: std::fmt::Display>(
    rows: impl IntoIterator<Item = (u64, R)>,
    progress: &ProgressBar,
    write: impl Fn(R) -> JoinHandle<Result<T, E>>,
    mut done: impl FnMut(T),
) -> Option<(u64, String)> {
    let mut rows = rows.into_iter();
    let mut in_flight = VecDeque::with_capacity(IN_FLIGHT);
    let mut failed: Option<(u64, String)> = None;
    loop {
        while failed.is_none()
            && in_flight.len() < IN_FLIGHT
            && let Some((line, row)) = rows.next()
        {
            in_flight.push_back((line, write(row)));
        }
        let Some((line, task)) = in_flight.pop_front() else {
            break;
        };
        match task.await {
            Ok(Ok(value)) => done(value),
            Ok(Err(e)) => _ = failed.get_or_insert((line, e.to_string())),
            Err(e) => _ = failed.get_or_insert((line, e.to_string())),
        }
        progress.inc(1);
    }
    failed
}
