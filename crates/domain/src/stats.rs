//! A business's figures for any period, relationship, product and verified-or-not, kept as
//! running sums in time *cells* so that a read adds a few dozen rows and never scans reviews.
//!
//! A cell holds the sums of the reviews published (and the invitations sent) in one UTC day,
//! one ISO week, one calendar month, or all time, for one business or product, relationship
//! and verified flag. Every event moves the four cells of its day by the same [`CellDelta`]. A period of
//! the last N days is then read as the day cells of its first, partial month and the month
//! cells after it (see [`Period::ranges`]): at most 31 + 12 rows, or one row for all time.
//!
//! Reply delays are counted per [`delay_bucket`], a delay truncated to two significant
//! digits, so that the median of any period is read from at most a few hundred counts.
//! `docs/scoring.md` states every figure's definition; the recomputation test in
//! `passaparola/tests/api/stats.rs` checks them against raw rows.

use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

use crate::review::{Nps, Rating};
use crate::summary::{Summary, Tally, TallyDelta};

/// The periods the figures are published for, counted in whole UTC days ending today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Days(u16),
    All,
}

impl Period {
    pub const CHOICES: [Period; 5] = [
        Period::Days(7),
        Period::Days(30),
        Period::Days(90),
        Period::Days(365),
        Period::All,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Days(7) => "7",
            Period::Days(30) => "30",
            Period::Days(90) => "90",
            Period::Days(365) => "365",
            Period::Days(_) | Period::All => "all",
        }
    }

    /// The first day the period holds, if it does not reach back to the beginning.
    pub fn first_day(self, today: i64) -> Option<i64> {
        match self {
            Period::Days(n) => Some(today - i64::from(n) + 1),
            Period::All => None,
        }
    }

    /// The cells whose sum is the period: `(span, first start, last start)`, inclusive. Days
    /// from the period's first day to the end of its month, then whole months; nothing is
    /// published in the future, so the current month's cell holds only days up to today.
    pub fn ranges(self, today: i64) -> Vec<(Span, i64, i64)> {
        let Some(first) = self.first_day(today) else {
            return vec![(Span::All, 0, 0)];
        };
        let first_month = month_start(first);
        if first == first_month {
            return vec![(Span::Month, first_month, i64::MAX)];
        }
        let next_month = next_month_start(first);
        vec![
            (Span::Day, first, next_month - 1),
            (Span::Month, next_month, i64::MAX),
        ]
    }
}

impl FromStr for Period {
    type Err = crate::error::Invalid;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::CHOICES
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                crate::error::Invalid::new("invalid_choice", "must be one of 7, 30, 90, 365, all")
            })
    }
}

/// How long a cell lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Span {
    Day = 1,
    Month = 2,
    All = 3,
    /// An ISO week, from Monday: what the weekly trend reads.
    Week = 4,
}

impl Span {
    pub fn code(self) -> i64 {
        self as i64
    }
}

/// Days since 1970-01-01 of the UTC day holding `at`.
pub fn day_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(86_400)
}

/// The date of a day number.
pub fn date_of(day: i64) -> NaiveDate {
    DateTime::from_timestamp(day.saturating_mul(86_400), 0)
        .unwrap_or_default()
        .date_naive()
}

fn day_number(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp().div_euclid(86_400))
}

/// The first day of the month holding `day`.
pub fn month_start(day: i64) -> i64 {
    day_number(date_of(day).with_day(1).unwrap_or_default())
}

/// The first day of the month after the one holding `day`.
pub fn next_month_start(day: i64) -> i64 {
    let d = date_of(day);
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).map_or(day + 31, day_number)
}

/// The Monday starting the ISO week holding `day` (1970-01-01 was a Thursday).
pub fn week_start(day: i64) -> i64 {
    day - (day + 3).rem_euclid(7)
}

/// The cells an event of the day `day` moves: its day's, month's, all time's and week's.
pub fn cells_of(day: i64) -> [(Span, i64); 4] {
    [
        (Span::Day, day),
        (Span::Month, month_start(day)),
        (Span::All, 0),
        (Span::Week, week_start(day)),
    ]
}

/// A reply delay as it is counted for medians: truncated to two significant digits
/// (0–99 s exact, 100–999 s to 10 s, 1,000–9,999 s to 100 s, …), at most 10% short.
pub fn delay_bucket(seconds: i64) -> i64 {
    let mut s = seconds.max(0);
    let mut scale = 1;
    while s >= 100 {
        s /= 10;
        scale *= 10;
    }
    s * scale
}

/// Whether a rating counts among the low ones (1–2 stars), whose replies are measured apart.
pub fn is_low(rating: Rating) -> bool {
    rating.get() <= 2
}

/// A change of one reply delay count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelayCount {
    pub bucket: i64,
    pub low: bool,
    pub by: i64,
}

/// A change to a cell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellDelta {
    pub tally: TallyDelta,
    /// Replied reviews of 1–2 stars.
    pub replied_low: i64,
    pub invitations_sent: i64,
    /// Invitations of the cell's day that led to a review (counted on the invitation's day).
    pub invitations_answered: i64,
    /// Reply delays, of the cell's reviews, that change.
    pub delays: Vec<DelayCount>,
}

impl CellDelta {
    /// A review is published.
    pub fn published(rating: Rating, nps: Option<Nps>, at: DateTime<Utc>) -> Self {
        Self {
            tally: TallyDelta::published(rating, nps, at),
            ..Self::default()
        }
    }

    /// A published review leaves the figures; `reply_delay` is its first reply's, if any.
    pub fn removed(
        rating: Rating,
        nps: Option<Nps>,
        reply_delay: Option<i64>,
        at: DateTime<Utc>,
    ) -> Self {
        let low = is_low(rating);
        Self {
            tally: TallyDelta::removed(rating, nps, reply_delay.is_some(), at),
            replied_low: -i64::from(reply_delay.is_some() && low),
            delays: reply_delay
                .map(|s| DelayCount {
                    bucket: delay_bucket(s),
                    low,
                    by: -1,
                })
                .into_iter()
                .collect(),
            ..Self::default()
        }
    }

    /// The author changed the rating; a replied review may move in or out of the low ones.
    pub fn rating_changed(
        old: Rating,
        new: Rating,
        reply_delay: Option<i64>,
        at: DateTime<Utc>,
    ) -> Self {
        let mut d = Self {
            tally: TallyDelta::rating_changed(old, new, at),
            ..Self::default()
        };
        if let Some(s) = reply_delay
            && is_low(old) != is_low(new)
        {
            let bucket = delay_bucket(s);
            d.replied_low = if is_low(new) { 1 } else { -1 };
            d.delays = vec![
                DelayCount {
                    bucket,
                    low: is_low(old),
                    by: -1,
                },
                DelayCount {
                    bucket,
                    low: is_low(new),
                    by: 1,
                },
            ];
        }
        d
    }

    /// The business replied for the first time, `seconds` after the review.
    pub fn first_reply(rating: Rating, seconds: i64) -> Self {
        let low = is_low(rating);
        Self {
            tally: TallyDelta::first_reply(),
            replied_low: i64::from(low),
            delays: vec![DelayCount {
                bucket: delay_bucket(seconds),
                low,
                by: 1,
            }],
            ..Self::default()
        }
    }

    /// An invitation was sent (counted on its own day).
    pub fn invited() -> Self {
        Self {
            invitations_sent: 1,
            ..Self::default()
        }
    }

    /// An invitation led to a review (counted on the invitation's day).
    pub fn answered() -> Self {
        Self {
            invitations_answered: 1,
            ..Self::default()
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }

    /// Adds another change to the same cell, so that one write carries both. Delay counts
    /// of the same bucket are merged, and dropped when they cancel out.
    pub fn add(&mut self, o: &CellDelta) {
        self.tally.add(&o.tally);
        self.replied_low += o.replied_low;
        self.invitations_sent += o.invitations_sent;
        self.invitations_answered += o.invitations_answered;
        for d in &o.delays {
            match self
                .delays
                .iter_mut()
                .find(|e| e.bucket == d.bucket && e.low == d.low)
            {
                Some(e) => e.by += d.by,
                None => self.delays.push(*d),
            }
        }
        self.delays.retain(|d| d.by != 0);
    }
}

/// The sums of one or more cells.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cell {
    pub tally: Tally,
    pub replied_low: u64,
    pub invitations_sent: u64,
    pub invitations_answered: u64,
    /// Verified reviews, for reviews per invitation (an unverified review had none).
    pub verified_reviews: u64,
}

impl Cell {
    /// Adds another cell's sums.
    pub fn add(&mut self, o: &Cell) {
        self.tally.add(&o.tally);
        self.replied_low += o.replied_low;
        self.invitations_sent += o.invitations_sent;
        self.invitations_answered += o.invitations_answered;
        self.verified_reviews += o.verified_reviews;
    }
}

/// Reply delay counts by bucket, for a median.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delays(pub std::collections::BTreeMap<i64, u64>);

impl Delays {
    pub fn add(&mut self, bucket: i64, count: u64) {
        if count > 0 {
            *self.0.entry(bucket).or_default() += count;
        }
    }

    /// The median bucket value (the mean of the two middle ones, rounded half up).
    pub fn median(&self) -> Option<i64> {
        let n: u64 = self.0.values().sum();
        if n == 0 {
            return None;
        }
        let nth = |k: u64| {
            let mut seen = 0;
            for (&bucket, &count) in &self.0 {
                seen += count;
                if seen > k {
                    return bucket;
                }
            }
            0
        };
        let middle = if n % 2 == 1 {
            vec![nth(n / 2)]
        } else {
            vec![nth(n / 2 - 1), nth(n / 2)]
        };
        crate::summary::median_of_middle(&middle)
    }
}

/// A business's (or a product's) figures for one period and filter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    #[serde(flatten)]
    pub summary: Summary,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    /// Published reviews of 1–2 stars.
    pub low_count: u64,
    /// Share of 1–2 star reviews with a reply, 0 to 1.
    pub reply_rate_low: Option<f64>,
    /// Median time to first reply of the replied 1–2 star reviews.
    pub median_reply_seconds_low: Option<i64>,
    /// Invitations sent in the period.
    pub invitations_sent: u64,
    /// Of those, how many have led to a review (even one withdrawn since).
    pub invitations_answered: u64,
    /// Verified reviews published in the period per invitation sent in it.
    pub reviews_per_invitation: Option<f64>,
    /// Share of the period's invitations with no review (yet), 0 to 1.
    pub non_response_rate: Option<f64>,
}

/// The figures of summed cells and their delay counts (all, and of 1–2 star reviews).
pub fn figures(cell: &Cell, all: &Delays, low: &Delays, now: DateTime<Utc>) -> Figures {
    let t = &cell.tally;
    let low_count = t.stars[0] + t.stars[1];
    let sent = cell.invitations_sent;
    Figures {
        summary: t.summary(all.median(), now),
        promoters: t.promoters,
        passives: t.passives,
        detractors: t.detractors,
        low_count,
        reply_rate_low: ratio(cell.replied_low, low_count, 4),
        median_reply_seconds_low: low.median(),
        invitations_sent: sent,
        invitations_answered: cell.invitations_answered,
        reviews_per_invitation: ratio(cell.verified_reviews, sent, 4),
        non_response_rate: ratio(sent.saturating_sub(cell.invitations_answered), sent, 4),
    }
}

fn ratio(a: u64, b: u64, decimals: i32) -> Option<f64> {
    crate::summary::ratio(a, b).map(|r| crate::summary::round(r, decimals))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> i64 {
        day_number(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    #[test]
    fn changes_to_one_cell_add_up_and_cancel_out() {
        let at = DateTime::<Utc>::from_timestamp(1_750_000_000, 0).unwrap();
        let (four, two) = (Rating::new(4).unwrap(), Rating::new(2).unwrap());
        let mut d = CellDelta::published(four, None, at);
        d.add(&CellDelta::answered());
        d.add(&CellDelta::first_reply(four, 3_600));
        d.add(&CellDelta::first_reply(two, 3_600));
        assert_eq!(d.tally.reviews, 1);
        assert_eq!(d.tally.stars, [0, 0, 0, 1, 0]);
        assert_eq!((d.tally.replied, d.replied_low), (2, 1));
        assert_eq!(d.invitations_answered, 1);
        // Same bucket, different severity: two counts.
        assert_eq!(d.delays.len(), 2);
        d.add(&CellDelta::removed(four, None, Some(3_600), at));
        assert_eq!(d.tally.reviews, 0);
        assert_eq!(d.tally.stars, [0; 5]);
        assert_eq!(
            d.delays,
            vec![DelayCount {
                bucket: delay_bucket(3_600),
                low: true,
                by: 1
            }],
            "the cancelled count is dropped"
        );
    }

    #[test]
    fn buckets_keep_two_significant_digits() {
        for (s, b) in [
            (-5, 0),
            (0, 0),
            (99, 99),
            (100, 100),
            (109, 100),
            (999, 990),
            (12_435, 12_000),
            (86_399, 86_000),
        ] {
            assert_eq!(delay_bucket(s), b, "{s}");
        }
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2026-11-25 is a Wednesday.
        assert_eq!(week_start(day(2026, 11, 25)), day(2026, 11, 23));
        assert_eq!(week_start(day(2026, 11, 23)), day(2026, 11, 23));
        assert_eq!(week_start(day(1970, 1, 1)), day(1969, 12, 29));
    }

    #[test]
    fn months_roll_over_the_year() {
        assert_eq!(month_start(day(2026, 11, 25)), day(2026, 11, 1));
        assert_eq!(next_month_start(day(2026, 12, 31)), day(2027, 1, 1));
        assert_eq!(next_month_start(day(2024, 2, 10)), day(2024, 3, 1));
    }

    #[test]
    fn periods_parse_and_name_themselves() {
        for p in Period::CHOICES {
            assert_eq!(p.as_str().parse::<Period>().unwrap(), p);
        }
        assert!("31".parse::<Period>().is_err());
        assert!("".parse::<Period>().is_err());
    }

    #[test]
    fn median_of_buckets() {
        let mut d = Delays::default();
        assert_eq!(d.median(), None);
        d.add(60, 1);
        assert_eq!(d.median(), Some(60));
        d.add(3_600, 1);
        assert_eq!(d.median(), Some(1_830));
        d.add(3_600, 1);
        assert_eq!(d.median(), Some(3_600));
    }

    proptest! {
        /// The ranges of a period cover exactly its days: every day from the first on is in
        /// one range, at its day cell or its month's, and no earlier day is.
        #[test]
        fn ranges_cover_the_period_exactly(
            today in 0i64..40_000,
            which in 0usize..4,
            offset in -400i64..400,
        ) {
            let period = Period::CHOICES[which];
            let first = period.first_day(today).unwrap();
            let probe = first + offset;
            let [(_, d), (_, m), _, _] = cells_of(probe);
            let covered = period.ranges(today).iter().any(|&(span, lo, hi)| {
                let start = if span == Span::Day { d } else { m };
                (lo..=hi).contains(&start)
            });
            prop_assert_eq!(covered, probe >= first, "day {} of period from {}", probe, first);
        }

        #[test]
        fn bucket_is_at_most_ten_percent_short(s in 0i64..100_000_000) {
            let b = delay_bucket(s);
            prop_assert!(b <= s);
            prop_assert!((s - b) * 10 <= s);
            prop_assert_eq!(delay_bucket(b), b);
        }
    }
}
