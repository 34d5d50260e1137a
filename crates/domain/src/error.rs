//! Validation errors that name the failing field, so an API can answer with all of them at
//! once instead of one per round trip.

use serde::Serialize;

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as the client sent it (`title`, `products[2].sku`).
    pub field: String,
    /// A stable, machine-readable code (`too_long`, `out_of_range`, …).
    pub code: &'static str,
    /// An English sentence for people; user interfaces translate `code` instead.
    pub message: String,
}

/// All the fields of one input that failed validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("{} invalid field(s)", .0.len())]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self(vec![FieldError {
            field: field.into(),
            code,
            message: message.into(),
        }])
    }

    /// Records the error of `result` (if any) under `field` and returns its value.
    pub fn check<T>(&mut self, field: &str, result: Result<T, Invalid>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.0.push(FieldError {
                    field: field.to_owned(),
                    code: e.code,
                    message: e.message,
                });
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing failed, so a builder can `?` after collecting every field.
    pub fn into_result(self) -> Result<(), Self> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

/// Why one value is invalid, before it is attached to a field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    pub code: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}
