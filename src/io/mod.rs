//! Reading data into frames.

mod cells;
mod csv;
mod csv_options;

pub use self::csv::{CsvOptions, read_csv, read_csv_with};
