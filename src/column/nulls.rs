//! Columns with nulls: building them from `Option`s, reading them back, and the validity as
//! a bool column that kernels read (ARCHITECTURE.md, "Nulls").

use std::sync::{Arc, Mutex, OnceLock};

use super::{Bitmap, Column, ColumnData, ColumnElem, Inner};
use crate::dtype::DType;
use crate::error::{Error, Result};

macro_rules! from_options {
    ($($t:ty),*) => {$(
        impl From<Vec<Option<$t>>> for Column {
            /// `None` is a null; its slot holds the type's default value. A vector without
            /// `None` gives a column without a validity bitmap.
            fn from(values: Vec<Option<$t>>) -> Self {
                Column::from_options(values)
            }
        }
        impl From<&[Option<$t>]> for Column {
            fn from(values: &[Option<$t>]) -> Self {
                Column::from_options(values.to_vec())
            }
        }
    )*};
}
from_options!(bool, i32, i64, u32, f32, f64);

impl Column {
    fn from_options<T: ColumnElem>(values: Vec<Option<T>>) -> Column {
        let valid: Vec<bool> = values.iter().map(Option::is_some).collect();
        let data: Vec<T> = values.into_iter().map(Option::unwrap_or_default).collect();
        let bitmap = Bitmap::from_bools(&valid);
        let validity = (bitmap.null_count() > 0).then(|| Arc::new(bitmap));
        Column::with_validity(T::wrap(Arc::new(data)), validity)
    }

    /// The values as `Option`s, `None` for a null row. Errors on a dtype mismatch.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let c = Column::from(vec![Some(1i64), None, Some(3)]);
    /// assert_eq!(c.null_count(), 1);
    /// assert_eq!(c.to_options::<i64>()?, [Some(1), None, Some(3)]);
    /// assert!(c.to_vec::<i64>().is_err()); // nulls have no plain value
    /// assert!(c.to_options::<f64>().is_err());
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn to_options<T: ColumnElem>(&self) -> Result<Vec<Option<T>>> {
        let mismatch = || Error::DTypeMismatch {
            name: String::new(),
            found: self.dtype(),
            requested: T::DTYPE,
        };
        let values = T::slice(self.data()?).ok_or_else(mismatch)?;
        Ok(match self.validity() {
            None => values.iter().map(|&v| Some(v)).collect(),
            Some(bits) => values
                .iter()
                .enumerate()
                .map(|(row, &v)| bits.is_valid(row).then_some(v))
                .collect(),
        })
    }

    /// The validity bitmap; `None` when the column has no null.
    ///
    /// ```
    /// use swath::prelude::*;
    /// assert!(Column::from(vec![1.0f32]).validity().is_none());
    /// let c = Column::from(vec![None, Some(1.0f32)]);
    /// assert_eq!(c.validity().map(|b| b.null_count()), Some(1));
    /// ```
    pub fn validity(&self) -> Option<&Bitmap> {
        self.inner.validity.as_deref()
    }

    /// The validity as a bool column (true: the row holds a value), made once per column
    /// and shared by its clones: what a select's kernels read for a column with nulls.
    pub(crate) fn validity_column(&self) -> Column {
        self.inner
            .valid_bools
            .get_or_init(|| {
                let packed = self
                    .inner
                    .validity
                    .clone()
                    .unwrap_or_else(|| Arc::new(Bitmap::new(self.len(), true)));
                let host = OnceLock::new();
                let _ = host.set(ColumnData::Bool(crate::column::Values::new(
                    packed.to_bools(),
                )));
                Column {
                    inner: Arc::new(Inner {
                        dtype: DType::Bool,
                        len: self.len(),
                        host,
                        device: Mutex::new(None),
                        validity: None,
                        valid_bools: OnceLock::new(),
                        packed: Some(packed),
                        dictionary: None,
                    }),
                }
            })
            .clone()
    }

    /// The bools packed a bit per row, for a validity's bool column (`validity_column`).
    pub(crate) fn packed_bits(&self) -> Option<&Bitmap> {
        self.inner.packed.as_deref()
    }

    /// These values with `validity` as their bitmap (no bitmap when it has no null).
    pub(crate) fn with_bitmap(&self, validity: Arc<Bitmap>) -> Column {
        self.with_bitmap_shared(Arc::unwrap_or_clone(validity))
    }

    /// These values (host or device copy, shared) with `valid` (a bool column of the same
    /// length, or of one row for all of them) as their validity, on top of any nulls they
    /// hold already (a reduction over no rows); a null in `valid` counts as invalid. No
    /// bitmap when every row holds a value.
    pub(crate) fn with_validity_of(&self, valid: &Column) -> Result<Column> {
        if valid.len() == self.len() && valid.null_count() == 0 && self.null_count() == 0 {
            // The usual case: pack the bools as they are.
            let bitmap = Bitmap::from_bools(valid.as_slice::<bool>()?);
            return Ok(self.with_bitmap_shared(bitmap));
        }
        let bools = valid.to_options::<bool>()?;
        let len = self.len();
        let at = |row: usize| match bools.as_slice() {
            [one] => *one == Some(true),
            many => many.get(row).copied().flatten() == Some(true),
        };
        if bools.len() != 1 && bools.len() != len {
            return Err(Error::Internal(format!(
                "a validity of {} rows for {len} values",
                bools.len()
            )));
        }
        let combined: Vec<bool> = (0..len).map(|r| at(r) && self.is_valid(r)).collect();
        let bitmap = Some(Bitmap::from_bools(&combined)).filter(|b| b.null_count() > 0);
        Ok(match bitmap {
            Some(bitmap) => self.with_bitmap_shared(bitmap),
            None => self.clone(),
        })
    }

    /// These values (host or device copy, shared), null wherever any of `bitmaps` (each of
    /// this column's length) is.
    pub(crate) fn with_validity_and<'a>(
        &self,
        bitmaps: impl IntoIterator<Item = &'a Bitmap>,
    ) -> Result<Column> {
        let mut combined: Option<Bitmap> = self.validity().cloned();
        for bitmap in bitmaps {
            if bitmap.len() != self.len() {
                return Err(Error::Internal(format!(
                    "a validity of {} rows for {} values",
                    bitmap.len(),
                    self.len()
                )));
            }
            combined = Some(match combined {
                Some(c) => c.and(bitmap),
                None => bitmap.clone(),
            });
        }
        Ok(match combined {
            Some(bitmap) => self.with_bitmap_shared(bitmap),
            None => self.clone(),
        })
    }

    /// These values (host or device copy, shared) with `bitmap`; none when it has no null.
    fn with_bitmap_shared(&self, bitmap: Bitmap) -> Column {
        if bitmap.null_count() == 0 {
            // Every row valid: these values are already that column (they hold no null
            // themselves, or the bitmap would show it).
            return self.clone();
        }
        Column {
            inner: Arc::new(Inner {
                dtype: self.dtype(),
                len: self.len(),
                host: self.inner.host.clone(),
                device: Mutex::new(self.device_copy()),
                validity: Some(Arc::new(bitmap)),
                valid_bools: OnceLock::new(),
                packed: None,
                dictionary: self.inner.dictionary.clone(),
            }),
        }
    }
}
