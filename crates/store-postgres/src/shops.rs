//! Shops and link secrets (see `store::shops`), as SQLite's.

use chrono::{DateTime, Utc};
use domain::ids::BusinessId;
use domain::shop::ShopKind;

use crate::db::{Db, corrupt, from_ms, to_ms};
use crate::{PostgresStore, StoreResult};

#[async_trait::async_trait]
impl store::Shops for PostgresStore {
    async fn connect_shop(
        &self,
        business: BusinessId,
        kind: ShopKind,
        secret: String,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        transaction!(self, tx => {
            Db::execute(
                &tx,
                "INSERT INTO shop_connections (business_id, kind, secret, created_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (business_id, kind) DO UPDATE SET secret = excluded.secret,
                     created_at = excluded.created_at",
                &[&business.0, &kind.as_str(), &secret, &to_ms(at)],
            )
            .await?;
        })
    }

    async fn shop_secret(
        &self,
        business: BusinessId,
        kind: ShopKind,
    ) -> StoreResult<Option<String>> {
        let row = Db::query_opt(
            &client!(self),
            "SELECT secret FROM shop_connections WHERE business_id = $1 AND kind = $2",
            &[&business.0, &kind.as_str()],
        )
        .await?;
        Ok(row
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(crate::db::Error::from)?)
    }

    async fn shops(&self, business: BusinessId) -> StoreResult<Vec<(ShopKind, DateTime<Utc>)>> {
        let rows = Db::query(
            &client!(self),
            "SELECT kind, created_at FROM shop_connections WHERE business_id = $1 ORDER BY kind",
            &[&business.0],
        )
        .await?;
        let decode = |r: &tokio_postgres::Row| -> crate::db::Result<(ShopKind, DateTime<Utc>)> {
            let kind: String = r.try_get(0)?;
            Ok((
                kind.parse().map_err(|_| corrupt("shop kind", &kind))?,
                from_ms(r.try_get(1)?)?,
            ))
        };
        Ok(rows.iter().map(decode).collect::<crate::db::Result<_>>()?)
    }

    async fn delivery_seen(
        &self,
        business: BusinessId,
        kind: ShopKind,
        delivery: &str,
    ) -> StoreResult<bool> {
        Ok(Db::query_opt(
            &client!(self),
            "SELECT 1 FROM shop_deliveries
             WHERE business_id = $1 AND kind = $2 AND delivery_id = $3",
            &[&business.0, &kind.as_str(), &delivery],
        )
        .await?
        .is_some())
    }

    async fn record_delivery(
        &self,
        business: BusinessId,
        kind: ShopKind,
        delivery: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        transaction!(self, tx => {
            Db::execute(
                &tx,
                "INSERT INTO shop_deliveries (business_id, kind, delivery_id, received_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[&business.0, &kind.as_str(), &delivery, &to_ms(at)],
            )
            .await?;
        })
    }

    async fn link_generation(&self, business: BusinessId) -> StoreResult<Option<u32>> {
        let row = Db::query_opt(
            &client!(self),
            "SELECT generation FROM link_secrets WHERE business_id = $1",
            &[&business.0],
        )
        .await?;
        let Some(row) = row else { return Ok(None) };
        let g: i64 = row.try_get(0).map_err(crate::db::Error::from)?;
        Ok(Some(
            u32::try_from(g).map_err(|_| corrupt("generation", g))?,
        ))
    }

    async fn rotate_link_secret(
        &self,
        business: BusinessId,
        at: DateTime<Utc>,
    ) -> StoreResult<u32> {
        let g: i64 = transaction!(self, tx => {
            Db::query_one(
                &tx,
                "INSERT INTO link_secrets (business_id, generation, created_at)
                 VALUES ($1, 1, $2)
                 ON CONFLICT (business_id) DO UPDATE SET
                     generation = link_secrets.generation + 1,
                     created_at = excluded.created_at
                 RETURNING generation",
                &[&business.0, &to_ms(at)],
            )
            .await?
            .try_get(0)?
        })?;
        u32::try_from(g).map_err(|_| store::StoreError::Backend("generation out of range".into()))
    }
}
