//! The public pages: home (find a business), a business's page, a product's page, a review's
//! permalink, and the language switch, one file each. Handlers build plain view models;
//! templates only print them (escaped).

mod business;
mod home;
mod invitations;
mod language;
mod product;
mod review;

pub use business::business;
pub use home::home;
pub use invitations::invitations;
pub use language::set_language;
pub use product::product;
pub use review::review;

/// Percent-encodes a query value (the `url` crate's form encoding).
fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `s` as one percent-encoded path segment (form encoding writes a space as `+`, which a
/// path would keep as a plus).
fn path_segment(s: &str) -> String {
    urlencoding(s).replace('+', "%20")
}
