//! What other sites embed or subscribe to: the widget (its script, its JSON and its iframe
//! fallback), the SVG badge and the Atom feed of a business's reviews. Every one is a public
//! read: served from the public cache with a strong ETag, `304` on `If-None-Match`, and
//! readable from any origin (`lib.rs::public_cors`).

use std::sync::LazyLock;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use chrono::Utc;
use domain::invitation::{Locale, Relationship};
use serde::{Deserialize, Serialize};
use store::{Review, ReviewQuery, Sort};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::cache::Cached;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::public::cached_as;
use crate::public::public_read;
use crate::web::charts::escape;
use crate::web::i18n::{Tr, stars};

/// The widget's script, for other sites to include (`docs/embedding.md`).
const WIDGET_JS: &str = include_str!("../static/widget.js");
/// How many reviews the widget, the badge's page and the feed show.
const WIDGET_REVIEWS: u32 = 3;
const FEED_ENTRIES: u32 = 50;
/// Review texts in the widget are cut here, at a word, with an ellipsis.
const WIDGET_BODY_CHARS: usize = 240;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// `it` (default) or `en`.
    pub lang: Option<String>,
}

fn locale(lang: Option<&str>) -> Result<Locale, ApiError> {
    match lang {
        None => Ok(Locale::It),
        Some(l) => l.parse().map_err(|_| {
            ApiError::InvalidQuery(domain::ValidationErrors::single(
                "lang",
                "invalid_choice",
                "must be it or en",
            ))
        }),
    }
}

/// `GET /widget.js`: the same bytes for every site, cached for an hour, revalidated by ETag.
pub async fn widget_js(headers: HeaderMap) -> Response {
    static ENTRY: LazyLock<Cached> =
        LazyLock::new(|| Cached::new(Bytes::from_static(WIDGET_JS.as_bytes())));
    let mut response = public_read(&headers, &ENTRY, "text/javascript; charset=utf-8");
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// The widget's data: the business, its score and its latest reviews, every word in the
/// asked language.
#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetView {
    pub lang: &'static str,
    pub business: WidgetBusiness,
    pub review_count: u64,
    pub rating_average: Option<f64>,
    pub score: Option<WidgetScore>,
    pub labels: WidgetLabels,
    pub reviews: Vec<WidgetReview>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetBusiness {
    pub name: String,
    pub slug: String,
    /// The business page.
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetScore {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// Ready words for the widget: it has none of its own.
#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetLabels {
    pub title: String,
    /// The score, formatted ("4,4 / 5"); empty without reviews.
    pub score: String,
    pub score_label: String,
    pub count: String,
    pub read_all: String,
    pub verified: String,
    pub empty: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetReview {
    /// The review's permalink.
    pub url: String,
    pub rating: u8,
    pub rating_label: String,
    pub title: String,
    /// At most 240 characters, cut at a word.
    pub body: String,
    pub author_name: String,
    /// The publication date, in words.
    pub date: String,
    pub published_at: chrono::DateTime<Utc>,
}

/// `text` cut to at most `max` characters at a word boundary, with "…" when cut.
fn excerpt(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let at_word = cut.rfind(char::is_whitespace).unwrap_or(cut.len());
    format!("{}…", cut[..at_word].trim_end())
}

async fn latest(
    state: &AppState,
    business: &store::Business,
    limit: u32,
) -> Result<Vec<Review>, ApiError> {
    let mut rows = newest_after(state, business, None, limit).await?;
    rows.truncate(limit as usize);
    Ok(rows)
}

/// One page of the business's newest customer reviews, after `after`: up to `limit + 1`.
async fn newest_after(
    state: &AppState,
    business: &store::Business,
    after: Option<store::Position>,
    limit: u32,
) -> Result<Vec<Review>, ApiError> {
    Ok(state
        .store
        .list_reviews(
            business.id,
            ReviewQuery {
                relationship: Relationship::Customer,
                rating: None,
                sort: Sort::Newest,
                after,
                limit,
            },
        )
        .await?)
}

/// How many pages of reviews the widget looks through for ones written here.
const WIDGET_PAGES: usize = 10;
/// Reviews per page the widget reads.
const WIDGET_PAGE: u32 = 50;

/// The newest reviews written here, not imported (the widget says "verified reviews"), up
/// to `limit`: looked for through at most [`WIDGET_PAGES`] pages, so that a large import
/// cannot empty the widget, nor make it read every review. (Cached like every public read.)
async fn latest_written_here(
    state: &AppState,
    business: &store::Business,
    limit: usize,
) -> Result<Vec<Review>, ApiError> {
    let mut found = Vec::with_capacity(limit);
    let mut after = None;
    for _ in 0..WIDGET_PAGES {
        let mut page = newest_after(state, business, after, WIDGET_PAGE).await?;
        let more = page.len() > WIDGET_PAGE as usize;
        page.truncate(WIDGET_PAGE as usize);
        after = page.last().map(|r| r.position);
        found.extend(page.into_iter().filter(|r| r.imported.is_none()));
        if found.len() >= limit || !more {
            break;
        }
    }
    found.truncate(limit);
    Ok(found)
}

async fn widget_view(
    state: &AppState,
    business: store::Business,
    locale: Locale,
) -> Result<WidgetView, ApiError> {
    let tr = Tr::new(locale);
    let summary = state
        .store
        .summary(business.id, Relationship::Customer)
        .await?;
    let reviews = latest_written_here(state, &business, WIDGET_REVIEWS as usize).await?;
    let score = summary.score.map(|s| WidgetScore {
        value: s.value,
        low: s.low,
        high: s.high,
    });
    let score_text = score
        .as_ref()
        .map(|s| tr.decimal(s.value, 1))
        .unwrap_or_default();
    Ok(WidgetView {
        lang: tr.lang(),
        labels: WidgetLabels {
            title: tr.t("widget-title"),
            score: if score_text.is_empty() {
                String::new()
            } else {
                tr.with("widget-score", "score", &score_text)
            },
            score_label: tr.with("widget-score-label", "score", &score_text),
            count: tr.count("reviews-count", summary.review_count),
            read_all: tr.t("widget-read-all"),
            verified: tr.t("widget-verified"),
            empty: tr.t("widget-empty"),
        },
        reviews: reviews
            .iter()
            .filter_map(|r| {
                let c = r.content.as_ref()?;
                Some(WidgetReview {
                    url: state.link(&format!("/b/{}/r/{}", business.slug, r.id)),
                    rating: c.rating,
                    rating_label: tr.count("rated", c.rating),
                    title: c.title.clone(),
                    body: excerpt(&c.body, WIDGET_BODY_CHARS),
                    author_name: c.author_name.clone(),
                    date: tr.date(r.created_at.date_naive()),
                    published_at: r.created_at,
                })
            })
            .collect(),
        business: WidgetBusiness {
            url: state.link(&format!("/b/{}", business.slug)),
            name: business.name,
            slug: business.slug,
        },
        review_count: summary.review_count,
        rating_average: summary.rating_average,
        score,
    })
}

/// The widget's data for a business, in one language, readable from any origin.
#[utoipa::path(
    get,
    path = "/api/v1/businesses/{slug}/widget",
    tag = "businesses",
    params(("slug" = String, Path, description = "The business's slug"), LangQuery),
    responses(
        (status = 200, body = WidgetView),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn widget_json(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<LangQuery>,
) -> Result<Response, ApiError> {
    let locale = locale(q.lang.as_deref())?;
    let key = format!("widget:{}", locale.as_str());
    let s = state.clone();
    cached_as(
        &state,
        &headers,
        &slug,
        &key,
        "application/json",
        |business| async move {
            let view = widget_view(&s, business, locale).await?;
            serde_json::to_vec(&view).map_err(|e| ApiError::Internal(Box::new(e)))
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct FrameQuery {
    lang: Option<String>,
    theme: Option<String>,
}

#[derive(Template)]
#[template(path = "widget_frame.html")]
struct FramePage {
    tr: Tr,
    style: &'static str,
    theme: &'static str,
    view: WidgetView,
    stars: String,
    review_stars: Vec<String>,
}

/// `GET /widget/{slug}?lang=&theme=`: the widget as a page, for sites that frame it
/// instead of running a script. Any site may frame it; its links open in a new tab.
pub async fn widget_frame(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<FrameQuery>,
) -> Result<Response, ApiError> {
    let locale = locale(q.lang.as_deref())?;
    let theme = match q.theme.as_deref() {
        Some("dark") => "dark",
        Some("auto") => "auto",
        _ => "light",
    };
    let key = format!("frame:{}:{theme}", locale.as_str());
    let s = state.clone();
    let mut response = cached_as(
        &state,
        &headers,
        &slug,
        &key,
        "text/html; charset=utf-8",
        |business| async move {
            let view = widget_view(&s, business, locale).await?;
            let page = FramePage {
                tr: Tr::new(locale),
                style: crate::web::assets::STYLE_PATH.as_str(),
                theme,
                // The same stars as the script's: the score's.
                stars: stars(view.score.as_ref().map_or(0, |s| s.value.round() as u8)),
                review_stars: view.reviews.iter().map(|r| stars(r.rating)).collect(),
                view,
            };
            page.render()
                .map(String::into_bytes)
                .map_err(|e| ApiError::Internal(Box::new(e)))
        },
    )
    .await?;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; \
             frame-ancestors *; base-uri 'none'; form-action 'none'",
        ),
    );
    Ok(response)
}

/// `GET /badge/{slug}.svg?lang=`: the score and review count as a small SVG image.
pub async fn badge(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(file): ApiPath<String>,
    ApiQuery(q): ApiQuery<LangQuery>,
) -> Result<Response, ApiError> {
    let slug = file
        .strip_suffix(".svg")
        .ok_or(ApiError::NotFound("badge"))?;
    let locale = locale(q.lang.as_deref())?;
    let key = format!("badge:{}", locale.as_str());
    let store = state.store.clone();
    cached_as(
        &state,
        &headers,
        slug,
        &key,
        "image/svg+xml",
        |business| async move {
            let tr = Tr::new(locale);
            let summary = store.summary(business.id, Relationship::Customer).await?;
            let right = match summary.score {
                Some(s) => tr.args(
                    "badge-value",
                    &[
                        ("score", tr.decimal(s.value, 1).into()),
                        (
                            "count",
                            i64::try_from(summary.review_count).unwrap_or(0).into(),
                        ),
                    ],
                ),
                None => tr.t("widget-empty"),
            };
            Ok(badge_svg(&tr.t("badge-label"), &right).into_bytes())
        },
    )
    .await
}

/// A two-part badge in the familiar flat style. Widths are estimated (7 px a character at
/// 11 px Verdana-like type); the text is escaped, and the image says itself in its title.
fn badge_svg(left: &str, right: &str) -> String {
    let width = |s: &str| 12 + 7 * s.chars().count();
    let (lw, rw) = (width(left), width(right));
    let total = lw + rw;
    let (l, r) = (escape(left), escape(right));
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{l}: {r}"><title>{l}: {r}</title><rect width="{lw}" height="20" fill="#1d2327"/><rect x="{lw}" width="{rw}" height="20" fill="#0b6e4f"/><g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle"><text x="{lx}" y="14">{l}</text><text x="{rx}" y="14">{r}</text></g></svg>"##,
        lx = lw / 2,
        rx = lw + rw / 2,
    )
}

/// `GET /b/{slug}/feed.atom?lang=`: the business's latest 50 customer reviews as an Atom
/// feed, its words in Italian (default) or English.
pub async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<LangQuery>,
) -> Result<Response, ApiError> {
    use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
    // The language from the query, never from the request's headers or cookies: a shared
    // cache in front keys on the URL alone.
    let tr = Tr::new(locale(q.lang.as_deref())?);
    let key = format!("feed:{}", tr.lang());
    let s = state.clone();
    cached_as(
        &state,
        &headers,
        &slug,
        &key,
        "application/atom+xml; charset=utf-8",
        |business| async move {
            let reviews = latest(&s, &business, FEED_ENTRIES).await?;
            let page = s.link(&format!("/b/{}", business.slug));
            let entries: Vec<Entry> = reviews
                .iter()
                .filter_map(|r| {
                    let c = r.content.as_ref()?;
                    let permalink = s.link(&format!("/b/{}/r/{}", business.slug, r.id));
                    let mut body = tr.count("rated", c.rating);
                    // An imported review says so, where and when it was written, first.
                    if let Some(i) = &r.imported {
                        let origin = tr.args(
                            "imported-from",
                            &[
                                ("source", i.source.clone().into()),
                                ("date", tr.date(i.original_date).into()),
                            ],
                        );
                        body = format!("{}: {origin}\n{body}", tr.t("imported"));
                    }
                    body.push_str(&format!("\n\n{}", c.body));
                    if let Some(reply) = &r.reply {
                        body.push_str(&format!(
                            "\n\n{}\n{}",
                            tr.with("reply-from", "name", &reply.responder_name),
                            reply.body
                        ));
                    }
                    let updated = [
                        Some(r.created_at),
                        r.updated_at,
                        r.reply
                            .as_ref()
                            .map(|p| p.updated_at.unwrap_or(p.created_at)),
                    ]
                    .into_iter()
                    .flatten()
                    .max()
                    .unwrap_or(r.created_at);
                    Some(Entry {
                        title: Text::plain(format!("{} {}", stars(c.rating), c.title)),
                        id: permalink.clone(),
                        updated: updated.fixed_offset(),
                        published: Some(r.created_at.fixed_offset()),
                        authors: vec![Person {
                            name: c.author_name.clone(),
                            ..Person::default()
                        }],
                        links: vec![Link {
                            href: permalink,
                            ..Link::default()
                        }],
                        content: Some(Content {
                            value: Some(body),
                            content_type: Some("text".into()),
                            lang: Some(c.language.clone()),
                            ..Content::default()
                        }),
                        ..Entry::default()
                    })
                })
                .collect();
            let updated = entries
                .iter()
                .map(|e| e.updated)
                .max()
                .unwrap_or_else(|| business.created_at.fixed_offset());
            let feed = Feed {
                title: Text::plain(tr.with("feed-title", "name", &business.name)),
                id: page.clone(),
                updated,
                links: vec![
                    Link {
                        href: page,
                        ..Link::default()
                    },
                    Link {
                        href: s.link(&format!("/b/{}/feed.atom", business.slug)),
                        rel: "self".into(),
                        mime_type: Some("application/atom+xml".into()),
                        ..Link::default()
                    },
                ],
                lang: Some(tr.lang().into()),
                entries,
                ..Feed::default()
            };
            feed.write_to(Vec::new())
                .map_err(|e| ApiError::Internal(Box::new(e)))
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_cut_at_a_word() {
        assert_eq!(excerpt("breve", 240), "breve");
        assert_eq!(excerpt("uno due tre quattro", 9), "uno due…");
        assert_eq!(excerpt("àèìòù àèìòù", 8), "àèìòù…");
    }

    #[test]
    fn badge_text_is_escaped() {
        let svg = badge_svg("Passaparola", "<b>&'\"");
        assert!(svg.contains("&lt;b&gt;&amp;&#39;&quot;"));
        assert!(!svg.contains("<b>"));
    }
}
