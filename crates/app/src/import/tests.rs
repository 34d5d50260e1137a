use super::*;
use chrono::Duration;
use domain::invitation::{Locale, Relationship};

/// Eleven days before the files' 2026-12-01.
fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T00:00:00Z")
        .unwrap()
        .to_utc()
}

fn ok(csv: &str) -> Vec<ImportRow> {
    parse(csv.as_bytes(), now()).unwrap()
}

fn err(csv: &str) -> ImportError {
    parse(csv.as_bytes(), now()).unwrap_err()
}

fn row_errors(csv: &str) -> Vec<RowError> {
    match err(csv) {
        ImportError::Rows(errors) => errors,
        other => panic!("expected row errors, got {other:?}"),
    }
}

#[test]
fn reads_every_column() {
    let rows = ok(
        "reference,email,name,relationship,locale,products,send_at\n\
         ORD-1,mario@example.it,Mario Rossi,supplier,en,A1=Pasta;B2=Olio,2026-12-01T10:30:00+01:00\n",
    );
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.line, 2);
    let inv = &row.invitation;
    assert_eq!(inv.reference.as_str(), "ORD-1");
    assert_eq!(
        inv.customer_email.as_ref().unwrap().as_str(),
        "mario@example.it"
    );
    assert_eq!(inv.customer_name.as_ref().unwrap().as_str(), "Mario Rossi");
    assert_eq!(inv.relationship, Relationship::Supplier);
    assert_eq!(inv.locale, Locale::En);
    assert_eq!(inv.products.len(), 2);
    assert_eq!(inv.expires_at, now() + Duration::days(90));
    let at = DateTime::parse_from_rfc3339("2026-12-01T09:30:00Z").unwrap();
    assert_eq!(row.send_at, Some(at.with_timezone(&Utc)));
}

#[test]
fn empty_cells_are_absent_and_blank_lines_skipped() {
    let rows = ok("reference,email,name,locale,send_at\n\nORD-1,,,,\n,,,,\n\nORD-2, , ,,\n");
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [3, 6]);
    let inv = &rows[0].invitation;
    assert!(inv.customer_email.is_none() && inv.customer_name.is_none());
    assert_eq!(inv.locale, Locale::It);
    assert_eq!(inv.relationship, Relationship::Customer);
    assert!(rows[0].send_at.is_none() && rows[1].invitation.products.is_empty());
}

#[test]
fn lines_count_blank_lines_crlf_and_quoted_breaks() {
    let rows = ok("\r\nreference,products\r\n\r\nA,\r\nB,\"x=1;\r\ny=2\"\r\n\r\n\r\nC,\nD,");
    let lines: Vec<_> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [4, 5, 9, 10]);
}

#[test]
fn marks_the_source_and_checks_send_at_against_expiry() {
    let rows = ok("reference,send_at\nORD-1,2026-12-01\n");
    assert_eq!(rows[0].invitation.source, InvitationSource::Csv);
    assert_eq!(rows[0].invitation.send_at, rows[0].send_at);
    let errors = row_errors("reference,send_at\nORD-1,2027-12-01\n");
    assert_eq!((errors[0].line, errors[0].field.as_str()), (2, "send_at"));
}

#[test]
fn accepts_a_byte_order_mark() {
    let rows = ok("\u{feff}reference,email\nORD-1,a@example.it\n");
    assert_eq!(rows[0].invitation.reference.as_str(), "ORD-1");
    let rows = ok("\u{feff}\"reference\"\nORD-1\n");
    assert_eq!(rows[0].line, 2);
}

#[test]
fn columns_in_any_order_and_case() {
    let rows = ok(" LOCALE ,Email,REFERENCE\nen,a@example.it,ORD-9\n");
    let inv = &rows[0].invitation;
    assert_eq!(inv.reference.as_str(), "ORD-9");
    assert_eq!(inv.locale, Locale::En);
    assert_eq!(
        inv.customer_email.as_ref().unwrap().as_str(),
        "a@example.it"
    );
}

#[test]
fn unknown_column_is_named() {
    let e = err("reference,email,colour\nORD-1,,red\n");
    assert!(
        matches!(&e, ImportError::Header(m) if m.contains("\"colour\"")),
        "{e}"
    );
}

#[test]
fn missing_reference_column() {
    let e = err("email,name\nmario@example.it,Mario\n");
    assert!(
        matches!(&e, ImportError::Header(m) if m.contains("reference")),
        "{e}"
    );
    // A file without a header: its first line is data, and is not repeated.
    let e = err("ORD-1,mario@example.it,Mario\n");
    assert!(!e.to_string().contains("mario"), "{e}");
    assert!(matches!(err(""), ImportError::Header(_)));
}

#[test]
fn duplicate_column() {
    let e = err("reference,Email,email\n");
    assert!(
        matches!(&e, ImportError::Header(m) if m.contains("twice")),
        "{e}"
    );
}

#[test]
fn reports_every_bad_row_with_its_line() {
    let e = err("reference,email,locale\n\
         ORD-1,a@example.it,it\n\
         ORD-2,mario.rossi-at-example.it,it\n\
         ORD-3,,en\n\
         ORD-4,b@example.it,fr\n");
    let ImportError::Rows(errors) = &e else {
        panic!("{e:?}")
    };
    let got: Vec<_> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
    assert_eq!(got, [(3, "email"), (5, "locale")]);
    assert_eq!(
        errors[0].to_string(),
        "line 3, email: must be a valid e-mail address"
    );
    let text = e.to_string();
    assert!(text.starts_with("2 error(s)"), "{text}");
    assert!(
        text.contains("\n  line 5, locale: must be one of it, en"),
        "{text}"
    );
    assert!(!text.contains("mario"), "{text}");
}

#[test]
fn repeated_reference_names_the_first_line() {
    let errors = row_errors("reference\nORD-1\nORD-2\nORD-1\nORD-1\n");
    let got: Vec<_> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        got,
        [
            "line 4, reference: repeats line 2",
            "line 5, reference: repeats line 2"
        ]
    );
}

#[test]
fn short_and_long_rows() {
    let errors = row_errors("reference,email,name\nORD-1,a@example.it\nORD-2,,,x\nORD-3,,\n");
    let got: Vec<_> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
    assert_eq!(got, [(2, "row"), (3, "row")]);
    assert_eq!(errors[0].message, "has 2 fields, the header has 3");
}

#[test]
fn products_split_at_the_first_equals_sign() {
    let rows = ok("reference,products\nORD-1, A1 = Pasta ; B2=E=mc² ;\nORD-2,\n");
    let products: Vec<_> = rows[0]
        .invitation
        .products
        .iter()
        .map(|p| (p.sku.as_str(), p.name.as_str()))
        .collect();
    assert_eq!(products, [("A1", "Pasta"), ("B2", "E=mc²")]);
    assert!(rows[1].invitation.products.is_empty());

    let errors = row_errors("reference,products\nORD-1,A1=Pasta;B2\nORD-2,=Olio\n");
    let got: Vec<_> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
    assert_eq!(got, [(2, "products[1]"), (3, "products[0].sku")]);
}

#[test]
fn send_at_date_means_nine_utc() {
    let rows = ok("reference,send_at\nORD-1,2026-12-01\nORD-2,2026-12-01T09:00:00Z\n");
    let nine = DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z").unwrap();
    assert_eq!(rows[0].send_at, Some(nine.with_timezone(&Utc)));
    assert_eq!(rows[0].send_at, rows[1].send_at);
}

#[test]
fn send_at_in_another_format() {
    let errors = row_errors("reference,send_at\nORD-1,01/12/2026\nORD-2,2026-02-30\n");
    let got: Vec<_> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
    assert_eq!(got, [(2, "send_at"), (3, "send_at")]);
}

#[test]
fn errors_are_capped_with_a_count_of_the_rest() {
    let mut csv = String::from("reference,locale\n");
    for i in 0..150 {
        csv.push_str(&format!("ORD-{i},fr\n"));
    }
    let e = err(&csv);
    let ImportError::Rows(errors) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(errors.len(), MAX_ERRORS + 1);
    let last = errors.last().unwrap();
    assert_eq!((last.line, last.field.as_str()), (102, "more"));
    assert!(last.message.starts_with("50 more"), "{last}");
    assert!(e.to_string().starts_with("more than 100 errors"));
}

#[test]
fn unreadable_csv() {
    let e = parse(&b"reference\nORD-1\nORD-\xFF\n"[..], now()).unwrap_err();
    assert!(
        matches!(&e, ImportError::Csv(m) if m.contains("line 3")),
        "{e}"
    );
}

#[test]
fn ten_thousand_rows() {
    let mut csv = String::from("reference,email,name,products,send_at\n");
    for i in 0..10_000 {
        csv.push_str(&format!(
            "ORD-{i},p{i}@example.it,Person {i},A{i}=Thing;B=Other,2026-12-01\n"
        ));
    }
    let rows = ok(&csv);
    assert_eq!(rows.len(), 10_000);
    assert_eq!(rows[9_999].line, 10_001);
}

#[test]
fn too_many_rows() {
    let mut csv = String::from("reference\n");
    for i in 0..=MAX_ROWS {
        csv.push_str(&format!("R{i}\n"));
    }
    assert_eq!(err(&csv), ImportError::TooMany(MAX_ROWS + 1));
}
