//! The invitation message, rendered from the Fluent catalogues.
