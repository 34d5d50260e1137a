//! The pages' language: the catalogues (Project Fluent, `locales/<lang>/main.ftl`, compiled
//! in), the choice of locale for a request, and localised dates, numbers and durations.

use std::borrow::Cow;
use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use chrono::{Datelike, NaiveDate};
use domain::invitation::{Locale, Relationship};
use domain::lifecycle::EventKind;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Unicode isolation marks around arguments would end up inside titles and attributes.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static IT: LanguageIdentifier = langid!("it");
static EN: LanguageIdentifier = langid!("en");

/// The cookie that remembers a visitor's choice of language.
pub const COOKIE: &str = "pp_lang";

/// A page's translator: the locale and what depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr {
    pub locale: Locale,
}

impl Tr {
    pub fn new(locale: Locale) -> Self {
        Self { locale }
    }

    fn langid(&self) -> &'static LanguageIdentifier {
        match self.locale {
            Locale::It => &IT,
            Locale::En => &EN,
        }
    }

    /// The `lang` attribute.
    pub fn lang(&self) -> &'static str {
        self.locale.as_str()
    }

    /// A message without arguments.
    pub fn t(&self, id: &str) -> String {
        LOCALES.lookup(self.langid(), id)
    }

    /// A message with named arguments.
    pub fn args(&self, id: &str, args: &[(&'static str, FluentValue<'_>)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), v.clone()))
            .collect();
        LOCALES.lookup_with_args(self.langid(), id, &map)
    }

    /// A message whose plural form depends on `$count`.
    pub fn n(&self, id: &str, count: i64) -> String {
        self.args(id, &[("count", FluentValue::from(count))])
    }

    /// `n` as a plural count, from any integer type.
    pub fn count(&self, id: &str, n: impl TryInto<i64>) -> String {
        self.n(id, n.try_into().unwrap_or(i64::MAX))
    }

    /// A relationship's label ("Cliente" / "Customer").
    pub fn relationship(&self, r: Relationship) -> String {
        self.t(&format!("relationship-{}", r.as_str()))
    }

    /// A history event's label.
    pub fn event(&self, kind: EventKind) -> String {
        self.t(&format!("event-{}", kind.as_str()))
    }

    /// A message with one text argument, such as a business's name.
    pub fn with(&self, id: &str, name: &'static str, value: &str) -> String {
        self.args(id, &[(name, FluentValue::from(value.to_owned()))])
    }

    /// "25 novembre 2026" / "25 November 2026".
    pub fn date(&self, d: NaiveDate) -> String {
        let month = self.t(&format!("month-{}", d.month()));
        self.args(
            "date",
            &[
                ("day", FluentValue::from(d.day().to_string())),
                ("month", FluentValue::from(month)),
                ("year", FluentValue::from(d.year().to_string())),
            ],
        )
    }

    /// A number with `digits` decimals and the locale's decimal separator ("4,3" / "4.3").
    pub fn decimal(&self, x: f64, digits: usize) -> String {
        let s = format!("{x:.digits$}");
        match self.locale {
            Locale::It => s.replace('.', ","),
            Locale::En => s,
        }
    }

    /// A duration in its largest whole unit: minutes under two hours, hours under two days.
    pub fn duration(&self, seconds: i64) -> String {
        let minutes = (seconds + 59) / 60;
        if minutes < 120 {
            self.n("duration-minutes", minutes.max(1))
        } else if minutes < 48 * 60 {
            self.n("duration-hours", minutes / 60)
        } else {
            self.n("duration-days", minutes / (24 * 60))
        }
    }
}

/// Five stars, `n` of them full: "★★★★☆" (its text alternative is said separately).
pub fn stars(n: u8) -> String {
    let n = usize::from(n.min(5));
    format!("{}{}", "★".repeat(n), "☆".repeat(5 - n))
}

/// The locale of a page request: the visitor's choice (the cookie), else the best of
/// `Accept-Language`, else Italian.
impl<S: Send + Sync> FromRequestParts<S> for Tr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let chosen = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
            .find_map(|v| v.parse::<Locale>().ok());
        let locale = chosen
            .or_else(|| {
                parts
                    .headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(from_accept_language)
            })
            .unwrap_or(Locale::It);
        Ok(Tr::new(locale))
    }
}

/// The supported locale with the highest `q` in an `Accept-Language` header.
pub fn from_accept_language(header: &str) -> Option<Locale> {
    let mut best: Option<(f32, Locale)> = None;
    for item in header.split(',') {
        let mut parts = item.trim().split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
            .unwrap_or(0.0);
        let primary = tag
            .split('-')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if let Ok(locale) = primary.parse::<Locale>()
            && q > 0.0
            && best.is_none_or(|(b, _)| q > b)
        {
            best = Some((q, locale));
        }
    }
    best.map(|(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported_locale() {
        for (header, want) in [
            ("it-IT,it;q=0.9,en;q=0.8", Some(Locale::It)),
            ("en-GB,en;q=0.9", Some(Locale::En)),
            ("de-DE,de;q=0.9,en;q=0.5,it;q=0.7", Some(Locale::It)),
            ("fr;q=1.0, en;q=0.1", Some(Locale::En)),
            ("en;q=0, it;q=0.2", Some(Locale::It)),
            ("de, fr", None),
            ("", None),
            ("en;q=abc", None),
        ] {
            assert_eq!(from_accept_language(header), want, "{header}");
        }
    }

    #[test]
    fn every_message_exists_in_both_catalogues() {
        let it = include_str!("../../locales/it/main.ftl");
        let en = include_str!("../../locales/en/main.ftl");
        let ids = |ftl: &str| -> std::collections::BTreeSet<String> {
            ftl.lines()
                .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
                .filter_map(|l| l.split_once(" =").map(|(id, _)| id.to_owned()))
                .collect()
        };
        assert_eq!(ids(it), ids(en));
        assert!(ids(it).len() > 50);
    }

    #[test]
    fn every_event_has_a_name_in_both_languages() {
        for locale in [Locale::It, Locale::En] {
            let tr = Tr::new(locale);
            assert!(
                tr.t("no-such-message").contains("Unknown"),
                "what a gap reads as"
            );
            for kind in EventKind::ALL {
                let name = tr.event(kind);
                assert!(!name.contains("Unknown"), "{locale:?} {kind:?}: {name}");
            }
        }
    }

    #[test]
    fn plurals_dates_numbers_and_durations_follow_the_locale() {
        let (it, en) = (Tr::new(Locale::It), Tr::new(Locale::En));
        assert_eq!(it.n("reviews-count", 0), "Nessuna recensione");
        assert_eq!(it.n("reviews-count", 1), "Una recensione");
        assert_eq!(it.n("reviews-count", 7), "7 recensioni");
        assert_eq!(en.n("stars", 1), "1 star");
        assert_eq!(en.n("stars", 4), "4 stars");
        let d = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(it.date(d), "25 novembre 2026");
        assert_eq!(en.date(d), "25 November 2026");
        assert_eq!(it.decimal(4.26, 1), "4,3");
        assert_eq!(en.decimal(4.35, 2), "4.35");
        assert_eq!(it.duration(30), "1 minuto");
        assert_eq!(en.duration(3 * 3600), "3 hours");
        assert_eq!(it.duration(3 * 86400 + 5), "3 giorni");
        // Arguments are text, never markup: escaping is the template's job.
        assert_eq!(
            en.with("back-to", "name", "<b>Gino</b>"),
            "All reviews of <b>Gino</b>"
        );
    }
}
