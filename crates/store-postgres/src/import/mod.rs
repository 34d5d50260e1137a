//! `passaparola copy`'s importer: a whole instance, as [`store::dump`] rows, into an empty
//! database. One transaction holds it all, so an interrupted copy leaves the database as
//! empty as it found it; each table is one binary `COPY`, which also writes the supplied
//! `seq` of `reviews` and `review_events` (identity columns), whose sequences then move past
//! the imported numbers.

use std::pin::Pin;

use deadpool_postgres::{Pool, Transaction};
use store::StoreError;
use store::dump::{Rows, TABLES, Table, Value};
use tokio::sync::mpsc::Receiver;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use crate::db::{Db, Result};

/// Imports every chunk `from` sends into the empty database of `pool`; see
/// `PostgresStore::import`.
pub(crate) async fn import(
    pool: &Pool,
    mut from: Receiver<Rows>,
    progress: &(dyn Fn(Table, u64) + Send + Sync),
) -> Result<u64> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    begin(&tx).await?;
    let mut imported = 0;
    let mut copy: Option<Copy> = None;
    // Where in TABLES the next new table may start: the chunks come in that order.
    let mut next = 0;
    while let Some(chunk) = from.recv().await {
        let mut current = match copy.take() {
            Some(c) if c.table == chunk.table => c,
            previous => {
                if let Some(done) = previous {
                    imported += done.finish().await?;
                }
                let position = TABLES
                    .iter()
                    .position(|t| *t == chunk.table)
                    .unwrap_or(TABLES.len());
                if position < next {
                    return Err(StoreError::Config(format!(
                        "the rows of {} arrived after those of the tables that follow it",
                        chunk.table.name()
                    ))
                    .into());
                }
                next = position + 1;
                Copy::open(&tx, chunk.table).await?
            }
        };
        let rows = chunk.rows.len() as u64;
        current.write(chunk.rows).await?;
        copy = Some(current);
        progress(chunk.table, rows);
    }
    if let Some(done) = copy {
        imported += done.finish().await?;
    }
    // COPY wrote the identity columns' values without drawing from their sequences: a new
    // row must be numbered after the imported ones (from 1 if there are none).
    // (The invitation templates draw from review_events' sequence: past theirs too.)
    for (name, rows) in [
        ("reviews", "SELECT seq FROM reviews"),
        (
            "review_events",
            "SELECT seq FROM review_events UNION ALL SELECT seq FROM invitation_templates",
        ),
    ] {
        tx.query_one(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{name}', 'seq'),
                               COALESCE(max(seq), 0) + 1, false)
                 FROM ({rows}) AS s"
            ),
            &[],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(imported)
}

/// Readies the transaction: no time limit, every table the copy fills locked against other
/// writers (and other copies), and the database checked to hold no instance.
async fn begin(tx: &Transaction<'_>) -> Result<()> {
    // A copy takes as long as it takes, and waits for its source between chunks.
    tx.batch_execute(
        "SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0",
    )
    .await?;
    let tables: Vec<String> = TABLES.iter().map(|t| quoted(t.name())).collect();
    tx.batch_execute(&format!(
        "LOCK TABLE {} IN EXCLUSIVE MODE",
        tables.join(", ")
    ))
    .await?;
    let row = tx
        .query_one(
            "SELECT (SELECT count(*) FROM businesses), (SELECT count(*) FROM users),
                    (SELECT count(*) FROM review_events), (SELECT count(*) FROM log_entries),
                    (SELECT count(*) FROM log_checkpoints WHERE size > 0)",
            &[],
        )
        .await?;
    let what = [
        ("business", "businesses"),
        ("user", "users"),
        ("review event", "review events"),
        ("log entry", "log entries"),
        ("log checkpoint", "log checkpoints"),
    ];
    let mut held = Vec::new();
    for (i, (one, many)) in what.into_iter().enumerate() {
        let n: i64 = row.try_get(i)?;
        match n {
            0 => {}
            1 => held.push(format!("1 {one}")),
            n => held.push(format!("{n} {many}")),
        }
    }
    if !held.is_empty() {
        return Err(StoreError::Config(format!(
            "the target database is not empty: it holds {}; copy into a new, empty database",
            held.join(", ")
        ))
        .into());
    }
    // A server that once ran on this database signed its empty log (size 0); the copy
    // brings the source's log and checkpoints instead.
    tx.execute("DELETE FROM log_checkpoints WHERE size = 0", &[])
        .await?;
    Ok(())
}

/// An identifier, quoted for SQL.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// One table's `COPY`, open.
struct Copy {
    table: Table,
    columns: Vec<Column>,
    writer: Pin<Box<BinaryCopyInWriter>>,
    /// The rows written so far, to name a bad one.
    rows: u64,
}

impl Copy {
    async fn open(tx: &Transaction<'_>, table: Table) -> Result<Self> {
        let columns = columns_of(tx, table).await?;
        let names: Vec<String> = columns.iter().map(|c| quoted(c.name)).collect();
        let sql = format!(
            "COPY {} ({}) FROM STDIN (FORMAT binary)",
            quoted(table.name()),
            names.join(", ")
        );
        let sink = tx.copy_in(&sql).await?;
        let types: Vec<Type> = columns.iter().map(|c| c.ty.clone()).collect();
        Ok(Self {
            table,
            columns,
            writer: Box::pin(BinaryCopyInWriter::new(sink, &types)),
            rows: 0,
        })
    }

    async fn write(&mut self, rows: Vec<Vec<Value>>) -> Result<()> {
        for row in rows {
            self.rows += 1;
            if row.len() != self.columns.len() {
                return Err(StoreError::Config(format!(
                    "cannot import row {} of {}: it has {} values where the table has {} \
                     columns",
                    self.rows,
                    self.table.name(),
                    row.len(),
                    self.columns.len()
                ))
                .into());
            }
            let cells = row
                .into_iter()
                .zip(&self.columns)
                .map(|(value, column)| {
                    Cell::of(value, column).map_err(|why| {
                        StoreError::Config(format!(
                            "cannot import row {} of {}: its column {} {why}",
                            self.rows,
                            self.table.name(),
                            column.name
                        ))
                    })
                })
                .collect::<Result<Vec<Cell>, StoreError>>()?;
            let values: Vec<&(dyn ToSql + Sync)> = cells.iter().map(Cell::as_sql).collect();
            self.writer.as_mut().write(&values).await?;
        }
        Ok(())
    }

    /// Ends the `COPY`; how many rows it wrote.
    async fn finish(mut self) -> Result<u64> {
        Ok(self.writer.as_mut().finish().await?)
    }
}

/// A column a copy fills, as the database declares it.
#[derive(Debug)]
struct Column {
    name: &'static str,
    ty: Type,
    kind: Kind,
    not_null: bool,
}

/// The columns of `table` that a dump's row carries, in its order, with their types.
async fn columns_of(tx: &Transaction<'_>, table: Table) -> Result<Vec<Column>> {
    let declared = tx
        .query(
            "SELECT attname::text, atttypid, attnotnull FROM pg_attribute
             WHERE attrelid = $1::text::regclass AND attnum > 0 AND NOT attisdropped",
            &[&quoted(table.name())],
        )
        .await?;
    let mut columns = Vec::with_capacity(table.columns().len());
    for &name in table.columns() {
        let Some(row) = declared
            .iter()
            .find(|r| r.try_get::<_, &str>(0).is_ok_and(|n| n == name))
        else {
            return Err(StoreError::Config(format!(
                "the database's table {} has no column {name}: is its schema this version's?",
                table.name()
            ))
            .into());
        };
        let oid: u32 = row.try_get(1)?;
        let Some((ty, kind)) =
            Type::from_oid(oid).and_then(|ty| Kind::of(&ty).map(|kind| (ty, kind)))
        else {
            return Err(StoreError::Config(format!(
                "the column {name} of {} has a type (oid {oid}) that a copy cannot fill",
                table.name()
            ))
            .into());
        };
        columns.push(Column {
            name,
            ty,
            kind,
            not_null: row.try_get(2)?,
        });
    }
    Ok(columns)
}

/// The column types a copy fills, and what each takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Uuid,
    Text,
    BigInt,
    Integer,
    Boolean,
    Double,
    Bytes,
}

impl Kind {
    fn of(ty: &Type) -> Option<Self> {
        [
            (Type::UUID, Self::Uuid),
            (Type::TEXT, Self::Text),
            (Type::INT8, Self::BigInt),
            (Type::INT4, Self::Integer),
            (Type::BOOL, Self::Boolean),
            (Type::FLOAT8, Self::Double),
            (Type::BYTEA, Self::Bytes),
        ]
        .into_iter()
        .find(|(t, _)| t == ty)
        .map(|(_, kind)| kind)
    }

    /// What the column wants, for an error.
    fn wants(self) -> &'static str {
        match self {
            Self::Uuid => "a UUID (text)",
            Self::Text => "text",
            Self::BigInt => "a bigint (integer)",
            Self::Integer => "an integer",
            Self::Boolean => "a boolean (0 or 1)",
            Self::Double => "a double precision (real)",
            Self::Bytes => "bytes",
        }
    }

    /// A NULL of this type.
    fn null(self) -> &'static (dyn ToSql + Sync) {
        match self {
            Self::Uuid => &None::<uuid::Uuid>,
            Self::Text => &None::<String>,
            Self::BigInt => &None::<i64>,
            Self::Integer => &None::<i32>,
            Self::Boolean => &None::<bool>,
            Self::Double => &None::<f64>,
            Self::Bytes => &None::<Vec<u8>>,
        }
    }
}

/// A value converted to its column's type.
#[derive(Debug)]
enum Cell {
    Null(Kind),
    Uuid(uuid::Uuid),
    Text(String),
    BigInt(i64),
    Integer(i32),
    Boolean(bool),
    Double(f64),
    Bytes(Vec<u8>),
}

impl Cell {
    /// `value` as `column` takes it; otherwise why not (after the column's name).
    fn of(value: Value, column: &Column) -> std::result::Result<Self, String> {
        let kind = column.kind;
        Ok(match (kind, value) {
            (_, Value::Null) if column.not_null => return Err("cannot be NULL".into()),
            (_, Value::Null) => Self::Null(kind),
            (Kind::Uuid, Value::Text(s)) => match uuid::Uuid::parse_str(&s) {
                Ok(id) => Self::Uuid(id),
                Err(_) => return Err(format!("holds {}, not a UUID", shown(&Value::Text(s)))),
            },
            (Kind::Text, Value::Text(s)) => Self::Text(s),
            (Kind::BigInt, Value::Int(n)) => Self::BigInt(n),
            (Kind::Integer, Value::Int(n)) => match i32::try_from(n) {
                Ok(n) => Self::Integer(n),
                Err(_) => return Err(format!("holds {n}, beyond an integer's range")),
            },
            (Kind::Boolean, Value::Int(0)) => Self::Boolean(false),
            (Kind::Boolean, Value::Int(1)) => Self::Boolean(true),
            (Kind::Boolean, Value::Int(n)) => {
                return Err(format!("holds {n}, not a boolean (0 or 1)"));
            }
            (Kind::Double, Value::Real(x)) => Self::Double(x),
            // SQLite may hand a whole real over as an integer: exact up to 2^53.
            (Kind::Double, Value::Int(n)) if n.unsigned_abs() <= 1 << 53 => Self::Double(n as f64),
            (Kind::Bytes, Value::Bytes(b)) => Self::Bytes(b),
            (kind, value) => {
                return Err(format!(
                    "holds {}, where {} was expected",
                    shown(&value),
                    kind.wants()
                ));
            }
        })
    }

    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Self::Null(kind) => kind.null(),
            Self::Uuid(v) => v,
            Self::Text(v) => v,
            Self::BigInt(v) => v,
            Self::Integer(v) => v,
            Self::Boolean(v) => v,
            Self::Double(v) => v,
            Self::Bytes(v) => v,
        }
    }
}

/// A value, briefly, for an error.
fn shown(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Int(n) => format!("the integer {n}"),
        Value::Real(x) => format!("the real {x}"),
        Value::Text(s) => {
            let mut short: String = s.chars().take(40).collect();
            if short.len() < s.len() {
                short.push('…');
            }
            format!("the text {short:?}")
        }
        Value::Bytes(b) => format!("{} bytes", b.len()),
    }
}

#[cfg(test)]
mod tests;
