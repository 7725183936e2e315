//! One CSV column's values as its cells arrive, typed on the way (no cell is kept as text).

use crate::column::Column;

/// One column's values so far, in the narrowest type that holds them all: bool while every
/// cell is `true`/`false`, i64 while every cell is a whole number, then f64 (an empty cell is
/// NaN there). A cell that fits none of these is an error.
pub(super) enum TypedCells {
    Empty,
    Bool(Vec<bool>),
    I64(Vec<i64>),
    F64(Vec<f64>),
}

impl TypedCells {
    pub(super) fn push(&mut self, cell: &[u8]) -> std::result::Result<(), String> {
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

    /// These values followed by `next`'s (the same column, later rows), in the narrowest type
    /// that holds both.
    pub(super) fn append(self, next: TypedCells) -> std::result::Result<TypedCells, String> {
        use TypedCells::*;
        let floats = |v: Vec<i64>| v.into_iter().map(|i| i as f64).collect::<Vec<f64>>();
        Ok(match (self, next) {
            (Empty, other) | (other, Empty) => other,
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
            (Bool(_), _) | (_, Bool(_)) => {
                return Err(
                    "true/false values mixed with numbers (mixed columns are not supported)"
                        .to_string(),
                );
            }
        })
    }

    pub(super) fn into_column(self) -> Column {
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
    fn appending_gives_what_pushing_every_cell_would() {
        let parts: [&[&str]; 5] = [&["1", "2"], &[], &["3.5", ""], &["4"], &["true"]];
        let typed = |cells: &[&str]| {
            let mut t = TypedCells::Empty;
            for c in cells {
                t.push(c.as_bytes()).map(|_| ())?;
            }
            Ok::<TypedCells, String>(t)
        };
        let mut joined = TypedCells::Empty;
        for part in &parts[..4] {
            joined = joined
                .append(typed(part).unwrap_or(TypedCells::Empty))
                .unwrap_or(TypedCells::Empty);
        }
        let whole = column(&["1", "2", "3.5", "", "4"])
            .and_then(|c| c.to_vec::<f64>().map_err(|e| e.to_string()));
        let joined = joined
            .into_column()
            .to_vec::<f64>()
            .map_err(|e| e.to_string());
        let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        assert_eq!(joined.map(bits), whole.map(bits));
        let mixed = typed(parts[0]).and_then(|t| t.append(typed(parts[4])?));
        assert!(mixed.is_err_and(|m| m.contains("mixed with numbers")));
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
