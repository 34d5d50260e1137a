//! What the OpenAPI document says of the inputs whose rules live in `domain`: texts (their
//! lengths, and the characters `domain::text::clean` refuses, as a pattern), and the closed
//! sets of words (relationships, locales, periods, sorts, …), each built from the domain's
//! own list where it has one, so that the document cannot drift from what the server
//! enforces. The tests below check every Unicode scalar value against `domain::text`.

use std::borrow::Cow;

use domain::text::Lines;
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder,
    Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{IntoParams, PartialSchema, ToSchema};

/// Rust's `char::is_control` (general category Cc), which `clean` refuses, except line
/// breaks and tabs in multi-line texts.
const CONTROLS: &[(char, char)] = &[('\u{0}', '\u{1F}'), ('\u{7F}', '\u{9F}')];
/// The controls a multi-line text may not hold: all but line feed, carriage return and tab.
const MULTI_LINE_CONTROLS: &[(char, char)] = &[
    ('\u{0}', '\u{8}'),
    ('\u{B}', '\u{C}'),
    ('\u{E}', '\u{1F}'),
    ('\u{7F}', '\u{9F}'),
];
/// Unicode's noncharacters, which `clean` refuses everywhere.
const NONCHARACTERS: &[(char, char)] = &[
    ('\u{FDD0}', '\u{FDEF}'),
    ('\u{FFFE}', '\u{FFFF}'),
    ('\u{1FFFE}', '\u{1FFFF}'),
    ('\u{2FFFE}', '\u{2FFFF}'),
    ('\u{3FFFE}', '\u{3FFFF}'),
    ('\u{4FFFE}', '\u{4FFFF}'),
    ('\u{5FFFE}', '\u{5FFFF}'),
    ('\u{6FFFE}', '\u{6FFFF}'),
    ('\u{7FFFE}', '\u{7FFFF}'),
    ('\u{8FFFE}', '\u{8FFFF}'),
    ('\u{9FFFE}', '\u{9FFFF}'),
    ('\u{AFFFE}', '\u{AFFFF}'),
    ('\u{BFFFE}', '\u{BFFFF}'),
    ('\u{CFFFE}', '\u{CFFFF}'),
    ('\u{DFFFE}', '\u{DFFFF}'),
    ('\u{EFFFE}', '\u{EFFFF}'),
    ('\u{FFFFE}', '\u{FFFFF}'),
    ('\u{10FFFE}', '\u{10FFFF}'),
];
/// Unicode's White_Space (Rust's `char::is_whitespace`): what trimming removes.
const WHITE_SPACE: &[(char, char)] = &[
    ('\t', '\r'),
    (' ', ' '),
    ('\u{85}', '\u{85}'),
    ('\u{A0}', '\u{A0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200A}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202F}', '\u{202F}'),
    ('\u{205F}', '\u{205F}'),
    ('\u{3000}', '\u{3000}'),
];
/// The characters that render as nothing (`domain::text`'s `invisible`, beside white space):
/// a text must hold at least one character outside these and white space.
const INVISIBLE: &[(char, char)] = &[
    ('\u{AD}', '\u{AD}'),
    ('\u{34F}', '\u{34F}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{2069}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
];

/// One character in a regular expression's class: `\uXXXX` in the Basic Multilingual Plane
/// (ECMA-262, Python and Rust read it alike), the character itself beyond it.
fn class_char(c: char) -> String {
    match u32::from(c) {
        u @ 0..=0xFFFF => format!("\\u{u:04X}"),
        _ => c.to_string(),
    }
}

/// The body of a character class holding `ranges` and `singles`.
fn class(ranges: &[&[(char, char)]], singles: &[char]) -> String {
    let mut out = String::new();
    for &(from, to) in ranges.iter().flat_map(|r| r.iter()) {
        out.push_str(&class_char(from));
        if to != from {
            out.push('-');
            out.push_str(&class_char(to));
        }
    }
    for &c in singles {
        out.push_str(&class_char(c));
    }
    out
}

/// The characters a text of this kind may not hold at all.
fn refused(lines: Lines) -> String {
    match lines {
        Lines::Single => class(&[CONTROLS, NONCHARACTERS], &[]),
        Lines::Multi => class(&[MULTI_LINE_CONTROLS, NONCHARACTERS], &[]),
    }
}

/// The pattern of a text `domain::text::clean` accepts: none of the characters it refuses,
/// and at least one that is neither white space nor invisible.
pub fn text_pattern(lines: Lines) -> String {
    let bad = refused(lines);
    let blank = class(&[WHITE_SPACE, INVISIBLE], &[]);
    format!("^[^{bad}]*[^{bad}{blank}][^{bad}]*$")
}

/// Only white space (a product's words may be left blank: they are then no words at all).
fn blank_pattern() -> String {
    format!("^[{}]*$", class(&[WHITE_SPACE], &[]))
}

fn string_type(nullable: bool) -> SchemaType {
    if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    }
}

/// A text of `min` to `max` characters, as `domain::text::clean` accepts it.
fn text(min: usize, max: usize, lines: Lines, nullable: bool, description: &str) -> ObjectBuilder {
    let what = match lines {
        Lines::Single => "one line: no control characters",
        Lines::Multi => "line breaks and tabs allowed, no other control characters",
    };
    ObjectBuilder::new()
        .schema_type(string_type(nullable))
        .min_length(Some(min))
        .max_length(Some(max))
        .pattern(Some(text_pattern(lines)))
        .description(Some(format!(
            "{description} {min}–{max} characters once trimmed and normalised to NFC ({what}, \
             no Unicode noncharacters, at least one visible character). A text that NFC \
             lengthens past {max} characters is refused."
        )))
}

macro_rules! text_schemas {
    ($(
        $(#[$doc:meta])*
        $name:ident: $ty:ty, $lines:ident, $nullable:expr, $description:expr, $example:expr;
    )*) => {
        $(
            $(#[$doc])*
            pub fn $name() -> RefOr<Schema> {
                text(<$ty>::MIN_CHARS, <$ty>::MAX_CHARS, Lines::$lines, $nullable, $description)
                    .examples([$example])
                    .build()
                    .into()
            }
        )*
    };
}

use domain::invitation::{CustomerName, ProductName, Reference, Sku};
use domain::review::{
    AuthorName, FollowUpBody, ReplyBody, ResponderName, ResponderRole, ReviewBody, Title,
};

text_schemas! {
    title: Title, Single, false, "The review's title:", "Cena ottima";
    title_or_null: Title, Single, true, "The new title (`null` or absent: unchanged):",
        "Cena ottima, servizio lento";
    review_body: ReviewBody, Multi, false, "The review's text:",
        "Tagliatelle come a casa.\nTorneremo.";
    review_body_or_null: ReviewBody, Multi, true, "The new text (`null` or absent: unchanged):",
        "Tagliatelle come a casa. Il servizio era lento, ma cortese.";
    author_name: AuthorName, Single, false, "The name to show:", "Marta R.";
    reply_body: ReplyBody, Multi, false, "The reply:", "Grazie, Marta: a presto!";
    responder_name: ResponderName, Single, false, "Who answers:", "Giulia Bianchi";
    responder_role: ResponderRole, Single, true, "Their role:", "Titolare";
    follow_up_body: FollowUpBody, Multi, false, "The reviewer's answer to the reply:",
        "Grazie a voi!";
    reference: Reference, Single, false,
        "The business's own reference, such as an order number (inviting the same reference \
         again returns the same invitation):",
        "ORD-2026-0042";
    customer_name: CustomerName, Single, true, "The invitee's name, private to the business:",
        "Marta Rossi";
    product_name: ProductName, Single, false, "The product's name:", "Tagliatelle al ragù";
    /// A SKU as a query parameter (`/stats`, `/trends`): its figures exist once a review has
    /// rated it (`404` otherwise).
    sku_query: Sku, Single, false, "A product's SKU, for that product's figures:",
        "TAGLIATELLE";
}

/// A template's text (`domain::template`): a text whose braces only ever surround a
/// placeholder, `{business}` or `{reference}`.
fn template_text(min: usize, max: usize, lines: Lines, description: &str) -> RefOr<Schema> {
    let pattern = text_pattern(lines);
    let pattern = format!(
        "^(?=(?:[^{{}}]|\\{{business\\}}|\\{{reference\\}})*$){}",
        pattern.strip_prefix('^').unwrap_or(&pattern)
    );
    text(min, max, lines, false, description)
        .pattern(Some(pattern))
        .build()
        .into()
}

/// An invitation template's subject.
pub fn template_subject() -> RefOr<Schema> {
    use domain::template::TemplateSubject as T;
    template_text(
        T::MIN_CHARS,
        T::MAX_CHARS,
        Lines::Single,
        "The subject; `{business}` and `{reference}` are replaced, no other braces:",
    )
}

/// An invitation template's opening.
pub fn template_intro() -> RefOr<Schema> {
    use domain::template::TemplateIntro as T;
    template_text(
        T::MIN_CHARS,
        T::MAX_CHARS,
        Lines::Multi,
        "The opening, after the greeting; `{business}` and `{reference}` are replaced, no \
         other braces:",
    )
}

/// A SKU as an invitation lists it: a text, and never `.` or `..` (a URL would resolve them
/// away), trimmed or not.
pub fn invited_sku() -> RefOr<Schema> {
    sku("The product's SKU, neither `.` nor `..`; each SKU once per invitation:")
}

/// A SKU a review rates: one its invitation lists (`422`, `not_invited`, otherwise), so never
/// `.` or `..` either.
pub fn rated_sku() -> RefOr<Schema> {
    sku("The product's SKU, one the invitation lists (so neither `.` nor `..`):")
}

fn sku(description: &str) -> RefOr<Schema> {
    let ws = class(&[WHITE_SPACE], &[]);
    let pattern = text_pattern(Lines::Single);
    let pattern = format!(
        "^(?![{ws}]*\\.\\.?[{ws}]*$){}",
        pattern.strip_prefix('^').unwrap_or(&pattern)
    );
    text(
        Sku::MIN_CHARS,
        Sku::MAX_CHARS,
        Lines::Single,
        false,
        description,
    )
    .pattern(Some(pattern))
    .examples(["TAGLIATELLE"])
    .build()
    .into()
}

/// A list of at most `MAX_PRODUCTS` products, each SKU once: JSON Schema's `uniqueItems`
/// says it of identical items; two items with the same SKU and other fields, or SKUs equal
/// once trimmed and normalised, are refused with `422` (`duplicate`) all the same.
fn products(item: &str, description: &str) -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(Ref::from_schema_name(item))
        .max_items(Some(domain::invitation::MAX_PRODUCTS))
        .unique_items(true)
        .description(Some(format!(
            "{description} At most {} products, each SKU once (the same SKU twice, even \
             with other fields or once trimmed and normalised, is refused with `422`, code \
             `duplicate`).",
            domain::invitation::MAX_PRODUCTS
        )))
        .into()
}

/// An invitation's products.
pub fn invited_products() -> RefOr<Schema> {
    products("ProductInput", "The products the invitee may rate.")
}

/// A review's product ratings.
pub fn rated_products() -> RefOr<Schema> {
    products(
        "SubmitProductRating",
        "Ratings of the products the invitation lists, any of them (a SKU it does not list is \
         refused with `422`, code `not_invited`).",
    )
}

/// A product rating's words: optional, and a blank text (white space only) is no text.
pub fn product_body() -> RefOr<Schema> {
    use domain::review::ProductReviewBody as B;
    AnyOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(blank_pattern())),
        )
        .item(text(
            B::MIN_CHARS,
            B::MAX_CHARS,
            Lines::Multi,
            false,
            "What the reviewer says of the product:",
        ))
        .description(Some(
            "What the reviewer says of the product, optional: `null`, a blank text (no words), \
             or a text as described.",
        ))
        .into()
}

/// `YYYY-MM-DD`, from 1900; a date in the future (later than today anywhere on Earth) is
/// refused with `422`, which no schema can say.
pub fn experience_date() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(string_type(true))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .pattern(Some("^(19[0-9]{2}|[2-9][0-9]{3})-[0-9]{2}-[0-9]{2}$"))
        .description(Some(
            "When the experience took place, `YYYY-MM-DD`, from 1900-01-01 and not in the \
             future (today's date anywhere on Earth, UTC+14, at the latest: a later date is \
             refused with `422`).",
        ))
        .into()
}

/// A language tag such as `it`, `en` or `de-CH` (`domain::review::Language`).
pub fn language() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(string_type(true))
        .pattern(Some("^[a-z]{2,3}(-[A-Z]{2})?$"))
        .description(Some(
            "The review's language: two or three lowercase letters, optionally a hyphen and \
             a two-letter uppercase region (`it`, `en`, `de-CH`); the invitation's locale by \
             default.",
        ))
        .into()
}

/// An e-mail address as `domain::invitation::Email` accepts it: internationalised ones too
/// (RFC 6531, JSON Schema's `idn-email`).
pub fn customer_email() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(string_type(true))
        .format(Some(SchemaFormat::Custom("idn-email".into())))
        .max_length(Some(254))
        .description(Some(
            "The invitee's e-mail address, private to the business: at most 254 bytes once \
             trimmed, non-ASCII letters allowed (`idn-email`).",
        ))
        .into()
}

/// The business named in the path. Only slugs as `domain::business::Slug` makes them exist;
/// any other path is `404`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SlugPath {
    /// The business's slug: 3–60 lowercase letters, digits and single inner hyphens.
    #[param(min_length = 3, max_length = 60, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub slug: String,
}

/// The review named in the path; a path that is not a UUID names no review (`404`).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ReviewIdPath {
    /// The review's id, a UUID.
    #[param(format = Uuid)]
    pub id: String,
}

/// The author's change (`PATCH`): rating, title and body, each optional (absent or `null`:
/// unchanged), at least one given.
pub fn edit_review() -> RefOr<Schema> {
    let given = |field: &str, ty: Type| {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .required(field)
            .property(field, ObjectBuilder::new().schema_type(ty))
    };
    let fields = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "rating",
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
                .minimum(Some(1))
                .maximum(Some(5))
                .description(Some("1 to 5 stars.")),
        )
        .property("title", title_or_null())
        .property("body", review_body_or_null())
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    AllOfBuilder::new()
        .description(Some(
            "The author's change: any of rating, title and body (absent or `null`: unchanged), \
             at least one given.",
        ))
        .item(fields)
        .item(
            AnyOfBuilder::new()
                .item(given("rating", Type::Integer))
                .item(given("title", Type::String))
                .item(given("body", Type::String)),
        )
        .into()
}

/// A closed set of words: a string schema with `enum`, as a named component.
macro_rules! word_set {
    ($(#[$doc:meta])* $name:ident, $description:expr, $values:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl $name {
            pub fn values() -> Vec<&'static str> {
                $values
            }
        }

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(Self::values()))
                    .description(Some($description))
                    .into()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

word_set!(
    /// `domain::invitation::Relationship`.
    Relationship,
    "How the reviewer dealt with the business.",
    domain::invitation::Relationship::ALL
        .iter()
        .map(|r| r.as_str())
        .collect()
);
word_set!(
    /// `domain::invitation::Locale`.
    Locale,
    "A language the instance speaks (an invitation's form, the widget).",
    vec!["it", "en"]
);
word_set!(
    /// `domain::stats::Period`.
    Period,
    "Days ending today (UTC), or all time.",
    domain::stats::Period::CHOICES
        .iter()
        .map(|p| p.as_str())
        .collect()
);
word_set!(
    /// `store::Sort`, by the names queries and cursors use.
    Sort,
    "The order of a page of reviews; within the same stars, newest first.",
    [
        store::Sort::Newest,
        store::Sort::Oldest,
        store::Sort::Highest,
        store::Sort::Lowest,
    ]
    .into_iter()
    .map(crate::listing::sort_name)
    .collect()
);
word_set!(
    /// `store::TrendGrain`.
    Grain,
    "`week`: the last 26 ISO weeks; `month`: the last 24 calendar months.",
    vec!["week", "month"]
);
word_set!(
    /// `domain::review::ReviewStatus`.
    ReviewStatus,
    "`published`, or a tombstone: `withdrawn` or `erased`.",
    [
        domain::review::ReviewStatus::Published,
        domain::review::ReviewStatus::Withdrawn,
        domain::review::ReviewStatus::Erased,
    ]
    .into_iter()
    .map(|s| s.as_str())
    .collect()
);
word_set!(
    /// `domain::lifecycle::EventKind`.
    EventKind,
    "What happened to the review.",
    domain::lifecycle::EventKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect()
);

#[cfg(test)]
mod tests {
    use super::*;
    use domain::text::clean;

    fn within(ranges: &[&[(char, char)]], c: char) -> bool {
        ranges
            .iter()
            .flat_map(|r| r.iter())
            .any(|&(from, to)| (from..=to).contains(&c))
    }

    fn refused_by_class(lines: Lines, c: char) -> bool {
        match lines {
            Lines::Single => within(&[CONTROLS, NONCHARACTERS], c),
            Lines::Multi => within(&[MULTI_LINE_CONTROLS, NONCHARACTERS], c),
        }
    }

    /// The pattern's classes, every scalar value against what `domain::text::clean` does.
    #[test]
    fn classes_agree_with_the_domain_for_every_character() {
        let mut text = String::with_capacity(8);
        for c in (0..=0x10FFFF_u32).filter_map(char::from_u32) {
            let code = u32::from(c);
            // Single and multi-line texts differ only in the controls they allow.
            let modes: &[Lines] = if c.is_control() {
                &[Lines::Single, Lines::Multi]
            } else {
                &[Lines::Single]
            };
            let mut allowed_somewhere = false;
            for &lines in modes {
                text.clear();
                text.extend(['a', c, 'b']);
                let inner = clean(&text, 1, 10, lines);
                let refused = matches!(&inner, Err(e) if e.code == "invalid_character");
                assert_eq!(
                    refused,
                    refused_by_class(lines, c),
                    "U+{code:04X} {lines:?}"
                );
                allowed_somewhere |= !refused;
            }
            if !allowed_somewhere {
                continue;
            }
            text.clear();
            text.push(c);
            let alone = clean(&text, 1, 10, Lines::Multi);
            let blank = matches!(&alone, Err(e) if e.code == "required");
            let invisible = within(&[WHITE_SPACE, INVISIBLE], c);
            assert_eq!(blank, invisible, "U+{code:04X} alone");
            assert_eq!(c.is_whitespace(), within(&[WHITE_SPACE], c), "U+{code:04X}");
        }
    }

    #[test]
    fn multi_line_texts_may_hold_line_breaks_and_tabs_only_of_the_controls() {
        for c in (0..=0x10FFFF_u32).filter_map(char::from_u32) {
            assert_eq!(
                within(&[MULTI_LINE_CONTROLS], c),
                within(&[CONTROLS], c) && !matches!(c, '\t' | '\n' | '\r'),
                "U+{:04X}",
                u32::from(c)
            );
        }
        assert!(refused(Lines::Single).starts_with("\\u0000-\\u001F\\u007F-\\u009F"));
    }

    #[test]
    fn every_word_is_one_the_server_parses() {
        for r in Relationship::values() {
            assert!(r.parse::<domain::invitation::Relationship>().is_ok(), "{r}");
        }
        for l in Locale::values() {
            assert!(l.parse::<domain::invitation::Locale>().is_ok(), "{l}");
        }
        for p in Period::values() {
            assert!(p.parse::<domain::stats::Period>().is_ok(), "{p}");
        }
        let query = |sort: &str| crate::listing::ListQuery {
            limit: None,
            cursor: None,
            rating: None,
            relationship: None,
            sort: Some(sort.into()),
        };
        for s in Sort::values() {
            assert!(crate::listing::review_query(&query(s)).is_ok(), "{s}");
        }
        assert!(crate::listing::review_query(&query("best")).is_err());
        assert_eq!(
            EventKind::values().len(),
            domain::lifecycle::EventKind::ALL.len()
        );
    }
}
