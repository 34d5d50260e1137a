//! The figures: the time cells every write moves, and every read of them.
//!
//! A write sums its own moves per cell in memory ([`sum_moves`]) and writes every changed
//! cell with one statement per table, in the cells' key order, so that concurrent writes on
//! several servers lock the cells they share in the same order. A read is one statement,
//! which sees one snapshot: the cells and their delay counts describe the same moment.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::ids::BusinessId;
use domain::invitation::Relationship;
use domain::plan::CellMove;
use domain::score::ScoreSums;
use domain::stats::{Cell, CellDelta, Delays, Span, cells_of, figures, week_start};
use domain::summary::{Tally, median_of_middle};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::db::{Db, Result};

/// Which cell: whose figures, which span, from which day. Ordered as the primary key of
/// `stat_cells`, which is the order every write locks its cells in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct CellKey {
    business: uuid::Uuid,
    product: String,
    relationship: &'static str,
    span: i32,
    start: i64,
    verified: bool,
}

/// A span as stored (`integer`).
fn span_code(span: Span) -> i32 {
    match span {
        Span::Day => 1,
        Span::Month => 2,
        Span::All => 3,
        Span::Week => 4,
    }
}

/// The moves of one write, summed per cell (each move touches its day's, week's, month's
/// and all time's), in key order; the cells whose changes cancel out are left out.
fn sum_moves(moves: &[CellMove]) -> BTreeMap<CellKey, CellDelta> {
    let mut cells: BTreeMap<CellKey, CellDelta> = BTreeMap::new();
    for m in moves.iter().filter(|m| !m.delta.is_zero()) {
        for (span, start) in cells_of(m.day) {
            let key = CellKey {
                business: m.scope.business.0,
                product: m.scope.product.clone(),
                relationship: m.scope.relationship.as_str(),
                span: span_code(span),
                start,
                verified: m.scope.verified,
            };
            cells.entry(key).or_default().add(&m.delta);
        }
    }
    cells.retain(|_, d| !d.is_zero());
    cells
}

/// The columns of the rows one write upserts into `stat_cells`, in key order.
#[derive(Debug, Default, PartialEq)]
struct CellRows {
    business: Vec<uuid::Uuid>,
    product: Vec<String>,
    relationship: Vec<&'static str>,
    span: Vec<i32>,
    start: Vec<i64>,
    verified: Vec<bool>,
    /// reviews, stars_1…stars_5, promoters, passives, detractors, replied, replied_low,
    /// invitations_sent, invitations_answered.
    counts: [Vec<i64>; 13],
    /// score_w, score_wr, score_wrr, score_ww.
    scores: [Vec<f64>; 4],
}

/// The columns of the rows one write upserts into `stat_delays`, in key order.
#[derive(Debug, Default, PartialEq)]
struct DelayRows {
    business: Vec<uuid::Uuid>,
    product: Vec<String>,
    relationship: Vec<&'static str>,
    span: Vec<i32>,
    start: Vec<i64>,
    verified: Vec<bool>,
    low: Vec<bool>,
    bucket: Vec<i64>,
    by: Vec<i64>,
}

/// The rows of the summed cells, as the arrays the upserts unnest.
fn rows_of(cells: &BTreeMap<CellKey, CellDelta>) -> (CellRows, DelayRows) {
    let (mut c, mut d) = (CellRows::default(), DelayRows::default());
    for (key, delta) in cells {
        let t = &delta.tally;
        c.business.push(key.business);
        c.product.push(key.product.clone());
        c.relationship.push(key.relationship);
        c.span.push(key.span);
        c.start.push(key.start);
        c.verified.push(key.verified);
        let counts = [
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
            delta.replied_low,
            delta.invitations_sent,
            delta.invitations_answered,
        ];
        for (column, v) in c.counts.iter_mut().zip(counts) {
            column.push(v);
        }
        let scores = [t.score.w, t.score.wr, t.score.wrr, t.score.ww];
        for (column, v) in c.scores.iter_mut().zip(scores) {
            column.push(v);
        }
        let mut delays: Vec<_> = delta.delays.iter().filter(|x| x.by != 0).collect();
        delays.sort_by_key(|x| (x.low, x.bucket));
        for x in delays {
            d.business.push(key.business);
            d.product.push(key.product.clone());
            d.relationship.push(key.relationship);
            d.span.push(key.span);
            d.start.push(key.start);
            d.verified.push(key.verified);
            d.low.push(x.low);
            d.bucket.push(x.bucket);
            d.by.push(x.by);
        }
    }
    (c, d)
}

const UPSERT_CELLS: &str = "INSERT INTO stat_cells (business_id, product, relationship, span,
         start, verified, reviews, stars_1, stars_2, stars_3, stars_4, stars_5, promoters,
         passives, detractors, replied, replied_low, invitations_sent, invitations_answered,
         score_w, score_wr, score_wrr, score_ww)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::integer[], $5::bigint[],
         $6::boolean[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[],
         $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[],
         $17::bigint[], $18::bigint[], $19::bigint[], $20::double precision[],
         $21::double precision[], $22::double precision[], $23::double precision[])
     ON CONFLICT (business_id, product, relationship, span, start, verified) DO UPDATE SET
         reviews = stat_cells.reviews + excluded.reviews,
         stars_1 = stat_cells.stars_1 + excluded.stars_1,
         stars_2 = stat_cells.stars_2 + excluded.stars_2,
         stars_3 = stat_cells.stars_3 + excluded.stars_3,
         stars_4 = stat_cells.stars_4 + excluded.stars_4,
         stars_5 = stat_cells.stars_5 + excluded.stars_5,
         promoters = stat_cells.promoters + excluded.promoters,
         passives = stat_cells.passives + excluded.passives,
         detractors = stat_cells.detractors + excluded.detractors,
         replied = stat_cells.replied + excluded.replied,
         replied_low = stat_cells.replied_low + excluded.replied_low,
         invitations_sent = stat_cells.invitations_sent + excluded.invitations_sent,
         invitations_answered = stat_cells.invitations_answered + excluded.invitations_answered,
         score_w = stat_cells.score_w + excluded.score_w,
         score_wr = stat_cells.score_wr + excluded.score_wr,
         score_wrr = stat_cells.score_wrr + excluded.score_wrr,
         score_ww = stat_cells.score_ww + excluded.score_ww";

const UPSERT_DELAYS: &str = "INSERT INTO stat_delays (business_id, product, relationship, span,
         start, verified, low, bucket, count)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::integer[], $5::bigint[],
         $6::boolean[], $7::boolean[], $8::bigint[], $9::bigint[])
     ON CONFLICT (business_id, product, relationship, span, start, verified, low, bucket)
     DO UPDATE SET count = stat_delays.count + excluded.count";

/// Moves the cells of `moves` (day, week, month and all time of each), in the caller's
/// transaction.
pub(crate) async fn apply(db: &dyn Db, moves: &[CellMove]) -> Result<()> {
    let cells = sum_moves(moves);
    if cells.is_empty() {
        return Ok(());
    }
    let (c, d) = rows_of(&cells);
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![
        &c.business,
        &c.product,
        &c.relationship,
        &c.span,
        &c.start,
        &c.verified,
    ];
    params.extend(c.counts.iter().map(|v| v as &(dyn ToSql + Sync)));
    params.extend(c.scores.iter().map(|v| v as &(dyn ToSql + Sync)));
    db.execute(UPSERT_CELLS, &params).await?;
    if !d.by.is_empty() {
        db.execute(
            UPSERT_DELAYS,
            &[
                &d.business,
                &d.product,
                &d.relationship,
                &d.span,
                &d.start,
                &d.verified,
                &d.low,
                &d.bucket,
                &d.by,
            ],
        )
        .await?;
    }
    Ok(())
}

/// The sums of the `stat_cells` rows `s` of a query, named, in [`cell_at`]'s order.
const CELL_SUMS: &str = "COALESCE(SUM(s.reviews), 0)::bigint AS reviews,
        COALESCE(SUM(s.stars_1), 0)::bigint AS stars_1,
        COALESCE(SUM(s.stars_2), 0)::bigint AS stars_2,
        COALESCE(SUM(s.stars_3), 0)::bigint AS stars_3,
        COALESCE(SUM(s.stars_4), 0)::bigint AS stars_4,
        COALESCE(SUM(s.stars_5), 0)::bigint AS stars_5,
        COALESCE(SUM(s.promoters), 0)::bigint AS promoters,
        COALESCE(SUM(s.passives), 0)::bigint AS passives,
        COALESCE(SUM(s.detractors), 0)::bigint AS detractors,
        COALESCE(SUM(s.replied), 0)::bigint AS replied,
        COALESCE(SUM(s.replied_low), 0)::bigint AS replied_low,
        COALESCE(SUM(s.invitations_sent), 0)::bigint AS invitations_sent,
        COALESCE(SUM(s.invitations_answered), 0)::bigint AS invitations_answered,
        COALESCE(SUM(s.score_w), 0)::double precision AS score_w,
        COALESCE(SUM(s.score_wr), 0)::double precision AS score_wr,
        COALESCE(SUM(s.score_wrr), 0)::double precision AS score_wrr,
        COALESCE(SUM(s.score_ww), 0)::double precision AS score_ww,
        COALESCE(SUM(s.reviews) FILTER (WHERE s.verified), 0)::bigint AS verified_reviews";

/// How many columns [`CELL_SUMS`] has.
const CELL_COLUMNS: usize = 18;

/// The cell whose [`CELL_SUMS`] start at column `at` of `r` (all `NULL`: an empty cell).
fn cell_at(r: &Row, at: usize) -> Result<Cell> {
    let n = |i: usize| -> Result<u64> {
        let v: Option<i64> = r.try_get(at + i)?;
        Ok(v.map_or(0, |v| u64::try_from(v).unwrap_or(0)))
    };
    let f = |i: usize| -> Result<f64> { Ok(r.try_get::<_, Option<f64>>(at + i)?.unwrap_or(0.0)) };
    Ok(Cell {
        tally: Tally {
            reviews: n(0)?,
            stars: [n(1)?, n(2)?, n(3)?, n(4)?, n(5)?],
            promoters: n(6)?,
            passives: n(7)?,
            detractors: n(8)?,
            replied: n(9)?,
            score: ScoreSums {
                w: f(13)?,
                wr: f(14)?,
                wrr: f(15)?,
                ww: f(16)?,
            },
        },
        replied_low: n(10)?,
        invitations_sent: n(11)?,
        invitations_answered: n(12)?,
        verified_reviews: n(17)?,
    })
}

/// A stored count, never below zero.
fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

pub(crate) async fn summary(
    client: &mut deadpool_postgres::Client,
    business: BusinessId,
    relationship: Relationship,
) -> Result<domain::summary::Summary> {
    // One read-only snapshot, so the tallies and the median describe the same moment.
    let now = Utc::now();
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    // The all-time cells of the whole business, verified or not: the figures' own sums.
    let row = tx
        .query_one(
            &format!(
                "SELECT {CELL_SUMS} FROM stat_cells s
                 WHERE s.business_id = $1 AND s.product = '' AND s.relationship = $2
                     AND s.span = 3"
            ),
            &[&business.0, &relationship.as_str()],
        )
        .await?;
    let tally = cell_at(&row, 0)?.tally;
    let middle: Vec<i64> = if tally.replied == 0 {
        Vec::new()
    } else {
        let n = tally.replied;
        let limit: i64 = if n % 2 == 1 { 1 } else { 2 };
        let offset = i64::try_from((n - 1) / 2).unwrap_or(i64::MAX);
        tx.query(
            "SELECT seconds FROM reply_delays WHERE business_id = $1 AND relationship = $2
             ORDER BY seconds LIMIT $3 OFFSET $4",
            &[&business.0, &relationship.as_str(), &limit, &offset],
        )
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?
    };
    tx.commit().await?;
    Ok(tally.summary(median_of_middle(&middle), now))
}

pub(crate) async fn figures_of(
    db: &dyn Db,
    business: BusinessId,
    filter: &store::StatsFilter,
    now: DateTime<Utc>,
) -> Result<domain::stats::Figures> {
    let today = domain::stats::day_of(now);
    let product = filter.product.as_deref().unwrap_or("");
    let ranges = filter.period.ranges(today);
    let spans: Vec<i32> = ranges.iter().map(|r| span_code(r.0)).collect();
    let (from, to): (Vec<i64>, Vec<i64>) = ranges.iter().map(|r| (r.1, r.2)).unzip();
    // Every range at once, cells and delay counts in one statement (one snapshot).
    let sql = format!(
        "WITH r (span, lo, hi) AS (
             SELECT * FROM unnest($4::integer[], $5::bigint[], $6::bigint[])
         ),
         c AS (
             SELECT {CELL_SUMS} FROM stat_cells s
             JOIN r ON s.span = r.span AND s.start BETWEEN r.lo AND r.hi
             WHERE s.business_id = $1 AND s.product = $2 AND s.relationship = $3
                 AND s.verified >= $7::boolean
         ),
         d AS (
             SELECT s.low, s.bucket, SUM(s.count)::bigint AS n FROM stat_delays s
             JOIN r ON s.span = r.span AND s.start BETWEEN r.lo AND r.hi
             WHERE s.business_id = $1 AND s.product = $2 AND s.relationship = $3
                 AND s.verified >= $7::boolean
             GROUP BY s.low, s.bucket
         )
         SELECT c.*, g.lows, g.buckets, g.counts FROM c, (
             SELECT array_agg(low ORDER BY low, bucket) AS lows,
                 array_agg(bucket ORDER BY low, bucket) AS buckets,
                 array_agg(n ORDER BY low, bucket) AS counts
             FROM d
         ) g"
    );
    let row = db
        .query_one(
            &sql,
            &[
                &business.0,
                &product,
                &filter.relationship.as_str(),
                &spans,
                &from,
                &to,
                &filter.verified_only,
            ],
        )
        .await?;
    let cell = cell_at(&row, 0)?;
    let lows: Vec<bool> = row
        .try_get::<_, Option<_>>(CELL_COLUMNS)?
        .unwrap_or_default();
    let buckets: Vec<i64> = row
        .try_get::<_, Option<_>>(CELL_COLUMNS + 1)?
        .unwrap_or_default();
    let counts: Vec<i64> = row
        .try_get::<_, Option<_>>(CELL_COLUMNS + 2)?
        .unwrap_or_default();
    let (mut all, mut low) = (Delays::default(), Delays::default());
    for ((is_low, bucket), n) in lows.into_iter().zip(buckets).zip(counts) {
        all.add(bucket, count(n));
        if is_low {
            low.add(bucket, count(n));
        }
    }
    Ok(figures(&cell, &all, &low, now))
}

pub(crate) async fn products(
    db: &dyn Db,
    business: BusinessId,
    relationship: Relationship,
) -> Result<Vec<store::ProductSummary>> {
    // Names in byte order, as SQLite sorts them, whatever the database's collation.
    let rows = db
        .query(
            "SELECT p.sku, p.name, COALESCE(SUM(s.reviews), 0)::bigint,
                 COALESCE(SUM(s.stars_1 + 2 * s.stars_2 + 3 * s.stars_3 + 4 * s.stars_4
                     + 5 * s.stars_5), 0)::bigint
             FROM products p
             LEFT JOIN stat_cells s ON s.business_id = p.business_id AND s.product = p.sku
                 AND s.relationship = $2 AND s.span = 3
             WHERE p.business_id = $1
             GROUP BY p.sku, p.name
             HAVING COALESCE(SUM(s.reviews), 0) > 0
             ORDER BY 3 DESC, p.name COLLATE \"C\"",
            &[&business.0, &relationship.as_str()],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let reviews = count(r.try_get(2)?);
            let total = r.try_get::<_, i64>(3)? as f64;
            Ok(store::ProductSummary {
                sku: r.try_get(0)?,
                name: r.try_get(1)?,
                reviews,
                rating_average: (reviews > 0)
                    .then(|| (total / reviews as f64 * 100.0).round() / 100.0),
            })
        })
        .collect()
}

pub(crate) async fn product(
    db: &dyn Db,
    business: BusinessId,
    sku: &str,
) -> Result<Option<store::ProductRecord>> {
    let row = db
        .query_opt(
            "SELECT sku, name, url, image, gtin FROM products
             WHERE business_id = $1 AND sku = $2",
            &[&business.0, &sku],
        )
        .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    Ok(Some(store::ProductRecord {
        sku: r.try_get(0)?,
        name: r.try_get(1)?,
        url: r.try_get(2)?,
        image: r.try_get(3)?,
        gtin: r.try_get(4)?,
    }))
}

/// The first days of a trend's `points` weeks or months up to `today`'s, oldest first.
fn trend_starts(grain: store::TrendGrain, points: usize, today: i64) -> Vec<i64> {
    match grain {
        store::TrendGrain::Week => (0..points as i64)
            .rev()
            .map(|k| week_start(today) - 7 * k)
            .collect(),
        store::TrendGrain::Month => {
            let mut s = Vec::with_capacity(points);
            if points > 0 {
                s.push(domain::stats::month_start(today));
            }
            while s.len() < points {
                let prev = domain::stats::month_start(s[s.len() - 1] - 1);
                s.push(prev);
            }
            s.reverse();
            s
        }
    }
}

pub(crate) async fn trend(
    db: &dyn Db,
    business: BusinessId,
    filter: &store::StatsFilter,
    grain: store::TrendGrain,
    points: usize,
    now: DateTime<Utc>,
) -> Result<Vec<store::TrendPoint>> {
    let today = domain::stats::day_of(now);
    let starts = trend_starts(grain, points, today);
    let Some(&first) = starts.first() else {
        return Ok(Vec::new());
    };
    let span = match grain {
        store::TrendGrain::Week => Span::Week,
        store::TrendGrain::Month => Span::Month,
    };
    let product = filter.product.as_deref().unwrap_or("");
    // The cells and the delay counts of every bucket in one statement (one snapshot).
    let sql = format!(
        "WITH c AS (
             SELECT s.start, {CELL_SUMS} FROM stat_cells s
             WHERE s.business_id = $1 AND s.product = $2 AND s.relationship = $3
                 AND s.span = $4 AND s.start >= $5 AND s.verified >= $6::boolean
             GROUP BY s.start
         ),
         d AS (
             SELECT start, array_agg(bucket ORDER BY bucket) AS buckets,
                 array_agg(n ORDER BY bucket) AS counts
             FROM (
                 SELECT s.start, s.bucket, SUM(s.count)::bigint AS n FROM stat_delays s
                 WHERE s.business_id = $1 AND s.product = $2 AND s.relationship = $3
                     AND s.span = $4 AND s.start >= $5 AND s.verified >= $6::boolean
                 GROUP BY s.start, s.bucket
             ) g
             GROUP BY start
         )
         SELECT COALESCE(c.start, d.start), c.*, d.buckets, d.counts
         FROM c FULL JOIN d ON d.start = c.start"
    );
    let rows = db
        .query(
            &sql,
            &[
                &business.0,
                &product,
                &filter.relationship.as_str(),
                &span_code(span),
                &first,
                &filter.verified_only,
            ],
        )
        .await?;
    let mut cells = vec![Cell::default(); starts.len()];
    let mut delays = vec![Delays::default(); starts.len()];
    for r in &rows {
        let Ok(i) = starts.binary_search(&r.try_get::<_, i64>(0)?) else {
            continue;
        };
        // Column 1 is c.start; the sums follow it.
        cells[i].add(&cell_at(r, 2)?);
        let buckets: Vec<i64> = r
            .try_get::<_, Option<_>>(CELL_COLUMNS + 2)?
            .unwrap_or_default();
        let counts: Vec<i64> = r
            .try_get::<_, Option<_>>(CELL_COLUMNS + 3)?
            .unwrap_or_default();
        for (bucket, n) in buckets.into_iter().zip(counts) {
            delays[i].add(bucket, count(n));
        }
    }
    Ok(starts
        .into_iter()
        .zip(cells.iter().zip(&delays))
        .map(|(start, (cell, delays))| {
            let t = &cell.tally;
            let summary = t.summary(delays.median(), now);
            store::TrendPoint {
                start: domain::stats::date_of(start),
                reviews: t.reviews,
                rating_average: summary.rating_average,
                replied: t.replied,
                median_reply_seconds: summary.median_reply_seconds,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests;
