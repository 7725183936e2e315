//! A CSV column of text, dictionary-encoded as its cells arrive: each distinct string kept
//! once, a `u32` code per row (what `DType::Categorical` holds).

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use crate::column::{Bitmap, Column};

#[derive(Default)]
pub(super) struct TextCells {
    /// Each distinct string's code, keyed by its bytes: a cell equal to a known string is
    /// UTF-8 already, so only a new string is checked (once), not every cell.
    index: HashMap<Box<[u8]>, u32>,
    dictionary: Vec<String>,
    codes: Vec<u32>,
}

impl TextCells {
    /// `rows` null rows (code 0; nobody reads a null row's code).
    pub(super) fn nulls(rows: usize) -> TextCells {
        TextCells {
            codes: vec![0; rows],
            ..TextCells::default()
        }
    }

    /// The cells of an earlier type, as text: `values` printed, the rows `nulls` lists
    /// (ascending) left null. Numbers print as Rust prints them (`2.50` comes back `2.5`):
    /// their text was not kept once they parsed.
    pub(super) fn from_values<T: ToString>(values: &[T], nulls: &[usize]) -> TextCells {
        let mut text = TextCells::default();
        let mut next_null = nulls.iter().peekable();
        for (row, value) in values.iter().enumerate() {
            if next_null.peek() == Some(&&row) {
                next_null.next();
                text.push_null();
            } else {
                text.push(&value.to_string());
            }
        }
        text
    }

    pub(super) fn push(&mut self, cell: &str) {
        let code = self.code_of(cell);
        self.codes.push(code);
    }

    /// A cell's bytes; an error if they are new and not UTF-8.
    #[inline]
    pub(super) fn push_bytes(&mut self, cell: &[u8]) -> Result<(), String> {
        let code = match self.index.get(cell) {
            Some(&code) => code,
            None => {
                let text = std::str::from_utf8(cell)
                    .map_err(|_| "a cell is not UTF-8 text".to_string())?;
                self.code_of(text)
            }
        };
        self.codes.push(code);
        Ok(())
    }

    /// The code of `text`, which joins the dictionary if it is new.
    fn code_of(&mut self, text: &str) -> u32 {
        if let Some(&code) = self.index.get(text.as_bytes()) {
            return code;
        }
        let code = self.dictionary.len() as u32;
        self.index.insert(text.as_bytes().into(), code);
        self.dictionary.push(text.to_string());
        code
    }

    pub(super) fn push_null(&mut self) {
        self.codes.push(0);
    }

    /// These rows followed by `next`'s, whose codes are remapped into this dictionary.
    pub(super) fn append(mut self, next: TextCells) -> TextCells {
        let map: Vec<u32> = next.dictionary.iter().map(|s| self.code_of(s)).collect();
        self.codes.extend(
            next.codes
                .iter()
                .map(|&c| map.get(c as usize).copied().unwrap_or(0)),
        );
        self
    }

    pub(super) fn into_column(self, validity: Option<Arc<Bitmap>>) -> Column {
        Column::text(self.codes, self.dictionary.into(), validity)
    }
}
