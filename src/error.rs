//! The one error type every fallible swath call returns, so `?` chains across the API.

use crate::dtype::DType;

/// Everything that can go wrong in swath. Each variant names the column or the expression at
/// fault, so a message alone is enough to find the problem.
///
/// ```
/// use swath::prelude::*;
/// let df = Frame::new([("x", Column::from(vec![1.0f64, 2.0]))])?;
/// let err = df.select([col("y").sum()]).unwrap_err();
/// assert!(matches!(&err, Error::ColumnNotFound { name, .. } if name == "y"));
/// assert_eq!(err.to_string(), "column `y` not found; the frame has: x");
/// # Ok::<(), swath::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An expression or lookup named a column the frame does not have.
    #[error("column `{name}` not found; the frame has: {available}")]
    ColumnNotFound {
        /// The name asked for.
        name: String,
        /// The frame's column names, comma-separated.
        available: String,
    },
    /// Columns of one frame must have one length.
    #[error("column `{name}` has {len} rows but the frame has {expected}")]
    LengthMismatch {
        /// The column whose length differs.
        name: String,
        /// Its length.
        len: usize,
        /// The frame's height (the length of its first column).
        expected: usize,
    },
    /// Two columns (or two outputs of one select) share a name.
    #[error("duplicate column name `{0}`")]
    DuplicateColumn(String),
    /// A column name swath cannot take (one holding a NUL byte, which it reserves).
    #[error("invalid column name {0:?}: names cannot hold a NUL byte")]
    InvalidName(String),
    /// An operation was given a dtype it does not take.
    #[error("in `{expr}`: {message}")]
    InvalidType {
        /// The expression at fault, as it prints.
        expr: String,
        /// What is wrong with its types.
        message: String,
    },
    /// An expression nests deeper than the planner walks ([`MAX_DEPTH`](crate::expr::MAX_DEPTH)):
    /// planning or printing it would overflow the stack.
    #[error(
        "expression {index} of the call (counting from 0) nests {depth} levels deep, past the \
         limit of {limit}; build it as a balanced tree or in several selects"
    )]
    TooDeep {
        /// Its position among the expressions passed.
        index: usize,
        /// How deep it nests ([`Expr::depth`](crate::Expr::depth)).
        depth: usize,
        /// The limit.
        limit: usize,
    },
    /// A typed accessor asked for the wrong dtype.
    #[error("column `{name}` has dtype {found}, not {requested}")]
    DTypeMismatch {
        /// The column (empty when the column was read outside a frame).
        name: String,
        /// The column's dtype.
        found: DType,
        /// The dtype the accessor asked for.
        requested: DType,
    },
    /// A column holds nulls where values were required.
    #[error("column `{name}` holds null at row {row}; read it with `get` to see nulls")]
    NullValue {
        /// The column (empty when the column was read outside a frame).
        name: String,
        /// The first null row.
        row: usize,
    },
    /// An Arrow array of a type swath does not hold.
    #[error(
        "column `{name}`: Arrow type {data_type} is not supported (swath takes bool, i32, i64, u32, f32, f64, strings and dictionaries of strings)"
    )]
    UnsupportedArrow {
        /// The column (empty when converting one array alone).
        name: String,
        /// The Arrow type, as Arrow prints it.
        data_type: String,
    },
    /// A row index past the end of a column.
    #[error("row {row} is out of bounds for column `{name}` of length {len}")]
    OutOfBounds {
        /// The column (empty when the column was read outside a frame).
        name: String,
        /// The row asked for.
        row: usize,
        /// The column's length.
        len: usize,
    },
    /// A setting (environment variable or option) that cannot be honoured.
    #[error("invalid setting {setting}: {message}")]
    InvalidSetting {
        /// The setting: an environment variable's name, or an option's.
        setting: String,
        /// Why its value cannot be used.
        message: String,
    },
    /// An expression string that does not parse; `position` is a byte offset into `input`.
    #[error("cannot parse `{input}` at position {position}: {message}")]
    Parse {
        /// The text that was parsed.
        input: String,
        /// Byte offset of the problem in `input`.
        position: usize,
        /// What was expected there.
        message: String,
    },
    /// A file that cannot be read or understood.
    #[error("{path}: {message}")]
    Io {
        /// The file's path, as given.
        path: String,
        /// What went wrong reading or understanding it.
        message: String,
    },
    /// A backend was requested that this machine cannot provide (no GPU adapter, say).
    #[error("backend unavailable: {0}")]
    BackendUnavailable(String),
    /// The GPU failed while running a pass (device lost, out of memory, a shader the driver
    /// rejected). swath falls back to the CPU where it can; this surfaces only where it cannot.
    #[error("GPU error: {0}")]
    Gpu(String),
    /// A bug in swath itself: please report it.
    #[error("internal error (a swath bug): {0}")]
    Internal(String),
}

/// Shorthand used across the crate: a result whose error is swath's [`Error`].
///
/// ```
/// use swath::prelude::*;
/// fn total(df: &Frame) -> swath::Result<f64> {
///     let out = df.select([col("x").sum()])?;
///     Ok(out.values::<f64>("x")?[0])
/// }
/// let df = Frame::new([("x", Column::from(vec![1.0f64, 2.0, 3.5]))])?;
/// assert_eq!(total(&df)?, 6.5);
/// # Ok::<(), swath::Error>(())
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;
