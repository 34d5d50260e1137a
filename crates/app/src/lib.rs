//! Passaparola's use cases: what the API, the pages and the command line all run. It knows
//! no HTTP and no SQL; it picks the storage backend once, from the database URL
//! ([`backend`]).

pub mod backend;
