//! A page of a business's reviews, as both the API (`GET …/reviews`) and the business page
//! ask for it: the query's parameters, their checks, and keyset cursors bound to their sort;
//! and a page of a review's history (`GET …/history`), with cursors of the same kind.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::invitation::Relationship;
use domain::review::Rating;
use domain::{FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};
use store::{Position, ReviewQuery, Sort};
use utoipa::IntoParams;

use crate::error::ApiError;

/// The most reviews one page may hold.
pub const MAX_LIMIT: u32 = 100;
pub const DEFAULT_LIMIT: u32 = 20;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Reviews per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page, with the same `sort`; any other text is
    /// refused with `400` (`/problems/invalid-cursor`).
    pub cursor: Option<String>,
    /// Only reviews with this many stars (1–5).
    #[param(minimum = 1, maximum = 5)]
    pub rating: Option<i64>,
    /// `customer` by default.
    #[param(value_type = Option<crate::api::schema::Relationship>)]
    pub relationship: Option<String>,
    /// `newest` by default.
    #[param(value_type = Option<crate::api::schema::Sort>)]
    pub sort: Option<String>,
}

fn invalid(field: &str, code: &'static str, message: &str) -> FieldError {
    FieldError {
        field: field.into(),
        code,
        message: message.into(),
    }
}

pub fn relationship(raw: Option<&str>, errors: &mut ValidationErrors) -> Option<Relationship> {
    match raw {
        None => Some(Relationship::Customer),
        Some(r) => errors.check("relationship", r.parse()),
    }
}

/// The name of a sort in queries and cursors.
pub fn sort_name(sort: Sort) -> &'static str {
    match sort {
        Sort::Newest => "newest",
        Sort::Oldest => "oldest",
        Sort::Highest => "highest",
        Sort::Lowest => "lowest",
    }
}

/// The opaque pagination cursor: where the previous page ended, in which order.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Cursor {
    s: String,
    r: u8,
    t: i64,
    q: i64,
}

fn encode_cursor(sort: Sort, p: Position) -> String {
    let json =
        serde_json::json!({"s": sort_name(sort), "r": p.rating, "t": p.created_at_ms, "q": p.seq});
    URL_SAFE_NO_PAD.encode(json.to_string())
}

fn decode_cursor(raw: &str, sort: Sort) -> Result<Position, ApiError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|_| ApiError::InvalidCursor)?;
    let c: Cursor = serde_json::from_slice(&bytes).map_err(|_| ApiError::InvalidCursor)?;
    if c.s != sort_name(sort) || !(1..=5).contains(&c.r) {
        return Err(ApiError::InvalidCursor);
    }
    Ok(Position {
        rating: c.r,
        created_at_ms: c.t,
        seq: c.q,
    })
}

/// Parses a list query (the API's and the business page's): every invalid parameter is named.
pub fn review_query(query: &ListQuery) -> Result<ReviewQuery, ApiError> {
    let mut errors = ValidationErrors::new();
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.0.push(invalid(
            "limit",
            "out_of_range",
            "must be between 1 and 100",
        ));
    }
    let rating = query
        .rating
        .and_then(|r| errors.check("rating", Rating::new(r)));
    let rel = relationship(query.relationship.as_deref(), &mut errors);
    let sort = match query.sort.as_deref() {
        None | Some("newest") => Some(Sort::Newest),
        Some("oldest") => Some(Sort::Oldest),
        Some("highest") => Some(Sort::Highest),
        Some("lowest") => Some(Sort::Lowest),
        Some(_) => {
            errors.0.push(invalid(
                "sort",
                "invalid_choice",
                "must be one of newest, oldest, highest, lowest",
            ));
            None
        }
    };
    let (Some(relationship), Some(sort), true) = (rel, sort, errors.is_empty()) else {
        return Err(ApiError::InvalidQuery(errors));
    };
    let after = query
        .cursor
        .as_deref()
        .map(|c| decode_cursor(c, sort))
        .transpose()?;
    Ok(ReviewQuery {
        relationship,
        rating,
        sort,
        after,
        limit,
    })
}

/// Cuts the store's `limit + 1` rows to one page; returns the cursor of the next page, if any.
pub fn one_page(rows: &mut Vec<store::Review>, limit: u32, sort: Sort) -> Option<String> {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    more.then(|| rows.last().map(|r| encode_cursor(sort, r.position)))
        .flatten()
}

/// The most events of a review's history one page may hold, and the default.
pub const MAX_HISTORY_LIMIT: u32 = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Events per page, 1 to 100 (default 100).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; any other text is refused with `400`
    /// (`/problems/invalid-cursor`).
    pub cursor: Option<String>,
}

/// The cursor of a history page: the last event's sequence number.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct HistoryCursor {
    s: String,
    q: i64,
}

const HISTORY: &str = "history";

/// Parses a history query: every invalid parameter is named.
pub fn history_page(query: &HistoryQuery) -> Result<store::HistoryPage, ApiError> {
    let limit = query.limit.unwrap_or(MAX_HISTORY_LIMIT);
    if !(1..=MAX_HISTORY_LIMIT).contains(&limit) {
        let mut errors = ValidationErrors::new();
        errors.0.push(invalid(
            "limit",
            "out_of_range",
            "must be between 1 and 100",
        ));
        return Err(ApiError::InvalidQuery(errors));
    }
    let after = match query.cursor.as_deref() {
        None => None,
        Some(raw) => {
            let bytes = URL_SAFE_NO_PAD
                .decode(raw)
                .map_err(|_| ApiError::InvalidCursor)?;
            let c: HistoryCursor =
                serde_json::from_slice(&bytes).map_err(|_| ApiError::InvalidCursor)?;
            if c.s != HISTORY {
                return Err(ApiError::InvalidCursor);
            }
            Some(c.q)
        }
    };
    Ok(store::HistoryPage { after, limit })
}

/// Cuts `limit + 1` events to one page; returns the cursor of the next page, if any.
pub fn one_history_page(events: &mut Vec<store::ReviewEvent>, limit: u32) -> Option<String> {
    let more = events.len() > limit as usize;
    events.truncate(limit as usize);
    more.then(|| events.last().map(|e| history_cursor(e.seq)))
        .flatten()
}

/// The cursor of the page after the event `seq`.
pub fn history_cursor(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::json!({"s": HISTORY, "q": seq}).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_is_bound_to_its_sort() {
        let p = Position {
            rating: 4,
            created_at_ms: 1_700_000_000_123,
            seq: 42,
        };
        let c = encode_cursor(Sort::Highest, p);
        assert_eq!(decode_cursor(&c, Sort::Highest).unwrap(), p);
        assert!(decode_cursor(&c, Sort::Newest).is_err());
        for bad in [
            "",
            "!!!",
            "bm9wZQ",
            &URL_SAFE_NO_PAD.encode(r#"{"s":"highest","r":9,"t":1,"q":1}"#),
        ] {
            assert!(decode_cursor(bad, Sort::Highest).is_err(), "{bad}");
        }
    }

    #[test]
    fn history_cursors_round_trip_and_are_not_list_cursors() {
        let c = history_cursor(42);
        let page = history_page(&HistoryQuery {
            limit: Some(5),
            cursor: Some(c),
        })
        .unwrap();
        assert_eq!(page.after, Some(42));
        assert_eq!(page.limit, 5);
        let list = encode_cursor(
            Sort::Newest,
            Position {
                rating: 4,
                created_at_ms: 1,
                seq: 42,
            },
        );
        let query = |cursor: &str, limit| HistoryQuery {
            limit,
            cursor: Some(cursor.to_owned()),
        };
        assert!(history_page(&query(&list, None)).is_err());
        assert!(history_page(&query("!!!", None)).is_err());
        assert!(
            history_page(&HistoryQuery {
                limit: Some(0),
                cursor: None
            })
            .is_err()
        );
        assert!(
            history_page(&HistoryQuery {
                limit: Some(101),
                cursor: None
            })
            .is_err()
        );
    }
}
