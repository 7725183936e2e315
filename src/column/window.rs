//! Windows of a column: consecutive rows shared, not copied, so a pass can read a column a
//! block at a time (the keyed passes of `group_by` evaluate their operands per block).

use std::ops::Range;
use std::sync::Arc;

use super::values::Owner;
use super::{Bitmap, Column, ColumnData, Values};
use crate::error::{Error, Result};

impl Column {
    /// Rows `rows` of this column as a column of their own: the values shared with this one
    /// (bools, a byte each, are copied), the validity copied (a bit per row), text keeping
    /// its dictionary.
    pub(crate) fn window(&self, rows: Range<usize>) -> Result<Column> {
        if rows.start > rows.end || rows.end > self.len() {
            return Err(Error::Internal(format!(
                "rows {rows:?} of a column of {} rows",
                self.len()
            )));
        }
        let data = match self.data()? {
            ColumnData::Bool(v) => ColumnData::Bool(Values::new(v[rows.clone()].to_vec())),
            ColumnData::I32(v) => ColumnData::I32(values_window(v, rows.clone())),
            ColumnData::I64(v) => ColumnData::I64(values_window(v, rows.clone())),
            ColumnData::U32(v) => ColumnData::U32(values_window(v, rows.clone())),
            ColumnData::F32(v) => ColumnData::F32(values_window(v, rows.clone())),
            ColumnData::F64(v) => ColumnData::F64(values_window(v, rows.clone())),
        };
        let validity = self.validity().and_then(|valid| {
            let window = valid.window(rows);
            (window.null_count() > 0).then(|| Arc::new(window))
        });
        let column = Column::with_validity(data, validity);
        Ok(match &self.inner.dictionary {
            Some(dictionary) => column.with_dictionary(dictionary.clone()),
            None => column,
        })
    }
}

/// Values `rows` of `values`, shared: an Arrow buffer over the same memory, sliced.
fn values_window<T: bytemuck::Pod + Send + Sync + std::panic::RefUnwindSafe>(
    values: &Values<T>,
    rows: Range<usize>,
) -> Values<T> {
    let size = std::mem::size_of::<T>();
    let buffer = match values.owner() {
        Owner::Arrow(buffer) => buffer.clone(),
        // SAFETY: the Vec's elements stay valid and unchanged while the Arc lives (swath never
        // mutates a column's values), and the buffer holds the Arc.
        Owner::Vec(vec) => unsafe { super::arrow::shared(vec.as_ptr(), vec.len(), vec.clone()) },
    };
    let slice = buffer.slice_with_length(rows.start * size, rows.len() * size);
    // An offset that is a whole number of values keeps the alignment; copy if it ever fails.
    Values::shared(&slice, rows.len()).unwrap_or_else(|| Values::new(values[rows].to_vec()))
}

impl Bitmap {
    /// Rows `rows` of this bitmap as a bitmap of their own.
    pub(crate) fn window(&self, rows: Range<usize>) -> Bitmap {
        let len = rows.len();
        let words = self.words();
        let shift = rows.start % 64;
        let first = rows.start / 64;
        let out: Vec<u64> = (0..len.div_ceil(64))
            .map(|k| {
                let low = words.get(first + k).copied().unwrap_or(0) >> shift;
                let high = match shift {
                    0 => 0,
                    _ => words.get(first + k + 1).copied().unwrap_or(0) << (64 - shift),
                };
                low | high
            })
            .collect();
        Bitmap::from_words(out, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_share_values_and_keep_nulls_and_text() {
        let values: Vec<Option<f64>> = (0..300).map(|i| (i % 7 != 3).then_some(i as f64)).collect();
        let column = Column::from(values.clone());
        let text = Column::from(
            (0..300)
                .map(|i| (i % 5 != 0).then(|| ["a", "b", "c"][i % 3]))
                .collect::<Vec<_>>(),
        );
        for range in [0..0, 0..300, 1..2, 63..129, 64..128, 5..299, 299..300] {
            let window = column.window(range.clone()).unwrap();
            assert_eq!(
                window.to_options::<f64>().unwrap(),
                values[range.clone()],
                "{range:?}"
            );
            let address = |c: &Column| match c.data() {
                Ok(ColumnData::F64(v)) => Some(v.as_ptr()),
                _ => None,
            };
            if !range.is_empty() {
                let base = address(&column).map(|p| p.wrapping_add(range.start));
                assert_eq!(address(&window), base, "{range:?}: shared, not copied");
            }
            let words = text.window(range.clone()).unwrap().to_strings().unwrap();
            assert_eq!(
                words,
                text.to_strings().unwrap()[range.clone()],
                "{range:?}"
            );
        }
        assert!(column.window(10..301).is_err());
    }
}
