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
    let mut reader = ::csv::ReaderBuilder::new()
        .trim(::csv::Trim::All)
        .from_path(path)
        .map_err(|e| io(e.to_string()))?;
    let names: Vec<String> = reader
        .headers()
        .map_err(|e| io(e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut cells: Vec<Vec<String>> = vec![Vec::new(); names.len()];
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| io(format!("row {}: {e}", row + 2)))?;
        for (column, cell) in cells.iter_mut().zip(record.iter()) {
            column.push(cell.to_string());
        }
    }
    let columns = names
        .into_iter()
        .zip(cells)
        .map(|(name, values)| {
            let column = infer_column(&values)
                .map_err(|message| io(format!("column `{name}`: {message}")))?;
            Ok((name, column))
        })
        .collect::<Result<Vec<_>>>()?;
    Frame::new(columns)
}

fn infer_column(values: &[String]) -> std::result::Result<Column, String> {
    let present = || values.iter().filter(|v| !v.is_empty());
    if values.is_empty() {
        // No rows says nothing about the type; f64 is what a numeric tool would assume.
        return Ok(Column::from(Vec::<f64>::new()));
    }
    if values
        .iter()
        .all(|v| v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false"))
    {
        return Ok(Column::from(
            values
                .iter()
                .map(|v| v.eq_ignore_ascii_case("true"))
                .collect::<Vec<_>>(),
        ));
    }
    if values.iter().all(|v| v.parse::<i64>().is_ok()) {
        return Ok(Column::from(
            values
                .iter()
                .map(|v| v.parse::<i64>().unwrap_or(0))
                .collect::<Vec<_>>(),
        ));
    }
    if let Some(bad) = present().find(|v| v.parse::<f64>().is_err()) {
        return Err(format!(
            "`{bad}` is not a number (text columns are not supported)"
        ));
    }
    let floats = values.iter().map(|v| {
        if v.is_empty() {
            f64::NAN
        } else {
            v.parse().unwrap_or(f64::NAN)
        }
    });
    Ok(Column::from(floats.collect::<Vec<f64>>()))
}
