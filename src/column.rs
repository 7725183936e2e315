//! Column: a typed, reference-counted host buffer plus an optional validity bitmap.
//!
//! Columns are cheap to clone (the buffer is shared) and are built from `Vec<T>` and owned
//! ndarray arrays without copying. Nulls are an Arrow-style bitmap; today only reductions over
//! empty input produce them, but every column can carry one so full null propagation can come
//! later without changing the type.

use std::sync::Arc;

use ndarray::{Array1, ArrayView1};

use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::ops::elem::Elem;

/// The values of a column, one variant per dtype.
#[derive(Debug, Clone)]
pub enum ColumnData {
    Bool(Arc<Vec<bool>>),
    I32(Arc<Vec<i32>>),
    I64(Arc<Vec<i64>>),
    U32(Arc<Vec<u32>>),
    F32(Arc<Vec<f32>>),
    F64(Arc<Vec<f64>>),
}

/// Element types a column can hold: connects a Rust type to its [`ColumnData`] variant.
pub trait ColumnElem: Elem {
    fn slice(data: &ColumnData) -> Option<&[Self]>;
    fn wrap(values: Arc<Vec<Self>>) -> ColumnData;
}

macro_rules! column_elem {
    ($($t:ty => $v:ident),*) => {$(
        impl ColumnElem for $t {
            #[inline]
            fn slice(data: &ColumnData) -> Option<&[Self]> {
                match data {
                    ColumnData::$v(v) => Some(v.as_slice()),
                    _ => None,
                }
            }
            fn wrap(values: Arc<Vec<Self>>) -> ColumnData {
                ColumnData::$v(values)
            }
        }
        impl From<Vec<$t>> for Column {
            /// Takes the vector without copying.
            fn from(values: Vec<$t>) -> Self {
                Column::from_data(ColumnData::$v(Arc::new(values)))
            }
        }
        impl From<&[$t]> for Column {
            fn from(values: &[$t]) -> Self {
                Column::from(values.to_vec())
            }
        }
        impl From<Array1<$t>> for Column {
            /// Takes the array's buffer without copying when it is contiguous and starts at
            /// its first element; copies otherwise.
            fn from(values: Array1<$t>) -> Self {
                if values.is_standard_layout() {
                    let len = values.len();
                    let (mut vec, offset) = values.into_raw_vec_and_offset();
                    let start = offset.unwrap_or(0);
                    if start == 0 {
                        // The array may be a prefix of its buffer: drop the rest in place.
                        vec.truncate(len);
                        return Column::from(vec);
                    }
                    // A standard-layout array's elements are contiguous from `start`.
                    let window = vec.get(start..start + len).map(<[$t]>::to_vec);
                    return Column::from(window.unwrap_or_default());
                }
                Column::from(values.to_vec())
            }
        }
        impl From<ArrayView1<'_, $t>> for Column {
            /// Copies: a view borrows memory the column cannot keep alive.
            fn from(values: ArrayView1<'_, $t>) -> Self {
                Column::from(values.to_vec())
            }
        }
    )*};
}
column_elem!(bool => Bool, i32 => I32, i64 => I64, u32 => U32, f32 => F32, f64 => F64);

impl ColumnData {
    pub fn dtype(&self) -> DType {
        match self {
            ColumnData::Bool(_) => DType::Bool,
            ColumnData::I32(_) => DType::I32,
            ColumnData::I64(_) => DType::I64,
            ColumnData::U32(_) => DType::U32,
            ColumnData::F32(_) => DType::F32,
            ColumnData::F64(_) => DType::F64,
        }
    }
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Bool(v) => v.len(),
            ColumnData::I32(v) => v.len(),
            ColumnData::I64(v) => v.len(),
            ColumnData::U32(v) => v.len(),
            ColumnData::F32(v) => v.len(),
            ColumnData::F64(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The value at `row` (no validity check), `None` past the end.
    fn value(&self, row: usize) -> Option<Scalar> {
        crate::with_dtype!(self.dtype(), T => T::slice(self).and_then(|s| s.get(row)).map(|v| v.to_scalar()))
    }
}

/// Validity of each row: a set bit means the row holds a value, a clear bit means null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    words: Vec<u64>,
    len: usize,
}

impl Bitmap {
    /// A bitmap of `len` rows, all valid or all null.
    pub fn new(len: usize, valid: bool) -> Self {
        let fill = if valid { u64::MAX } else { 0 };
        Bitmap {
            words: vec![fill; len.div_ceil(64)],
            len,
        }
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn is_valid(&self, row: usize) -> bool {
        row < self.len && self.words[row / 64] >> (row % 64) & 1 == 1
    }
    pub fn null_count(&self) -> usize {
        (0..self.len).filter(|&r| !self.is_valid(r)).count()
    }
}

/// One named-less column of values: what a [`crate::Frame`] holds under each name.
#[derive(Debug, Clone)]
pub struct Column {
    data: ColumnData,
    validity: Option<Arc<Bitmap>>,
}

impl Column {
    pub(crate) fn from_data(data: ColumnData) -> Self {
        Column {
            data,
            validity: None,
        }
    }

    /// A column of `len` nulls of the given dtype.
    pub fn nulls(dtype: DType, len: usize) -> Self {
        let data = crate::with_dtype!(dtype, T => T::wrap(Arc::new(vec![T::default(); len])));
        Column {
            data,
            validity: Some(Arc::new(Bitmap::new(len, false))),
        }
    }

    /// A column of `len` copies of `value`; null gives a null column of `null_dtype`.
    pub fn full(value: Scalar, len: usize, null_dtype: DType) -> Self {
        let Some(dtype) = value.dtype() else {
            return Column::nulls(null_dtype, len);
        };
        crate::with_dtype!(dtype, T => match T::from_scalar(value) {
            Some(v) => Column::from_data(T::wrap(Arc::new(vec![v; len]))),
            None => Column::nulls(dtype, len),
        })
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn dtype(&self) -> DType {
        self.data.dtype()
    }
    pub fn data(&self) -> &ColumnData {
        &self.data
    }
    /// Rows that hold null.
    pub fn null_count(&self) -> usize {
        self.validity.as_ref().map_or(0, |v| v.null_count())
    }
    pub fn is_valid(&self, row: usize) -> bool {
        self.validity.as_ref().is_none_or(|v| v.is_valid(row))
    }

    /// The value at `row`, `Scalar::Null` for a null row.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let c = Column::from(vec![1.5f64, 2.5]);
    /// assert_eq!(c.get(1)?, Scalar::F64(2.5));
    /// assert!(c.get(2).is_err());
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn get(&self, row: usize) -> Result<Scalar> {
        let out_of_bounds = || Error::OutOfBounds {
            name: String::new(),
            row,
            len: self.len(),
        };
        let value = self.data.value(row).ok_or_else(out_of_bounds)?;
        Ok(if self.is_valid(row) {
            value
        } else {
            Scalar::Null
        })
    }

    /// The values as a slice, without copying. Errors on a dtype mismatch or nulls.
    pub fn as_slice<T: ColumnElem>(&self) -> Result<&[T]> {
        let values = T::slice(&self.data).ok_or(Error::DTypeMismatch {
            name: String::new(),
            found: self.dtype(),
            requested: T::DTYPE,
        })?;
        if let Some(row) = self.first_null() {
            return Err(Error::NullValue {
                name: String::new(),
                row,
            });
        }
        Ok(values)
    }

    /// The values copied into a `Vec`. Errors on a dtype mismatch or nulls.
    pub fn to_vec<T: ColumnElem>(&self) -> Result<Vec<T>> {
        self.as_slice().map(<[T]>::to_vec)
    }

    /// The values copied into an ndarray `Array1`.
    pub fn to_ndarray<T: ColumnElem>(&self) -> Result<Array1<T>> {
        self.to_vec().map(Array1::from)
    }

    /// A borrowed ndarray view of the values, without copying.
    pub fn view<T: ColumnElem>(&self) -> Result<ArrayView1<'_, T>> {
        self.as_slice().map(ArrayView1::from)
    }

    fn first_null(&self) -> Option<usize> {
        let validity = self.validity.as_ref()?;
        (0..self.len()).find(|&r| !validity.is_valid(r))
    }

    /// Fills in the column name on errors raised without one.
    pub(crate) fn name_error(err: Error, name: &str) -> Error {
        match err {
            Error::DTypeMismatch {
                found, requested, ..
            } => Error::DTypeMismatch {
                name: name.to_string(),
                found,
                requested,
            },
            Error::NullValue { row, .. } => Error::NullValue {
                name: name.to_string(),
                row,
            },
            Error::OutOfBounds { row, len, .. } => Error::OutOfBounds {
                name: name.to_string(),
                row,
                len,
            },
            other => other,
        }
    }

    /// Rows where `mask` is true, in order.
    pub(crate) fn gather_mask(&self, mask: &[bool]) -> Column {
        let data = crate::with_dtype!(self.dtype(), T => {
            let values = T::slice(&self.data).unwrap_or(&[]);
            let kept: Vec<T> =
                values.iter().zip(mask).filter(|(_, keep)| **keep).map(|(v, _)| *v).collect();
            T::wrap(Arc::new(kept))
        });
        let validity = self.validity.as_ref().map(|v| {
            let kept: Vec<bool> = (0..self.len())
                .filter(|&r| mask.get(r) == Some(&true))
                .map(|r| v.is_valid(r))
                .collect();
            let mut bitmap = Bitmap::new(kept.len(), true);
            for (row, valid) in kept.iter().enumerate() {
                if !valid {
                    bitmap.words[row / 64] &= !(1u64 << (row % 64));
                }
            }
            Arc::new(bitmap)
        });
        Column { data, validity }
    }
}
