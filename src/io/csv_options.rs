//! What a CSV read takes besides the file: the columns to read and the strings that mean
//! null.

use std::collections::HashSet;

/// Options of [`read_csv_with`](super::read_csv_with).
///
/// ```
/// use swath::io::CsvOptions;
/// let options = CsvOptions::new().columns(["a", "b"]).null_values(["", "NA", "null"]);
/// assert_eq!(options.null_strings(), ["", "NA", "null"]);
/// ```
#[derive(Debug, Clone)]
pub struct CsvOptions {
    columns: Option<Vec<String>>,
    null_values: Vec<String>,
}

impl Default for CsvOptions {
    /// Every column; the empty cell is null (Polars' default).
    fn default() -> Self {
        CsvOptions {
            columns: None,
            null_values: vec![String::new()],
        }
    }
}

impl CsvOptions {
    /// The defaults: every column, the empty cell null.
    pub fn new() -> Self {
        Self::default()
    }
    /// Read only these columns, in the file's order; the others are skipped unparsed.
    pub fn columns<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.columns = Some(names.into_iter().map(Into::into).collect());
        self
    }
    /// The cells (after trimming spaces) that are null, replacing the default `[""]`.
    pub fn null_values<S: Into<String>>(mut self, values: impl IntoIterator<Item = S>) -> Self {
        self.null_values = values.into_iter().map(Into::into).collect();
        self
    }
    /// The null strings.
    pub fn null_strings(&self) -> &[String] {
        &self.null_values
    }
}

/// The header and which of its fields are read, into which output column.
pub(super) struct Projection {
    /// Every name in the header (errors name a field by it).
    pub header: Vec<String>,
    /// The names of the columns read, in the file's order.
    pub names: Vec<String>,
    /// (field index in a record, output column index), in the file's order.
    pub fields: Vec<(usize, usize)>,
    nulls: HashSet<Vec<u8>>,
    /// Whether the only null string is the empty cell (the common case, one comparison).
    only_empty: bool,
}

impl Projection {
    pub fn new(header: Vec<String>, options: &CsvOptions) -> Result<Projection, String> {
        if let Some(wanted) = &options.columns
            && let Some(missing) = wanted.iter().find(|w| !header.contains(w))
        {
            return Err(format!(
                "column `{missing}` not found; the file has: {}",
                header.join(", ")
            ));
        }
        let mut names = Vec::new();
        let mut fields = Vec::new();
        for (field, name) in header.iter().enumerate() {
            let read = options.columns.as_ref().is_none_or(|w| w.contains(name));
            if read {
                fields.push((field, names.len()));
                names.push(name.clone());
            }
        }
        let nulls: HashSet<Vec<u8>> = options
            .null_values
            .iter()
            .map(|s| s.trim().as_bytes().to_vec())
            .collect();
        let only_empty = nulls.len() == 1 && nulls.contains(&Vec::new());
        Ok(Projection {
            header,
            names,
            fields,
            nulls,
            only_empty,
        })
    }

    /// Whether a trimmed cell is null.
    #[inline]
    pub fn is_null(&self, cell: &[u8]) -> bool {
        if self.only_empty {
            cell.is_empty()
        } else {
            self.nulls.contains(cell)
        }
    }
}
