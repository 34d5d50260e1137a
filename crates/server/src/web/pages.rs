//! The public pages: home (find a business), a business's page, a review's permalink, and the
//! language switch. Handlers build plain view models; templates only print them (escaped).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::ids::ReviewId;
use domain::invitation::{Locale, Relationship};
use serde::Deserialize;
use store::Sort;

use super::figures::{self, ChartView, FiguresQuery, points};
use super::i18n::{self, Tr, stars};
use super::jsonld;
use super::parts::{Card, Choice, Select, card};
use super::{Meta, PageError, render};
use crate::AppState;
use crate::api::businesses::{ListQuery, one_page, review_query, sort_name};
use crate::extract::ApiPath;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    tr: Tr,
    meta: Meta,
    query: String,
    results_heading: String,
    no_results: Option<String>,
    /// (slug, name)
    businesses: Vec<(String, String)>,
}

#[derive(Debug, Deserialize)]
pub struct HomeQuery {
    q: Option<String>,
}

/// `GET /`: find a business by name.
pub async fn home(
    State(state): State<AppState>,
    tr: Tr,
    Query(q): Query<HomeQuery>,
) -> Result<Response, PageError> {
    let query: String = q.q.unwrap_or_default().trim().chars().take(100).collect();
    let found = state.store.search_businesses(&query, 50).await?;
    let here = if query.is_empty() {
        "/".to_owned()
    } else {
        format!("/?q={}", urlencoding(&query))
    };
    let page = HomePage {
        meta: Meta::new(tr.t("home-title"), tr.t("home-description"), here),
        results_heading: if query.is_empty() {
            tr.t("businesses-heading")
        } else {
            tr.count("search-results", found.len())
        },
        no_results: found
            .is_empty()
            .then(|| tr.with("search-none", "query", &query)),
        businesses: found.into_iter().map(|b| (b.slug, b.name)).collect(),
        query,
        tr,
    };
    render(StatusCode::OK, &page)
}

/// Percent-encodes a query value (the `url` crate's form encoding).
fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `s` as one percent-encoded path segment (form encoding writes a space as `+`, which a
/// path would keep as a plus).
pub(super) fn path_segment(s: &str) -> String {
    urlencoding(s).replace('+', "%20")
}

#[derive(Debug)]
pub struct Bar {
    pub label: String,
    pub href: String,
    pub count: u64,
    pub max: u64,
}

#[derive(Template)]
#[template(path = "business.html")]
struct BusinessPage {
    tr: Tr,
    meta: Meta,
    slug: String,
    name: String,
    website: Option<String>,
    average: Option<String>,
    average_label: String,
    average_stars: String,
    count: String,
    bars: Vec<Bar>,
    /// (term, value) for the chosen period.
    figures: Vec<(String, String)>,
    figure_selects: Vec<Select>,
    figures_action: String,
    /// The relationship, kept by the figures' form when it is not the default.
    relationship: Option<&'static str>,
    charts: Vec<ChartView>,
    products: Vec<ProductLink>,
    json_ld: String,
    selects: Vec<Select>,
    cards: Vec<Card>,
    next_page: Option<String>,
    first_page: Option<String>,
}

/// A product in the business page's list.
#[derive(Debug)]
pub struct ProductLink {
    pub href: String,
    pub name: String,
    pub summary: String,
}

/// The business page's query, as a form sends it: empty values mean "any".
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    rating: Option<String>,
    relationship: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
    period: Option<String>,
    verified: Option<String>,
    grain: Option<String>,
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

/// `GET /b/{slug}`: the business's figures and its reviews, filtered, sorted and paged.
pub async fn business(
    State(state): State<AppState>,
    tr: Tr,
    ApiPath(slug): ApiPath<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let rating = match non_empty(q.rating) {
        Some(r) => Some(
            r.parse::<i64>()
                .map_err(|_| PageError::BadRequest("rating".into()))?,
        ),
        None => None,
    };
    let list = ListQuery {
        limit: None,
        cursor: non_empty(q.cursor),
        rating,
        relationship: non_empty(q.relationship),
        sort: non_empty(q.sort),
    };
    let query = review_query(&list)?;
    let business = state
        .store
        .business_by_slug(&slug)
        .await?
        .ok_or(PageError::NotFound)?;
    let summary = state.store.summary(business.id, query.relationship).await?;
    let chosen = FiguresQuery {
        period: q.period,
        verified: q.verified,
        grain: q.grain,
    }
    .choice();
    let filter = chosen.filter(query.relationship, None);
    let now = chrono::Utc::now();
    let stats = state.store.stats(business.id, filter.clone(), now).await?;
    let trend = state
        .store
        .trend(business.id, filter, chosen.grain, points(chosen.grain), now)
        .await?;
    // Product pages are the customers' ratings: so is the list that links them.
    let products = state
        .store
        .products(business.id, Relationship::Customer)
        .await?;
    let mut rows = state.store.list_reviews(business.id, query.clone()).await?;
    let next = one_page(&mut rows, query.limit, query.sort);

    // The filters, as query parameters for the links (defaults left out).
    let mut params: Vec<(&str, String)> = Vec::new();
    if let Some(r) = query.rating {
        params.push(("rating", r.get().to_string()));
    }
    if query.relationship != Relationship::Customer {
        params.push(("relationship", query.relationship.as_str().to_owned()));
    }
    if query.sort != Sort::Newest {
        params.push(("sort", sort_name(query.sort).to_owned()));
    }
    let link = |extra: Option<(&str, String)>| {
        let all: Vec<String> = params
            .iter()
            .cloned()
            .chain(extra)
            .map(|(k, v)| format!("{k}={}", urlencoding(&v)))
            .collect();
        if all.is_empty() {
            format!("/b/{slug}")
        } else {
            format!("/b/{slug}?{}", all.join("&"))
        }
    };
    let here = link(
        query
            .after
            .map(|_| ("cursor", list.cursor.clone().unwrap_or_default())),
    );
    let next_page = next.map(|c| format!("{}#reviews", link(Some(("cursor", c)))));
    let first_page = query
        .after
        .is_some()
        .then(|| format!("{}#reviews", link(None)));

    let total = summary.review_count;
    let average = summary.rating_average.map(|a| tr.decimal(a, 1));
    let rel_param = |rel: Relationship| {
        if rel == Relationship::Customer {
            String::new()
        } else {
            format!("&relationship={}", rel.as_str())
        }
    };
    let bars = (1..=5u8)
        .rev()
        .map(|s| Bar {
            label: tr.count("stars", s),
            href: format!(
                "/b/{slug}?rating={s}{}#reviews",
                rel_param(query.relationship)
            ),
            count: summary.distribution.0[usize::from(s - 1)],
            max: total.max(1),
        })
        .collect();
    let figures = figures::rows(&tr, &stats);
    let page_url = state.link(&format!("/b/{slug}"));
    // Structured data for the customers' figures only: other relationships' reviews are
    // not ratings of the business as a seller (docs/structured-data.md).
    let json_ld = if query.relationship == Relationship::Customer {
        jsonld::organization(
            &business.name,
            &page_url,
            business.website.as_deref(),
            summary.rating_average,
            total,
            &rows,
            &state.link(""),
        )
    } else {
        String::new()
    };
    let products = products
        .into_iter()
        .map(|p| ProductLink {
            href: format!("/b/{slug}/p/{}", path_segment(&p.sku)),
            summary: match p.rating_average {
                Some(a) => tr.args(
                    "product-summary",
                    &[
                        ("average", tr.decimal(a, 1).into()),
                        ("count", i64::try_from(p.reviews).unwrap_or(0).into()),
                    ],
                ),
                None => tr.t("product-no-ratings"),
            },
            name: p.name,
        })
        .collect();
    let choice = |value: String, label: String, selected: bool| Choice {
        value,
        label,
        selected,
    };
    let mut star_options = vec![choice(String::new(), tr.t("filter-all"), rating.is_none())];
    star_options.extend((1..=5u8).rev().map(|s| {
        choice(
            s.to_string(),
            tr.count("stars", s),
            query.rating.map(|r| r.get()) == Some(s),
        )
    }));
    let selects = vec![
        Select {
            name: "rating",
            label: tr.t("filter-stars"),
            options: star_options,
        },
        Select {
            name: "relationship",
            label: tr.t("filter-relationship"),
            options: Relationship::ALL
                .iter()
                .map(|&r| {
                    choice(
                        r.as_str().to_owned(),
                        tr.relationship(r),
                        r == query.relationship,
                    )
                })
                .collect(),
        },
        Select {
            name: "sort",
            label: tr.t("sort-label"),
            options: [Sort::Newest, Sort::Oldest, Sort::Highest, Sort::Lowest]
                .into_iter()
                .map(|s| {
                    let name = sort_name(s);
                    choice(
                        name.to_owned(),
                        tr.t(&format!("sort-{name}")),
                        s == query.sort,
                    )
                })
                .collect(),
        },
    ];
    let page = BusinessPage {
        meta: Meta::new(
            tr.with("business-title", "name", &business.name),
            tr.args(
                "business-description",
                &[
                    ("name", business.name.clone().into()),
                    ("count", i64::try_from(total).unwrap_or(i64::MAX).into()),
                ],
            ),
            here,
        ),
        average_label: average
            .as_deref()
            .map(|a| tr.with("score-out-of", "average", a))
            .unwrap_or_default(),
        average_stars: stars(summary.rating_average.map_or(0, |a| a.round() as u8)),
        average,
        count: tr.count("reviews-count", total),
        bars,
        figures,
        figure_selects: chosen.selects(&tr),
        figures_action: format!("/b/{slug}#figures-h"),
        relationship: (query.relationship != Relationship::Customer)
            .then_some(query.relationship.as_str()),
        charts: figures::charts(&tr, "trend", &trend, chosen.grain),
        products,
        json_ld,
        selects,
        cards: rows.iter().map(|r| card(&tr, r, true)).collect(),
        next_page,
        first_page,
        slug: business.slug,
        name: business.name,
        website: business.website,
        tr,
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage {
    tr: Tr,
    meta: Meta,
    slug: String,
    business: String,
    name: String,
    average: Option<String>,
    average_label: String,
    average_stars: String,
    count: String,
    figures: Vec<(String, String)>,
    figure_selects: Vec<Select>,
    figures_action: String,
    relationship: Option<&'static str>,
    charts: Vec<ChartView>,
    cards: Vec<ProductCard>,
    json_ld: String,
}

/// A product rating as a card.
#[derive(Debug)]
pub struct ProductCard {
    pub stars: String,
    pub stars_label: String,
    pub body: Option<String>,
    pub byline: String,
    pub permalink: String,
}

/// `GET /b/{slug}/p/{sku}`: one product's figures, trends and latest ratings.
pub async fn product(
    State(state): State<AppState>,
    tr: Tr,
    ApiPath((slug, sku)): ApiPath<(String, String)>,
    Query(q): Query<FiguresQuery>,
) -> Result<Response, PageError> {
    let business = state
        .store
        .business_by_slug(&slug)
        .await?
        .ok_or(PageError::NotFound)?;
    let products = state
        .store
        .products(business.id, Relationship::Customer)
        .await?;
    let product = products
        .into_iter()
        .find(|p| p.sku == sku)
        .ok_or(PageError::NotFound)?;
    let chosen = q.choice();
    let now = chrono::Utc::now();
    let filter = chosen.filter(Relationship::Customer, Some(sku.clone()));
    let stats = state.store.stats(business.id, filter.clone(), now).await?;
    let trend = state
        .store
        .trend(business.id, filter, chosen.grain, points(chosen.grain), now)
        .await?;
    let reviews = state
        .store
        .product_reviews(business.id, sku.clone(), Relationship::Customer, 20)
        .await?;
    let cards = reviews
        .iter()
        .filter_map(|r| {
            let c = r.content.as_ref()?;
            let p = c.products.iter().find(|p| p.sku == sku)?;
            Some(ProductCard {
                stars: stars(p.rating),
                stars_label: tr.count("rated", p.rating),
                body: p.body.clone(),
                byline: tr.args(
                    "product-byline",
                    &[
                        ("author", c.author_name.clone().into()),
                        ("date", tr.date(r.created_at.date_naive()).into()),
                    ],
                ),
                permalink: format!("/b/{slug}/r/{}", r.id),
            })
        })
        .collect();
    let here = format!("/b/{slug}/p/{}", path_segment(&sku));
    let json_ld = jsonld::product(
        &product,
        &state.link(&here),
        &business.name,
        &reviews,
        &state.link(""),
    );
    let average = product.rating_average.map(|a| tr.decimal(a, 1));
    let page = ProductPage {
        meta: Meta::new(
            tr.args(
                "product-title",
                &[
                    ("product", product.name.clone().into()),
                    ("name", business.name.clone().into()),
                ],
            ),
            tr.args(
                "product-description",
                &[
                    ("product", product.name.clone().into()),
                    ("count", i64::try_from(product.reviews).unwrap_or(0).into()),
                ],
            ),
            here.clone(),
        ),
        average_label: average
            .as_deref()
            .map(|a| tr.with("score-out-of", "average", a))
            .unwrap_or_default(),
        average_stars: stars(product.rating_average.map_or(0, |a| a.round() as u8)),
        average,
        count: tr.count("ratings-count", product.reviews),
        figures: figures::rows(&tr, &stats),
        figure_selects: chosen.selects(&tr),
        figures_action: format!("{here}#figures-h"),
        relationship: None,
        charts: figures::charts(&tr, "product", &trend, chosen.grain),
        cards,
        json_ld,
        slug: business.slug,
        business: business.name,
        name: product.name,
        tr,
    };
    render(StatusCode::OK, &page)
}

#[derive(Debug)]
pub struct HistoryLine {
    pub what: String,
    pub datetime: String,
    pub date: String,
    /// (receipt link, "entry no. N")
    pub log: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    tr: Tr,
    meta: Meta,
    slug: String,
    back: String,
    heading: String,
    card: Card,
    history: Vec<HistoryLine>,
    /// ("entry no. N", receipt link)
    log: Option<(String, String)>,
}

/// `GET /b/{slug}/r/{id}`: one review with its history and its place in the log.
pub async fn review(
    State(state): State<AppState>,
    tr: Tr,
    ApiPath((slug, id)): ApiPath<(String, String)>,
) -> Result<Response, PageError> {
    let id: ReviewId = id.parse().map_err(|_| PageError::NotFound)?;
    let review = state
        .store
        .review(id)
        .await?
        .filter(|r| r.business.slug == slug)
        .ok_or(PageError::NotFound)?;
    let events = state.store.review_history(id).await?.unwrap_or_default();
    let entry = |i: u64| tr.with("log-index", "index", &i.to_string());
    let history = events
        .iter()
        .map(|e| HistoryLine {
            what: tr.event(e.kind),
            datetime: e.at.to_rfc3339(),
            date: tr.date(e.at.date_naive()),
            log: e
                .log_index
                .map(|i| (format!("/api/v1/log/entries/{i}/receipt"), entry(i))),
        })
        .collect();
    let name = &review.business.name;
    let (heading, description) = match &review.content {
        Some(c) => (
            tr.args(
                "review-title",
                &[
                    ("author", c.author_name.clone().into()),
                    ("name", name.clone().into()),
                ],
            ),
            tr.args(
                "review-description",
                &[
                    ("title", c.title.clone().into()),
                    ("name", name.clone().into()),
                ],
            ),
        ),
        None => {
            let gone = tr.with("review-title-gone", "name", name);
            (gone.clone(), gone)
        }
    };
    let page = ReviewPage {
        meta: Meta::new(heading.clone(), description, format!("/b/{slug}/r/{id}")),
        back: tr.with("back-to", "name", name),
        heading,
        card: card(&tr, &review, false),
        history,
        log: review
            .log_index
            .map(|i| (entry(i), format!("/api/v1/reviews/{id}/receipt"))),
        slug,
        tr,
    };
    render(StatusCode::OK, &page)
}

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    next: Option<String>,
}

/// `GET /lang/{code}?next=/path`: remembers the choice for a year and goes back.
pub async fn set_language(
    ApiPath(code): ApiPath<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, PageError> {
    let locale: Locale = code.parse().map_err(|_| PageError::NotFound)?;
    // Only a path on this site: never an open redirect.
    let next = q
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or_else(|| "/".into());
    let cookie = format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
        i18n::COOKIE,
        locale.as_str()
    );
    Ok((
        StatusCode::SEE_OTHER,
        [
            (
                header::LOCATION,
                HeaderValue::try_from(next).map_err(|_| PageError::BadRequest("next".into()))?,
            ),
            (
                header::SET_COOKIE,
                HeaderValue::try_from(cookie).map_err(|_| PageError::NotFound)?,
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response())
}
