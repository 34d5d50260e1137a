//! Reviews, replies and follow-ups as validated values.

use crate::error::{Invalid, ValidationErrors};
use crate::text::{Lines, bounded_text};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A star rating, 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Rating(u8);

impl Rating {
    pub fn new(value: i64) -> Result<Self, Invalid> {
        match u8::try_from(value) {
            Ok(v @ 1..=5) => Ok(Self(v)),
            _ => Err(Invalid::new(
                "out_of_range",
                "must be a whole number from 1 to 5",
            )),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// The answer to "How likely are you to recommend …?", 0 to 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Nps(u8);

impl Nps {
    pub fn new(value: i64) -> Result<Self, Invalid> {
        match u8::try_from(value) {
            Ok(v @ 0..=10) => Ok(Self(v)),
            _ => Err(Invalid::new(
                "out_of_range",
                "must be a whole number from 0 to 10",
            )),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// Promoters answer 9–10, detractors 0–6, passives 7–8.
    pub fn class(self) -> NpsClass {
        match self.0 {
            9..=10 => NpsClass::Promoter,
            7..=8 => NpsClass::Passive,
            _ => NpsClass::Detractor,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpsClass {
    Promoter,
    Passive,
    Detractor,
}

bounded_text!(
    /// A review's title.
    Title,
    1,
    120,
    Lines::Single
);
bounded_text!(
    /// A review's text.
    ReviewBody,
    1,
    5000,
    Lines::Multi
);
bounded_text!(
    /// The name a reviewer chooses to show.
    AuthorName,
    1,
    60,
    Lines::Single
);
bounded_text!(
    /// The body of a business's public reply.
    ReplyBody,
    1,
    5000,
    Lines::Multi
);
bounded_text!(
    /// Who answers for the business: a reply from someone who can act is one customers trust.
    ResponderName,
    1,
    60,
    Lines::Single
);
bounded_text!(
    /// The responder's role, such as "Titolare" or "Customer care".
    ResponderRole,
    1,
    60,
    Lines::Single
);
bounded_text!(
    /// The reviewer's one answer to the business's reply.
    FollowUpBody,
    1,
    5000,
    Lines::Multi
);

/// The language a review is written in: a BCP 47 primary language subtag of two or three
/// lowercase letters, optionally with a region (`it`, `en`, `de-CH`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Language(String);

impl Language {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let bad = || {
            Invalid::new(
                "invalid_language",
                "must be a language tag such as it, en or de-CH",
            )
        };
        let (lang, region) = match input.split_once('-') {
            Some((l, r)) => (l, Some(r)),
            None => (input, None),
        };
        let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
        let region_ok =
            region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()));
        if lang_ok && region_ok {
            Ok(Self(input.to_owned()))
        } else {
            Err(bad())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// When the reviewer's experience took place. Never in the future: "today" is taken as the
/// latest calendar date anywhere on Earth (UTC+14), so no reviewer is refused their own
/// today's date because of a time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ExperienceDate(NaiveDate);

impl ExperienceDate {
    pub fn parse(input: &str, now: DateTime<Utc>) -> Result<Self, Invalid> {
        let date = NaiveDate::parse_from_str(input, "%Y-%m-%d")
            .map_err(|_| Invalid::new("invalid_date", "must be a date as YYYY-MM-DD"))?;
        Self::new(date, now)
    }

    pub fn new(date: NaiveDate, now: DateTime<Utc>) -> Result<Self, Invalid> {
        let latest_today = (now + Duration::hours(14)).date_naive();
        if date > latest_today {
            return Err(Invalid::new("in_future", "must not be in the future"));
        }
        if date < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN) {
            return Err(Invalid::new("out_of_range", "must be after 1900"));
        }
        Ok(Self(date))
    }

    pub fn get(self) -> NaiveDate {
        self.0
    }
}

/// Whether a review is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    Published,
    /// Withdrawn by its author. A tombstone stays: the date and the fact, not the content.
    Withdrawn,
    /// Its personal content was erased (by its author or the operator). A tombstone stays:
    /// the date of the erasure, not what was erased. The log keeps its entries.
    Erased,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::Withdrawn => "withdrawn",
            Self::Erased => "erased",
        }
    }
}

impl fmt::Display for ReviewStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A review as its author submitted it, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDraft {
    pub rating: Rating,
    pub title: Title,
    pub body: ReviewBody,
    pub nps: Option<Nps>,
    pub experience_date: Option<ExperienceDate>,
    pub author_name: AuthorName,
    pub language: Option<Language>,
    /// Ratings of the invitation's products, each product at most once.
    pub products: Vec<ProductRating>,
}

/// The raw fields of a review submission.
#[derive(Debug, Clone, Default)]
pub struct ReviewInput<'a> {
    pub rating: i64,
    pub title: &'a str,
    pub body: &'a str,
    pub nps: Option<i64>,
    pub experience_date: Option<&'a str>,
    pub author_name: &'a str,
    pub language: Option<&'a str>,
    pub products: Vec<ProductRatingInput<'a>>,
}

bounded_text!(
    /// What a reviewer says of one product.
    ProductReviewBody,
    1,
    2000,
    Lines::Multi
);

/// A reviewer's rating of one of the invitation's products, with optional words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRating {
    pub sku: crate::invitation::Sku,
    pub rating: Rating,
    pub body: Option<ProductReviewBody>,
}

/// The raw fields of a product rating.
#[derive(Debug, Clone, Default)]
pub struct ProductRatingInput<'a> {
    pub sku: &'a str,
    pub rating: i64,
    pub body: Option<&'a str>,
}

impl ReviewDraft {
    pub fn parse(input: ReviewInput<'_>, now: DateTime<Utc>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let rating = errors.check("rating", Rating::new(input.rating));
        let title = errors.check("title", Title::parse(input.title));
        let body = errors.check("body", ReviewBody::parse(input.body));
        let nps = input.nps.and_then(|n| errors.check("nps", Nps::new(n)));
        let experience_date = input
            .experience_date
            .and_then(|d| errors.check("experience_date", ExperienceDate::parse(d, now)));
        let author_name = errors.check("author_name", AuthorName::parse(input.author_name));
        let language = input
            .language
            .and_then(|l| errors.check("language", Language::parse(l)));
        let mut products: Vec<ProductRating> = Vec::new();
        if input.products.len() > crate::invitation::MAX_PRODUCTS {
            errors.0.push(crate::FieldError {
                field: "products".into(),
                code: "too_many",
                message: format!("at most {} products", crate::invitation::MAX_PRODUCTS),
            });
        }
        for (i, p) in input.products.iter().enumerate() {
            let sku = errors.check(
                &format!("products[{i}].sku"),
                crate::invitation::Sku::parse(p.sku),
            );
            let rating = errors.check(&format!("products[{i}].rating"), Rating::new(p.rating));
            // An empty text is no text: forms send one for every product.
            let body = p.body.filter(|b| !b.trim().is_empty()).and_then(|b| {
                errors.check(&format!("products[{i}].body"), ProductReviewBody::parse(b))
            });
            let (Some(sku), Some(rating)) = (sku, rating) else {
                continue;
            };
            if products.iter().any(|q| q.sku == sku) {
                errors.0.push(crate::FieldError {
                    field: format!("products[{i}].sku"),
                    code: "duplicate",
                    message: "this product is already rated".into(),
                });
                continue;
            }
            products.push(ProductRating { sku, rating, body });
        }
        errors.into_result()?;
        match (rating, title, body, author_name) {
            (Some(rating), Some(title), Some(body), Some(author_name)) => Ok(Self {
                rating,
                title,
                body,
                nps,
                experience_date,
                author_name,
                language,
                products,
            }),
            _ => Err(ValidationErrors::single(
                "review",
                "invalid",
                "invalid review",
            )),
        }
    }
}

/// An author's change to their review: any of rating, title and body, at least one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewPatch {
    pub rating: Option<Rating>,
    pub title: Option<Title>,
    pub body: Option<ReviewBody>,
}

impl ReviewPatch {
    pub fn parse(
        rating: Option<i64>,
        title: Option<&str>,
        body: Option<&str>,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if rating.is_none() && title.is_none() && body.is_none() {
            return Err(ValidationErrors::single(
                "rating",
                "required",
                "give at least one of rating, title and body",
            ));
        }
        let rating = rating.and_then(|r| errors.check("rating", Rating::new(r)));
        let title = title.and_then(|t| errors.check("title", Title::parse(t)));
        let body = body.and_then(|b| errors.check("body", ReviewBody::parse(b)));
        errors.into_result()?;
        Ok(Self {
            rating,
            title,
            body,
        })
    }
}

/// A business's reply, signed by a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyDraft {
    pub body: ReplyBody,
    pub responder_name: ResponderName,
    pub responder_role: Option<ResponderRole>,
}

impl ReplyDraft {
    pub fn parse(
        body: &str,
        responder_name: &str,
        responder_role: Option<&str>,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let body = errors.check("body", ReplyBody::parse(body));
        let responder_name = errors.check("responder_name", ResponderName::parse(responder_name));
        let responder_role =
            responder_role.and_then(|r| errors.check("responder_role", ResponderRole::parse(r)));
        errors.into_result()?;
        match (body, responder_name) {
            (Some(body), Some(responder_name)) => Ok(Self {
                body,
                responder_name,
                responder_role,
            }),
            _ => Err(ValidationErrors::single("body", "invalid", "invalid reply")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-06-01T10:00:00Z")
            .unwrap()
            .to_utc()
    }

    #[test]
    fn experience_date_allows_today_anywhere_but_not_later() {
        assert!(ExperienceDate::parse("2026-06-01", now()).is_ok());
        // At 10:00 UTC it is already 2 June in Kiribati (UTC+14).
        assert!(ExperienceDate::parse("2026-06-02", now()).is_ok());
        assert_eq!(
            ExperienceDate::parse("2026-06-03", now()).unwrap_err().code,
            "in_future"
        );
        assert_eq!(
            ExperienceDate::parse("01/06/2026", now()).unwrap_err().code,
            "invalid_date"
        );
        assert_eq!(
            ExperienceDate::parse("2026-02-30", now()).unwrap_err().code,
            "invalid_date"
        );
    }

    #[test]
    fn language_tags() {
        for ok in ["it", "en", "de-CH", "fur"] {
            assert!(Language::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "IT", "italiano", "de-ch", "e", "it-"] {
            assert!(Language::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn nps_classes() {
        let class = |v| Nps::new(v).unwrap().class();
        assert_eq!(class(0), NpsClass::Detractor);
        assert_eq!(class(6), NpsClass::Detractor);
        assert_eq!(class(7), NpsClass::Passive);
        assert_eq!(class(8), NpsClass::Passive);
        assert_eq!(class(9), NpsClass::Promoter);
        assert_eq!(class(10), NpsClass::Promoter);
    }

    #[test]
    fn draft_lists_all_errors() {
        let err = ReviewDraft::parse(
            ReviewInput {
                rating: 6,
                title: "",
                body: "ok",
                nps: Some(11),
                experience_date: Some("2999-01-01"),
                author_name: &"x".repeat(61),
                language: Some("xx-yy"),
                products: Vec::new(),
            },
            now(),
        )
        .unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "rating",
                "title",
                "nps",
                "experience_date",
                "author_name",
                "language"
            ]
        );
    }

    #[test]
    fn empty_patch_is_refused() {
        assert!(ReviewPatch::parse(None, None, None).is_err());
        assert!(ReviewPatch::parse(Some(3), None, None).is_ok());
    }

    proptest! {
        #[test]
        fn rating_accepts_exactly_one_to_five(v in any::<i64>()) {
            prop_assert_eq!(Rating::new(v).is_ok(), (1..=5).contains(&v));
        }

        #[test]
        fn nps_accepts_exactly_zero_to_ten(v in any::<i64>()) {
            prop_assert_eq!(Nps::new(v).is_ok(), (0..=10).contains(&v));
        }

        #[test]
        fn experience_dates_never_in_future(days in -40000i64..40000) {
            let date = now().date_naive() + Duration::days(days);
            let accepted = ExperienceDate::new(date, now()).is_ok();
            let latest = (now() + Duration::hours(14)).date_naive();
            let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
            prop_assert_eq!(accepted, date <= latest && date >= earliest);
        }
    }
}
