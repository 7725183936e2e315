//! One CSV column's values as its cells arrive, typed on the way (no cell is kept as text),
//! and which of its rows are null.

use std::sync::Arc;

use crate::column::{Bitmap, Column};
use crate::dtype::DType;

use super::numbers::{parse_f64, parse_i64};
use super::text_cells::TextCells;

/// One column's cells so far: their values, typed, and the rows that are null.
pub(super) struct Cells {
    typed: TypedCells,
    /// Null rows, counted from this part's first row (few in most files, so a list).
    nulls: Vec<usize>,
    rows: usize,
    /// Rows to make room for when the first value arrives.
    capacity: usize,
}

/// Values in the narrowest type that holds every non-null cell so far: bool while every cell
/// is `true`/`false`, i64 while every cell is a whole number, f64 while every cell is a
/// number, else text. A null row holds the type's zero. `Empty`: no value yet (only
/// nulls, or no rows).
enum TypedCells {
    Empty,
    Bool(Vec<bool>),
    I64(Vec<i64>),
    F64(Vec<f64>),
    /// A cell that is none of the above made the column text.
    Text(TextCells),
}

impl Cells {
    pub(super) fn new() -> Cells {
        Cells {
            typed: TypedCells::Empty,
            nulls: Vec::new(),
            rows: 0,
            capacity: 0,
        }
    }

    /// A null cell.
    pub(super) fn push_null(&mut self) {
        self.nulls.push(self.rows);
        match &mut self.typed {
            TypedCells::Empty => {}
            TypedCells::Bool(v) => v.push(false),
            TypedCells::I64(v) => v.push(0),
            TypedCells::F64(v) => v.push(0.0),
            TypedCells::Text(t) => t.push_null(),
        }
        self.rows += 1;
    }

    /// No cells yet, with room for `rows` values before the column grows. The room is
    /// taken by the first value, once its type is known.
    pub(super) fn with_capacity(rows: usize) -> Cells {
        Cells {
            capacity: rows,
            ..Cells::new()
        }
    }

    /// A cell holding a value (trimmed, not a null string).
    #[inline]
    pub(super) fn push(&mut self, cell: &[u8]) -> std::result::Result<(), String> {
        // The common cases first: a number in a column of numbers, parsed from the bytes (a
        // number is ASCII), and a cell of a text column (checked as UTF-8 only when new).
        match &mut self.typed {
            TypedCells::F64(values) => {
                if let Some(x) = parse_f64(cell) {
                    values.push(x);
                    self.rows += 1;
                    return Ok(());
                }
            }
            TypedCells::I64(values) => {
                if let Some(i) = parse_i64(cell) {
                    values.push(i);
                    self.rows += 1;
                    return Ok(());
                }
            }
            TypedCells::Text(text) => {
                text.push_bytes(cell)?;
                self.rows += 1;
                return Ok(());
            }
            _ => {}
        }
        self.push_other(cell)
    }

    /// [`Cells::push`] for a cell that changes the column's type, or text, or true/false.
    fn push_other(&mut self, cell: &[u8]) -> std::result::Result<(), String> {
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
        let float = || parse_f64(cell);
        let rows = self.rows;
        let capacity = self.capacity.max(rows + 1);
        let nulls = &self.nulls;
        // A cell no number type holds makes the column text, the values so far printed.
        let to_text = |typed: &TypedCells| -> TextCells {
            let mut t = match typed {
                TypedCells::Empty => TextCells::nulls(rows),
                TypedCells::Bool(v) => TextCells::from_values(v, nulls),
                TypedCells::I64(v) => TextCells::from_values(v, nulls),
                TypedCells::F64(v) => TextCells::from_values(v, nulls),
                TypedCells::Text(_) => TextCells::default(),
            };
            t.push(text);
            t
        };
        match &mut self.typed {
            TypedCells::Text(t) => t.push(text),
            TypedCells::Empty => {
                self.typed = if let Some(b) = boolean() {
                    TypedCells::Bool(padded(rows, b, capacity))
                } else if let Some(i) = parse_i64(cell) {
                    TypedCells::I64(padded(rows, i, capacity))
                } else if let Some(x) = float() {
                    TypedCells::F64(padded(rows, x, capacity))
                } else {
                    TypedCells::Text(to_text(&self.typed))
                };
            }
            TypedCells::Bool(values) => match boolean() {
                Some(b) => values.push(b),
                None => self.typed = TypedCells::Text(to_text(&self.typed)),
            },
            TypedCells::I64(values) => match parse_i64(cell) {
                Some(i) => values.push(i),
                None => match float() {
                    // Whole numbers so far, and now a fraction: the column is f64 (each
                    // integer converts with one rounding, as parsing it would).
                    Some(x) => {
                        let mut floats: Vec<f64> =
                            Vec::with_capacity(capacity.max(values.len() + 1));
                        floats.extend(values.iter().map(|&i| i as f64));
                        floats.push(x);
                        self.typed = TypedCells::F64(floats);
                    }
                    None => self.typed = TypedCells::Text(to_text(&self.typed)),
                },
            },
            TypedCells::F64(values) => match float() {
                Some(x) => values.push(x),
                None => self.typed = TypedCells::Text(to_text(&self.typed)),
            },
        }
        self.rows += 1;
        Ok(())
    }

    /// `parts` (one column's cells, in row order) as one, in the narrowest type that holds
    /// them all. Parts of one type (the common case) are copied once, on up to `threads`
    /// threads, into a column sized for every row; others are appended pairwise.
    pub(super) fn concat(parts: Vec<Cells>, threads: usize) -> std::result::Result<Cells, String> {
        use TypedCells::*;
        let kind = |c: &Cells| std::mem::discriminant(&c.typed);
        let mut typed = parts.iter().filter(|c| !matches!(c.typed, Empty));
        let first = typed.next().map(kind);
        let one_type = typed.all(|c| Some(kind(c)) == first);
        if !one_type || parts.iter().any(|c| matches!(c.typed, Text(_))) {
            return parts.into_iter().try_fold(Cells::new(), Cells::append);
        }
        let rows = parts.iter().map(|c| c.rows).sum();
        let mut nulls = Vec::new();
        let mut before = 0;
        for c in &parts {
            nulls.extend(c.nulls.iter().map(|r| r + before));
            before += c.rows;
        }
        let typed = match parts
            .iter()
            .find(|c| !matches!(c.typed, Empty))
            .map(|c| &c.typed)
        {
            None | Some(Empty) => Empty,
            Some(Bool(_)) => Bool(joined(&parts, threads, |t| match t {
                Bool(v) => Some(v),
                _ => None,
            })?),
            Some(I64(_)) => I64(joined(&parts, threads, |t| match t {
                I64(v) => Some(v),
                _ => None,
            })?),
            Some(F64(_)) => F64(joined(&parts, threads, |t| match t {
                F64(v) => Some(v),
                _ => None,
            })?),
            Some(Text(_)) => return Err("text parts reached the one-type join".into()),
        };
        Ok(Cells {
            typed,
            nulls,
            rows,
            capacity: 0,
        })
    }

    /// These cells followed by `next`'s (the same column, later rows), in the narrowest type
    /// that holds both.
    pub(super) fn append(mut self, next: Cells) -> std::result::Result<Cells, String> {
        use TypedCells::*;
        let floats = |v: Vec<i64>| v.into_iter().map(|i| i as f64).collect::<Vec<f64>>();
        let (rows, later) = (self.rows, next.rows);
        let (mine, theirs) = (self.nulls.clone(), next.nulls.clone());
        let typed = match (self.typed, next.typed) {
            (Empty, Empty) => Empty,
            (Text(a), Text(b)) => Text(a.append(b)),
            (Text(a), other) => Text(a.append(other.into_text(later, &theirs))),
            (other, Text(b)) => Text(other.into_text(rows, &mine).append(b)),
            (Empty, other) => other.padded_front(rows),
            (other, Empty) => other.padded_back(later),
            (Bool(mut a), Bool(b)) => {
                a.extend(b);
                Bool(a)
            }
            (I64(mut a), I64(b)) => {
                a.extend(b);
                I64(a)
            }
            (F64(mut a), F64(b)) => {
                a.extend(b);
                F64(a)
            }
            (I64(a), F64(b)) => {
                let mut a = floats(a);
                a.extend(b);
                F64(a)
            }
            (F64(mut a), I64(b)) => {
                a.extend(floats(b));
                F64(a)
            }
            // True/false values and numbers: text, as one part alone would have become.
            (a @ Bool(_), b) | (a, b @ Bool(_)) => {
                Text(a.into_text(rows, &mine).append(b.into_text(later, &theirs)))
            }
        };
        self.nulls.extend(next.nulls.into_iter().map(|r| r + rows));
        Ok(Cells {
            typed,
            nulls: self.nulls,
            rows: rows + later,
            capacity: 0,
        })
    }

    pub(super) fn into_column(self) -> Column {
        let validity = (!self.nulls.is_empty()).then(|| {
            let mut valid = vec![true; self.rows];
            for &r in &self.nulls {
                valid[r] = false;
            }
            Arc::new(Bitmap::from_bools(&valid))
        });
        let data = match self.typed {
            // Only nulls (or no rows) say nothing about the type; f64 is what a numeric tool
            // would assume.
            TypedCells::Empty => return Column::nulls(DType::F64, self.rows),
            TypedCells::Bool(v) => Column::from(v),
            TypedCells::I64(v) => Column::from(v),
            TypedCells::F64(v) => Column::from(v),
            TypedCells::Text(t) => return t.into_column(validity),
        };
        match validity {
            Some(validity) => data.with_bitmap(validity),
            None => data,
        }
    }
}

impl TypedCells {
    /// These `rows` values as text, the rows `nulls` lists left null.
    fn into_text(self, rows: usize, nulls: &[usize]) -> TextCells {
        match self {
            TypedCells::Empty => TextCells::nulls(rows),
            TypedCells::Bool(v) => TextCells::from_values(&v, nulls),
            TypedCells::I64(v) => TextCells::from_values(&v, nulls),
            TypedCells::F64(v) => TextCells::from_values(&v, nulls),
            TypedCells::Text(t) => t,
        }
    }

    /// These values after `n` null rows.
    fn padded_front(self, n: usize) -> TypedCells {
        fn front<T: Default + Clone>(n: usize, v: Vec<T>) -> Vec<T> {
            let mut out = vec![T::default(); n];
            out.extend(v);
            out
        }
        match self {
            TypedCells::Empty => TypedCells::Empty,
            TypedCells::Text(t) => TypedCells::Text(TextCells::nulls(n).append(t)),
            TypedCells::Bool(v) => TypedCells::Bool(front(n, v)),
            TypedCells::I64(v) => TypedCells::I64(front(n, v)),
            TypedCells::F64(v) => TypedCells::F64(front(n, v)),
        }
    }
    /// These values before `n` null rows.
    fn padded_back(self, n: usize) -> TypedCells {
        fn back<T: Default + Clone>(n: usize, mut v: Vec<T>) -> Vec<T> {
            v.resize(v.len() + n, T::default());
            v
        }
        match self {
            TypedCells::Empty => TypedCells::Empty,
            TypedCells::Text(t) => TypedCells::Text(t.append(TextCells::nulls(n))),
            TypedCells::Bool(v) => TypedCells::Bool(back(n, v)),
            TypedCells::I64(v) => TypedCells::I64(back(n, v)),
            TypedCells::F64(v) => TypedCells::F64(back(n, v)),
        }
    }
}

/// The values of `parts` in one vector, joined in parallel ([`crate::frame::joined`]); a part
/// with no value yet (only nulls) gives zeros.
fn joined<T: Copy + Default + Send + Sync>(
    parts: &[Cells],
    threads: usize,
    values: impl Fn(&TypedCells) -> Option<&Vec<T>> + Sync,
) -> std::result::Result<Vec<T>, String> {
    let sizes: Vec<usize> = parts.iter().map(|c| c.rows).collect();
    crate::frame::joined(&sizes, threads, |k, window| {
        if let Some(v) = parts.get(k).and_then(|c| values(&c.typed))
            && v.len() == window.len()
        {
            window.copy_from_slice(v);
        }
    })
    .map_err(|e| e.to_string())
}

/// `rows` zeros (null rows) then `value`, with room for `capacity` values.
fn padded<T: Default + Clone>(rows: usize, value: T, capacity: usize) -> Vec<T> {
    let mut v = Vec::with_capacity(capacity.max(rows + 1));
    v.resize(rows, T::default());
    v.push(value);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(cells: &[&str]) -> std::result::Result<Cells, String> {
        let mut typed = Cells::new();
        for cell in cells {
            if cell.is_empty() {
                typed.push_null();
            } else {
                typed.push(cell.as_bytes())?;
            }
        }
        Ok(typed)
    }

    fn column(cells: &[&str]) -> std::result::Result<Column, String> {
        typed(cells).map(Cells::into_column)
    }

    #[test]
    fn each_column_takes_the_narrowest_type_that_holds_every_cell() {
        use crate::dtype::DType;
        let dtype = |cells: &[&str]| column(cells).map(|c| c.dtype());
        assert_eq!(dtype(&[]), Ok(DType::F64));
        assert_eq!(dtype(&["true", "FALSE"]), Ok(DType::Bool));
        assert_eq!(dtype(&["1", "-7", "+3"]), Ok(DType::I64));
        assert_eq!(dtype(&["1", "2.5"]), Ok(DType::F64));
        assert_eq!(dtype(&["1", ""]), Ok(DType::I64));
        assert_eq!(dtype(&["", "1"]), Ok(DType::I64));
        assert_eq!(dtype(&["", "true"]), Ok(DType::Bool));
        assert_eq!(dtype(&["", ""]), Ok(DType::F64));
        assert_eq!(dtype(&["inf", "NaN", "1e300"]), Ok(DType::F64));
        let values = column(&["9007199254740993", "0.5", ""])
            .and_then(|c| c.to_options::<f64>().map_err(|e| e.to_string()));
        assert_eq!(values, Ok(vec![Some(9007199254740993.0), Some(0.5), None]));
        let values =
            column(&["", "7", ""]).and_then(|c| c.to_options::<i64>().map_err(|e| e.to_string()));
        assert_eq!(values, Ok(vec![None, Some(7), None]));
    }

    #[test]
    fn appending_gives_what_pushing_every_cell_would() {
        let parts: [&[&str]; 7] = [
            &["", ""],
            &["1", "2"],
            &[],
            &["3.5", ""],
            &["4"],
            &[""],
            &["true"],
        ];
        let mut joined = Cells::new();
        for part in &parts[..6] {
            joined = joined
                .append(typed(part).unwrap_or_else(|_| Cells::new()))
                .unwrap_or_else(|_| Cells::new());
        }
        let whole = column(&["", "", "1", "2", "3.5", "", "4", ""])
            .and_then(|c| c.to_options::<f64>().map_err(|e| e.to_string()));
        let joined = joined
            .into_column()
            .to_options::<f64>()
            .map_err(|e| e.to_string());
        assert_eq!(joined, whole);
        // Joined in one go: the same; and parts of one type (nulls-only parts among them).
        for parts in [
            &parts[..6],
            &parts[..3],
            &parts[4..6],
            &[&[""][..], &["1.5"], &["2"]],
        ] {
            let cells: Vec<&str> = parts.concat();
            let one_go = Cells::concat(parts.iter().filter_map(|p| typed(p).ok()).collect(), 3)
                .map(|c| {
                    c.into_column()
                        .to_options::<f64>()
                        .map_err(|e| e.to_string())
                });
            let whole = column(&cells).map(|c| c.to_options::<f64>().map_err(|e| e.to_string()));
            assert_eq!(one_go, whole, "{parts:?}");
        }
        // Numbers in one part and true/false in another: text, as one part would be.
        let mixed = typed(parts[1])
            .and_then(|t| t.append(typed(parts[6])?))
            .map(|c| c.into_column().to_strings().map_err(|e| e.to_string()));
        assert_eq!(
            mixed,
            Ok(Ok(vec![
                Some("1".into()),
                Some("2".into()),
                Some("true".into())
            ]))
        );
    }

    #[test]
    fn a_cell_that_fits_no_number_type_makes_the_column_text() {
        let strings = |cells: &[&str]| {
            column(cells)
                .and_then(|c| c.to_strings().map_err(|e| e.to_string()))
                .unwrap_or_default()
        };
        let owned = |v: &[Option<&str>]| -> Vec<Option<String>> {
            v.iter().map(|s| s.map(str::to_string)).collect()
        };
        assert_eq!(strings(&["x"]), owned(&[Some("x")]));
        assert_eq!(
            strings(&["", "x", "y", "x"]),
            owned(&[None, Some("x"), Some("y"), Some("x")])
        );
        // Values before the first text cell are printed (their text was not kept).
        assert_eq!(
            strings(&["1.50", "", "x"]),
            owned(&[Some("1.5"), None, Some("x")])
        );
        assert_eq!(strings(&["7", "true"]), owned(&[Some("7"), Some("true")]));
        assert_eq!(
            strings(&["true", "maybe"]),
            owned(&[Some("true"), Some("maybe")])
        );
        let c = column(&["b", "a", "b"]).unwrap_or_else(|_| Column::from(Vec::<f64>::new()));
        assert_eq!(c.categories().map(<[String]>::len), Some(2));
        // Bytes that are not UTF-8 are an error, first cell or in a text column.
        let mut cells = Cells::new();
        assert!(
            cells
                .push(&[0xff, 0xfe])
                .is_err_and(|m| m.contains("UTF-8"))
        );
        let mut text = typed(&["x", "y"]).unwrap_or_else(|_| Cells::new());
        assert!(text.push(b"x\xff").is_err_and(|m| m.contains("UTF-8")));
        assert!(text.push("é".as_bytes()).is_ok());
    }
}
