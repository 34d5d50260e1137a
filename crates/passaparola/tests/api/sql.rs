//! SQL on a test's database, on whichever backend the tests run (SQLite or PostgreSQL).

/// SQL on a test's database, on whichever backend the tests run: to check or change what
/// the API does not show (rows left after an erasure, an invitation's expiry, …).
#[derive(Debug)]
pub enum Sql {
    Sqlite(rusqlite::Connection),
    Postgres(tokio_postgres::Client),
}

/// A statement, in SQLite's spelling and PostgreSQL's (`?1` and `$1`, `hex(x)` and
/// `encode(x, 'hex')`, …). A `&str` is the same statement on both.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    sqlite: &'a str,
    postgres: &'a str,
}

impl<'a> From<&'a str> for Query<'a> {
    fn from(both: &'a str) -> Self {
        Self {
            sqlite: both,
            postgres: both,
        }
    }
}

/// A statement spelled differently on SQLite and on PostgreSQL.
pub fn each<'a>(sqlite: &'a str, postgres: &'a str) -> Query<'a> {
    Query { sqlite, postgres }
}

/// A statement's parameter. On PostgreSQL it takes the type the statement gives it: text
/// for a `uuid` column is parsed as a UUID, an integer for an `integer` column is an `i32`.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    Text(&'a str),
    Int(i64),
    Bytes(&'a [u8]),
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(v: &'a str) -> Self {
        Self::Text(v)
    }
}

impl<'a> From<&'a String> for Param<'a> {
    fn from(v: &'a String) -> Self {
        Self::Text(v)
    }
}

impl From<i64> for Param<'_> {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl<'a> From<&'a [u8]> for Param<'a> {
    fn from(v: &'a [u8]) -> Self {
        Self::Bytes(v)
    }
}

/// A value read, the same on both backends: a boolean is an `Int` (0 or 1) as in SQLite, a
/// UUID is its hyphenated `Text`.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Cell {
    #[track_caller]
    pub fn int(&self) -> i64 {
        self.opt_int()
            .unwrap_or_else(|| panic!("NULL, not an integer"))
    }

    #[track_caller]
    pub fn opt_int(&self) -> Option<i64> {
        match self {
            Self::Null => None,
            Self::Int(v) => Some(*v),
            other => panic!("not an integer: {other:?}"),
        }
    }

    #[track_caller]
    pub fn bool(&self) -> bool {
        match self.int() {
            0 => false,
            1 => true,
            other => panic!("not a boolean: {other}"),
        }
    }

    #[track_caller]
    pub fn text(&self) -> String {
        self.opt_text().unwrap_or_else(|| panic!("NULL, not text"))
    }

    #[track_caller]
    pub fn opt_text(&self) -> Option<String> {
        match self {
            Self::Null => None,
            Self::Text(v) => Some(v.clone()),
            other => panic!("not text: {other:?}"),
        }
    }
}

impl Sql {
    /// The database of the data directory `data_dir` that the binary uses (`cli::run`,
    /// `cli::Server`): its PostgreSQL database, or its `passaparola.db`.
    pub async fn of_data_dir(data_dir: &std::path::Path) -> Self {
        match store_postgres::testing::database_for(data_dir) {
            Some(url) => Self::postgres(&url).await,
            None => Self::sqlite(&data_dir.join("passaparola.db")),
        }
    }

    pub(crate) fn sqlite(file: &std::path::Path) -> Self {
        assert!(file.exists(), "no database {}", file.display());
        Self::Sqlite(rusqlite::Connection::open(file).unwrap())
    }

    pub(crate) async fn postgres(url: &str) -> Self {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("the test's PostgreSQL connection failed: {e}");
            }
        });
        Self::Postgres(client)
    }

    /// The rows `query` reads.
    pub async fn rows<'a>(
        &self,
        query: impl Into<Query<'a>>,
        params: &[Param<'_>],
    ) -> Vec<Vec<Cell>> {
        let query = query.into();
        match self {
            Self::Sqlite(db) => {
                let mut stmt = db
                    .prepare(query.sqlite)
                    .unwrap_or_else(|e| panic!("{e}: {}", query.sqlite));
                let columns = stmt.column_count();
                let mut rows = stmt.query(sqlite_params(params)).unwrap();
                let mut read = Vec::new();
                while let Some(row) = rows.next().unwrap() {
                    read.push(
                        (0..columns)
                            .map(|i| sqlite_cell(row.get_ref(i).unwrap()))
                            .collect(),
                    );
                }
                read
            }
            Self::Postgres(client) => {
                let stmt = client
                    .prepare(query.postgres)
                    .await
                    .unwrap_or_else(|e| panic!("{e:?}: {}", query.postgres));
                let values = postgres_params(params, stmt.params());
                let rows = client
                    .query(&stmt, &postgres_refs(&values))
                    .await
                    .unwrap_or_else(|e| panic!("{e:?}: {}", query.postgres));
                rows.iter()
                    .map(|row| (0..row.len()).map(|i| postgres_cell(row, i)).collect())
                    .collect()
            }
        }
    }

    /// The one value of the one row `query` reads.
    pub async fn value<'a>(&self, query: impl Into<Query<'a>>, params: &[Param<'_>]) -> Cell {
        let query = query.into();
        let mut rows = self.rows(query, params).await;
        assert_eq!(rows.len(), 1, "not one row: {query:?}");
        let mut row = rows.pop().unwrap();
        assert_eq!(row.len(), 1, "not one column: {query:?}");
        row.pop().unwrap()
    }

    /// The number `query` (a `SELECT COUNT(*) …`) reads.
    pub async fn count<'a>(&self, query: impl Into<Query<'a>>, params: &[Param<'_>]) -> i64 {
        self.value(query, params).await.int()
    }

    /// Runs one statement; the number of rows it changed.
    pub async fn execute<'a>(&self, query: impl Into<Query<'a>>, params: &[Param<'_>]) -> u64 {
        let query = query.into();
        match self {
            Self::Sqlite(db) => {
                db.execute(query.sqlite, sqlite_params(params))
                    .unwrap_or_else(|e| panic!("{e}: {}", query.sqlite)) as u64
            }
            Self::Postgres(client) => {
                let stmt = client
                    .prepare(query.postgres)
                    .await
                    .unwrap_or_else(|e| panic!("{e:?}: {}", query.postgres));
                let values = postgres_params(params, stmt.params());
                client
                    .execute(&stmt, &postgres_refs(&values))
                    .await
                    .unwrap_or_else(|e| panic!("{e:?}: {}", query.postgres))
            }
        }
    }

    /// Runs statements without parameters, one after the other.
    pub async fn batch<'a>(&self, query: impl Into<Query<'a>>) {
        let query = query.into();
        match self {
            Self::Sqlite(db) => db
                .execute_batch(query.sqlite)
                .unwrap_or_else(|e| panic!("{e}: {}", query.sqlite)),
            Self::Postgres(client) => client
                .batch_execute(query.postgres)
                .await
                .unwrap_or_else(|e| panic!("{e:?}: {}", query.postgres)),
        }
    }
}

fn sqlite_params(params: &[Param<'_>]) -> impl rusqlite::Params {
    rusqlite::params_from_iter(params.iter().map(|p| match *p {
        Param::Text(v) => rusqlite::types::Value::Text(v.to_owned()),
        Param::Int(v) => rusqlite::types::Value::Integer(v),
        Param::Bytes(v) => rusqlite::types::Value::Blob(v.to_vec()),
    }))
}

fn sqlite_cell(value: rusqlite::types::ValueRef<'_>) -> Cell {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(v) => Cell::Int(v),
        ValueRef::Real(v) => Cell::Real(v),
        ValueRef::Text(v) => Cell::Text(String::from_utf8(v.to_vec()).unwrap()),
        ValueRef::Blob(v) => Cell::Bytes(v.to_vec()),
    }
}

type PostgresValue = Box<dyn tokio_postgres::types::ToSql + Sync + Send>;

/// The parameters as the types the statement gives them.
fn postgres_params(
    params: &[Param<'_>],
    types: &[tokio_postgres::types::Type],
) -> Vec<PostgresValue> {
    use tokio_postgres::types::Type;
    assert_eq!(params.len(), types.len(), "the statement's parameters");
    params
        .iter()
        .zip(types)
        .map(|(p, t)| -> PostgresValue {
            match (*p, t) {
                (Param::Text(v), &Type::UUID) => Box::new(uuid::Uuid::parse_str(v).unwrap()),
                (Param::Text(v), _) => Box::new(v.to_owned()),
                (Param::Int(v), &Type::INT2) => Box::new(i16::try_from(v).unwrap()),
                (Param::Int(v), &Type::INT4) => Box::new(i32::try_from(v).unwrap()),
                (Param::Int(v), _) => Box::new(v),
                (Param::Bytes(v), _) => Box::new(v.to_vec()),
            }
        })
        .collect()
}

fn postgres_refs(values: &[PostgresValue]) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
    values
        .iter()
        .map(|v| v.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect()
}

fn postgres_cell(row: &tokio_postgres::Row, i: usize) -> Cell {
    use tokio_postgres::types::Type;
    fn cell<'a, T: tokio_postgres::types::FromSql<'a>>(
        row: &'a tokio_postgres::Row,
        i: usize,
        f: impl FnOnce(T) -> Cell,
    ) -> Cell {
        row.get::<_, Option<T>>(i).map_or(Cell::Null, f)
    }
    match *row.columns()[i].type_() {
        Type::BOOL => cell(row, i, |v: bool| Cell::Int(i64::from(v))),
        Type::INT2 => cell(row, i, |v: i16| Cell::Int(v.into())),
        Type::INT4 => cell(row, i, |v: i32| Cell::Int(v.into())),
        Type::INT8 => cell(row, i, Cell::Int),
        Type::FLOAT4 => cell(row, i, |v: f32| Cell::Real(v.into())),
        Type::FLOAT8 => cell(row, i, Cell::Real),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => cell(row, i, Cell::Text),
        Type::UUID => cell(row, i, |v: uuid::Uuid| Cell::Text(v.to_string())),
        Type::BYTEA => cell(row, i, Cell::Bytes),
        ref other => panic!(
            "column {} is {other}: cast it to bigint, double precision or text",
            row.columns()[i].name()
        ),
    }
}
