//! Reading data into frames.

mod csv;

pub use self::csv::read_csv;
