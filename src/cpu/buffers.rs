//! Typed buffers the CPU evaluator works in: per-block scratch registers and the output
//! slices each chunk writes.

use std::mem::MaybeUninit;

use crate::column::{ColumnData, ColumnElem};
use crate::dtype::{DType, Scalar};
use crate::ops::elem::Elem;

/// One typed vector: a block's worth of one instruction's values, or a whole output column.
#[derive(Debug)]
pub enum Buf {
    Bool(Vec<bool>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    U32(Vec<u32>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

/// A chunk's window of an output column.
#[derive(Debug)]
pub enum OutSlice<'a> {
    Bool(&'a mut [bool]),
    I32(&'a mut [i32]),
    I64(&'a mut [i64]),
    U32(&'a mut [u32]),
    F32(&'a mut [f32]),
    F64(&'a mut [f64]),
    /// Not yet written: the columns of a compiled pass, which writes every row, so they are
    /// not zeroed first (`cpu/jit`).
    F32Uninit(&'a mut [MaybeUninit<f32>]),
    F64Uninit(&'a mut [MaybeUninit<f64>]),
}

/// The float types compiled kernels write, and their windows of unwritten memory.
pub trait UninitOut: Sized {
    fn uninit_mut<'s>(o: &'s mut OutSlice<'_>) -> Option<&'s mut [MaybeUninit<Self>]>;
}

impl UninitOut for f32 {
    fn uninit_mut<'s>(o: &'s mut OutSlice<'_>) -> Option<&'s mut [MaybeUninit<f32>]> {
        match o {
            OutSlice::F32Uninit(v) => Some(v),
            _ => None,
        }
    }
}

impl UninitOut for f64 {
    fn uninit_mut<'s>(o: &'s mut OutSlice<'_>) -> Option<&'s mut [MaybeUninit<f64>]> {
        match o {
            OutSlice::F64Uninit(v) => Some(v),
            _ => None,
        }
    }
}

/// An output column of a compiled pass: allocated, never zeroed, its length set only once
/// every row has been written ([`UninitColumn::assume_written`]).
pub enum UninitColumn {
    F32(Vec<f32>, usize),
    F64(Vec<f64>, usize),
}

impl UninitColumn {
    /// `len` unwritten rows of `dtype` (a float), advised to use huge pages when large.
    pub fn new(dtype: DType, len: usize) -> Option<UninitColumn> {
        match dtype {
            DType::F32 => Some(UninitColumn::F32(crate::hugepages::unwritten_vec(len), len)),
            DType::F64 => Some(UninitColumn::F64(crate::hugepages::unwritten_vec(len), len)),
            _ => None,
        }
    }

    /// Its windows of `chunk` rows.
    pub fn chunks_mut(&mut self, chunk: usize) -> Vec<OutSlice<'_>> {
        let chunk = chunk.max(1);
        match self {
            UninitColumn::F32(v, len) => v.spare_capacity_mut()[..*len]
                .chunks_mut(chunk)
                .map(OutSlice::F32Uninit)
                .collect(),
            UninitColumn::F64(v, len) => v.spare_capacity_mut()[..*len]
                .chunks_mut(chunk)
                .map(OutSlice::F64Uninit)
                .collect(),
        }
    }

    /// The column, once its pass has written every row of every window.
    ///
    /// # Safety
    /// Every window of [`UninitColumn::chunks_mut`] must have been written whole.
    pub unsafe fn assume_written(self) -> Buf {
        match self {
            UninitColumn::F32(mut v, len) => {
                // SAFETY: the caller vouches that all `len` rows (within the capacity
                // `unwritten_vec` reserved) were written.
                unsafe { v.set_len(len) };
                Buf::F32(v)
            }
            UninitColumn::F64(mut v, len) => {
                // SAFETY: as above.
                unsafe { v.set_len(len) };
                Buf::F64(v)
            }
        }
    }
}

/// Element types the CPU evaluator handles: ties a Rust type to its buffer variants.
pub trait CpuElem: ColumnElem {
    fn buf(b: &Buf) -> Option<&[Self]>;
    fn buf_mut(b: &mut Buf) -> Option<&mut [Self]>;
    fn out_mut<'s>(o: &'s mut OutSlice<'_>) -> Option<&'s mut [Self]>;
    fn new_buf(v: Vec<Self>) -> Buf;
}

macro_rules! cpu_elem {
    ($($t:ty => $v:ident),*) => {$(
        impl CpuElem for $t {
            #[inline(always)]
            fn buf(b: &Buf) -> Option<&[Self]> {
                match b { Buf::$v(v) => Some(v), _ => None }
            }
            #[inline(always)]
            fn buf_mut(b: &mut Buf) -> Option<&mut [Self]> {
                match b { Buf::$v(v) => Some(v), _ => None }
            }
            #[inline(always)]
            fn out_mut<'s>(o: &'s mut OutSlice<'_>) -> Option<&'s mut [Self]> {
                match o { OutSlice::$v(v) => Some(v), _ => None }
            }
            fn new_buf(v: Vec<Self>) -> Buf {
                Buf::$v(v)
            }
        }
    )*};
}
cpu_elem!(bool => Bool, i32 => I32, i64 => I64, u32 => U32, f32 => F32, f64 => F64);

impl Buf {
    /// `len` default values of `dtype` (zero, so a large buffer is untouched memory, advised
    /// to use huge pages).
    pub fn zeroed(dtype: DType, len: usize) -> Buf {
        crate::with_dtype!(dtype, T => T::new_buf(crate::hugepages::zeroed_vec(len)))
    }

    /// `len` copies of `value` (which has dtype `dtype`; null fills with the default).
    pub fn filled(dtype: DType, value: Scalar, len: usize) -> Buf {
        crate::with_dtype!(dtype, T => T::new_buf(vec![T::from_scalar(value).unwrap_or_default(); len]))
    }

    /// Splits the buffer into windows of `chunk` rows.
    pub fn chunks_mut(&mut self, chunk: usize) -> Vec<OutSlice<'_>> {
        let chunk = chunk.max(1);
        match self {
            Buf::Bool(v) => v.chunks_mut(chunk).map(OutSlice::Bool).collect(),
            Buf::I32(v) => v.chunks_mut(chunk).map(OutSlice::I32).collect(),
            Buf::I64(v) => v.chunks_mut(chunk).map(OutSlice::I64).collect(),
            Buf::U32(v) => v.chunks_mut(chunk).map(OutSlice::U32).collect(),
            Buf::F32(v) => v.chunks_mut(chunk).map(OutSlice::F32).collect(),
            Buf::F64(v) => v.chunks_mut(chunk).map(OutSlice::F64).collect(),
        }
    }

    /// Splits the buffer into consecutive windows of the given sizes (which must not add up
    /// to more than its length; a window past the end comes back empty).
    pub fn windows(&mut self, sizes: &[usize]) -> Vec<OutSlice<'_>> {
        fn split<'a, T>(mut rest: &'a mut [T], sizes: &[usize]) -> Vec<&'a mut [T]> {
            sizes
                .iter()
                .map(|&size| {
                    let at = size.min(rest.len());
                    let (window, tail) = std::mem::take(&mut rest).split_at_mut(at);
                    rest = tail;
                    window
                })
                .collect()
        }
        match self {
            Buf::Bool(v) => split(v, sizes).into_iter().map(OutSlice::Bool).collect(),
            Buf::I32(v) => split(v, sizes).into_iter().map(OutSlice::I32).collect(),
            Buf::I64(v) => split(v, sizes).into_iter().map(OutSlice::I64).collect(),
            Buf::U32(v) => split(v, sizes).into_iter().map(OutSlice::U32).collect(),
            Buf::F32(v) => split(v, sizes).into_iter().map(OutSlice::F32).collect(),
            Buf::F64(v) => split(v, sizes).into_iter().map(OutSlice::F64).collect(),
        }
    }

    /// The buffer as a column's data, without copying.
    pub fn into_column_data(self) -> ColumnData {
        match self {
            Buf::Bool(v) => ColumnData::Bool(crate::column::Values::new(v)),
            Buf::I32(v) => ColumnData::I32(crate::column::Values::new(v)),
            Buf::I64(v) => ColumnData::I64(crate::column::Values::new(v)),
            Buf::U32(v) => ColumnData::U32(crate::column::Values::new(v)),
            Buf::F32(v) => ColumnData::F32(crate::column::Values::new(v)),
            Buf::F64(v) => ColumnData::F64(crate::column::Values::new(v)),
        }
    }
}
