//! A business: the subject of reviews.

use crate::error::{Invalid, ValidationErrors};
use crate::text::{Lines, bounded_text};
use serde::Serialize;
use std::fmt;

/// The short name in a business's public address (`/b/{slug}`): 3–60 characters of lowercase
/// ASCII letters, digits and single hyphens, starting and ending with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 60;

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = input.trim();
        if s.len() < Self::MIN_LEN || s.len() > Self::MAX_LEN {
            return Err(Invalid::new(
                "invalid_length",
                format!("must be {} to {} characters", Self::MIN_LEN, Self::MAX_LEN),
            ));
        }
        let ok_chars = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok_chars || s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return Err(Invalid::new(
                "invalid_slug",
                "may hold only lowercase letters a-z, digits and single hyphens, \
                 and must start and end with a letter or digit",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

bounded_text!(
    /// A business's display name.
    BusinessName,
    1,
    120,
    Lines::Single
);

/// A business's own web site: an absolute `http` or `https` URL with a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Website(String);

impl Website {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let bad = || Invalid::new("invalid_url", "must be an absolute http:// or https:// URL");
        let url = url::Url::parse(input.trim()).map_err(|_| bad())?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(bad());
        }
        if url.as_str().len() > 2000 {
            return Err(Invalid::new("too_long", "must be at most 2000 characters"));
        }
        Ok(Self(url.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A business about to be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBusiness {
    pub slug: Slug,
    pub name: BusinessName,
    pub website: Option<Website>,
}

impl NewBusiness {
    pub fn parse(slug: &str, name: &str, website: Option<&str>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let slug = errors.check("slug", Slug::parse(slug));
        let name = errors.check("name", BusinessName::parse(name));
        let website = match website {
            Some(w) => errors.check("website", Website::parse(w)).map(Some),
            None => Some(None),
        };
        match (slug, name, website) {
            (Some(slug), Some(name), Some(website)) => Ok(Self {
                slug,
                name,
                website,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slug_cases() {
        for ok in ["trattoria-da-gino", "abc", "b2b-srl", "a1b"] {
            assert!(Slug::parse(ok).is_ok(), "{ok} should be accepted");
        }
        for bad in [
            "",
            "ab",
            "-abc",
            "abc-",
            "a--b",
            "Trattoria",
            "caffè",
            "a b",
            "a_b",
            "../etc",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(Slug::parse(&"a".repeat(61)).is_err());
    }

    #[test]
    fn website_must_be_http() {
        assert!(Website::parse("https://www.example.it/").is_ok());
        for bad in [
            "javascript:alert(1)",
            "ftp://x.it",
            "www.example.it",
            "http://",
        ] {
            assert!(Website::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn new_business_reports_every_bad_field() {
        let err = NewBusiness::parse("X", "", Some("nope")).unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["slug", "name", "website"]);
    }

    proptest! {
        #[test]
        fn accepted_slugs_are_url_safe(s in "[a-z0-9-]{0,70}") {
            if let Ok(slug) = Slug::parse(&s) {
                prop_assert!(slug.as_str().len() >= 3 && slug.as_str().len() <= 60);
                prop_assert!(!slug.as_str().contains("--"));
                prop_assert!(!slug.as_str().starts_with('-') && !slug.as_str().ends_with('-'));
            }
        }
    }
}
