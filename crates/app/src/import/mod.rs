//! Invitations from a CSV file (`passaparola invitations import`): every row is checked the
//! way the API checks one invitation, and the file is taken whole or not at all, so
//! [`parse`] returns either every row or every problem (up to [`MAX_ERRORS`]).
//!
//! Error messages name lines and columns, never the cells' values: they are personal data.

use std::collections::HashMap;
use std::io::Read;

use chrono::{DateTime, NaiveDate, Utc};
use domain::invitation::{InvitationInput, InvitationSource, NewInvitation, ProductInput};

/// The most rows one file may hold.
pub const MAX_ROWS: usize = 100_000;
/// The most row errors listed; one more entry then says how many were left out.
pub const MAX_ERRORS: usize = 100;

/// One valid row of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// 1-based line number in the file; the header is line 1.
    pub line: u64,
    pub invitation: NewInvitation,
    /// When to send the invitation; `None` means now.
    pub send_at: Option<DateTime<Utc>>,
}

/// What is wrong with one cell (or the whole row) of one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, {field}: {message}")]
pub struct RowError {
    pub line: u64,
    /// The column (`email`, `products[1].sku`), or `row` for the row as a whole.
    pub field: String,
    pub message: String,
}

/// Why a file was not imported. Nothing of it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The file is not readable CSV in UTF-8.
    #[error("cannot read the CSV file: {0}")]
    Csv(String),
    /// The header row is wrong.
    #[error("bad header row: {0}")]
    Header(String),
    /// Every bad row, in file order.
    #[error("{}", rows_message(.0))]
    Rows(Vec<RowError>),
    /// The file holds this many rows, more than [`MAX_ROWS`].
    #[error("the file has {0} rows; at most {MAX_ROWS} can be imported at once")]
    TooMany(usize),
}

fn rows_message(errors: &[RowError]) -> String {
    let mut out = match errors.len() {
        n if n > MAX_ERRORS => format!("more than {MAX_ERRORS} errors; nothing was imported:"),
        n => format!("{n} error(s); nothing was imported:"),
    };
    for e in errors {
        out.push_str("\n  ");
        out.push_str(&e.to_string());
    }
    out
}

/// The columns of an invitations file, in any order and case.
const COLUMNS: [&str; 7] = [
    "reference",
    "email",
    "name",
    "relationship",
    "locale",
    "products",
    "send_at",
];

/// What a kind of file holds: its columns, and the one without which the first line is no
/// header.
pub(crate) struct Layout {
    pub columns: &'static [&'static str],
    pub required: &'static str,
    /// A header to show as an example.
    pub example: &'static str,
}

const INVITATIONS: Layout = Layout {
    columns: &COLUMNS,
    required: "reference",
    example: "reference,email,name",
};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads and checks the whole file. `now` starts each invitation's validity.
pub fn parse(reader: impl Read, now: DateTime<Utc>) -> Result<Vec<ImportRow>, ImportError> {
    let mut seen: HashMap<String, u64> = HashMap::new();
    read(reader, &INVITATIONS, |line, cell, errors| {
        let row = parse_row(line, cell, now, errors);
        if let Some(reference) = cell.get("reference") {
            match seen.get(reference) {
                Some(first) => errors.push(line, "reference", format!("repeats line {first}")),
                None => {
                    seen.insert(reference.to_owned(), line);
                }
            }
        }
        row
    })
}

/// Reads a whole CSV file of `layout`, each row through `row` (given its line, its cells by
/// column name, and where to put its errors): every row, or every problem.
pub(crate) fn read<T>(
    mut reader: impl Read,
    layout: &Layout,
    mut row: impl FnMut(u64, &Cells<'_>, &mut Errors) -> Option<T>,
) -> Result<Vec<T>, ImportError> {
    // Read whole, to count lines from the bytes: the csv crate miscounts around blank ones.
    let mut data = Vec::new();
    reader
        .read_to_end(&mut data)
        .map_err(|e| ImportError::Csv(e.to_string()))?;
    let data = data.strip_prefix(UTF8_BOM).unwrap_or(&data);
    let mut lines = LineCounter {
        data,
        offset: 0,
        line: 1,
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(data);
    let headers = csv.headers().map_err(|e| csv_error(&e, &mut lines))?;
    let columns = header(headers, layout)?;

    let mut record = csv::StringRecord::new();
    let mut rows = Vec::new();
    let mut errors = Errors::default();
    let mut count = 0usize;
    while csv
        .read_record(&mut record)
        .map_err(|e| csv_error(&e, &mut lines))?
    {
        if record.iter().all(str::is_empty) {
            continue; // a line of bare separators, as spreadsheets leave
        }
        count += 1;
        if count > MAX_ROWS {
            continue; // only counting now, for the message
        }
        let line = lines.line_at(record.position().map_or(0, csv::Position::byte));
        if record.len() != columns.len() {
            let message = format!(
                "has {} fields, the header has {}",
                record.len(),
                columns.len()
            );
            errors.push(line, "row", message);
            continue;
        }
        let cells = Cells {
            columns: &columns,
            record: &record,
        };
        let parsed = row(line, &cells, &mut errors);
        rows.extend(parsed.filter(|_| errors.is_empty()));
    }
    if count > MAX_ROWS {
        return Err(ImportError::TooMany(count));
    }
    errors.into_result().map(|()| rows)
}

/// One row's cells, by column name.
pub(crate) struct Cells<'r> {
    columns: &'r [&'static str],
    record: &'r csv::StringRecord,
}

impl<'r> Cells<'r> {
    /// The cell of the column `wanted`; `None` if the file has no such column or the cell is
    /// empty.
    pub(crate) fn get(&self, wanted: &str) -> Option<&'r str> {
        let i = self.columns.iter().position(|&c| c == wanted)?;
        self.record.get(i).filter(|s| !s.is_empty())
    }
}

/// Line numbers of the records, read in order.
struct LineCounter<'a> {
    data: &'a [u8],
    offset: usize,
    line: u64,
}

impl LineCounter<'_> {
    /// The line of the first byte from `start` on that ends no line: csv places a record
    /// at the end of the one before it, so before any blank lines between them.
    fn line_at(&mut self, start: u64) -> u64 {
        let start = usize::try_from(start).unwrap_or(usize::MAX);
        while let Some(&byte) = self.data.get(self.offset) {
            if self.offset >= start && byte != b'\r' && byte != b'\n' {
                break;
            }
            // \n, \r\n and a lone \r each end a line.
            let next = self.data.get(self.offset + 1);
            if byte == b'\n' || (byte == b'\r' && next != Some(&b'\n')) {
                self.line += 1;
            }
            self.offset += 1;
        }
        self.line
    }
}

/// Maps each field of the header to its column.
fn header(record: &csv::StringRecord, layout: &Layout) -> Result<Vec<&'static str>, ImportError> {
    let names: Vec<String> = record.iter().map(|n| n.trim().to_lowercase()).collect();
    // Without its required column the first line is most likely data, not a header: say
    // so without repeating it, as it may hold someone's name or address.
    if !names.iter().any(|n| n == layout.required) {
        return Err(ImportError::Header(format!(
            "no `{}` column; the first line must name the columns, such as {}",
            layout.required, layout.example
        )));
    }
    let mut columns = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let Some(&column) = layout.columns.iter().find(|&n| n == name) else {
            let shown: String = name.chars().take(40).collect();
            return Err(ImportError::Header(format!(
                "unknown column {shown:?} (column {}); the columns are {}",
                i + 1,
                layout.columns.join(", ")
            )));
        };
        if columns.contains(&column) {
            return Err(ImportError::Header(format!(
                "column {name:?} appears twice"
            )));
        }
        columns.push(column);
    }
    Ok(columns)
}

/// Checks one row of the right length; its errors go to `errors`.
fn parse_row(
    line: u64,
    cell: &Cells<'_>,
    now: DateTime<Utc>,
    errors: &mut Errors,
) -> Option<ImportRow> {
    let mut ok = true;
    let mut products = Vec::new();
    if let Some(list) = cell.get("products") {
        let entries = list.split(';').map(str::trim).filter(|e| !e.is_empty());
        for (i, entry) in entries.enumerate() {
            match entry.split_once('=') {
                Some((sku, name)) => products.push(ProductInput::new(sku.trim(), name.trim())),
                None => {
                    errors.push(line, &format!("products[{i}]"), "must be SKU=Name".into());
                    ok = false;
                }
            }
        }
    }
    let send_at = cell.get("send_at").map(parse_send_at).transpose();
    // Spreadsheets capitalise: `Customer`, `EN`.
    let relationship = cell.get("relationship").map(str::to_lowercase);
    let locale = cell.get("locale").map(str::to_lowercase);
    let input = InvitationInput {
        reference: cell.get("reference").unwrap_or(""),
        relationship: relationship.as_deref(),
        customer_name: cell.get("name"),
        customer_email: cell.get("email"),
        products,
        locale: locale.as_deref(),
        expires_in_days: None,
        send_at: send_at.unwrap_or(None),
    };
    let invitation = match NewInvitation::parse(input, now) {
        Ok(invitation) => Some(invitation),
        Err(invalid) => {
            for e in invalid.0 {
                let field = match e.field.as_str() {
                    "customer_email" => "email",
                    "customer_name" => "name",
                    other => other,
                };
                errors.push(line, field, e.message);
            }
            None
        }
    };
    let Ok(send_at) = send_at else {
        let message = "must be a time (2026-12-01T09:00:00Z) or a date (2026-12-01)";
        errors.push(line, "send_at", message.into());
        return None;
    };
    let mut invitation = invitation.filter(|_| ok)?;
    invitation.source = InvitationSource::Csv;
    Some(ImportRow {
        line,
        invitation,
        send_at,
    })
}

/// An RFC 3339 time, or a date meaning 09:00 UTC that day.
fn parse_send_at(s: &str) -> Result<DateTime<Utc>, ()> {
    if let Ok(at) = DateTime::parse_from_rfc3339(s) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .map(|t| t.and_utc())
        .ok_or(())
}

fn csv_error(e: &csv::Error, lines: &mut LineCounter<'_>) -> ImportError {
    ImportError::Csv(match e.kind() {
        csv::ErrorKind::Utf8 {
            pos: Some(pos),
            err,
        } => format!(
            "line {}: field {} is not valid UTF-8",
            lines.line_at(pos.byte()),
            err.field() + 1
        ),
        _ => e.to_string(),
    })
}

/// Row errors, listed up to [`MAX_ERRORS`] and counted past it.
#[derive(Default)]
pub(crate) struct Errors {
    listed: Vec<RowError>,
    /// How many were left out, and the line of the first of them.
    more: Option<(usize, u64)>,
}

impl Errors {
    pub(crate) fn push(&mut self, line: u64, field: &str, message: String) {
        if self.listed.len() < MAX_ERRORS {
            self.listed.push(RowError {
                line,
                field: field.to_owned(),
                message,
            });
        } else {
            let (n, _) = self.more.get_or_insert((0, line));
            *n += 1;
        }
    }

    fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    fn into_result(mut self) -> Result<(), ImportError> {
        if let Some((n, line)) = self.more {
            self.listed.push(RowError {
                line,
                field: "more".to_owned(),
                message: format!("{n} more error(s) from this line on, not listed"),
            });
        }
        if self.listed.is_empty() {
            Ok(())
        } else {
            Err(ImportError::Rows(self.listed))
        }
    }
}

pub mod reviews;

#[cfg(test)]
mod tests;
