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

mod arrow;
mod bitmap;
mod nulls;
mod take;
mod text;
mod values;
mod window;

pub use bitmap::Bitmap;
pub use values::Values;

/// The values of a column, one variant per dtype: what [`Column::data`] returns.
///
/// ```
/// use swath::column::ColumnData;
/// use swath::prelude::*;
/// let c = Column::from(vec![1i32, 2, 3]);
/// match c.data()? {
///     ColumnData::I32(values) => assert_eq!(values.as_slice(), [1, 2, 3]),
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok::<(), swath::Error>(())
/// ```
#[derive(Debug, Clone)]
pub enum ColumnData {
    /// Values of a bool column.
    Bool(Values<bool>),
    /// Values of an i32 column.
    I32(Values<i32>),
    /// Values of an i64 column.
    I64(Values<i64>),
    /// Values of a u32 column.
    U32(Values<u32>),
    /// Values of an f32 column.
    F32(Values<f32>),
    /// Values of an f64 column.
    F64(Values<f64>),
}

/// Element types a column can hold: connects a Rust type to its [`ColumnData`] variant.
/// The typed accessors ([`Column::to_vec`], [`Frame::values`](crate::Frame::values) ...) take
/// one as their type parameter.
///
/// ```
/// use swath::column::ColumnElem;
/// use swath::prelude::*;
/// fn first<T: ColumnElem>(c: &Column) -> Result<T, Error> {
///     Ok(c.as_slice::<T>()?[0])
/// }
/// assert_eq!(first::<u32>(&Column::from(vec![7u32, 8]))?, 7);
/// assert!(first::<f32>(&Column::from(vec![7u32, 8])).is_err()); // wrong dtype
/// # Ok::<(), swath::Error>(())
/// ```
pub trait ColumnElem: Elem {
    /// The values of `data` if it holds this type, else `None`.
    ///
    /// ```
    /// use swath::column::ColumnElem;
    /// use swath::prelude::*;
    /// let c = Column::from(vec![1.5f64, 2.5]);
    /// assert_eq!(f64::slice(c.data()?), Some(&[1.5, 2.5][..]));
    /// assert_eq!(i64::slice(c.data()?), None);
    /// # Ok::<(), swath::Error>(())
    /// ```
    fn slice(data: &ColumnData) -> Option<&[Self]>;
    /// `values` as the [`ColumnData`] variant of this type, without copying.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use swath::column::{ColumnData, ColumnElem};
    /// use swath::DType;
    /// let data = i64::wrap(Arc::new(vec![4, 5, 6]));
    /// assert!(matches!(data, ColumnData::I64(_)));
    /// assert_eq!(data.dtype(), DType::I64);
    /// ```
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
                ColumnData::$v(values.into())
            }
        }
        impl From<Vec<$t>> for Column {
            /// Takes the vector without copying.
            fn from(values: Vec<$t>) -> Self {
                Column::from_data(ColumnData::$v(Values::new(values)))
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
    /// The dtype of the values.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let c = Column::from(vec![true, false]);
    /// assert_eq!(c.data()?.dtype(), DType::Bool);
    /// # Ok::<(), swath::Error>(())
    /// ```
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
    /// The number of values.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let c = Column::from(vec![1u32, 2, 3]);
    /// assert_eq!(c.data()?.len(), 3);
    /// # Ok::<(), swath::Error>(())
    /// ```
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
    /// Whether there are no values.
    ///
    /// ```
    /// use swath::prelude::*;
    /// assert!(Column::from(Vec::<f32>::new()).data()?.is_empty());
    /// assert!(!Column::from(vec![1.0f32]).data()?.is_empty());
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The value at `row` (no validity check), `None` past the end.
    fn value(&self, row: usize) -> Option<Scalar> {
        crate::with_dtype!(self.dtype(), T => T::slice(self).and_then(|s| s.get(row)).map(|v| v.to_scalar()))
    }
}

/// One named-less column of values: what a [`crate::Frame`] holds under each name. Built from
/// a `Vec`, a slice or an ndarray `Array1`/`ArrayView1` of `bool`, `i32`, `i64`, `u32`, `f32`
/// or `f64`; cloning shares the values.
///
/// ```
/// use swath::prelude::*;
/// let a = Column::from(vec![1.0f32, 2.0, 3.0]); // takes the Vec without copying
/// let b = Column::from(ndarray::arr1(&[1i64, 2, 3]));
/// assert_eq!((a.dtype(), a.len()), (DType::F32, 3));
/// assert_eq!(b.to_vec::<i64>()?, [1, 2, 3]);
/// let shared = a.clone();
/// assert_eq!(shared.as_slice::<f32>()?.as_ptr(), a.as_slice::<f32>()?.as_ptr());
/// # Ok::<(), swath::Error>(())
/// ```
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
    device: Mutex<Option<Arc<dyn DeviceCopy>>>,
    validity: Option<Arc<Bitmap>>,
    /// The validity as a bool column, made the first time a select reads it (see
    /// `nulls.rs`): kernels read it as they read any bool column.
    valid_bools: OnceLock<Column>,
    /// For a validity's bool column: the same bools packed (the bitmap it was made from),
    /// which compiled kernels read a bit per row.
    packed: Option<Arc<Bitmap>>,
    /// For a text column (`DType::Categorical`): the distinct strings, code `k` naming
    /// string `k`; the host data holds the codes as `u32`.
    dictionary: Option<Arc<[String]>>,
}

/// A column's copy in a device's memory, made and kept by a backend (the GPU's buffer,
/// `crate::gpu::DeviceColumn`). Column storage names no backend: it holds the copy behind
/// this trait (ARCHITECTURE.md, "Layers"), and the backend takes its own type back by
/// downcasting (`Arc<dyn DeviceCopy>` upcasts to `Arc<dyn Any + Send + Sync>`).
pub trait DeviceCopy: std::any::Any + Send + Sync + std::fmt::Debug {
    /// The dtype of the values.
    fn dtype(&self) -> DType;
    /// The number of rows.
    fn len(&self) -> usize;
    /// Whether it has no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Whether the device holding the copy still works.
    fn is_usable(&self) -> bool;
    /// The values, read back to the host now.
    fn download(&self) -> Result<ColumnData>;
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

    pub(crate) fn with_validity(data: ColumnData, validity: Option<Arc<Bitmap>>) -> Self {
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
                valid_bools: OnceLock::new(),
                packed: None,
                dictionary: None,
            }),
        }
    }

    /// A column whose only copy is on a device (a GPU pass's store).
    pub(crate) fn from_device(device: Arc<dyn DeviceCopy>) -> Self {
        Column {
            inner: Arc::new(Inner {
                dtype: device.dtype(),
                len: device.len(),
                host: OnceLock::new(),
                device: Mutex::new(Some(device)),
                validity: None,
                valid_bools: OnceLock::new(),
                packed: None,
                dictionary: None,
            }),
        }
    }

    /// A column of `len` nulls of the given dtype.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let c = Column::nulls(DType::F64, 2);
    /// assert_eq!((c.dtype(), c.null_count()), (DType::F64, 2));
    /// assert_eq!(c.get(0)?, Scalar::Null);
    /// assert!(c.to_vec::<f64>().is_err()); // typed access refuses nulls
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn nulls(dtype: DType, len: usize) -> Self {
        let data = crate::with_dtype!(dtype, T => T::wrap(Arc::new(vec![T::default(); len])));
        Column::with_validity(data, Some(Arc::new(Bitmap::new(len, false))))
    }

    /// A column of `len` copies of `value`; null gives a null column of `null_dtype`.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let c = Column::full(Scalar::I32(7), 3, DType::F64);
    /// assert_eq!(c.to_vec::<i32>()?, [7, 7, 7]); // the value's dtype wins
    /// let n = Column::full(Scalar::Null, 2, DType::F64);
    /// assert_eq!((n.dtype(), n.null_count()), (DType::F64, 2));
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn full(value: Scalar, len: usize, null_dtype: DType) -> Self {
        let Some(dtype) = value.dtype() else {
            return Column::nulls(null_dtype, len);
        };
        crate::with_dtype!(dtype, T => match T::from_scalar(value) {
            Some(v) => Column::from_data(T::wrap(Arc::new(vec![v; len]))),
            None => Column::nulls(dtype, len),
        })
    }

    /// The number of rows.
    ///
    /// ```
    /// use swath::Column;
    /// assert_eq!(Column::from(vec![1u32, 2, 3]).len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.len
    }
    /// Whether the column has no rows.
    ///
    /// ```
    /// use swath::Column;
    /// assert!(Column::from(Vec::<bool>::new()).is_empty());
    /// assert!(!Column::from(vec![true]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The element type.
    ///
    /// ```
    /// use swath::{Column, DType};
    /// assert_eq!(Column::from(vec![1.0f64]).dtype(), DType::F64);
    /// assert_eq!(Column::from(&[1i32, 2][..]).dtype(), DType::I32);
    /// ```
    pub fn dtype(&self) -> DType {
        self.inner.dtype
    }

    /// The host values, downloaded from the GPU first if the column lives only there.
    ///
    /// Errors: [`Error::Gpu`] when the download fails (the device was lost, say).
    ///
    /// ```
    /// use swath::column::ColumnData;
    /// use swath::prelude::*;
    /// let c = Column::from(vec![0.5f32, 1.5]);
    /// let ColumnData::F32(values) = c.data()? else { unreachable!() };
    /// assert_eq!(values.as_slice(), [0.5, 1.5]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn data(&self) -> Result<&ColumnData> {
        if let Some(data) = self.inner.host.get() {
            return Ok(data);
        }
        let device = self.device_copy().ok_or_else(|| {
            Error::Internal("a column with neither a host nor a device copy".into())
        })?;
        let data = device.download()?;
        // Another thread may have won the race; either copy is the same values.
        let _ = self.inner.host.set(data);
        self.inner
            .host
            .get()
            .ok_or_else(|| Error::Internal("host copy vanished".into()))
    }

    /// Whether the values are in host memory now (reading them costs no transfer). Columns
    /// built on the host always are; see [`Column::fetch`] for one a GPU pass produced.
    ///
    /// ```
    /// use swath::Column;
    /// let c = Column::from(vec![1i32, 2]);
    /// assert!(c.is_on_host());
    /// assert!(!c.is_on_device()); // not uploaded: no GPU pass has read it
    /// ```
    pub fn is_on_host(&self) -> bool {
        self.inner.host.get().is_some()
    }

    /// Whether the values are in GPU memory now (a GPU pass reads them without an upload).
    /// False once the device that held them is lost.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![1.0f32, 2.0]))])?;
    /// assert!(!df.column("x")?.is_on_device());
    /// let gpu = ExecOptions::new().backend(Backend::Gpu);
    /// swath::gpu::reset_thread_stats();
    /// match df.select_with([(col("x") + lit(1.0)).alias("y")], &gpu) {
    ///     Ok(_) if swath::gpu::thread_stats().gpu_passes == 1 => {
    ///         // The pass uploaded x, and the copy stays with the column (and its clones).
    ///         assert!(df.column("x")?.is_on_device());
    ///     }
    ///     Ok(_) => {} // the GPU failed and the pass ran on the CPU
    ///     Err(e) => assert!(matches!(e, Error::BackendUnavailable(_))), // no GPU here
    /// }
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn is_on_device(&self) -> bool {
        self.device_copy().is_some_and(|d| d.is_usable())
    }

    /// Downloads the values to the host now, if they are not there yet (a no-op otherwise):
    /// useful to pay for the transfer at a chosen moment.
    ///
    /// Errors: [`Error::Gpu`] when the download fails.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![1.0f32, 2.0]))])?;
    /// let gpu = ExecOptions::new().backend(Backend::Gpu);
    /// swath::gpu::reset_thread_stats();
    /// if let Ok(out) = df.select_with([(col("x") * lit(3.0)).alias("y")], &gpu) {
    ///     let y = out.column("y")?;
    ///     if swath::gpu::thread_stats().gpu_passes == 1 {
    ///         assert!(!y.is_on_host()); // a GPU pass's result starts on the device only
    ///     }
    ///     y.fetch()?; // download now
    ///     assert!(y.is_on_host());
    ///     assert_eq!(y.to_vec::<f32>()?, [3.0, 6.0]);
    /// }
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn fetch(&self) -> Result<()> {
        self.data().map(|_| ())
    }

    /// Frees the column's GPU copy (for it and its clones), downloading the values first if
    /// the host has none: GPU memory is given back, and `auto` sees the column on the host
    /// again. A no-op for a column that has no device copy.
    ///
    /// Errors: [`Error::Gpu`] when the values exist only on the device and the download fails
    /// (the copy is then kept).
    pub fn release_device(&self) -> Result<()> {
        if self.device_copy().is_none() {
            return Ok(());
        }
        self.fetch()?;
        *self.device_slot() = None;
        Ok(())
    }

    /// The device copy, if there is one.
    pub(crate) fn device_copy(&self) -> Option<Arc<dyn DeviceCopy>> {
        lock(&self.inner.device).clone()
    }

    /// The device slot, locked (the GPU backend uploads under this lock).
    pub(crate) fn device_slot(&self) -> MutexGuard<'_, Option<Arc<dyn DeviceCopy>>> {
        lock(&self.inner.device)
    }

    /// Rows that hold null.
    ///
    /// ```
    /// use swath::prelude::*;
    /// assert_eq!(Column::from(vec![1i32, 2]).null_count(), 0);
    /// assert_eq!(Column::nulls(DType::I32, 4).null_count(), 4);
    /// // A reduction over no rows is null:
    /// let empty = Frame::new([("x", Column::from(Vec::<f64>::new()))])?;
    /// assert_eq!(empty.select([col("x").min()])?.column("x")?.null_count(), 1);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn null_count(&self) -> usize {
        self.inner.validity.as_ref().map_or(0, |v| v.null_count())
    }
    /// Whether `row` holds a value (true for every row of a column without nulls, even past
    /// the end).
    ///
    /// ```
    /// use swath::prelude::*;
    /// assert!(Column::from(vec![1.0f32]).is_valid(0));
    /// assert!(!Column::nulls(DType::F32, 1).is_valid(0));
    /// ```
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
        if self.categories().is_some() {
            return Err(Error::InvalidType {
                expr: format!("get({row})"),
                message: "a text column's rows are strings: read them with `str_value` or \
                          `to_strings`"
                    .into(),
            });
        }
        let value = self.data()?.value(row).ok_or_else(out_of_bounds)?;
        Ok(if self.is_valid(row) {
            value
        } else {
            Scalar::Null
        })
    }

    /// The values as a slice, without copying. Errors on a dtype mismatch
    /// ([`Error::DTypeMismatch`]) or nulls ([`Error::NullValue`]).
    ///
    /// ```
    /// use swath::prelude::*;
    /// let c = Column::from(vec![1.0f64, 2.0]);
    /// let values: &[f64] = c.as_slice()?;
    /// assert_eq!(values, [1.0, 2.0]);
    /// assert!(matches!(c.as_slice::<f32>(), Err(Error::DTypeMismatch { .. })));
    /// let nulls = Column::nulls(DType::F64, 1);
    /// assert!(matches!(nulls.as_slice::<f64>(), Err(Error::NullValue { row: 0, .. })));
    /// # Ok::<(), swath::Error>(())
    /// ```
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
    ///
    /// ```
    /// use swath::Column;
    /// let c = Column::from(vec![true, false]);
    /// assert_eq!(c.to_vec::<bool>()?, [true, false]);
    /// assert!(c.to_vec::<i32>().is_err());
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn to_vec<T: ColumnElem>(&self) -> Result<Vec<T>> {
        self.as_slice().map(<[T]>::to_vec)
    }

    /// The values copied into an ndarray `Array1`. Errors on a dtype mismatch or nulls.
    ///
    /// ```
    /// use swath::Column;
    /// let a = Column::from(vec![1.0f32, 2.0, 3.0]).to_ndarray::<f32>()?;
    /// assert_eq!(a, ndarray::arr1(&[1.0f32, 2.0, 3.0]));
    /// assert_eq!(a.sum(), 6.0);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn to_ndarray<T: ColumnElem>(&self) -> Result<Array1<T>> {
        self.to_vec().map(Array1::from)
    }

    /// A borrowed ndarray view of the values, without copying. Errors on a dtype mismatch or
    /// nulls.
    ///
    /// ```
    /// use swath::Column;
    /// let c = Column::from(vec![1i64, 5, 3]);
    /// let v = c.view::<i64>()?;
    /// assert_eq!(v.len(), 3);
    /// assert_eq!(v.iter().max(), Some(&5));
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn view<T: ColumnElem>(&self) -> Result<ArrayView1<'_, T>> {
        self.as_slice().map(ArrayView1::from)
    }

    fn first_null(&self) -> Option<usize> {
        self.inner.validity.as_ref()?.first_null()
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
            Error::UnsupportedArrow { data_type, .. } => Error::UnsupportedArrow {
                name: name.to_string(),
                data_type,
            },
            other => other,
        }
    }

    /// This column's validity carried over to `data`, the rows of it that `mask`
    /// keeps (a filter's gather).
    pub(crate) fn with_kept_rows(&self, data: ColumnData, mask: &Bitmap) -> Column {
        let validity = self.inner.validity.as_ref().map(|v| v.kept(mask));
        let kept =
            Column::with_validity(data, validity.filter(|v| v.null_count() > 0).map(Arc::new));
        // A text column keeps its dictionary (codes are unchanged by a gather).
        match &self.inner.dictionary {
            Some(dictionary) => kept.with_dictionary(dictionary.clone()),
            None => kept,
        }
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
