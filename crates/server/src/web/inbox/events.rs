//! `GET /inbox/events`: the inbox's news as server-sent events, for the page's script to show
//! a new review without a reload. Each event's data is the review's id.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use crate::AppState;
use crate::web::PageError;
use crate::web::session::Session;
use app::live::Heard;

/// How often an open event stream checks, between pieces of news, that its session holds.
const STREAM_SESSION_CHECK: std::time::Duration = std::time::Duration::from_secs(30);

/// `GET /inbox/events`: without a live session, no stream (403).
pub async fn events(
    State(state): State<AppState>,
    session: Option<Session>,
) -> Result<Response, PageError> {
    let s = session.ok_or(PageError::Forbidden)?;
    let listener = state.live.listen(s.user.business.id);
    // The stream lives no longer than its session: it is checked before each piece of news
    // is told, and every `STREAM_SESSION_CHECK` in between, so that after a log-out (or
    // the session's expiry) nothing more is heard. A failed check ends the stream too; the
    // browser reconnects, and a valid session gets a new one.
    let token = s.hash();
    let store = state.store.clone();
    let check = tokio::time::interval_at(
        tokio::time::Instant::now() + STREAM_SESSION_CHECK,
        STREAM_SESSION_CHECK,
    );
    let stream =
        futures_util::stream::unfold((listener, check), move |(mut listener, mut check)| {
            let store = store.clone();
            async move {
                let signed_in =
                    || async { matches!(store.session_user(token, Utc::now()).await, Ok(Some(_))) };
                let event = loop {
                    tokio::select! {
                        heard = listener.next() => break match heard {
                            Heard::News(news) if signed_in().await => Event::default()
                                .event(news.name())
                                .data(news.review().to_string()),
                            // The script reloads the list from the page.
                            Heard::Missed if signed_in().await => {
                                Event::default().event("reload").data("")
                            }
                            Heard::News(_) | Heard::Missed | Heard::Closed => return None,
                        },
                        _ = check.tick() => if !signed_in().await {
                            return None;
                        },
                    }
                };
                Some((Ok::<_, std::convert::Infallible>(event), (listener, check)))
            }
        });
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(20)))
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // nginx would otherwise hold the events back in its buffer.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}
