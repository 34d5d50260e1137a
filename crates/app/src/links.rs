//! Links a shop signs itself (`docs/invitation-links.md`).
