//! Shops that send their orders (webhooks signed with a secret the shop and Passaparola
//! share) and the generation of each business's link secret (the secret itself is derived
//! from the instance key, and stored nowhere).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ids::BusinessId;
use domain::shop::ShopKind;

use crate::Result;

#[async_trait]
pub trait Shops: Send + Sync {
    /// Connects (or reconnects, replacing its secret) the business's shop of `kind`.
    async fn connect_shop(
        &self,
        business: BusinessId,
        kind: ShopKind,
        secret: String,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// The secret the business's shop of `kind` signs with, if one is connected.
    async fn shop_secret(&self, business: BusinessId, kind: ShopKind) -> Result<Option<String>>;
    /// The kinds of shop the business has connected, with when.
    async fn shops(&self, business: BusinessId) -> Result<Vec<(ShopKind, DateTime<Utc>)>>;
    /// Whether this delivery of the shop's webhook was handled before.
    async fn delivery_seen(
        &self,
        business: BusinessId,
        kind: ShopKind,
        delivery: &str,
    ) -> Result<bool>;
    /// Records a delivery as handled (a no-op if it was).
    async fn record_delivery(
        &self,
        business: BusinessId,
        kind: ShopKind,
        delivery: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// The business's link secret's generation, if it has one.
    async fn link_generation(&self, business: BusinessId) -> Result<Option<u32>>;
    /// Starts a new generation of the business's link secret (the first is 1); returns it.
    async fn rotate_link_secret(&self, business: BusinessId, at: DateTime<Utc>) -> Result<u32>;
}
