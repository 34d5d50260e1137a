//! Passaparola's domain: the types a review platform must never get wrong, and the rules of
//! the review lifecycle. Every type here is validated on construction ("parse, don't
//! validate"): once a `Rating` or a `Title` exists, it is valid. Nothing here does I/O.

pub mod business;
pub mod error;
pub mod ids;
pub mod imported;
pub mod invitation;
pub mod lifecycle;
pub mod log_entry;
pub mod plan;
pub mod review;
pub mod score;
pub mod secret;
pub mod shop;
pub mod stats;
pub mod summary;
pub mod template;
pub mod text;

pub use error::{FieldError, ValidationErrors};
