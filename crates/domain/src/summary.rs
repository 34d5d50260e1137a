//! A business's summary for one relationship, kept as running tallies: each event changes the
//! tallies by a delta computed here, so that a read never has to scan the reviews.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::review::{Nps, NpsClass, Rating};
use crate::score::{Score, ScoreSums};

/// A change to the tallies, computed from one lifecycle event.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TallyDelta {
    pub reviews: i64,
    /// Index 0 is one star, index 4 five stars.
    pub stars: [i64; 5],
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
    pub replied: i64,
    /// The score's weighted sums (`crate::score`).
    pub score: ScoreSums,
}

impl TallyDelta {
    /// Adds another change, so that one write carries both.
    pub fn add(&mut self, o: &TallyDelta) {
        self.reviews += o.reviews;
        for (s, x) in self.stars.iter_mut().zip(o.stars) {
            *s += x;
        }
        self.promoters += o.promoters;
        self.passives += o.passives;
        self.detractors += o.detractors;
        self.replied += o.replied;
        self.score = self.score.plus(o.score);
    }

    /// A review written at `at` is published.
    pub fn published(rating: Rating, nps: Option<Nps>, at: DateTime<Utc>) -> Self {
        let mut d = Self {
            reviews: 1,
            score: ScoreSums::of(rating, at),
            ..Self::default()
        };
        d.stars[usize::from(rating.get() - 1)] = 1;
        d.count_nps(nps, 1);
        d
    }

    /// A published review leaves the figures (it was withdrawn).
    pub fn removed(rating: Rating, nps: Option<Nps>, had_reply: bool, at: DateTime<Utc>) -> Self {
        let mut d = Self::published(rating, nps, at).negated();
        d.replied = -i64::from(had_reply);
        d
    }

    /// The author changed the rating of a review written at `at`.
    pub fn rating_changed(old: Rating, new: Rating, at: DateTime<Utc>) -> Self {
        let mut d = Self {
            score: ScoreSums::of(new, at).minus(ScoreSums::of(old, at)),
            ..Self::default()
        };
        d.stars[usize::from(old.get() - 1)] -= 1;
        d.stars[usize::from(new.get() - 1)] += 1;
        d
    }

    /// The business replied for the first time.
    pub fn first_reply() -> Self {
        Self {
            replied: 1,
            ..Self::default()
        }
    }

    fn count_nps(&mut self, nps: Option<Nps>, by: i64) {
        match nps.map(Nps::class) {
            Some(NpsClass::Promoter) => self.promoters += by,
            Some(NpsClass::Passive) => self.passives += by,
            Some(NpsClass::Detractor) => self.detractors += by,
            None => {}
        }
    }

    fn negated(self) -> Self {
        Self {
            reviews: -self.reviews,
            stars: self.stars.map(|s| -s),
            promoters: -self.promoters,
            passives: -self.passives,
            detractors: -self.detractors,
            replied: -self.replied,
            score: self.score.negated(),
        }
    }
}

/// The running tallies of one business and relationship.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub reviews: u64,
    pub stars: [u64; 5],
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    pub replied: u64,
    pub score: ScoreSums,
}

impl Tally {
    /// Adds another set of tallies (of other reviews).
    pub fn add(&mut self, o: &Tally) {
        self.reviews += o.reviews;
        for (s, x) in self.stars.iter_mut().zip(o.stars) {
            *s += x;
        }
        self.promoters += o.promoters;
        self.passives += o.passives;
        self.detractors += o.detractors;
        self.replied += o.replied;
        self.score = self.score.plus(o.score);
    }

    /// Applies a delta. Tallies never go negative: a delta that would make them so is a bug
    /// in the caller, and saturating keeps the damage visible but bounded.
    pub fn apply(&mut self, d: TallyDelta) {
        fn add(v: &mut u64, by: i64) {
            *v = v.saturating_add_signed(by);
        }
        add(&mut self.reviews, d.reviews);
        for (s, by) in self.stars.iter_mut().zip(d.stars) {
            add(s, by);
        }
        add(&mut self.promoters, d.promoters);
        add(&mut self.passives, d.passives);
        add(&mut self.detractors, d.detractors);
        add(&mut self.replied, d.replied);
        self.score = self.score.plus(d.score);
    }

    /// The published summary at `now`. `median_reply_seconds` comes from storage, which
    /// keeps the reply delays in an index so that the median is a seek, not a scan.
    pub fn summary(&self, median_reply_seconds: Option<i64>, now: DateTime<Utc>) -> Summary {
        let total_stars: u64 = self
            .stars
            .iter()
            .zip(1u64..)
            .map(|(count, stars)| count * stars)
            .sum();
        let nps_responses = self.promoters + self.passives + self.detractors;
        Summary {
            review_count: self.reviews,
            rating_average: ratio(total_stars, self.reviews).map(|a| round(a, 2)),
            distribution: Distribution(self.stars),
            nps: ratio(self.promoters, nps_responses)
                .zip(ratio(self.detractors, nps_responses))
                .map(|(p, d)| round((p - d) * 100.0, 1)),
            nps_responses,
            reply_rate: ratio(self.replied, self.reviews).map(|r| round(r, 4)),
            median_reply_seconds,
            score: self.score.score(self.reviews, now),
        }
    }
}

pub(crate) fn ratio(a: u64, b: u64) -> Option<f64> {
    // Counts stay far below 2^53, where u64 -> f64 is exact.
    (b > 0).then(|| a as f64 / b as f64)
}

pub(crate) fn round(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

/// Review counts per star value, serialised as `{"1": n, …, "5": n}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Distribution(pub [u64; 5]);

impl Serialize for Distribution {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(5))?;
        for (i, n) in self.0.iter().enumerate() {
            map.serialize_entry(&(i + 1).to_string(), n)?;
        }
        map.end()
    }
}

/// What a visitor sees of a business's satisfaction for one relationship.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Published reviews (withdrawn ones do not count).
    pub review_count: u64,
    /// Mean star rating, two decimals; `null` without reviews.
    pub rating_average: Option<f64>,
    pub distribution: Distribution,
    /// Net Promoter Score, −100 to 100, over the reviews that answered the question.
    pub nps: Option<f64>,
    /// How many reviews answered the NPS question.
    pub nps_responses: u64,
    /// Share of published reviews with a reply, 0 to 1.
    pub reply_rate: Option<f64>,
    /// Median time from a review to the business's first reply, over replied reviews.
    pub median_reply_seconds: Option<i64>,
    /// The Bayesian, recency-weighted score (`docs/scoring.md`); `null` without reviews.
    pub score: Option<Score>,
}

/// The median of a sorted slice's middle: storage passes the one or two middle values.
pub fn median_of_middle(middle: &[i64]) -> Option<i64> {
    match middle {
        [m] => Some(*m),
        // Rounded half up: the difference of two delays fits comfortably in i64.
        [a, b] => Some(a + (b - a + 1) / 2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn r(v: i64) -> Rating {
        Rating::new(v).unwrap()
    }

    #[test]
    fn summary_of_nothing_is_empty_not_zero() {
        let s = Tally::default().summary(None, Utc::now());
        assert_eq!(s.review_count, 0);
        assert_eq!(s.rating_average, None);
        assert_eq!(s.nps, None);
        assert_eq!(s.reply_rate, None);
    }

    #[test]
    fn distribution_serialises_as_star_keys() {
        let json = serde_json::to_string(&Distribution([1, 0, 2, 0, 3])).unwrap();
        assert_eq!(json, r#"{"1":1,"2":0,"3":2,"4":0,"5":3}"#);
    }

    #[test]
    fn nps_is_promoters_minus_detractors() {
        let mut t = Tally::default();
        let now = Utc::now();
        for nps in [10, 9, 8, 3] {
            t.apply(TallyDelta::published(
                r(4),
                Some(Nps::new(nps).unwrap()),
                now,
            ));
        }
        t.apply(TallyDelta::published(r(4), None, now));
        let s = t.summary(None, now);
        assert_eq!(s.nps, Some(25.0)); // (2 - 1) / 4
        assert_eq!(s.nps_responses, 4);
        assert_eq!(s.review_count, 5);
    }

    #[test]
    fn median_of_middle_values() {
        assert_eq!(median_of_middle(&[]), None);
        assert_eq!(median_of_middle(&[7]), Some(7));
        assert_eq!(median_of_middle(&[4, 7]), Some(6));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Publish(u8, Option<u8>),
        Withdraw(usize),
        Edit(usize, u8),
        Reply(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1u8..=5, proptest::option::of(0u8..=10)).prop_map(|(r, n)| Op::Publish(r, n)),
            any::<usize>().prop_map(Op::Withdraw),
            (any::<usize>(), 1u8..=5).prop_map(|(i, r)| Op::Edit(i, r)),
            any::<usize>().prop_map(Op::Reply),
        ]
    }

    proptest! {
        /// Running tallies driven by deltas equal a recomputation from the final reviews.
        #[test]
        fn tallies_match_recomputation(ops in proptest::collection::vec(op(), 0..80)) {
            // (rating, nps, published, replied); review i was written on day i.
            let mut reviews: Vec<(u8, Option<u8>, bool, bool)> = Vec::new();
            let mut tally = Tally::default();
            let day = |i: usize| crate::score::epoch() + chrono::Duration::days(i as i64);
            for op in ops {
                match op {
                    Op::Publish(rating, nps) => {
                        let at = day(reviews.len());
                        reviews.push((rating, nps, true, false));
                        tally.apply(TallyDelta::published(r(rating.into()), nps.map(|n| Nps::new(n.into()).unwrap()), at));
                    }
                    Op::Withdraw(i) if !reviews.is_empty() => {
                        let n = reviews.len();
                        let rv = &mut reviews[i % n];
                        if rv.2 {
                            rv.2 = false;
                            tally.apply(TallyDelta::removed(r(rv.0.into()), rv.1.map(|n| Nps::new(n.into()).unwrap()), rv.3, day(i % n)));
                        }
                    }
                    Op::Edit(i, new) if !reviews.is_empty() => {
                        let n = reviews.len();
                        let rv = &mut reviews[i % n];
                        if rv.2 {
                            tally.apply(TallyDelta::rating_changed(r(rv.0.into()), r(new.into()), day(i % n)));
                            rv.0 = new;
                        }
                    }
                    Op::Reply(i) if !reviews.is_empty() => {
                        let n = reviews.len();
                        let rv = &mut reviews[i % n];
                        if rv.2 && !rv.3 {
                            rv.3 = true;
                            tally.apply(TallyDelta::first_reply());
                        }
                    }
                    _ => {}
                }
            }
            let live: Vec<_> = reviews.iter().enumerate().filter(|(_, rv)| rv.2).collect();
            let mut expected = Tally { reviews: live.len() as u64, ..Tally::default() };
            for (i, rv) in &live {
                expected.score = expected.score.plus(ScoreSums::of(r(rv.0.into()), day(*i)));
                expected.stars[usize::from(rv.0 - 1)] += 1;
                match rv.1 {
                    Some(9..=10) => expected.promoters += 1,
                    Some(7..=8) => expected.passives += 1,
                    Some(_) => expected.detractors += 1,
                    None => {}
                }
                expected.replied += u64::from(rv.3);
            }
            // The score's float sums agree to rounding; every count exactly.
            let now = day(reviews.len());
            let (got, want) = (tally.summary(None, now), expected.summary(None, now));
            match (got.score, want.score) {
                (Some(g), Some(w)) => prop_assert!((g.value - w.value).abs() <= 0.001),
                (g, w) => prop_assert_eq!(g, w),
            }
            prop_assert_eq!(Tally { score: ScoreSums::default(), ..tally }, Tally { score: ScoreSums::default(), ..expected });
        }
    }
}
