//! Columns to and from Arrow arrays. To Arrow, values and validity are shared, not copied:
//! the Arrow buffers point into the column's own memory and keep it alive (bool values are
//! the exception: swath keeps a byte per bool, Arrow a bit). From Arrow, a primitive array's
//! values buffer is shared the same way the other way round (the column holds the buffer,
//! [`Values`]); validity bitmaps, bools and text are copied (ARCHITECTURE.md, "Arrow").

use std::ptr::NonNull;
use std::sync::Arc;

use arrow_array::types::{Float32Type, Float64Type, Int32Type, Int64Type, UInt32Type};
use arrow_array::{
    Array, ArrayRef, ArrowPrimitiveType, BooleanArray, DictionaryArray, LargeStringArray,
    PrimitiveArray, StringArray, StringViewArray,
};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, ScalarBuffer};
use arrow_schema::DataType;

use super::values::Owner;
use super::{Bitmap, Column, ColumnData, Values};
use crate::error::{Error, Result};

/// A buffer over `len` elements at `ptr`, owned by `owner`.
///
/// # Safety
/// `ptr` must point to `len` initialized elements of `T` that stay valid and unchanged for as
/// long as `owner` lives.
pub(super) unsafe fn shared<T, O: arrow_buffer::alloc::Allocation + 'static>(
    ptr: *const T,
    len: usize,
    owner: Arc<O>,
) -> Buffer {
    let bytes = len * std::mem::size_of::<T>();
    // A Vec's pointer is never null (dangling but aligned when empty).
    let ptr = NonNull::new(ptr as *mut u8).unwrap_or(NonNull::dangling());
    // SAFETY: the caller guarantees `bytes` valid bytes at `ptr` while `owner` lives, and the
    // buffer holds `owner`.
    unsafe { Buffer::from_custom_allocation(ptr, bytes, owner) }
}

impl Column {
    /// The column as an Arrow array, sharing its memory: a primitive column's values buffer
    /// and every validity bitmap point into the column (which they keep alive); bools are
    /// repacked a bit each, and a text column becomes a `Dictionary(UInt32, Utf8)` whose keys
    /// are the column's codes. A column that lives only on the GPU is downloaded first.
    ///
    /// ```
    /// use swath::arrow::array::{Array, Float64Array};
    /// use swath::prelude::*;
    /// let c = Column::from(vec![Some(1.5f64), None, Some(3.0)]);
    /// let array = c.to_arrow()?;
    /// let floats = array.as_any().downcast_ref::<Float64Array>().expect("f64");
    /// assert_eq!(floats.null_count(), 1);
    /// let plain = Column::from(vec![1.5f64, 2.5]);
    /// let shared = plain.to_arrow()?;
    /// let floats = shared.as_any().downcast_ref::<Float64Array>().expect("f64");
    /// // The same memory, not a copy:
    /// assert_eq!(floats.values().as_ptr(), plain.as_slice::<f64>()?.as_ptr());
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn to_arrow(&self) -> Result<ArrayRef> {
        let len = self.len();
        let nulls = self.inner.validity.as_ref().map(|bits| {
            // SAFETY: the bitmap's words hold `len` bits (row r at bit r % 64 of word r / 64,
            // Arrow's order on a little-endian machine) and never change; `bits` owns them.
            let buffer = unsafe { shared(bits.words().as_ptr(), bits.words().len(), bits.clone()) };
            NullBuffer::new(BooleanBuffer::new(buffer, 0, len))
        });
        fn primitive<T: ArrowPrimitiveType>(
            values: &Values<T::Native>,
            nulls: Option<NullBuffer>,
        ) -> ArrayRef
        where
            T::Native: std::panic::RefUnwindSafe,
        {
            let buffer = match values.owner() {
                // Values that came from Arrow go back in their own buffer.
                Owner::Arrow(buffer) => buffer.clone(),
                // SAFETY: the Vec's elements stay valid and unchanged while the Arc lives
                // (swath never mutates a column's values), and the buffer holds the Arc.
                Owner::Vec(vec) => unsafe { shared(vec.as_ptr(), vec.len(), vec.clone()) },
            };
            let values = ScalarBuffer::new(buffer, 0, values.len());
            Arc::new(PrimitiveArray::<T>::new(values, nulls))
        }
        Ok(match self.data()? {
            ColumnData::U32(codes) if self.categories().is_some() => {
                let keys = match primitive::<UInt32Type>(codes, nulls)
                    .as_any()
                    .downcast_ref::<PrimitiveArray<UInt32Type>>()
                {
                    Some(keys) => keys.clone(),
                    None => return Err(Error::Internal("dictionary keys".into())),
                };
                let strings: Vec<&str> = self
                    .categories()
                    .unwrap_or_default()
                    .iter()
                    .map(String::as_str)
                    .collect();
                let values: ArrayRef = Arc::new(StringArray::from(strings));
                // Null rows hold code 0, which may be past an empty dictionary: point them at
                // a real entry only if there is one; Arrow checks keys of valid rows only.
                Arc::new(
                    DictionaryArray::<UInt32Type>::try_new(keys, values)
                        .map_err(|e| Error::Internal(format!("a dictionary array: {e}")))?,
                )
            }
            ColumnData::Bool(values) => Arc::new(BooleanArray::new(
                BooleanBuffer::from(values.as_slice()),
                nulls,
            )),
            ColumnData::I32(v) => primitive::<Int32Type>(v, nulls),
            ColumnData::I64(v) => primitive::<Int64Type>(v, nulls),
            ColumnData::U32(v) => primitive::<UInt32Type>(v, nulls),
            ColumnData::F32(v) => primitive::<Float32Type>(v, nulls),
            ColumnData::F64(v) => primitive::<Float64Type>(v, nulls),
        })
    }

    /// A column from an Arrow array (a primitive array's values shared, not copied; see the
    /// module docs): booleans, 32- and
    /// 64-bit signed integers, 32-bit unsigned integers, 32- and 64-bit floats, strings
    /// (`Utf8`, `LargeUtf8`, `Utf8View`: a text column) and dictionaries of strings. Errors
    /// on any other type with [`Error::UnsupportedArrow`].
    ///
    /// ```
    /// use swath::arrow::array::{Int64Array, StringArray};
    /// use swath::prelude::*;
    /// let c = Column::from_arrow(&Int64Array::from(vec![Some(4), None]))?;
    /// assert_eq!(c.to_options::<i64>()?, [Some(4), None]);
    /// let t = Column::from_arrow(&StringArray::from(vec!["a", "b", "a"]))?;
    /// assert_eq!(t.dtype(), DType::Categorical);
    /// assert!(Column::from_arrow(&swath::arrow::array::Int8Array::from(vec![1i8])).is_err());
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn from_arrow(array: &dyn Array) -> Result<Column> {
        let unsupported = || Error::UnsupportedArrow {
            name: String::new(),
            data_type: array.data_type().to_string(),
        };
        let validity = array.logical_nulls().and_then(|nulls| {
            (nulls.null_count() > 0).then(|| {
                let valid: Vec<bool> = nulls.iter().collect();
                Arc::new(Bitmap::from_bools(&valid))
            })
        });
        // Shared, not copied: the column keeps the array's buffer alive and reads it in place
        // (copied only if it is not aligned for its type, which Arrow's allocations are).
        fn values<T: ArrowPrimitiveType>(array: &dyn Array) -> Option<Values<T::Native>>
        where
            T::Native: bytemuck::Pod,
        {
            let typed = array.as_any().downcast_ref::<PrimitiveArray<T>>()?;
            let scalars = typed.values();
            Some(
                Values::shared(scalars.inner(), scalars.len())
                    .unwrap_or_else(|| Values::new(scalars.to_vec())),
            )
        }
        let data = match array.data_type() {
            DataType::Boolean => {
                let typed = array
                    .as_any()
                    .downcast_ref::<BooleanArray>()
                    .ok_or_else(unsupported)?;
                ColumnData::Bool(Values::new(typed.values().iter().collect()))
            }
            DataType::Int32 => ColumnData::I32(values::<Int32Type>(array).ok_or_else(unsupported)?),
            DataType::Int64 => ColumnData::I64(values::<Int64Type>(array).ok_or_else(unsupported)?),
            DataType::UInt32 => {
                ColumnData::U32(values::<UInt32Type>(array).ok_or_else(unsupported)?)
            }
            DataType::Float32 => {
                ColumnData::F32(values::<Float32Type>(array).ok_or_else(unsupported)?)
            }
            DataType::Float64 => {
                ColumnData::F64(values::<Float64Type>(array).ok_or_else(unsupported)?)
            }
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                return text(array).ok_or_else(unsupported);
            }
            DataType::Dictionary(_, value) if is_string(value) => {
                return dictionary(array).ok_or_else(unsupported);
            }
            _ => return Err(unsupported()),
        };
        Ok(Column::with_validity(data, validity))
    }
}

fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// A string array as a text column, encoded from the array's own bytes (no string per row).
fn text(array: &dyn Array) -> Option<Column> {
    let any = array.as_any();
    if let Some(a) = any.downcast_ref::<StringArray>() {
        return Some(Column::encode(a.iter()));
    }
    if let Some(a) = any.downcast_ref::<LargeStringArray>() {
        return Some(Column::encode(a.iter()));
    }
    any.downcast_ref::<StringViewArray>()
        .map(|a| Column::encode(a.iter()))
}

/// The rows of a string array, `None` where null.
fn strings(array: &dyn Array) -> Option<Vec<Option<String>>> {
    let any = array.as_any();
    let owned = |s: Option<&str>| s.map(str::to_string);
    if let Some(a) = any.downcast_ref::<StringArray>() {
        return Some(a.iter().map(owned).collect());
    }
    if let Some(a) = any.downcast_ref::<LargeStringArray>() {
        return Some(a.iter().map(owned).collect());
    }
    any.downcast_ref::<StringViewArray>()
        .map(|a| a.iter().map(owned).collect())
}

/// A dictionary array of strings (any integer keys) as a text column: the keys map to codes
/// through a table the size of the dictionary (an Arrow dictionary may repeat a string or
/// hold null entries, so each distinct string gets one code), not string by string.
fn dictionary(array: &dyn Array) -> Option<Column> {
    use arrow_array::types::*;
    let DataType::Dictionary(key, _) = array.data_type() else {
        return None;
    };
    match key.as_ref() {
        DataType::Int8 => dictionary_of::<Int8Type>(array),
        DataType::Int16 => dictionary_of::<Int16Type>(array),
        DataType::Int32 => dictionary_of::<Int32Type>(array),
        DataType::Int64 => dictionary_of::<Int64Type>(array),
        DataType::UInt8 => dictionary_of::<UInt8Type>(array),
        DataType::UInt16 => dictionary_of::<UInt16Type>(array),
        DataType::UInt32 => dictionary_of::<UInt32Type>(array),
        DataType::UInt64 => dictionary_of::<UInt64Type>(array),
        _ => None,
    }
}

/// [`dictionary`] for keys of type `K`: one pass over the keys' own buffer, and a validity
/// only when a key is null or points at a null entry.
fn dictionary_of<K: arrow_array::types::ArrowDictionaryKeyType>(
    array: &dyn Array,
) -> Option<Column> {
    use arrow_array::cast::AsArray;
    use arrow_buffer::ArrowNativeType;
    let d = array.as_dictionary_opt::<K>()?;
    let entries = strings(d.values().as_ref())?;
    let mut index: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    let mut distinct: Vec<String> = Vec::new();
    // Each dictionary entry's code; NONE for a null entry.
    const NONE: u32 = u32::MAX;
    let table: Vec<u32> = entries
        .iter()
        .map(|v| match v.as_deref() {
            None => NONE,
            Some(v) => *index.entry(v).or_insert_with(|| {
                distinct.push(v.to_string());
                distinct.len() as u32 - 1
            }),
        })
        .collect();
    let keys = d.keys();
    // A key past the dictionary (only at a null row, which Arrow does not check) is null.
    let mut codes: Vec<u32> = keys
        .values()
        .iter()
        .map(|k| table.get(k.as_usize()).copied().unwrap_or(NONE))
        .collect();
    let some_null = keys.null_count() > 0 || codes.contains(&NONE);
    let validity = some_null.then(|| {
        let valid: Vec<bool> = codes
            .iter()
            .enumerate()
            .map(|(row, &c)| c != NONE && keys.is_valid(row))
            .collect();
        for c in codes.iter_mut().filter(|c| **c == NONE) {
            *c = 0;
        }
        Arc::new(Bitmap::from_bools(&valid))
    });
    Some(Column::text(codes, distinct.into(), validity))
}
