//! `passaparola shop connect` and `passaparola business link-secret`: the secrets a
//! business's shop signs with (docs/shops.md, docs/invitation-links.md). What is printed
//! goes to the operator's terminal, never to a log.

use anyhow::{Result, anyhow};
use chrono::Utc;
use clap::Subcommand;
use domain::shop::ShopKind;
use store::Store;
use url::Url;

#[derive(Debug, Clone, Subcommand)]
pub enum ShopCommand {
    /// Connect a business's shop: its orders' webhooks become invitations. Prints the
    /// webhook address to paste into the shop, and the secret if one was made.
    Connect {
        /// The business's slug.
        #[arg(long)]
        business: String,
        /// shopify or woocommerce.
        #[arg(long)]
        kind: String,
        /// The secret the shop signs with: Shopify's webhook signing secret (shown under
        /// Settings → Notifications → Webhooks), or the one typed into WooCommerce's
        /// webhook form. Without it, a new one is made and printed (for WooCommerce).
        #[arg(long, env = "PASSAPAROLA_SHOP_SECRET", hide_env_values = true)]
        secret: Option<String>,
        /// The instance's public address, for the webhook address.
        #[arg(
            long,
            env = "PASSAPAROLA_BASE_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        base_url: Url,
    },
}

pub async fn run(store: &dyn Store, command: ShopCommand) -> Result<()> {
    let ShopCommand::Connect {
        business,
        kind,
        secret,
        base_url,
    } = command;
    let kind: ShopKind = kind
        .parse()
        .map_err(|_| anyhow!("--kind {kind:?}: one of shopify, woocommerce"))?;
    let found = store
        .business_by_slug(&business)
        .await?
        .ok_or_else(|| anyhow!("no business has the slug {business:?}"))?;
    let made = secret.is_none();
    let secret = match secret {
        Some(s) if s.trim().len() < 16 => {
            return Err(anyhow!(
                "--secret is too short to sign with (at least 16 characters)"
            ));
        }
        Some(s) => s.trim().to_owned(),
        None => app::shops::new_secret(),
    };
    store
        .connect_shop(found.id, kind, secret.clone(), Utc::now())
        .await?;
    let address = format!(
        "{}/hooks/{}/{}",
        base_url.as_str().trim_end_matches('/'),
        kind.as_str(),
        found.slug
    );
    println!("{} connected to {}", kind.as_str(), found.slug);
    println!("webhook address: {address}");
    match kind {
        ShopKind::Shopify => println!("topic: orders/fulfilled, format: JSON"),
        ShopKind::WooCommerce => println!("topic: Order updated, API version: WP REST API v3"),
    }
    if made {
        println!("secret (shown once): {secret}");
    }
    Ok(())
}

/// Starts a new generation of the business's link secret and prints it (once): every link
/// signed with the previous one stops working.
pub async fn link_secret(store: &dyn Store, data_dir: &std::path::Path, slug: &str) -> Result<()> {
    let found = store
        .business_by_slug(slug)
        .await?
        .ok_or_else(|| anyhow!("no business has the slug {slug:?}"))?;
    // The server's key, never a new one: a secret derived from another key signs links the
    // server refuses.
    let path = data_dir.join("instance.key");
    if !path.exists() {
        return Err(anyhow!(
            "there is no instance key at {}: point --data-dir at the server's data directory",
            path.display()
        ));
    }
    let key = app::config::instance_key(data_dir)?;
    let generation = store.rotate_link_secret(found.id, Utc::now()).await?;
    println!(
        "link secret for {} (shown once; links signed with an earlier one no longer work):",
        found.slug
    );
    println!("{}", key.link_secret(found.id, generation));
    Ok(())
}
