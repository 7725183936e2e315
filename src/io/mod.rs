//! Reading data into frames.

mod cells;
mod csv;
mod csv_options;
mod fields;
mod numbers;
mod parquet;
mod source;
mod text_cells;

pub use self::csv::{CsvOptions, read_csv, read_csv_with};
pub use self::parquet::{read_parquet, write_parquet};
