//! The filter's gather on AVX-512: VPCOMPRESSD/Q packs the kept values of 16 (or 8) rows to
//! the front of a register in one instruction, and one full-width store writes them; the next
//! store starts where the kept ones end, so the slots past them are overwritten. A store needs
//! a full register of room, so this runs while the window has it, and the portable loop in
//! `filter.rs` finishes the rest. Types of 4 and 8 bytes only; bool columns stay portable.

use std::ops::Range;

use crate::column::ColumnData;
use crate::cpu::buffers::OutSlice;
use crate::cpu::isa::Isa;

/// Compacts the leading rows of `rows` of `values` that the wide path can take into `out`
/// (exactly the kept rows of `rows`). Returns (rows done, values written); (0, 0) when the ISA
/// or the type has no wide path.
pub(super) fn compact_prefix(
    isa: Isa,
    values: &ColumnData,
    rows: Range<usize>,
    keep: &[bool],
    out: &mut OutSlice<'_>,
) -> (usize, usize) {
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Avx512 && Isa::Avx512.is_supported() {
        use bytemuck::{cast_slice, cast_slice_mut};
        // SAFETY (every call below): the CPU has AVX-512 F/BW/VL (`is_supported`, above).
        return match (values, out) {
            (ColumnData::F32(v), OutSlice::F32(o)) => v.get(rows).map_or((0, 0), |v| unsafe {
                wide32(cast_slice(v), keep, cast_slice_mut(o))
            }),
            (ColumnData::I32(v), OutSlice::I32(o)) => v.get(rows).map_or((0, 0), |v| unsafe {
                wide32(cast_slice(v), keep, cast_slice_mut(o))
            }),
            (ColumnData::U32(v), OutSlice::U32(o)) => v
                .get(rows)
                .map_or((0, 0), |v| unsafe { wide32(v, keep, o) }),
            (ColumnData::F64(v), OutSlice::F64(o)) => v.get(rows).map_or((0, 0), |v| unsafe {
                wide64(cast_slice(v), keep, cast_slice_mut(o))
            }),
            (ColumnData::I64(v), OutSlice::I64(o)) => v.get(rows).map_or((0, 0), |v| unsafe {
                wide64(cast_slice(v), keep, cast_slice_mut(o))
            }),
            _ => (0, 0),
        };
    }
    let _ = (isa, values, rows, keep, out);
    (0, 0)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
fn wide32(values: &[u32], keep: &[bool], out: &mut [u32]) -> (usize, usize) {
    use std::arch::x86_64::*;
    let rows = values.len().min(keep.len());
    let (mut row, mut cursor) = (0, 0);
    while row + 16 <= rows && cursor + 16 <= out.len() {
        // SAFETY: rows row..row+16 lie inside `values` and `keep`, and slots cursor..cursor+16
        // inside `out` (the loop's condition); the loads and the store are unaligned ones.
        // A bool is one byte, 0 or 1, so the byte test yields one mask bit per row.
        let kept = unsafe {
            let flags = _mm_loadu_si128(keep.as_ptr().add(row).cast());
            let mask = _mm_test_epi8_mask(flags, flags);
            let v = _mm512_loadu_si512(values.as_ptr().add(row).cast());
            _mm512_storeu_si512(
                out.as_mut_ptr().add(cursor).cast(),
                _mm512_maskz_compress_epi32(mask, v),
            );
            mask.count_ones() as usize
        };
        cursor += kept;
        row += 16;
    }
    (row, cursor)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
fn wide64(values: &[u64], keep: &[bool], out: &mut [u64]) -> (usize, usize) {
    use std::arch::x86_64::*;
    let rows = values.len().min(keep.len());
    let (mut row, mut cursor) = (0, 0);
    while row + 8 <= rows && cursor + 8 <= out.len() {
        // SAFETY: as in `wide32`, for 8 rows (an 8-byte load of flags, the upper mask bits
        // are zero).
        let kept = unsafe {
            let flags = _mm_loadl_epi64(keep.as_ptr().add(row).cast());
            let mask = _mm_test_epi8_mask(flags, flags) as __mmask8;
            let v = _mm512_loadu_si512(values.as_ptr().add(row).cast());
            _mm512_storeu_si512(
                out.as_mut_ptr().add(cursor).cast(),
                _mm512_maskz_compress_epi64(mask, v),
            );
            mask.count_ones() as usize
        };
        cursor += kept;
        row += 8;
    }
    (row, cursor)
}
