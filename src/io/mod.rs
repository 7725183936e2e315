//! Reading data into frames.

mod cells;
mod csv;

pub use self::csv::read_csv;
