//! The published score: a Bayesian average of the star ratings with recency weighting, and an
//! approximate 95% interval. `docs/scoring.md` states the same formula for anyone to
//! recompute it from `ratings.csv`; the two must change together.
//!
//! The sums are kept as reviews arrive (see [`ScoreSums`]): a review's weight halves every
//! [`HALF_LIFE_DAYS`], which is the same as giving it a fixed weight `2^(t/H)` (t its age
//! from a fixed epoch) and dividing every sum by `2^(now/H)` when the score is read. So the
//! stored sums never need updating as time passes, and a read does not scan the reviews.

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;

use crate::review::Rating;

/// A review's weight halves every year: last year's opinion counts half of today's.
pub const HALF_LIFE_DAYS: f64 = 365.0;
/// The prior: as if every business started with this many reviews…
pub const PRIOR_WEIGHT: f64 = 10.0;
/// …of this mean…
pub const PRIOR_MEAN: f64 = 3.5;
/// …and this standard deviation (stars).
pub const PRIOR_SD: f64 = 1.2;
/// The normal quantile of a two-sided 95% interval, as `docs/scoring.md` rounds it.
const Z95: f64 = 1.96;

/// The instant weights are measured from: 2020-01-01T00:00:00Z.
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Days (fractional) from [`epoch`] to `t`.
pub fn epoch_days(t: DateTime<Utc>) -> f64 {
    // Milliseconds stay below 2^53 for a few hundred thousand years: exact in f64.
    (t - epoch()).num_milliseconds() as f64 / 86_400_000.0
}

/// The weighted sums of a set of reviews, each review weighted `w = 2^(epoch_days/H)`:
/// `w`, `w·r`, `w·r²` and `w²`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ScoreSums {
    pub w: f64,
    pub wr: f64,
    pub wrr: f64,
    pub ww: f64,
}

impl ScoreSums {
    /// What one review of `rating`, written at `at`, adds.
    pub fn of(rating: Rating, at: DateTime<Utc>) -> Self {
        let w = (epoch_days(at) / HALF_LIFE_DAYS).exp2();
        let r = f64::from(rating.get());
        Self {
            w,
            wr: w * r,
            wrr: w * r * r,
            ww: w * w,
        }
    }

    pub fn plus(self, o: Self) -> Self {
        Self {
            w: self.w + o.w,
            wr: self.wr + o.wr,
            wrr: self.wrr + o.wrr,
            ww: self.ww + o.ww,
        }
    }

    pub fn minus(self, o: Self) -> Self {
        self.plus(o.negated())
    }

    pub fn negated(self) -> Self {
        Self {
            w: -self.w,
            wr: -self.wr,
            wrr: -self.wrr,
            ww: -self.ww,
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }

    /// The score at `now` of the reviews these sums hold; `None` without reviews.
    pub fn score(&self, reviews: u64, now: DateTime<Utc>) -> Option<Score> {
        if reviews == 0 {
            return None;
        }
        // Today's weights: each stored weight divided by 2^(now/H).
        let scale = (-epoch_days(now) / HALF_LIFE_DAYS).exp2();
        let (w, wr, wrr, ww) = (
            self.w * scale,
            self.wr * scale,
            self.wrr * scale,
            self.ww * scale * scale,
        );
        Some(Score::from_weighted(w, wr, wrr, ww, now))
    }
}

/// The score and its interval, in stars.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Score {
    /// The Bayesian, recency-weighted average, three decimals.
    pub value: f64,
    /// An approximate 95% interval around it, within 1–5.
    pub low: f64,
    pub high: f64,
    /// The moment the weights were taken at: with `ratings.csv`, all it takes to recompute.
    pub as_of: DateTime<Utc>,
}

impl Score {
    /// From today's weighted sums: `W = Σw`, `WR = Σw·r`, `WRR = Σw·r²`, `WW = Σw²`.
    pub fn from_weighted(w: f64, wr: f64, wrr: f64, ww: f64, as_of: DateTime<Utc>) -> Self {
        let (c, m) = (PRIOR_WEIGHT, PRIOR_MEAN);
        let value = (c * m + wr) / (c + w);
        // Weighted squared deviations from the score, the prior's pseudo-reviews included.
        let spread = (wrr - 2.0 * value * wr + value * value * w).max(0.0)
            + c * (PRIOR_SD * PRIOR_SD + (m - value) * (m - value));
        let variance = spread / (c + w);
        // Kish's effective sample size; the prior's pseudo-reviews weigh 1 each.
        let effective = (c + w) * (c + w) / (c + ww);
        let half = Z95 * (variance / effective).sqrt();
        Self {
            value: round3(value),
            low: round3((value - half).max(1.0)),
            high: round3((value + half).min(5.0)),
            as_of,
        }
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The parameters, as published next to every score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Parameters {
    pub prior_weight: f64,
    pub prior_mean: f64,
    pub prior_sd: f64,
    pub half_life_days: f64,
}

pub const PARAMETERS: Parameters = Parameters {
    prior_weight: PRIOR_WEIGHT,
    prior_mean: PRIOR_MEAN,
    prior_sd: PRIOR_SD,
    half_life_days: HALF_LIFE_DAYS,
};

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;

    fn r(v: i64) -> Rating {
        Rating::new(v).unwrap()
    }

    fn sums(reviews: &[(i64, DateTime<Utc>)]) -> ScoreSums {
        reviews.iter().fold(ScoreSums::default(), |s, (v, at)| {
            s.plus(ScoreSums::of(r(*v), *at))
        })
    }

    #[test]
    fn three_fives_do_not_beat_a_thousand_four_point_sixes() {
        let now = Utc::now();
        let few = sums(&[(5, now), (5, now), (5, now)]).score(3, now).unwrap();
        // 1000 reviews averaging 4.6: 600 fives and 400 fours.
        let many: Vec<_> = (0..1000)
            .map(|i| (if i < 600 { 5 } else { 4 }, now))
            .collect();
        let many = sums(&many).score(1000, now).unwrap();
        assert!(many.value > few.value, "{many:?} vs {few:?}");
        assert!((many.value - 4.59).abs() < 0.01, "{many:?}");
        // Few reviews: a wide interval; many: a narrow one.
        assert!(few.high - few.low > 5.0 * (many.high - many.low));
    }

    #[test]
    fn a_review_a_year_old_weighs_half() {
        let now = Utc::now();
        let old = now - Duration::days(365);
        let s = sums(&[(1, old), (5, now)]);
        let scale = (-epoch_days(now) / HALF_LIFE_DAYS).exp2();
        assert!((s.w * scale - 1.5).abs() < 1e-9);
        // (10·3.5 + 0.5·1 + 1·5) / 11.5
        let expected = (35.0 + 0.5 + 5.0) / 11.5;
        assert!((s.score(2, now).unwrap().value - expected).abs() < 5e-4);
    }

    #[test]
    fn no_reviews_no_score() {
        assert_eq!(ScoreSums::default().score(0, Utc::now()), None);
    }

    proptest! {
        /// Sums kept by adding and removing reviews give the score of what remains, and the
        /// interval always holds the score within 1–5.
        #[test]
        fn incremental_sums_match_a_recomputation(
            reviews in proptest::collection::vec((1i64..=5, 0i64..3000, any::<bool>()), 1..60)
        ) {
            let now = epoch() + Duration::days(3000);
            let at = |d: i64| epoch() + Duration::days(d);
            let mut kept = ScoreSums::default();
            let mut left = Vec::new();
            for (v, d, removed) in &reviews {
                kept = kept.plus(ScoreSums::of(r(*v), at(*d)));
                if *removed {
                    kept = kept.minus(ScoreSums::of(r(*v), at(*d)));
                } else {
                    left.push((*v, at(*d)));
                }
            }
            let got = kept.score(left.len() as u64, now);
            let want = sums(&left).score(left.len() as u64, now);
            match (got, want) {
                (Some(g), Some(w)) => {
                    prop_assert!((g.value - w.value).abs() <= 0.001, "{g:?} {w:?}");
                    prop_assert!(g.low <= g.value && g.value <= g.high);
                    prop_assert!(g.low >= 1.0 && g.high <= 5.0);
                }
                (None, None) => {}
                other => prop_assert!(false, "{other:?}"),
            }
        }
    }
}
