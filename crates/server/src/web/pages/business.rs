//! `GET /b/{slug}`: a business's page: its figures and trends, its products, and its
//! reviews, filtered, sorted and paged as the API pages them.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::invitation::Relationship;
use serde::Deserialize;
use store::{ProductSummary, ReviewQuery, Sort};

use super::{path_segment, urlencoding};
use crate::AppState;
use crate::extract::ApiPath;
use crate::listing::{ListQuery, one_page, review_query, sort_name};
use crate::web::figures::{self, ChartView, FiguresQuery, points};
use crate::web::i18n::{Tr, stars};
use crate::web::jsonld;
use crate::web::parts::{Card, Choice, Select, card};
use crate::web::{Meta, PageError, render};

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
    let products = product_links(&tr, &slug, products);
    let selects = filter_selects(&tr, rating.is_none(), &query);
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

/// The business's products, each linked to its page with its rating in words.
fn product_links(tr: &Tr, slug: &str, products: Vec<ProductSummary>) -> Vec<ProductLink> {
    products
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
        .collect()
}

/// The review list's filters: stars (`any_rating` when none is asked for), relationship and
/// order, each with the query's choice selected.
fn filter_selects(tr: &Tr, any_rating: bool, query: &ReviewQuery) -> Vec<Select> {
    let choice = |value: String, label: String, selected: bool| Choice {
        value,
        label,
        selected,
    };
    let mut star_options = vec![choice(String::new(), tr.t("filter-all"), any_rating)];
    star_options.extend((1..=5u8).rev().map(|s| {
        choice(
            s.to_string(),
            tr.count("stars", s),
            query.rating.map(|r| r.get()) == Some(s),
        )
    }));
    vec![
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
    ]
}
