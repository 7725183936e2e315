//! Picking rows by number: the key values of each group, and a per-group value spread back to
//! its rows.

use std::sync::Arc;

use super::{Bitmap, Column, ColumnData, Values};
use crate::error::{Error, Result};

impl Column {
    /// The rows `rows` of this column, in that order (a row may repeat), with their nulls and,
    /// for text, the same dictionary. An error names a row past the end.
    pub(crate) fn take_rows(&self, rows: &[u32]) -> Result<Column> {
        if let Some(&bad) = rows.iter().find(|&&r| r as usize >= self.len()) {
            return Err(Error::Internal(format!(
                "row {bad} taken from a column of {} rows",
                self.len()
            )));
        }
        fn pick<T: Copy>(values: &[T], rows: &[u32]) -> Values<T> {
            Values::new(rows.iter().map(|&r| values[r as usize]).collect())
        }
        let data = match self.data()? {
            ColumnData::Bool(v) => ColumnData::Bool(pick(v, rows)),
            ColumnData::I32(v) => ColumnData::I32(pick(v, rows)),
            ColumnData::I64(v) => ColumnData::I64(pick(v, rows)),
            ColumnData::U32(v) => ColumnData::U32(pick(v, rows)),
            ColumnData::F32(v) => ColumnData::F32(pick(v, rows)),
            ColumnData::F64(v) => ColumnData::F64(pick(v, rows)),
        };
        let validity = self.validity().and_then(|valid| {
            let kept: Vec<bool> = rows.iter().map(|&r| valid.is_valid(r as usize)).collect();
            let bitmap = Bitmap::from_bools(&kept);
            (bitmap.null_count() > 0).then(|| Arc::new(bitmap))
        });
        let taken = Column::with_validity(data, validity);
        Ok(match &self.inner.dictionary {
            Some(dictionary) => taken.with_dictionary(dictionary.clone()),
            None => taken,
        })
    }
}
