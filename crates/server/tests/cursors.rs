//! Pagination cursors come back from strangers: fuzzed with proptest (stable Rust has no
//! `cargo fuzz`). Any text, and any JSON dressed as a cursor, is a page query or a clear
//! refusal (`invalid-cursor`, `invalid-query`), never a panic; a cursor this server issued
//! is accepted for its own sort only.

#![allow(clippy::unwrap_used, reason = "a panic in a test is a failing test")]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use server::error::ApiError;
use server::listing::{HistoryQuery, ListQuery, history_page, review_query};

fn list(cursor: String, sort: Option<&str>) -> Result<store::ReviewQuery, ApiError> {
    review_query(&ListQuery {
        limit: None,
        cursor: Some(cursor),
        rating: None,
        relationship: None,
        sort: sort.map(str::to_owned),
    })
}

fn history(cursor: String) -> Result<store::HistoryPage, ApiError> {
    history_page(&HistoryQuery {
        limit: None,
        cursor: Some(cursor),
    })
}

fn refused_clearly(e: &ApiError) -> bool {
    matches!(e, ApiError::InvalidCursor | ApiError::InvalidQuery(_))
}

/// JSON shaped like our cursors, with any values.
fn cursor_json() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("newest".to_owned()),
            Just("oldest".to_owned()),
            Just("highest".to_owned()),
            Just("lowest".to_owned()),
            Just("history".to_owned()),
            ".{0,8}"
        ],
        any::<i64>(),
        any::<i64>(),
        any::<i64>(),
        any::<bool>(),
    )
        .prop_map(|(s, r, t, q, extra)| {
            let mut v = serde_json::json!({"s": s, "r": r, "t": t, "q": q});
            if extra {
                v["x"] = serde_json::json!(1);
            }
            URL_SAFE_NO_PAD.encode(v.to_string())
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn any_text_is_a_page_or_a_clear_refusal(cursor in ".{0,200}", sort in prop::option::of("newest|oldest|highest|lowest")) {
        if let Err(e) = list(cursor.clone(), sort.as_deref()) {
            prop_assert!(refused_clearly(&e), "{e:?}");
        }
        if let Err(e) = history(cursor) {
            prop_assert!(refused_clearly(&e), "{e:?}");
        }
    }

    #[test]
    fn cursor_shaped_json_is_a_page_or_a_clear_refusal(cursor in cursor_json()) {
        for sort in ["newest", "oldest", "highest", "lowest"] {
            match list(cursor.clone(), Some(sort)) {
                Ok(q) => prop_assert!(q.after.is_some_and(|p| (1..=5).contains(&p.rating))),
                Err(e) => prop_assert!(refused_clearly(&e), "{e:?}"),
            }
        }
        if let Err(e) = history(cursor) {
            prop_assert!(refused_clearly(&e), "{e:?}");
        }
    }
}

/// A list's cursor is accepted by its own sort and no other, and never as a history's.
#[test]
fn issued_cursors_are_bound_to_their_sort() {
    let cursor = URL_SAFE_NO_PAD.encode(r#"{"s":"highest","r":4,"t":1700000000123,"q":42}"#);
    assert!(list(cursor.clone(), Some("highest")).is_ok());
    assert!(list(cursor.clone(), Some("newest")).is_err());
    assert!(history(cursor).is_err());
    let history_cursor = server::listing::history_cursor(7);
    assert_eq!(history(history_cursor.clone()).unwrap().after, Some(7));
    assert!(list(history_cursor, None).is_err());
}
