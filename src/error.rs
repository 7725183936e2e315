//! The one error type every fallible swath call returns, so `?` chains across the API.

use crate::dtype::DType;

/// Everything that can go wrong in swath. Each variant names the column or the expression at
/// fault, so a message alone is enough to find the problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An expression or lookup named a column the frame does not have.
    #[error("column `{name}` not found; the frame has: {available}")]
    ColumnNotFound { name: String, available: String },
    /// Columns of one frame must have one length.
    #[error("column `{name}` has {len} rows but the frame has {expected}")]
    LengthMismatch {
        name: String,
        len: usize,
        expected: usize,
    },
    /// Two columns (or two outputs of one select) share a name.
    #[error("duplicate column name `{0}`")]
    DuplicateColumn(String),
    /// An operation was given a dtype it does not take.
    #[error("in `{expr}`: {message}")]
    InvalidType { expr: String, message: String },
    /// A typed accessor asked for the wrong dtype.
    #[error("column `{name}` has dtype {found}, not {requested}")]
    DTypeMismatch {
        name: String,
        found: DType,
        requested: DType,
    },
    /// A column holds nulls where values were required.
    #[error("column `{name}` holds null at row {row}; read it with `get` to see nulls")]
    NullValue { name: String, row: usize },
    /// A row index past the end of a column.
    #[error("row {row} is out of bounds for column `{name}` of length {len}")]
    OutOfBounds {
        name: String,
        row: usize,
        len: usize,
    },
    /// A setting (environment variable or option) that cannot be honoured.
    #[error("invalid setting {setting}: {message}")]
    InvalidSetting { setting: String, message: String },
    /// An expression string that does not parse; `position` is a byte offset into `input`.
    #[error("cannot parse `{input}` at position {position}: {message}")]
    Parse {
        input: String,
        position: usize,
        message: String,
    },
    /// A file that cannot be read or understood.
    #[error("{path}: {message}")]
    Io { path: String, message: String },
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

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
