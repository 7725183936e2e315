//! Column: typed values that live on the host, on the GPU, or both, plus an optional validity
//! bitmap.
//!
//! Columns are cheap to clone (everything is shared behind one `Arc`) and are built from
//! `Vec<T>` and owned ndarray arrays without copying. Nulls are an Arrow-style bitmap; today
//! only reductions over empty input produce them, but every column can carry one so full null
//! propagation can come later without changing the type.
//!
//! # Residency
//!
//! A column holds a host copy (a `ColumnData`), a device copy (a GPU buffer, see
//! `gpu::DeviceColumn`), or both; never neither. Columns built by users start on the host. A
//! GPU pass uploads each input it reads once and remembers the device copy on the column (and
//! on every clone of it, since clones share it), so later GPU passes over the same column move
//! no bytes. A GPU pass's stores start on the device only; the host copy is downloaded on the
//! first host access (`get`, `as_slice`, `to_vec` ...), once, and kept. The device copy is
//! freed (returned to the GPU buffer pool) when the last clone of the column drops.
//!
//! Host access to a column whose only copy was on a GPU that has since been lost is an
//! [`Error::Gpu`], never a panic.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

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
#[derive(Clone)]
pub struct Column {
    inner: Arc<Inner>,
}

struct Inner {
    dtype: DType,
    len: usize,
    /// The host copy: set at creation for host columns, on first host access for columns a
    /// GPU pass produced.
    host: OnceLock<ColumnData>,
    /// The device copy, once uploaded (or produced there). Locked while uploading, so two
    /// threads never upload one column twice.
    device: Mutex<Option<Arc<crate::gpu::DeviceColumn>>>,
    validity: Option<Arc<Bitmap>>,
}

impl std::fmt::Debug for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Column");
        d.field("dtype", &self.dtype()).field("len", &self.len());
        match self.inner.host.get() {
            Some(data) => d.field("data", data),
            None => d.field("data", &"<on the GPU only>"),
        };
        d.field("on_device", &self.is_on_device())
            .field("validity", &self.inner.validity)
            .finish()
    }
}

impl Column {
    pub(crate) fn from_data(data: ColumnData) -> Self {
        Column::with_validity(data, None)
    }

    fn with_validity(data: ColumnData, validity: Option<Arc<Bitmap>>) -> Self {
        let host = OnceLock::new();
        let (dtype, len) = (data.dtype(), data.len());
        let _ = host.set(data);
        Column {
            inner: Arc::new(Inner {
                dtype,
                len,
                host,
                device: Mutex::new(None),
                validity,
            }),
        }
    }

    /// A column whose only copy is on the GPU (a GPU pass's store).
    pub(crate) fn from_device(device: Arc<crate::gpu::DeviceColumn>) -> Self {
        Column {
            inner: Arc::new(Inner {
                dtype: device.dtype(),
                len: device.len(),
                host: OnceLock::new(),
                device: Mutex::new(Some(device)),
                validity: None,
            }),
        }
    }

    /// A column of `len` nulls of the given dtype.
    pub fn nulls(dtype: DType, len: usize) -> Self {
        let data = crate::with_dtype!(dtype, T => T::wrap(Arc::new(vec![T::default(); len])));
        Column::with_validity(data, Some(Arc::new(Bitmap::new(len, false))))
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
        self.inner.len
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn dtype(&self) -> DType {
        self.inner.dtype
    }

    /// The host values, downloaded from the GPU first if the column lives only there.
    ///
    /// Errors: [`Error::Gpu`] when the download fails (the device was lost, say).
    pub fn data(&self) -> Result<&ColumnData> {
        if let Some(data) = self.inner.host.get() {
            return Ok(data);
        }
        let device = self.device_copy().ok_or_else(|| {
            Error::Internal("a column with neither a host nor a device copy".into())
        })?;
        let data = crate::gpu::download(&device)?;
        // Another thread may have won the race; either copy is the same values.
        let _ = self.inner.host.set(data);
        self.inner
            .host
            .get()
            .ok_or_else(|| Error::Internal("host copy vanished".into()))
    }

    /// Whether the values are in host memory now (reading them costs no transfer).
    pub fn is_on_host(&self) -> bool {
        self.inner.host.get().is_some()
    }

    /// Whether the values are in GPU memory now (a GPU pass reads them without an upload).
    /// False once the device that held them is lost.
    pub fn is_on_device(&self) -> bool {
        self.device_copy().is_some_and(|d| d.is_usable())
    }

    /// Downloads the values to the host now, if they are not there yet (a no-op otherwise):
    /// useful to pay for the transfer at a chosen moment.
    pub fn fetch(&self) -> Result<()> {
        self.data().map(|_| ())
    }

    /// The device copy, if there is one.
    pub(crate) fn device_copy(&self) -> Option<Arc<crate::gpu::DeviceColumn>> {
        lock(&self.inner.device).clone()
    }

    /// The device slot, locked (the GPU backend uploads under this lock).
    pub(crate) fn device_slot(&self) -> MutexGuard<'_, Option<Arc<crate::gpu::DeviceColumn>>> {
        lock(&self.inner.device)
    }

    /// Rows that hold null.
    pub fn null_count(&self) -> usize {
        self.inner.validity.as_ref().map_or(0, |v| v.null_count())
    }
    pub fn is_valid(&self, row: usize) -> bool {
        self.inner.validity.as_ref().is_none_or(|v| v.is_valid(row))
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
        if row >= self.len() {
            return Err(out_of_bounds());
        }
        let value = self.data()?.value(row).ok_or_else(out_of_bounds)?;
        Ok(if self.is_valid(row) {
            value
        } else {
            Scalar::Null
        })
    }

    /// The values as a slice, without copying. Errors on a dtype mismatch or nulls.
    pub fn as_slice<T: ColumnElem>(&self) -> Result<&[T]> {
        let mismatch = || Error::DTypeMismatch {
            name: String::new(),
            found: self.dtype(),
            requested: T::DTYPE,
        };
        if T::DTYPE != self.dtype() {
            return Err(mismatch());
        }
        let values = T::slice(self.data()?).ok_or_else(mismatch)?;
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
        let validity = self.inner.validity.as_ref()?;
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

    /// Rows where `mask` is true, in order (downloading the values first if needed).
    pub(crate) fn gather_mask(&self, mask: &[bool]) -> Result<Column> {
        let source = self.data()?;
        let data = crate::with_dtype!(self.dtype(), T => {
            let values = T::slice(source).unwrap_or(&[]);
            let kept: Vec<T> =
                values.iter().zip(mask).filter(|(_, keep)| **keep).map(|(v, _)| *v).collect();
            T::wrap(Arc::new(kept))
        });
        let validity = self.inner.validity.as_ref().map(|v| {
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
        Ok(Column::with_validity(data, validity))
    }
}

/// Locks `m`, recovering from a poisoned lock (the slot holds an `Option<Arc<_>>`, consistent
/// at every point).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::Column;

    #[test]
    fn columns_cross_threads_and_unwind_boundaries() {
        fn check<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
        check::<Column>();
        check::<crate::Frame>();
    }
}
