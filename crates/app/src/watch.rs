//! The background work that keeps a server current with what other processes write to the
//! same store (the command line's operator erasure, and later other servers): their
//! changes reach the public cache within a second, and their log entries a signed
//! checkpoint. It also keeps the write limits' memory bounded.

use std::time::Duration;

use crate::App;

/// How often the server asks the store what other processes changed.
pub const CHANGES_EVERY: Duration = Duration::from_millis(250);
/// How often it signs a checkpoint over log entries appended by other processes.
pub const SEAL_EVERY: Duration = Duration::from_secs(2);
/// How often the write limits forget credentials and clients that have waited enough.
pub const FORGET_EVERY: Duration = Duration::from_secs(60);

/// Starts the watch; it ends with the runtime.
pub fn spawn(app: App) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut cursor = None;
        let mut tick = tokio::time::interval(CHANGES_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let seal_every = (SEAL_EVERY.as_millis() / CHANGES_EVERY.as_millis()).max(1);
        let forget_every = (FORGET_EVERY.as_millis() / CHANGES_EVERY.as_millis()).max(1);
        let mut failing = false;
        for n in 0u128.. {
            tick.tick().await;
            // Every change, this process's own too (those were dropped already; dropping
            // them again costs one recomputation of the entry).
            match app.store.changes_since(cursor).await {
                Ok((changed, next)) => {
                    for slug in &changed.slugs {
                        app.cache.invalidate(slug);
                    }
                    for (business, review, kind) in changed.events {
                        if let Some(news) = crate::live::News::of_event(kind, review) {
                            app.live.tell(business, news);
                        }
                    }
                    cursor = Some(next);
                    failing = false;
                }
                Err(e) if !failing => {
                    tracing::error!(error = %e, "could not read the store's changes; retrying");
                    failing = true;
                }
                Err(_) => {}
            }
            if n % seal_every == 0
                && let Err(e) = app.store.seal_log().await
            {
                tracing::error!(error = %e, "could not seal the log");
            }
            if n % forget_every == 0 {
                app.limits.forget_idle();
            }
        }
    })
}
