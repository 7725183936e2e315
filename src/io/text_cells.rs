//! A CSV column of text, dictionary-encoded as its cells arrive: each distinct string kept
//! once, a `u32` code per row (what `DType::Categorical` holds).

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use crate::column::{Bitmap, Column};

#[derive(Default)]
pub(super) struct TextCells {
    index: HashMap<String, u32>,
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
        let code = match self.index.get(cell) {
            Some(&code) => code,
            None => {
                let code = self.dictionary.len() as u32;
                self.index.insert(cell.to_string(), code);
                self.dictionary.push(cell.to_string());
                code
            }
        };
        self.codes.push(code);
    }

    pub(super) fn push_null(&mut self) {
        self.codes.push(0);
    }

    /// These rows followed by `next`'s, whose codes are remapped into this dictionary.
    pub(super) fn append(mut self, next: TextCells) -> TextCells {
        let map: Vec<u32> = next
            .dictionary
            .iter()
            .map(|s| match self.index.get(s) {
                Some(&code) => code,
                None => {
                    let code = self.dictionary.len() as u32;
                    self.index.insert(s.clone(), code);
                    self.dictionary.push(s.clone());
                    code
                }
            })
            .collect();
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
