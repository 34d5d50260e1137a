//! `passaparola user …`: the people who log in for a business. Users are named by their
//! e-mail address; what is printed goes to the operator's terminal, never to a log.

use anyhow::{Result, anyhow};
use clap::Subcommand;
use store::{Store, StoreError, UserEntry};

use app::people::{Change, Changed};

#[derive(Debug, Clone, Subcommand)]
pub enum UserCommand {
    /// Create a user of a business and print a first password (shown once).
    Create {
        /// The business's slug.
        #[arg(long)]
        business: String,
        #[arg(long)]
        email: String,
        /// The name that signs the business's replies, such as "Giulia Bianchi".
        #[arg(long)]
        name: String,
        /// The role shown beside the name, such as "Titolare".
        #[arg(long)]
        role: Option<String>,
    },
    /// List a business's users, disabled ones too.
    List {
        /// The business's slug.
        #[arg(long)]
        business: String,
    },
    /// Disable a user: they can no longer log in, and their sessions end at once.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Let a disabled user log in again (with their old password).
    Enable {
        #[arg(long)]
        email: String,
    },
    /// Give a user a new password, printed once; their sessions end.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
    /// End every session of a user; their password stays.
    SignOutEverywhere {
        #[arg(long)]
        email: String,
    },
}

pub async fn run(store: &dyn Store, command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Create {
            business,
            email,
            name,
            role,
        } => create(store, business, email, name, role).await,
        UserCommand::List { business } => list(store, &business).await,
        UserCommand::Disable { email } => change(store, &email, Change::Disable).await,
        UserCommand::Enable { email } => change(store, &email, Change::Enable).await,
        UserCommand::SignOutEverywhere { email } => {
            change(store, &email, Change::SignOutEverywhere).await
        }
        UserCommand::ResetPassword { email } => {
            let entry = user(store, &email).await?;
            let password = app::people::reset_password(store, entry.user.id)
                .await?
                .ok_or_else(|| no_user(&email))?;
            println!(
                "user:     {} of {}",
                entry.user.name, entry.user.business.slug
            );
            println!("password: {password}");
            println!(
                "Their sessions have ended. Keep the password now: it is stored only as a hash."
            );
            Ok(())
        }
    }
}

fn no_user(email: &str) -> anyhow::Error {
    anyhow!("no user with the e-mail address {email:?}")
}

async fn user(store: &dyn Store, email: &str) -> Result<UserEntry> {
    app::people::find(store, email)
        .await?
        .ok_or_else(|| no_user(email))
}

async fn change(store: &dyn Store, email: &str, change: Change) -> Result<()> {
    let entry = user(store, email).await?;
    let name = &entry.user.name;
    match app::people::change(store, entry.user.id, change).await? {
        Changed::NoUser => return Err(no_user(email)),
        Changed::SignedOut(n) => println!("{name}: {n} session(s) ended"),
        Changed::Done => match change {
            Change::Disable => println!("{name} is disabled; their sessions have ended"),
            Change::Enable => println!("{name} may log in again"),
            Change::SignOutEverywhere => {}
        },
    }
    Ok(())
}

async fn list(store: &dyn Store, slug: &str) -> Result<()> {
    let business = store
        .business_by_slug(slug)
        .await?
        .ok_or_else(|| anyhow!("no business with the slug {slug:?}"))?;
    let users = store.users(business.id).await?;
    if users.is_empty() {
        println!("{slug} has no users");
    }
    for e in users {
        let state = match e.disabled_at {
            Some(at) => format!("disabled {}", at.format("%Y-%m-%d")),
            None => "active".into(),
        };
        let role = e.user.role.as_deref().unwrap_or("-");
        println!(
            "{}\t{}\t{}\t{}\tsince {}",
            e.user.email,
            e.user.name,
            role,
            state,
            e.created_at.format("%Y-%m-%d")
        );
    }
    Ok(())
}

async fn create(
    store: &dyn Store,
    business: String,
    email: String,
    name: String,
    role: Option<String>,
) -> Result<()> {
    let invalid = |field: &str, e: domain::error::Invalid| anyhow!("--{field}: {}", e.message);
    let new = store::NewUser {
        business_slug: business.clone(),
        email: domain::invitation::Email::parse(&email).map_err(|e| invalid("email", e))?,
        name: domain::review::ResponderName::parse(&name).map_err(|e| invalid("name", e))?,
        role: role
            .as_deref()
            .map(domain::review::ResponderRole::parse)
            .transpose()
            .map_err(|e| invalid("role", e))?,
    };
    let (user, password) = app::accounts::create_user(store, new)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => anyhow!("no business with the slug {business:?}"),
            StoreError::EmailTaken => anyhow!("another user already has this e-mail address"),
            e => e.into(),
        })?;
    println!("user:     {} of {}", user.name, user.business.slug);
    println!("password: {password}");
    println!("Log in at /login. Keep the password now: it is stored only as a hash.");
    Ok(())
}
