//! `GET /b/{slug}/p/{sku}`: one product's figures, trends and latest ratings.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::invitation::Relationship;

use super::path_segment;
use crate::AppState;
use crate::extract::ApiPath;
use crate::web::figures::{self, ChartView, FiguresQuery, points};
use crate::web::i18n::{Tr, stars};
use crate::web::jsonld;
use crate::web::parts::Select;
use crate::web::{Meta, PageError, render};

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
    let described = state.store.product(business.id, sku.clone()).await?;
    let here = format!("/b/{slug}/p/{}", path_segment(&sku));
    let json_ld = jsonld::product(
        &product,
        described.as_ref(),
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
