//! CSV into a Frame, with each column's dtype inferred from its values: `true`/`false` give
//! bool, whole numbers i64, other numbers f64, anything else text (`DType::Categorical`). An empty cell (or one of the null strings
//! [`CsvOptions::null_values`] names) is null, in every dtype. Columns the options leave out
//! are skipped without being parsed.

use std::path::Path;

use super::cells::Cells;
pub use super::csv_options::CsvOptions;
use super::csv_options::Projection;
use super::fields;
use super::source::{self, FileSource, Source};
use crate::error::{Error, Result};
use crate::frame::Frame;
use crate::options::ExecOptions;

/// Reads the CSV file at `path` (first row: column names), inferring each column's dtype
/// as the module docs say.
///
/// Errors: [`Error::Io`] naming the file for a file that cannot be read, a ragged row or a
/// cell that is not UTF-8 (with its row and column); [`Error::DuplicateColumn`] for repeated
/// names.
///
/// ```
/// use swath::prelude::*;
/// let dir = tempfile::tempdir().expect("a temporary directory");
/// let path = dir.path().join("data.csv");
/// std::fs::write(&path, "id,price,ok\n1,2.5,true\n2,,false\n").expect("writable");
/// let df = swath::io::read_csv(&path)?;
/// assert_eq!(df.names(), ["id", "price", "ok"]);
/// assert_eq!(df.values::<i64>("id")?, [1, 2]);
/// assert_eq!(df.column("price")?.to_options::<f64>()?, [Some(2.5), None]); // an empty cell
/// assert_eq!(df.values::<bool>("ok")?, [true, false]);
/// assert!(matches!(swath::io::read_csv(dir.path().join("missing.csv")), Err(Error::Io { .. })));
/// # Ok::<(), swath::Error>(())
/// ```
pub fn read_csv(path: impl AsRef<Path>) -> Result<Frame> {
    read_csv_with(path, &CsvOptions::default())
}

/// [`read_csv`] with options: which columns to read, and which strings are null.
///
/// Errors: as [`read_csv`], and [`Error::Io`] naming a requested column the header lacks.
///
/// ```
/// use swath::io::CsvOptions;
/// use swath::prelude::*;
/// let dir = tempfile::tempdir().expect("a temporary directory");
/// let path = dir.path().join("data.csv");
/// std::fs::write(&path, "name,price,qty\nbolt,2.5,NA\nnut,,3\n").expect("writable");
/// let options = CsvOptions::new().columns(["price", "qty"]).null_values(["", "NA"]);
/// let df = swath::io::read_csv_with(&path, &options)?; // `name` (text) is never parsed
/// assert_eq!(df.names(), ["price", "qty"]);
/// assert_eq!(df.column("price")?.to_options::<f64>()?, [Some(2.5), None]);
/// assert_eq!(df.column("qty")?.to_options::<i64>()?, [None, Some(3)]);
/// # Ok::<(), swath::Error>(())
/// ```
pub fn read_csv_with(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Frame> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let io = |message: String| Error::Io {
        path: shown.clone(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| io(e.to_string()))?;
    let source = FileSource::new(file).map_err(|e| io(e.to_string()))?;
    let threads = ExecOptions::default().resolved_threads()?;
    parse(&source, options, threads, PART_BYTES).map_err(io)
}

/// Bytes of text per part: below this a part's start-up is a visible share; above it the
/// threads' shares grow uneven. Memory holds a part of text per thread beside the columns.
const PART_BYTES: u64 = 1 << 20;

/// The CSV in `source`. Without quotes a record is a line, so the text after the header is
/// cut into parts of `part_bytes`, each read (from the source, by position) and parsed on up
/// to `threads` threads, and joined in order. A quoted field may hold a line end, so a file
/// with a quote anywhere goes through the csv crate's reader, whole, on one thread.
fn parse<S: Source + ?Sized>(
    source: &S,
    options: &CsvOptions,
    threads: usize,
    part_bytes: u64,
) -> std::result::Result<Frame, String> {
    let head = source::first_line(source).map_err(|e| e.to_string())?;
    if head.contains(&b'"') {
        return parse_quoted(source, options, threads);
    }
    let mut reader = ::csv::ReaderBuilder::new().from_reader(&head[..]);
    let mut table = Table::new(Projection::new(header(&mut reader)?, options)?, threads);
    let first = head.len() as u64;
    let ranges: Vec<std::ops::Range<u64>> = (first..source.len())
        .step_by(usize::try_from(part_bytes.max(1)).unwrap_or(usize::MAX))
        .map(|start| start..start.saturating_add(part_bytes.max(1)).min(source.len()))
        .collect();
    let projection = &table.projection;
    let parts = crate::cpu::pool::map_items(threads, ranges, |_, range| {
        let (text, skip) = source::lines_starting_in(source, range, first)
            .map_err(|e| Unquoted::Io(e.to_string()))?;
        let text = text.get(skip..).unwrap_or_default();
        if text.contains(&b'"') {
            return Err(Unquoted::Quote);
        }
        read_unquoted(text, projection).map_err(Unquoted::Part)
    })
    .map_err(|e| e.to_string())?;
    // A quote anywhere decides first: a part without quotes may sit inside a quoted field that
    // spans lines, so its own errors mean nothing then.
    if parts.iter().any(|p| matches!(p, Err(Unquoted::Quote))) {
        return parse_quoted(source, options, threads);
    }
    for part in parts {
        match part {
            Ok(part) => table.add(Ok(part))?,
            Err(Unquoted::Part(e)) => table.add(Err(e))?,
            Err(Unquoted::Io(e)) => return Err(e),
            Err(Unquoted::Quote) => return Err("a quote after the check for quotes".into()),
        }
    }
    table.into_frame()
}

/// Why a part of unquoted text gave no rows.
enum Unquoted {
    /// Its text could not be read.
    Io(String),
    /// It holds a quote: the file goes through the csv crate.
    Quote,
    /// A row was bad.
    Part(PartError),
}

/// The whole CSV through the csv crate's reader, which follows quotes.
fn parse_quoted<S: Source + ?Sized>(
    source: &S,
    options: &CsvOptions,
    threads: usize,
) -> std::result::Result<Frame, String> {
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(std::io::BufReader::new(source::Sequential::new(source)));
    let mut table = Table::new(Projection::new(header(&mut reader)?, options)?, threads);
    table.add(read_part(&mut reader, &table.projection))?;
    table.into_frame()
}

/// The column names: the header record, each name trimmed.
fn header<R: std::io::Read>(
    reader: &mut ::csv::Reader<R>,
) -> std::result::Result<Vec<String>, String> {
    Ok(reader
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(|name| name.trim().to_string())
        .collect())
}

/// The columns read so far, as the parts that read them, and their rows.
struct Table {
    projection: Projection,
    /// Per column read: its cells from each part, in order (joined once, at the end, so no
    /// value is copied twice).
    columns: Vec<Vec<Cells>>,
    rows: usize,
    /// Threads that join the parts.
    threads: usize,
}

impl Table {
    fn new(projection: Projection, threads: usize) -> Table {
        let columns = projection.names.iter().map(|_| Vec::new()).collect();
        Table {
            projection,
            columns,
            rows: 0,
            threads,
        }
    }

    /// The next part's rows after these; its error, if it has one, at its row in the file.
    fn add(
        &mut self,
        part: std::result::Result<Part, PartError>,
    ) -> std::result::Result<(), String> {
        let part = part.map_err(|e| e.at(self.rows, &self.projection.header))?;
        self.rows += part.rows;
        for (parts, cells) in self.columns.iter_mut().zip(part.columns) {
            parts.push(cells);
        }
        Ok(())
    }

    fn into_frame(self) -> std::result::Result<Frame, String> {
        let columns = self
            .projection
            .names
            .into_iter()
            .zip(self.columns)
            .map(|(name, parts)| {
                Cells::concat(parts, self.threads)
                    .map(|cells| (name.clone(), cells.into_column()))
                    .map_err(|message| format!("column `{name}`: {message}"))
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Frame::new(columns).map_err(|e| e.to_string())
    }
}

/// One part's columns and how many rows it had.
struct Part {
    columns: Vec<Cells>,
    rows: usize,
}

/// What went wrong in a part, at which of its rows and in which column.
struct PartError {
    row: usize,
    column: Option<usize>,
    message: String,
}

impl PartError {
    /// The message for the whole file, the part starting after `rows_before` rows.
    fn at(self, rows_before: usize, names: &[String]) -> String {
        // Row numbers count the header as row 1, as a spreadsheet shows them.
        let row = rows_before + self.row + 2;
        match self.column.and_then(|c| names.get(c)) {
            Some(name) => format!("row {row}, column `{name}`: {}", self.message),
            None => format!("row {row}: {}", self.message),
        }
    }
}

/// Reads every record of `reader` into typed columns. Each column is typed as its cells
/// arrive (no cell is kept as text), and cells are trimmed here rather than by the csv
/// reader, whose trimming took 200 of the 280 ms of reading a 48 MB file.
fn read_part<R: std::io::Read>(
    reader: &mut ::csv::Reader<R>,
    projection: &Projection,
) -> std::result::Result<Part, PartError> {
    let mut columns: Vec<Cells> = projection.names.iter().map(|_| Cells::new()).collect();
    let mut record = ::csv::ByteRecord::new();
    let mut row = 0;
    loop {
        let more = reader
            .read_byte_record(&mut record)
            .map_err(|e| PartError {
                row,
                column: None,
                message: e.to_string(),
            })?;
        if !more {
            break;
        }
        take_row(&mut columns, projection, row, record.len(), |field| {
            record.get(field).unwrap_or_default()
        })?;
        row += 1;
    }
    Ok(Part { columns, rows: row })
}

/// [`read_part`] for text without quotes, split by [`fields::for_each_row`] rather than the
/// csv crate (the same rows and fields, in a third of the time).
fn read_unquoted(text: &[u8], projection: &Projection) -> std::result::Result<Part, PartError> {
    // Columns sized for the rows the first line suggests, so they rarely grow (and copy).
    let line = text
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |i| i + 1);
    let rows_guess = text.len() / line.max(1) + 1;
    let mut columns: Vec<Cells> = projection
        .names
        .iter()
        .map(|_| Cells::with_capacity(rows_guess))
        .collect();
    let mut row = 0;
    fields::for_each_row(text, |bounds| {
        take_row(&mut columns, projection, row, bounds.len(), |field| {
            bounds
                .get(field)
                .and_then(|&(start, end)| text.get(start..end))
                .unwrap_or_default()
        })?;
        row += 1;
        Ok(())
    })?;
    Ok(Part { columns, rows: row })
}

/// One record's cells (`cell(field)` gives field `field`, untrimmed) into the columns read,
/// after checking it has as many fields as the header.
#[inline(always)]
fn take_row<'a>(
    columns: &mut [Cells],
    projection: &Projection,
    row: usize,
    fields: usize,
    cell: impl Fn(usize) -> &'a [u8],
) -> std::result::Result<(), PartError> {
    let width = projection.header.len();
    if fields != width {
        return Err(PartError {
            row,
            column: None,
            message: format!("{fields} fields where the header has {width}"),
        });
    }
    for &(field, out) in &projection.fields {
        let cell = cell(field).trim_ascii();
        let Some(column) = columns.get_mut(out) else {
            continue;
        };
        if projection.is_null(cell) {
            column.push_null();
            continue;
        }
        column.push(cell).map_err(|message| PartError {
            row,
            column: Some(field),
            message,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same file parsed whole and in parts gives the same frame (or both fail).
    #[test]
    fn parts_parse_like_the_whole_file() {
        let mut text = String::from("i, x ,flag,mixed\n");
        for r in 0..3000u32 {
            // `mixed` is whole numbers until row 2000, then fractions and empty cells.
            let mixed = if r < 2000 {
                format!("{r}")
            } else if r % 7 == 0 {
                String::new()
            } else {
                format!("{r}.5")
            };
            text.push_str(&format!(
                "{r},{}, {} ,{mixed}\r\n",
                f64::from(r) * 0.25 - 3.0,
                r % 3 == 0
            ));
        }
        let whole = parse(text.as_bytes(), &CsvOptions::default(), 1, u64::MAX);
        for threads in [2, 3, 7] {
            // Parts of a few bytes to many lines, some ending mid-line.
            for part in [PART_BYTES, 4096, 1000, 300, 17, 1] {
                let parted = parse(text.as_bytes(), &CsvOptions::default(), threads, part);
                match (&whole, &parted) {
                    (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}")),
                    _ => panic!("{whole:?} vs {parted:?}"),
                }
            }
        }
    }

    #[test]
    fn errors_name_the_row_and_column_in_the_whole_file() {
        // A cell that is not UTF-8, in a part parsed on another thread.
        let mut bytes = b"a,b\n".to_vec();
        for r in 0..1000 {
            bytes.extend_from_slice(format!("{r},").as_bytes());
            if r == 777 {
                bytes.extend_from_slice(&[0xff, 0xfe]);
            } else {
                bytes.extend_from_slice(b"1.5");
            }
            bytes.push(b'\n');
        }
        let message = parse(&bytes[..], &CsvOptions::default(), 3, 100)
            .err()
            .unwrap_or_default();
        assert!(
            message.contains("row 779, column `b`") && message.contains("UTF-8"),
            "{message}"
        );
        // A text cell among numbers makes the column text, not an error.
        let mut text = String::from("a,b\n");
        for r in 0..1000 {
            text.push_str(&format!("{r},{}\n", if r == 777 { "oops" } else { "1.5" }));
        }
        let frame = parse(text.as_bytes(), &CsvOptions::default(), 3, 100);
        let b = frame.map(|f| {
            f.column("b")
                .map(|c| c.to_strings().map(|s| s[777].clone()))
        });
        assert!(matches!(b, Ok(Ok(Ok(Some(ref s)))) if s == "oops"));
        let ragged = "a,b\n1,2\n3\n";
        let message = parse(ragged.as_bytes(), &CsvOptions::default(), 2, PART_BYTES)
            .err()
            .unwrap_or_default();
        assert!(
            message.contains("row 3") && message.contains("1 fields where the header has 2"),
            "{message}"
        );
        // A quoted field holding a line end: one part, parsed right.
        let quoted = "\"a\",b\n\"1\",2\n";
        let frame = parse(quoted.as_bytes(), &CsvOptions::default(), 4, PART_BYTES);
        assert_eq!(frame.map(|f| f.height()), Ok(1));
        // Quotes first met in a later block: the rest goes through one reader, a field with a
        // line end inside included.
        let mut text = String::from("a,b\n");
        for r in 0..500 {
            text.push_str(&format!("{r},{r}.5\n"));
        }
        text.push_str("\"7\",\"8.25\n\"\n9,10\n");
        let frame =
            parse(text.as_bytes(), &CsvOptions::default(), 2, 100).map_err(|e| e.to_string());
        let b = frame.and_then(|f| f.values::<f64>("b").map_err(|e| e.to_string()));
        assert_eq!(b.map(|b| (b.len(), b[500], b[501])), Ok((502, 8.25, 10.0)));
    }
}
