//! What the servers tell each other, through PostgreSQL's `LISTEN`/`NOTIFY`: every write
//! announces the business it changed (in its own transaction, so the news leaves with the
//! commit and never before), and the sequencer announces each batch it logs. Each server
//! keeps one connection listening, outside the pool; what it hears drops its public cache
//! (through [`store::Changes`]), wakes its sequencer, and wakes the writes waiting for
//! their log entries.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::future::poll_fn;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio_postgres::AsyncMessage;

use crate::connect::Target;
use crate::db::{Db, Result};

/// The channel on which writes announce the business they changed.
pub(crate) const CHANGES: &str = "passaparola_changes";
/// The channel on which the sequencer announces the log's new size.
pub(crate) const LOGGED: &str = "passaparola_logged";

/// How many announcements a server keeps for its cache's next look; past it, the oldest
/// are forgotten and the next look drops every business's cache.
const KEPT: usize = 65_536;

/// One write's announcement.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Announcement {
    /// The announcing process.
    #[serde(rename = "o")]
    pub origin: uuid::Uuid,
    /// The business whose public data changed.
    #[serde(rename = "s")]
    pub slug: String,
    /// The review event recorded, if any: the business's id, the review's, the kind.
    #[serde(rename = "e", default, skip_serializing_if = "Option::is_none")]
    pub event: Option<(uuid::Uuid, uuid::Uuid, String)>,
}

/// A review event another process recorded.
type Event = (
    domain::ids::BusinessId,
    domain::ids::ReviewId,
    domain::lifecycle::EventKind,
);

/// Announces a change, inside the writing transaction: PostgreSQL delivers it at COMMIT.
pub(crate) async fn notify(db: &dyn Db, announcement: &Announcement) -> Result<()> {
    let payload = serde_json::to_string(announcement)
        .map_err(|e| crate::db::Error::Store(store::StoreError::Backend(Box::new(e))))?;
    db.execute("SELECT pg_notify($1, $2)", &[&CHANGES, &payload])
        .await?;
    Ok(())
}

/// What this server heard.
#[derive(Debug)]
pub(crate) struct Feed {
    origin: uuid::Uuid,
    heard: Mutex<Heard>,
    /// Bumped whenever the log grew (here or on another server).
    logged: watch::Sender<u64>,
    /// Wakes this server's sequencer when another server wrote.
    pub(crate) written: Notify,
    /// Asks the listening connection to catch up with every notification sent so far.
    catch_up: mpsc::UnboundedSender<oneshot::Sender<()>>,
    /// Tells the listening task its connection did not catch up in time: reconnect.
    stale: Notify,
}

#[derive(Debug, Default)]
struct Heard {
    /// The number the next announcement gets.
    next: i64,
    /// The announcements kept, numbered, with the events other processes recorded.
    changes: VecDeque<(i64, String, Option<Event>)>,
    /// Announcements numbered below this may have been missed (forgotten, or sent while the
    /// listening connection was down).
    missed_before: i64,
}

/// The listening connection's requests to catch up.
pub(crate) type CatchUps = mpsc::UnboundedReceiver<oneshot::Sender<()>>;

/// How long a look at the feed waits for the listening connection to catch up.
const CATCH_UP_WAIT: Duration = Duration::from_secs(2);

impl Feed {
    pub(crate) fn new(origin: uuid::Uuid) -> (Self, CatchUps) {
        let (catch_up, requests) = mpsc::unbounded_channel();
        let feed = Self {
            origin,
            heard: Mutex::new(Heard::default()),
            logged: watch::channel(0).0,
            written: Notify::new(),
            catch_up,
            stale: Notify::new(),
        };
        (feed, requests)
    }

    /// Waits until this server has heard every notification committed before now (one round
    /// trip on the listening connection: PostgreSQL delivers a session's pending
    /// notifications before it answers), so that a look at the feed sees this process's own
    /// writes and every write committed before it. Gives up after a moment if the
    /// connection is down (its reconnection marks everything as missed anyway).
    pub(crate) async fn catch_up(&self) {
        let (done, heard) = oneshot::channel();
        let caught_up = self.catch_up.send(done).is_ok()
            && matches!(tokio::time::timeout(CATCH_UP_WAIT, heard).await, Ok(Ok(())));
        if !caught_up {
            // A listening connection that does not answer may have missed anything: the
            // next look drops every cache (and the connection is replaced, below).
            self.missed();
            self.stale.notify_one();
        }
    }

    /// A receiver that changes each time the log grows.
    pub(crate) fn logged(&self) -> watch::Receiver<u64> {
        self.logged.subscribe()
    }

    /// Tells this server's waiting writes that the log grew.
    pub(crate) fn log_grew(&self) {
        self.logged.send_modify(|n| *n += 1);
    }

    fn hear(&self, n: &tokio_postgres::Notification) {
        match n.channel() {
            LOGGED => {
                if let Ok(size) = n.payload().parse::<u64>() {
                    metrics::gauge!("passaparola_log_size").set(size as f64);
                }
                self.log_grew();
            }
            CHANGES => {
                if let Ok(a) = serde_json::from_str::<Announcement>(n.payload()) {
                    let mut event = None;
                    if a.origin != self.origin {
                        self.written.notify_one();
                        event = a.event.and_then(|(b, r, kind)| {
                            let kind = domain::lifecycle::EventKind::parse(&kind)?;
                            Some((domain::ids::BusinessId(b), domain::ids::ReviewId(r), kind))
                        });
                    }
                    self.heard(a.slug, event);
                }
            }
            _ => {}
        }
    }

    fn heard(&self, slug: String, event: Option<Event>) {
        let mut heard = self.heard.lock().unwrap_or_else(|e| e.into_inner());
        let n = heard.next;
        heard.next += 1;
        heard.changes.push_back((n, slug, event));
        while heard.changes.len() > KEPT {
            if let Some((n, _, _)) = heard.changes.pop_front() {
                heard.missed_before = n + 1;
            }
        }
    }

    /// Announcements may have been lost: the next look drops every cache.
    fn missed(&self) {
        let mut heard = self.heard.lock().unwrap_or_else(|e| e.into_inner());
        heard.missed_before = heard.next;
        heard.next += 1;
    }

    /// What was announced since `since`, and where the feed now stands; `None` for the
    /// slugs when some may have been missed since then (drop every cache).
    pub(crate) fn since(
        &self,
        since: Option<store::ChangeCursor>,
    ) -> (Option<Vec<String>>, Vec<Event>, store::ChangeCursor) {
        let heard = self.heard.lock().unwrap_or_else(|e| e.into_inner());
        let cursor = store::ChangeCursor([heard.next, 0]);
        let Some(store::ChangeCursor([from, _])) = since else {
            return (Some(Vec::new()), Vec::new(), cursor);
        };
        let new = heard.changes.iter().filter(|(n, _, _)| *n >= from);
        let events = new.clone().filter_map(|(_, _, e)| *e).collect();
        if from < heard.missed_before {
            return (None, events, cursor);
        }
        let mut slugs: Vec<String> = new.map(|(_, s, _)| s.clone()).collect();
        slugs.sort();
        slugs.dedup();
        (Some(slugs), events, cursor)
    }
}

/// Listens for as long as the runtime runs, reconnecting after a failure.
pub(crate) fn spawn(target: Target, feed: std::sync::Arc<Feed>, mut catch_ups: CatchUps) {
    tokio::spawn(async move {
        let mut failing = false;
        loop {
            match listen(&target, &feed, &mut catch_ups).await {
                Ok(()) => {}
                Err(e) if !failing => {
                    tracing::warn!(error = %e, "the database's notifications stopped; reconnecting");
                }
                Err(_) => {}
            }
            failing = true;
            // Whatever was announced meanwhile is unknown: the next look drops every cache.
            feed.missed();
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

async fn listen(target: &Target, feed: &Feed, catch_ups: &mut CatchUps) -> Result<()> {
    let (client, mut connection) = target.config.connect(target.tls.clone()).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        loop {
            match poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) => {
                    if tx.send(n).is_err() {
                        return Ok(());
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            }
        }
    });
    client
        .batch_execute(&format!("LISTEN {CHANGES}; LISTEN {LOGGED}"))
        .await?;
    // Listening from now on: what came before is unknown.
    feed.missed();
    loop {
        tokio::select! {
            n = rx.recv() => match n {
                Some(n) => feed.hear(&n),
                None => break,
            },
            _ = feed.stale.notified() => {
                return Err(crate::db::Error::Store(store::StoreError::Backend(
                    "the listening connection did not catch up in time".into(),
                )));
            }
            asked = catch_ups.recv() => {
                let Some(done) = asked else { break };
                // A connection that does not answer in time is replaced.
                match tokio::time::timeout(CATCH_UP_WAIT, client.simple_query("")).await {
                    Ok(answered) => {
                        answered?;
                    }
                    Err(_) => {
                        return Err(crate::db::Error::Store(store::StoreError::Backend(
                            "the listening connection did not answer in time".into(),
                        )));
                    }
                }
                // The driver forwarded every notification that came before the answer.
                while let Ok(n) = rx.try_recv() {
                    feed.hear(&n);
                }
                let _ = done.send(());
            }
        }
    }
    match driver.await {
        Ok(Err(e)) => Err(e.into()),
        _ => Ok(()),
    }
}
