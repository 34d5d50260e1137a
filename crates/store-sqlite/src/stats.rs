//! The figures' time cells (`domain::stats`): moved by every write, read a few at a time.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::ids::BusinessId;
use domain::invitation::Relationship;
use domain::plan::{CellMove, CellScope};
use domain::score::ScoreSums;
use domain::stats::{Cell, CellDelta, Delays, Figures, Span, cells_of, figures, week_start};
use domain::summary::Tally;
use rusqlite::{Connection, params};

use crate::Result;
use store::{StatsFilter, TrendGrain, TrendPoint};

/// The figures' cell changes of one write (the moves of its plan), until its savepoint is
/// released: then they join its batch's [`BatchCells`], and a refused write's go with its
/// rolled-back rows.
#[derive(Debug, Default)]
pub(crate) struct Cells(Vec<CellMove>);

impl Cells {
    /// Adds a move of one day's four cells (day, week, month, all time).
    pub fn push(&mut self, m: &CellMove) {
        self.0.push(m.clone());
    }
}

/// Which cell: whose figures, which span, from which day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CellKey {
    scope: CellScope,
    span: Span,
    start: i64,
}

/// The cell changes of the writer's current batch: each cell is written once per batch, not
/// once per write, when the batch is about to commit. Hand-written because it is the write
/// path's own accounting: a single writer runs every write, and with the figures' four
/// cells per review (and per rated product) the upserts were a quarter of its time
/// (BENCHMARKS.md). A write never reads the cells it moved: within a batch they are only
/// summed, in memory. Migration 0006's backfill sums its changes the same way.
#[derive(Debug, Default)]
pub(crate) struct BatchCells(HashMap<CellKey, CellDelta>);

impl BatchCells {
    /// A released write's changes join the batch's sums.
    pub fn keep(&mut self, cells: Cells) {
        for m in cells.0 {
            self.add(&m.scope, m.day, &m.delta, &ALL_SPANS);
        }
    }

    /// Adds `d` to the `spans` cells of `day`.
    pub fn add(&mut self, scope: &CellScope, day: i64, d: &CellDelta, spans: &[Span]) {
        if d.is_zero() {
            return;
        }
        for (span, start) in cells_of(day).into_iter().filter(|(s, _)| spans.contains(s)) {
            let key = CellKey {
                scope: scope.clone(),
                span,
                start,
            };
            self.0.entry(key).or_default().add(d);
        }
    }

    /// Writes every changed cell once, in the batch's transaction, before it commits.
    pub fn flush(&mut self, c: &Connection) -> Result<()> {
        for (key, d) in self.0.drain() {
            if !d.is_zero() {
                write_cell(c, &key, &d)?;
            }
        }
        Ok(())
    }
}

/// Every span a write moves.
pub(crate) const ALL_SPANS: [Span; 4] = [Span::Day, Span::Week, Span::Month, Span::All];

/// Moves one cell by `d`.
fn write_cell(c: &Connection, key: &CellKey, d: &CellDelta) -> Result<()> {
    let t = &d.tally;
    let business = key.scope.business.to_string();
    let key = params![
        business,
        key.scope.product,
        key.scope.relationship.as_str(),
        key.span.code(),
        key.start,
        key.scope.verified
    ];
    c.prepare_cached(
        "INSERT INTO stat_cells (business_id, product, relationship, span, start, verified,
             reviews, stars_1, stars_2, stars_3, stars_4, stars_5, promoters, passives,
             detractors, replied, replied_low, invitations_sent, invitations_answered,
             score_w, score_wr, score_wrr, score_ww)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
             ?17, ?18, ?19, ?20, ?21, ?22, ?23)
         ON CONFLICT DO UPDATE SET
             reviews = reviews + excluded.reviews,
             stars_1 = stars_1 + excluded.stars_1,
             stars_2 = stars_2 + excluded.stars_2,
             stars_3 = stars_3 + excluded.stars_3,
             stars_4 = stars_4 + excluded.stars_4,
             stars_5 = stars_5 + excluded.stars_5,
             promoters = promoters + excluded.promoters,
             passives = passives + excluded.passives,
             detractors = detractors + excluded.detractors,
             replied = replied + excluded.replied,
             replied_low = replied_low + excluded.replied_low,
             invitations_sent = invitations_sent + excluded.invitations_sent,
             invitations_answered = invitations_answered + excluded.invitations_answered,
             score_w = score_w + excluded.score_w,
             score_wr = score_wr + excluded.score_wr,
             score_wrr = score_wrr + excluded.score_wrr,
             score_ww = score_ww + excluded.score_ww",
    )?
    .execute(params![
        key[0],
        key[1],
        key[2],
        key[3],
        key[4],
        key[5],
        t.reviews,
        t.stars[0],
        t.stars[1],
        t.stars[2],
        t.stars[3],
        t.stars[4],
        t.promoters,
        t.passives,
        t.detractors,
        t.replied,
        d.replied_low,
        d.invitations_sent,
        d.invitations_answered,
        t.score.w,
        t.score.wr,
        t.score.wrr,
        t.score.ww,
    ])?;
    for delay in &d.delays {
        c.prepare_cached(
            "INSERT INTO stat_delays (business_id, product, relationship, span, start,
                 verified, low, bucket, count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT DO UPDATE SET count = count + excluded.count",
        )?
        .execute(params![
            key[0],
            key[1],
            key[2],
            key[3],
            key[4],
            key[5],
            delay.low,
            delay.bucket,
            delay.by
        ])?;
    }
    Ok(())
}

const CELL_SUMS: &str = "TOTAL(reviews), TOTAL(stars_1), TOTAL(stars_2), TOTAL(stars_3),
        TOTAL(stars_4), TOTAL(stars_5), TOTAL(promoters), TOTAL(passives), TOTAL(detractors),
        TOTAL(replied), TOTAL(replied_low), TOTAL(invitations_sent),
        TOTAL(invitations_answered), TOTAL(score_w), TOTAL(score_wr), TOTAL(score_wrr),
        TOTAL(score_ww), TOTAL(reviews * verified)";

const SCOPE: &str = "WHERE business_id = ?1 AND product = ?2 AND relationship = ?3 AND span = ?4
        AND start BETWEEN ?5 AND ?6 AND verified >= ?7";

fn cell_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Cell> {
    // TOTAL() sums as REAL; the counts stay far below 2^53, where the conversion is exact.
    let n = |i: usize| -> rusqlite::Result<u64> { Ok(r.get::<_, f64>(i)?.max(0.0) as u64) };
    Ok(Cell {
        tally: Tally {
            reviews: n(0)?,
            stars: [n(1)?, n(2)?, n(3)?, n(4)?, n(5)?],
            promoters: n(6)?,
            passives: n(7)?,
            detractors: n(8)?,
            replied: n(9)?,
            score: ScoreSums {
                w: r.get(13)?,
                wr: r.get(14)?,
                wrr: r.get(15)?,
                ww: r.get(16)?,
            },
        },
        replied_low: n(10)?,
        invitations_sent: n(11)?,
        invitations_answered: n(12)?,
        verified_reviews: n(17)?,
    })
}

/// The all-time tallies of a business for one relationship: the summary's.
pub(super) fn all_time(
    c: &Connection,
    business: BusinessId,
    relationship: Relationship,
) -> Result<Tally> {
    let cell = c
        .prepare_cached(&format!(
            "SELECT {CELL_SUMS} FROM stat_cells
             WHERE business_id = ?1 AND product = '' AND relationship = ?2 AND span = 3"
        ))?
        .query_row(
            params![business.to_string(), relationship.as_str()],
            cell_of,
        )?;
    Ok(cell.tally)
}

/// The figures of one period and filter, from at most a few dozen cells.
pub(super) fn figures_of(
    c: &Connection,
    business: BusinessId,
    filter: &StatsFilter,
    now: DateTime<Utc>,
) -> Result<Figures> {
    let today = domain::stats::day_of(now);
    let (business, product) = (
        business.to_string(),
        filter.product.as_deref().unwrap_or(""),
    );
    let tx = c.unchecked_transaction()?;
    let mut cell = Cell::default();
    let (mut all, mut low) = (Delays::default(), Delays::default());
    for (span, from, to) in filter.period.ranges(today) {
        let key = params![
            business,
            product,
            filter.relationship.as_str(),
            span.code(),
            from,
            to,
            filter.verified_only
        ];
        let part = tx
            .prepare_cached(&format!("SELECT {CELL_SUMS} FROM stat_cells {SCOPE}"))?
            .query_row(key, cell_of)?;
        cell.add(&part);
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT low, bucket, SUM(count) FROM stat_delays {SCOPE} GROUP BY low, bucket"
        ))?;
        let mut rows = stmt.query(key)?;
        while let Some(r) = rows.next()? {
            let count = u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0);
            let bucket = r.get(1)?;
            all.add(bucket, count);
            if r.get(0)? {
                low.add(bucket, count);
            }
        }
    }
    tx.finish()?;
    Ok(figures(&cell, &all, &low, now))
}

/// The latest weeks or months, oldest first, empty ones included.
pub(super) fn trend(
    c: &Connection,
    business: BusinessId,
    filter: &StatsFilter,
    grain: TrendGrain,
    points: usize,
    now: DateTime<Utc>,
) -> Result<Vec<TrendPoint>> {
    let today = domain::stats::day_of(now);
    // Bucket starts, oldest first, and which cells they are made of.
    let starts: Vec<i64> = match grain {
        TrendGrain::Week => (0..points as i64)
            .rev()
            .map(|k| week_start(today) - 7 * k)
            .collect(),
        TrendGrain::Month => {
            let mut s = vec![domain::stats::month_start(today)];
            while s.len() < points {
                let prev = domain::stats::month_start(s[s.len() - 1] - 1);
                s.push(prev);
            }
            s.reverse();
            s
        }
    };
    let (span, bucket_of): (Span, fn(i64) -> i64) = match grain {
        TrendGrain::Week => (Span::Week, |start| start),
        TrendGrain::Month => (Span::Month, |start| start),
    };
    let first = starts.first().copied().unwrap_or(today);
    let index = |start: i64| starts.binary_search(&bucket_of(start)).ok();
    let (business, product) = (
        business.to_string(),
        filter.product.as_deref().unwrap_or(""),
    );
    let key = params![
        business,
        product,
        filter.relationship.as_str(),
        span.code(),
        first,
        i64::MAX,
        filter.verified_only
    ];
    let mut cells = vec![Cell::default(); starts.len()];
    let mut delays = vec![Delays::default(); starts.len()];
    let tx = c.unchecked_transaction()?;
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {CELL_SUMS}, start FROM stat_cells {SCOPE} GROUP BY start"
    ))?;
    let mut rows = stmt.query(key)?;
    while let Some(r) = rows.next()? {
        if let Some(i) = index(r.get(18)?) {
            cells[i].add(&cell_of(r)?);
        }
    }
    drop(rows);
    drop(stmt);
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT start, bucket, SUM(count) FROM stat_delays {SCOPE} GROUP BY start, bucket"
    ))?;
    let mut rows = stmt.query(key)?;
    while let Some(r) = rows.next()? {
        if let Some(i) = index(r.get(0)?) {
            delays[i].add(r.get(1)?, u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0));
        }
    }
    drop(rows);
    drop(stmt);
    tx.finish()?;
    Ok(starts
        .into_iter()
        .zip(cells.iter().zip(&delays))
        .map(|(start, (cell, delays))| {
            let t = &cell.tally;
            let summary = t.summary(delays.median(), now);
            TrendPoint {
                start: domain::stats::date_of(start),
                reviews: t.reviews,
                rating_average: summary.rating_average,
                replied: t.replied,
                median_reply_seconds: summary.median_reply_seconds,
            }
        })
        .collect())
}

/// The business's products rated by at least one published review of the relationship,
/// with their all-time count and mean, most rated first. A product only invited about is
/// not listed: its name is the business's, and nothing public says anything of it yet.
pub(super) fn products(
    c: &Connection,
    business: BusinessId,
    relationship: Relationship,
) -> Result<Vec<store::ProductSummary>> {
    let mut stmt = c.prepare_cached(
        "SELECT p.sku, p.name, TOTAL(s.reviews),
                TOTAL(s.stars_1 + 2 * s.stars_2 + 3 * s.stars_3 + 4 * s.stars_4 + 5 * s.stars_5)
         FROM products p
         LEFT JOIN stat_cells s ON s.business_id = p.business_id AND s.product = p.sku
             AND s.relationship = ?2 AND s.span = 3
         WHERE p.business_id = ?1
         GROUP BY p.sku
         HAVING TOTAL(s.reviews) > 0
         ORDER BY 3 DESC, p.name",
    )?;
    let rows = stmt.query_map(params![business.to_string(), relationship.as_str()], |r| {
        let reviews: f64 = r.get(2)?;
        let total: f64 = r.get(3)?;
        Ok(store::ProductSummary {
            sku: r.get(0)?,
            name: r.get(1)?,
            reviews: reviews.max(0.0) as u64,
            rating_average: (reviews > 0.0).then(|| (total / reviews * 100.0).round() / 100.0),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
