//! Reviews collected elsewhere, from a CSV file (`passaparola reviews import`): every row is
//! checked as one imported review (`domain::imported`), and the file is taken whole or not
//! at all, like an invitations file.
//!
//! Error messages name lines and columns, never the cells' values: they are personal data.

use std::collections::HashMap;
use std::io::Read;

use chrono::{DateTime, Utc};
use domain::imported::{ImportedReview, ImportedReviewInput};

use super::{Cells, Errors, ImportError, Layout, read};

/// The columns of a reviews file, in any order and case. `source`, `original_date`,
/// `rating`, `title`, `body`, `author_name` and `language` are needed in every row.
const COLUMNS: [&str; 9] = [
    "source",
    "external_id",
    "original_date",
    "rating",
    "title",
    "body",
    "author_name",
    "language",
    "relationship",
];

const REVIEWS: Layout = Layout {
    columns: &COLUMNS,
    required: "rating",
    example: "source,external_id,original_date,rating,title,body,author_name,language",
};

/// One valid row of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRow {
    /// 1-based line number in the file; the header is line 1.
    pub line: u64,
    pub review: ImportedReview,
}

/// Reads and checks the whole file. `now` bounds the original dates (none in the future).
pub fn parse(reader: impl Read, now: DateTime<Utc>) -> Result<Vec<ReviewRow>, ImportError> {
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    read(reader, &REVIEWS, |line, cell, errors| {
        let review = parse_row(line, cell, now, errors)?;
        let key = (
            review.source.as_str().to_owned(),
            review.external_id.as_str().to_owned(),
        );
        if let Some(first) = seen.get(&key) {
            errors.push(
                line,
                "external_id",
                format!("repeats line {first} (the same source and identifier, or words)"),
            );
            return None;
        }
        seen.insert(key, line);
        Some(ReviewRow { line, review })
    })
}

fn parse_row(
    line: u64,
    cell: &Cells<'_>,
    now: DateTime<Utc>,
    errors: &mut Errors,
) -> Option<ImportedReview> {
    let rating = match cell.get("rating").map(str::parse::<i64>) {
        Some(Ok(r)) => r,
        Some(Err(_)) => {
            errors.push(line, "rating", "must be a whole number from 1 to 5".into());
            return None;
        }
        None => 0, // refused below, as missing
    };
    // Spreadsheets capitalise: `Customer`; languages keep their case (`de-CH`).
    let relationship = cell.get("relationship").map(str::to_lowercase);
    let input = ImportedReviewInput {
        source: cell.get("source").unwrap_or(""),
        external_id: cell.get("external_id"),
        original_date: cell.get("original_date").unwrap_or(""),
        relationship: relationship.as_deref(),
        rating,
        title: cell.get("title").unwrap_or(""),
        body: cell.get("body").unwrap_or(""),
        author_name: cell.get("author_name").unwrap_or(""),
        language: cell.get("language").unwrap_or(""),
    };
    match ImportedReview::parse(input, now) {
        Ok(review) => Some(review),
        Err(invalid) => {
            for e in invalid.0 {
                errors.push(line, &e.field, e.message);
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-08T10:00:00Z".parse().unwrap()
    }

    const HEADER: &str =
        "source,external_id,original_date,rating,title,body,author_name,language\n";

    #[test]
    fn a_good_file_is_read_whole() {
        let file = format!(
            "{HEADER}Google,g-1,2024-05-01,4,Buono,\"Pizza buona,\nservizio lento\",Anna,it\n\
             \n\
             TripAdvisor,,2023-01-09,2,Lento,Troppa attesa,Marco,it\n"
        );
        let rows = parse(file.as_bytes(), now()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].review.body.as_str(), "Pizza buona,\nservizio lento");
        assert_eq!(rows[1].line, 5);
        assert!(rows[1].review.external_id.as_str().starts_with("sha256:"));
    }

    #[test]
    fn every_bad_row_is_named_and_nothing_is_taken() {
        let file = format!(
            "{HEADER}Google,g-1,2024-05-01,4,Buono,Ottima,Anna,it\n\
             Google,g-1,2024-05-02,5,Ancora,Ottima,Anna,it\n\
             Google,g-3,2999-01-01,five,Futuro,Mai,Bea,it\n\
             ,g-4,2024-01-01,3,,Testo,Carla,it\n"
        );
        let ImportError::Rows(errors) = parse(file.as_bytes(), now()).unwrap_err() else {
            panic!("not row errors")
        };
        let named: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(
            named,
            [
                (3, "external_id"),
                (4, "rating"),
                (5, "source"),
                (5, "title")
            ]
        );
        // No cell's value is repeated in a message: they may be personal data.
        let message = ImportError::Rows(errors).to_string();
        assert!(
            !message.contains("Anna") && !message.contains("Carla"),
            "{message}"
        );
    }

    #[test]
    fn a_file_without_its_header_is_refused_as_such() {
        let e = parse("Google,g-1,2024-05-01,4\n".as_bytes(), now()).unwrap_err();
        assert!(
            matches!(&e, ImportError::Header(m) if m.contains("no `rating` column")),
            "{e}"
        );
    }
}
