//! A column's values: a vector swath allocated, or memory shared with the Arrow array they
//! came from. Sharing is what makes `Column::from_arrow` zero-copy: the Arrow buffer is kept
//! alive by the column and read in place, as Polars reads the buffers it is handed.

use std::sync::Arc;

use arrow_buffer::Buffer;

/// The values of one column, read as a slice (`Deref<Target = [T]>`). Cloning shares them.
///
/// ```
/// use swath::column::{ColumnData, Values};
/// let values = Values::new(vec![1.5f64, 2.5]);
/// assert_eq!(values.as_slice(), [1.5, 2.5]);
/// assert_eq!(values.len(), 2); // any slice method
/// let data = ColumnData::F64(values.clone());
/// assert_eq!(data.len(), 2);
/// ```
#[derive(Clone)]
pub struct Values<T>(Storage<T>);

#[derive(Clone)]
enum Storage<T> {
    /// A vector swath (or the user) allocated.
    Vec(Arc<Vec<T>>),
    /// `len` values at the start of an Arrow buffer, aligned for `T` (checked when made).
    Arrow { buffer: Buffer, len: usize },
}

impl<T> Values<T> {
    /// Takes the vector without copying.
    pub fn new(values: Vec<T>) -> Values<T> {
        Values(Storage::Vec(Arc::new(values)))
    }

    /// The values as a slice.
    pub fn as_slice(&self) -> &[T] {
        match &self.0 {
            Storage::Vec(v) => v.as_slice(),
            // SAFETY: `shared` made this variant only for a plain number type `T` (every bit
            // pattern a value), after checking the buffer holds `len` values from its start
            // and is aligned for `T`; the buffer is immutable and lives as long as `self`.
            Storage::Arrow { buffer, len } => unsafe {
                std::slice::from_raw_parts(buffer.as_ptr().cast::<T>(), *len)
            },
        }
    }

    /// Whether these values live in an Arrow buffer (shared with an Arrow array).
    pub fn is_shared_with_arrow(&self) -> bool {
        matches!(self.0, Storage::Arrow { .. })
    }

    /// Who owns the memory: a vector swath allocated, or an Arrow buffer.
    pub(crate) fn owner(&self) -> Owner<'_, T> {
        match &self.0 {
            Storage::Vec(v) => Owner::Vec(v),
            Storage::Arrow { buffer, .. } => Owner::Arrow(buffer),
        }
    }
}

/// What [`Values::owner`] gives.
pub(crate) enum Owner<'a, T> {
    Vec(&'a Arc<Vec<T>>),
    Arrow(&'a Buffer),
}

impl<T: bytemuck::Pod> Values<T> {
    /// The first `len` values of `buffer`, shared, not copied; `None` when the buffer is too
    /// short or not aligned for `T` (then the caller copies).
    pub(crate) fn shared(buffer: &Buffer, len: usize) -> Option<Values<T>> {
        let bytes = len.checked_mul(std::mem::size_of::<T>())?;
        let aligned = buffer.as_ptr().align_offset(std::mem::align_of::<T>()) == 0;
        (aligned && buffer.len() >= bytes).then(|| {
            Values(Storage::Arrow {
                buffer: buffer.clone(),
                len,
            })
        })
    }
}

impl<T> std::ops::Deref for Values<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> From<Vec<T>> for Values<T> {
    fn from(values: Vec<T>) -> Self {
        Values::new(values)
    }
}

impl<T> From<Arc<Vec<T>>> for Values<T> {
    fn from(values: Arc<Vec<T>>) -> Self {
        Values(Storage::Vec(values))
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Values<T> {
    /// As the slice prints.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_slice().fmt(f)
    }
}
