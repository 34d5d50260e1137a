//! The single writer. SQLite allows one writer at a time, so every write of this process goes
//! through one thread that owns the write connection. While a batch commits (one `fsync` of
//! the WAL), the next writes queue up; the writer then runs them all in one transaction, each
//! inside its own savepoint so that one refused write does not undo the others, and commits
//! once. That is group commit: every write is acknowledged only after the commit that made it
//! durable, and a thousand writes cost one `fsync`, not a thousand.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::Result;
use crate::log_cache::{Appended, LogCache};
use crate::stats::{BatchCells, Cells};
use store::StoreError;

/// The most writes committed together. Large enough to amortise the `fsync`, small enough
/// that the first write in a batch does not wait long for the last.
const MAX_BATCH: usize = 512;

/// What one write changes beside its rows: the figures' cells it moves and what it appends
/// to the log. They join its batch only if its savepoint is released.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    pub cells: Cells,
    pub log: Appended,
}

/// A batch's effects, from its released writes.
#[derive(Debug, Default)]
struct BatchEffects {
    cells: BatchCells,
    log: Appended,
}

/// A queued write.
trait Job: Send {
    /// Runs the write inside the open transaction, its figure changes joining `cells` if it
    /// is kept, and returns what to do after the commit.
    fn run(self: Box<Self>, conn: &Connection, batch: &mut BatchEffects) -> Box<dyn Finish>;
    /// The transaction could not even start.
    fn abort(self: Box<Self>, error: &rusqlite::Error);
}

/// A write that ran, waiting for its batch to commit.
trait Finish: Send {
    fn finish(self: Box<Self>, commit: std::result::Result<(), &str>);
}

struct Pending<F, T> {
    work: F,
    reply: oneshot::Sender<Result<T>>,
}

struct Ran<T> {
    result: Result<T>,
    reply: oneshot::Sender<Result<T>>,
}

impl<F, T> Job for Pending<F, T>
where
    F: FnOnce(&Connection, &mut Effects) -> Result<T> + Send,
    T: Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection, batch: &mut BatchEffects) -> Box<dyn Finish> {
        let Pending { work, reply } = *self;
        let mut effects = Effects::default();
        // A panicking write must not take the writer, and every later write, with it: it
        // is undone like a refused one, and fails alone.
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            in_savepoint(conn, |c| work(c, &mut effects))
        }))
        .unwrap_or_else(|_| {
            tracing::error!("a write panicked: it is undone, the rest of its batch goes on");
            if let Err(e) = conn.execute_batch("ROLLBACK TO job; RELEASE job") {
                // Its savepoint is gone (it panicked after releasing it): its rows cannot be
                // told from the batch's, so the whole batch is undone and fails.
                tracing::error!(error = %e, "undoing the panicked write failed; undoing its batch");
                if !conn.is_autocommit()
                    && let Err(e) = conn.execute_batch("ROLLBACK")
                {
                    tracing::error!(error = %e, "rolling the batch back failed");
                }
            }
            Err(StoreError::Backend("the write failed unexpectedly".into()).into())
        });
        if result.is_ok() {
            // Its effects go with its rows: kept with them, or dropped with them.
            batch.cells.keep(effects.cells);
            batch.log.extend(effects.log);
        }
        Box::new(Ran { result, reply })
    }

    fn abort(self: Box<Self>, error: &rusqlite::Error) {
        // The requester may have gone away (client disconnected): nothing to tell then.
        let _ = self.reply.send(Err(backend(error)));
    }
}

impl<T: Send> Finish for Ran<T> {
    fn finish(self: Box<Self>, commit: std::result::Result<(), &str>) {
        let outcome = match (self.result, commit) {
            (Ok(value), Ok(())) => Ok(value),
            (Err(refused), _) => Err(refused),
            (Ok(_), Err(e)) => Err(StoreError::Backend(e.to_owned().into()).into()),
        };
        let _ = self.reply.send(outcome);
    }
}

fn in_savepoint<T>(conn: &Connection, work: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    // Prepared once (the connection's statement cache), not parsed for every write.
    conn.prepare_cached("SAVEPOINT job")?.execute([])?;
    match work(conn) {
        Ok(value) => conn
            .prepare_cached("RELEASE job")
            .and_then(|mut s| s.execute([]))
            .map(|_| value)
            .map_err(crate::Error::from),
        Err(e) => {
            // Undo this write only; the batch's other writes stay.
            conn.execute_batch("ROLLBACK TO job; RELEASE job")
                .map_err(crate::Error::from)
                .and(Err(e))
        }
    }
}

fn backend(e: &rusqlite::Error) -> crate::Error {
    StoreError::Backend(e.to_string().into()).into()
}

/// The handle through which async code queues writes.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    queue: mpsc::Sender<Box<dyn Job>>,
    /// Cleared when the writer thread ends, however it ends.
    running: Arc<AtomicBool>,
}

/// Clears the writer's `running` flag when dropped: at the thread's end, or as a panic
/// unwinds it.
struct Running(Arc<AtomicBool>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

impl std::fmt::Debug for dyn Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

/// Runs in each batch's transaction after its writes and before COMMIT; if it fails, the
/// whole batch is rolled back. The log uses it to sign one checkpoint per batch, and returns
/// it (size and signed note), to be published once the batch has committed.
pub(crate) type BeforeCommit = Box<dyn FnMut(&Connection) -> Result<Option<(u64, Vec<u8>)>> + Send>;

impl Writer {
    /// Starts the writer thread on `conn`. The thread ends when every `Writer` is dropped.
    ///
    /// `checkpointer` is a second read-write connection to the same database: it copies the
    /// WAL back into the database file on its own thread, so that the writer, whose batches
    /// everyone waits for, never does (SQLite's automatic checkpoint would run inside the
    /// writer's COMMIT).
    pub(crate) fn start(
        conn: Connection,
        checkpointer: Connection,
        before_commit: Option<BeforeCommit>,
        cache: std::sync::Arc<LogCache>,
    ) -> std::io::Result<Self> {
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(std::io::Error::other)?;
        let (queue, jobs) = mpsc::channel(4 * MAX_BATCH);
        let (alive, watched) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("passaparola-checkpoint".into())
            .spawn(move || checkpoints(checkpointer, watched))?;
        let running = Arc::new(AtomicBool::new(true));
        let flag = Running(running.clone());
        std::thread::Builder::new()
            .name("passaparola-writer".into())
            .spawn(move || {
                let _flag = flag;
                let _alive = alive;
                run(conn, jobs, before_commit, &cache);
            })?;
        Ok(Self { queue, running })
    }

    /// Whether the writer thread still runs: a panic outside any one write (in the
    /// commit's own work) ends it, and every write after fails; the health check says so.
    pub(crate) fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst) && !self.queue.is_closed()
    }

    /// Runs `work` inside a write transaction and returns once it is durable.
    pub(crate) async fn write<T, F>(&self, work: F) -> store::Result<T>
    where
        F: FnOnce(&Connection, &mut Effects) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Box::new(Pending { work, reply }))
            .await
            .map_err(|_| StoreError::Backend("the writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Backend("the writer dropped a write".into()))?
            .map_err(StoreError::from)
    }
}

/// How often the WAL is copied back into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Past this many frames (about 1 GiB of 4 KiB pages) the WAL is truncated (see
/// [`checkpoints`]). High, because truncating stalls the writes for a few hundred
/// milliseconds: at 16,384 frames that happened every few seconds under full load and
/// tripled p99 (BENCHMARKS.md); at this size it is a rare event that bounds the disk.
const WAL_FRAMES_LIMIT: i64 = 262_144;

/// Checkpoints the WAL every [`CHECKPOINT_EVERY`] until the writer stops. PASSIVE: it never
/// waits for readers or the writer, and copies what it can; the WAL starts over once a
/// checkpoint has copied all of it.
///
/// Under sustained writes that never happens: each passive checkpoint copies most of the WAL
/// while the writer appends more, and the file grows without bound (gigabytes for a million
/// reviews seeded in one go). So once the WAL holds more than [`WAL_FRAMES_LIMIT`] frames, the
/// next checkpoint is TRUNCATE: it waits (the connection's busy timeout) for the writer's
/// current batch and the readers, copies the little the passive one left, and empties the
/// file. Writes wait for that copy, a fraction of a second, once per ~1 GiB written.
fn checkpoints(conn: Connection, writer: std::sync::mpsc::Receiver<()>) {
    use std::sync::mpsc::RecvTimeoutError;
    loop {
        let stopping = match writer.recv_timeout(CHECKPOINT_EVERY) {
            Err(RecvTimeoutError::Timeout) => false,
            Ok(()) | Err(RecvTimeoutError::Disconnected) => true,
        };
        // (busy, frames in the WAL, frames copied)
        let passive = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        });
        match passive {
            Ok((_, frames, _)) if frames > WAL_FRAMES_LIMIT => {
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, frames, "could not truncate the WAL; retrying later");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; retrying later"),
        }
        if stopping {
            return;
        }
    }
}

fn run(
    conn: Connection,
    mut jobs: mpsc::Receiver<Box<dyn Job>>,
    mut before_commit: Option<BeforeCommit>,
    cache: &LogCache,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = jobs.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // IMMEDIATE takes the write lock now, waiting (busy_timeout) for another process,
        // such as the command line, that holds it.
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            tracing::error!(error = %e, "could not start a write transaction");
            batch.drain(..).for_each(|job| job.abort(&e));
            continue;
        }
        let started = std::time::Instant::now();
        metrics::histogram!("passaparola_writer_batch_size").record(batch.len() as f64);
        let mut effects = BatchEffects::default();
        let mut ran = Vec::with_capacity(batch.len());
        for job in batch.drain(..) {
            if conn.is_autocommit() {
                // An I/O error rolled the whole transaction back: refuse the rest rather
                // than run them outside a transaction.
                job.abort(&rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                    Some("the batch's transaction was rolled back".into()),
                ));
            } else {
                ran.push(job.run(&conn, &mut effects));
            }
        }
        // Each cell the batch moved is written once, then the log's checkpoint is signed.
        let sealed = match before_commit.as_mut() {
            _ if conn.is_autocommit() => Ok(None),
            Some(hook) => effects.cells.flush(&conn).and_then(|()| hook(&conn)),
            None => effects.cells.flush(&conn).map(|()| None),
        }
        .map_err(|e| e.to_string());
        let commit = sealed.and_then(|checkpoint| {
            conn.execute_batch("COMMIT")
                .map(|()| checkpoint)
                .map_err(|e| e.to_string())
        });
        // Committed: the log's new state is what any reader may now see.
        let commit = commit.map(|checkpoint| {
            if let Some((size, _)) = &checkpoint {
                metrics::gauge!("passaparola_log_size").set(*size as f64);
            }
            cache.publish(std::mem::take(&mut effects.log), checkpoint);
        });
        metrics::histogram!("passaparola_writer_batch_seconds")
            .record(started.elapsed().as_secs_f64());
        if commit.is_err() {
            metrics::counter!("passaparola_writer_failed_batches_total").increment(1);
        }
        if let Err(e) = &commit {
            tracing::error!(error = %e, writes = ran.len(), "commit failed");
            if !conn.is_autocommit()
                && let Err(e) = conn.execute_batch("ROLLBACK")
            {
                tracing::error!(error = %e, "rollback after a failed commit failed");
            }
        }
        for r in ran {
            r.finish(commit.as_ref().map(|_| ()).map_err(String::as_str));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic in a test is a failing test")]

    use domain::ids::BusinessId;
    use domain::invitation::Relationship;
    use domain::plan::{CellMove, CellScope};
    use domain::stats::CellDelta;
    use store::StoreError;

    /// A write that panics fails alone: the others of its batch commit, and the writer
    /// goes on taking writes.
    #[tokio::test]
    async fn a_panicking_write_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let store = super::super::SqliteStore::open(&path, None).unwrap();
        let insert = |n: i64| {
            store.writer.write(move |c, _| {
                c.execute("INSERT INTO t (id) VALUES (?1)", [n])?;
                Ok(())
            })
        };
        store
            .writer
            .write(|c, _| {
                c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY)")?;
                Ok(())
            })
            .await
            .unwrap();
        let sleep = store.writer.write(|_, _| {
            std::thread::sleep(std::time::Duration::from_millis(200));
            Ok(())
        });
        let panics = store.writer.write(|c, _| -> crate::Result<()> {
            c.execute("INSERT INTO t (id) VALUES (2)", [])?;
            panic!("a bug in a write")
        });
        let (_, a, b, c) = tokio::join!(sleep, insert(1), panics, insert(3));
        assert!(a.is_ok() && c.is_ok(), "{a:?} {c:?}");
        assert!(b.is_err());
        insert(4).await.unwrap();
        assert!(store.writer.is_running());
        let conn = rusqlite::Connection::open(&path).unwrap();
        let ids: Vec<i64> = conn
            .prepare("SELECT id FROM t ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(ids, vec![1, 3, 4], "the panicked write's row is undone");
    }

    /// A panic in the commit's own work (here the hook that signs the log) ends the writer
    /// thread: the writer says so, and later writes fail rather than hang.
    #[tokio::test]
    async fn a_writer_that_died_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let open = || rusqlite::Connection::open(&path).unwrap();
        let hook: super::BeforeCommit = Box::new(|_| panic!("a bug in the commit"));
        let writer = super::Writer::start(open(), open(), Some(hook), Default::default()).unwrap();
        assert!(writer.is_running());
        assert!(writer.write(|_, _| Ok(())).await.is_err());
        for _ in 0..100 {
            if !writer.is_running() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(!writer.is_running());
        assert!(writer.write(|_, _| Ok(())).await.is_err());
    }

    /// Writes in one batch, each moving the same cell: a refused write's change goes with
    /// its rows, and the kept ones are summed into one write of the cell.
    #[tokio::test]
    async fn a_refused_writes_cell_changes_are_dropped_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let store = super::super::SqliteStore::open(&path, None).unwrap();
        let business = BusinessId::generate();
        let write = |kept: bool| {
            store.writer.write(move |_, effects| {
                effects.cells.push(&CellMove {
                    scope: CellScope {
                        business,
                        product: String::new(),
                        relationship: Relationship::Customer,
                        verified: true,
                    },
                    day: 20_000,
                    delta: CellDelta::invited(),
                });
                if kept {
                    Ok(())
                } else {
                    Err(StoreError::Backend("refused".into()).into())
                }
            })
        };
        // While the writer sleeps in a first write, the three queue up: its next batch.
        let sleep = store.writer.write(|_, _| {
            std::thread::sleep(std::time::Duration::from_millis(200));
            Ok(())
        });
        let (_, a, b, c) = tokio::join!(sleep, write(true), write(false), write(true));
        assert!(a.is_ok() && b.is_err() && c.is_ok());
        let conn = rusqlite::Connection::open(&path).unwrap();
        let sent: Vec<(i64, i64)> = conn
            .prepare("SELECT span, invitations_sent FROM stat_cells ORDER BY span")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            sent,
            vec![(1, 2), (2, 2), (3, 2), (4, 2)],
            "day, month, all, week"
        );
    }
}
