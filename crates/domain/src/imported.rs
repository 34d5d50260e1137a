//! Reviews a business collected elsewhere (another platform, paper cards, its old site),
//! brought in by `passaparola reviews import`. Passaparola cannot vouch for them: it never
//! saw an order or an invitation. So an imported review is never *verified*, it carries
//! where it came from and when it was written, it moves no figure and stays out of JSON-LD,
//! and its log entry is its own event type (`review_imported`): the log proves when it was
//! imported and what it said, not that it is genuine.

use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};

use crate::ValidationErrors;
use crate::invitation::Relationship;
use crate::review::{AuthorName, ExperienceDate, Language, Rating, ReviewBody, Title};
use crate::text::{Lines, bounded_text};

bounded_text!(
    /// Where an imported review was collected: "Google", "TripAdvisor", "paper cards 2023".
    ImportSource,
    1,
    80,
    Lines::Single
);
bounded_text!(
    /// The review's identifier at its source. Importing the same source and identifier
    /// again finds the review already imported.
    ExternalId,
    1,
    200,
    Lines::Single
);

/// One valid imported review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedReview {
    pub source: ImportSource,
    pub external_id: ExternalId,
    /// When it was written at its source (never in the future).
    pub original_date: NaiveDate,
    pub relationship: Relationship,
    pub rating: Rating,
    pub title: Title,
    pub body: ReviewBody,
    pub author_name: AuthorName,
    pub language: Language,
}

/// The raw fields of an imported review.
#[derive(Debug, Clone, Default)]
pub struct ImportedReviewInput<'a> {
    pub source: &'a str,
    /// Without one, the review's own words stand for it (see [`derived_id`]).
    pub external_id: Option<&'a str>,
    pub original_date: &'a str,
    /// `customer` when absent.
    pub relationship: Option<&'a str>,
    pub rating: i64,
    pub title: &'a str,
    pub body: &'a str,
    pub author_name: &'a str,
    pub language: &'a str,
}

impl ImportedReview {
    pub fn parse(
        input: ImportedReviewInput<'_>,
        now: DateTime<Utc>,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let source = errors.check("source", ImportSource::parse(input.source));
        let original_date = errors.check(
            "original_date",
            ExperienceDate::parse(input.original_date, now),
        );
        let relationship = match input.relationship {
            None => Some(Relationship::Customer),
            Some(r) => errors.check("relationship", r.parse::<Relationship>()),
        };
        let rating = errors.check("rating", Rating::new(input.rating));
        let title = errors.check("title", Title::parse(input.title));
        let body = errors.check("body", ReviewBody::parse(input.body));
        let author_name = errors.check("author_name", AuthorName::parse(input.author_name));
        let language = errors.check("language", Language::parse(input.language));
        let external_id = match input.external_id {
            Some(id) => errors.check("external_id", ExternalId::parse(id)),
            None => match (&source, &original_date, &author_name, &title, &body) {
                (Some(s), Some(d), Some(a), Some(t), Some(b)) => {
                    ExternalId::parse(&derived_id(s, d.get(), a, t, b)).ok()
                }
                _ => None,
            },
        };
        errors.into_result()?;
        match (
            source,
            external_id,
            original_date,
            relationship,
            rating,
            title,
            body,
            author_name,
            language,
        ) {
            (
                Some(source),
                Some(external_id),
                Some(original_date),
                Some(relationship),
                Some(rating),
                Some(title),
                Some(body),
                Some(author_name),
                Some(language),
            ) => Ok(Self {
                source,
                external_id,
                original_date: original_date.get(),
                relationship,
                rating,
                title,
                body,
                author_name,
                language,
            }),
            _ => Err(ValidationErrors::single(
                "review",
                "invalid",
                "invalid review",
            )),
        }
    }
}

/// The identifier of a review whose source gave none: a hash of what it says, so that the
/// same row imported twice is found the second time, and two different reviews are not.
pub fn derived_id(
    source: &ImportSource,
    date: NaiveDate,
    author: &AuthorName,
    title: &Title,
    body: &ReviewBody,
) -> String {
    let mut h = Sha256::new();
    for part in [
        source.as_str(),
        &date.to_string(),
        author.as_str(),
        title.as_str(),
        body.as_str(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let digest = h.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>() -> ImportedReviewInput<'a> {
        ImportedReviewInput {
            source: "Google",
            external_id: None,
            original_date: "2024-03-01",
            relationship: None,
            rating: 4,
            title: "Buono",
            body: "Pizza buona, servizio lento.",
            author_name: "Anna",
            language: "it",
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-12-08T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_row_without_an_id_is_known_by_its_words() {
        let a = ImportedReview::parse(input(), now()).unwrap();
        let b = ImportedReview::parse(input(), now()).unwrap();
        assert_eq!(a.external_id, b.external_id);
        assert!(a.external_id.as_str().starts_with("sha256:"));
        let other = ImportedReview::parse(
            ImportedReviewInput {
                body: "Pizza buona, servizio veloce.",
                ..input()
            },
            now(),
        )
        .unwrap();
        assert_ne!(a.external_id, other.external_id);
        assert_eq!(a.relationship, Relationship::Customer);
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = ImportedReview::parse(
            ImportedReviewInput {
                source: "",
                original_date: "2999-01-01",
                rating: 6,
                language: "Italiano",
                relationship: Some("cousin"),
                ..input()
            },
            now(),
        )
        .unwrap_err();
        let fields: Vec<&str> = bad.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "source",
                "original_date",
                "relationship",
                "rating",
                "language"
            ]
        );
    }
}
