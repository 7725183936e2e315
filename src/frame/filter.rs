//! Keeping the rows a filter's mask selects.
//!
//! The mask comes from a pass like any select. Keeping rows is a gather on the CPU in chunks
//! of [`CHUNK`] rows: each chunk counts its kept rows, a running sum gives every chunk its own
//! window of the output, and the chunks fill their windows in parallel, so the result does not
//! depend on the thread count. Whether the pool is worth it is decided by the cost model, as
//! for a pass. Each chunk compacts without a branch on the mask (write every value at the
//! cursor, advance it past kept ones), so a random mask costs no mispredictions.

use std::ops::Range;

use crate::column::{Bitmap, ColumnData, ColumnElem};
use crate::cost::Work;
use crate::cpu::CHUNK;
use crate::cpu::buffers::{Buf, CpuElem, OutSlice};
use crate::cpu::pool::map_items;
use crate::error::{Error, Result};
use crate::isa::Isa;
use crate::options::ExecOptions;

/// Which rows a filter keeps, as a bitmap (validity's layout), split into chunks that can be
/// gathered in parallel.
pub(crate) struct Selection {
    keep: Bitmap,
    /// Per chunk: its input rows and how many of them are kept (its window of the output).
    chunks: Vec<(Range<usize>, usize)>,
    height: usize,
    threads: usize,
    isa: Isa,
}

impl Selection {
    /// The rows where `mask` holds and, when the mask has nulls, `validity` is set (a null
    /// predicate drops its row, as in Polars). The chunks pack their part of the mask into
    /// bits and count them in one pass, so the gather reads a bit per row, not a byte.
    /// `bytes_per_row` is what one row of every column to be gathered weighs (it sizes the
    /// work for the choice of threads).
    pub fn new(
        mask: &[bool],
        validity: Option<&Bitmap>,
        bytes_per_row: f64,
        options: &ExecOptions,
    ) -> Result<Self> {
        let rows = mask.len();
        let work = Work {
            rows: rows as f64,
            bytes_in: bytes_per_row + 1.0,
            bytes_out: bytes_per_row,
            cheap_ops: 2.0,
            ..Work::default()
        };
        let cpu = &crate::calibrate::calibration()?.cpu;
        let threads = crate::cost::cpu_threads_for(work, options, cpu)?;
        let inputs: Vec<Range<usize>> = (0..rows.div_ceil(CHUNK))
            .map(|c| c * CHUNK..((c + 1) * CHUNK).min(rows))
            .collect();
        // CHUNK is a multiple of 64, so each chunk's bits are whole words of the result.
        let packed = map_items(threads, inputs.clone(), |_, r: Range<usize>| {
            let mut words = Bitmap::from_bools(mask.get(r.clone()).unwrap_or(&[])).into_words();
            if let Some(valid) = validity {
                let valid = valid.words().get(r.start / 64..).unwrap_or(&[]);
                for (word, valid) in words.iter_mut().zip(valid) {
                    *word &= valid;
                }
            }
            let kept = words.iter().map(|w| w.count_ones() as usize).sum::<usize>();
            (words, kept)
        })?;
        let mut words = Vec::with_capacity(rows.div_ceil(64));
        let mut chunks = Vec::with_capacity(inputs.len());
        for (input, (bits, kept)) in inputs.into_iter().zip(packed) {
            words.extend(bits);
            chunks.push((input, kept));
        }
        Ok(Selection {
            keep: Bitmap::from_words(words, rows),
            height: chunks.iter().map(|&(_, kept)| kept).sum(),
            chunks,
            threads,
            isa: options.resolved_isa()?,
        })
    }

    /// Rows kept.
    pub fn height(&self) -> usize {
        self.height
    }

    /// One bit per input row, set where it is kept.
    pub fn keep(&self) -> &Bitmap {
        &self.keep
    }

    /// The kept rows of every column in `columns` (each one value per mask row), in order.
    /// Each chunk gathers all the columns, so the mask is read from memory once.
    pub fn gather(&self, columns: &[&ColumnData]) -> Result<Vec<ColumnData>> {
        if let Some(c) = columns.iter().find(|c| c.len() != self.keep.len()) {
            return Err(Error::Internal(format!(
                "filter: a column of {} rows under a mask of {}",
                c.len(),
                self.keep.len()
            )));
        }
        let mut outputs: Vec<Buf> = columns
            .iter()
            .map(|c| Buf::zeroed(c.dtype(), self.height))
            .collect();
        let sizes: Vec<usize> = self.chunks.iter().map(|&(_, kept)| kept).collect();
        let mut windows: Vec<Vec<OutSlice<'_>>> = sizes.iter().map(|_| Vec::new()).collect();
        for output in &mut outputs {
            for (chunk, window) in output.windows(&sizes).into_iter().enumerate() {
                windows[chunk].push(window);
            }
        }
        let items: Vec<_> = self
            .chunks
            .iter()
            .map(|(input, _)| input.clone())
            .zip(windows)
            .collect();
        map_items(self.threads, items, |_, (input, mut outs)| {
            let bits = self
                .keep
                .words()
                .get(input.start / 64..input.end.div_ceil(64))
                .unwrap_or(&[]);
            for (column, out) in columns.iter().zip(&mut outs) {
                let (row, cursor) =
                    super::compress::compact_prefix(self.isa, column, input.clone(), bits, out);
                crate::with_dtype!(column.dtype(), T => {
                    let values = T::slice(column).and_then(|v| v.get(input.start + row..input.end));
                    let out = T::out_mut(out).and_then(|o| o.get_mut(cursor..));
                    if let (Some(values), Some(out)) = (values, out) {
                        compact(values, bits, row, out);
                    }
                });
            }
        })?;
        Ok(outputs.into_iter().map(Buf::into_column_data).collect())
    }
}

/// Writes the `values` whose bits are set into `out` (exactly that many slots), in order:
/// value `i` is row `first + i` of `bits` (row `r` at bit `r % 64` of word `r / 64`).
#[inline(always)]
fn compact<T: Copy>(values: &[T], bits: &[u64], first: usize, out: &mut [T]) {
    let bit = |r: usize| bits.get(r / 64).is_some_and(|w| w >> (r % 64) & 1 == 1);
    let mut cursor = 0;
    let mut i = 0;
    // Row by row up to a whole byte of the bitmap, then eight rows at a time: none kept
    // (common in sparse masks) costs one test, all kept one copy, and a mixed byte is
    // compacted without a branch per row.
    while i < values.len() && !(first + i).is_multiple_of(8) {
        cursor = keep_row(values[i], bit(first + i), out, cursor);
        i += 1;
    }
    for eight in values[i..].chunks_exact(8) {
        let r = first + i;
        let byte = bits.get(r / 64).map_or(0, |w| (w >> (r % 64)) as u8);
        match byte {
            0 => {}
            0xFF => {
                if let Some(dst) = out.get_mut(cursor..cursor + 8) {
                    dst.copy_from_slice(eight);
                }
                cursor += 8;
            }
            _ => {
                for (k, &value) in eight.iter().enumerate() {
                    cursor = keep_row(value, byte >> k & 1 == 1, out, cursor);
                }
            }
        }
        i += 8;
    }
    while i < values.len() {
        cursor = keep_row(values[i], bit(first + i), out, cursor);
        i += 1;
    }
}

/// Writes `value` at `cursor` (when there is a slot: past the last kept row there is none)
/// and passes it if kept, without a branch on `keep`. Returns the new cursor.
#[inline(always)]
fn keep_row<T: Copy>(value: T, keep: bool, out: &mut [T], cursor: usize) -> usize {
    if let Some(slot) = out.get_mut(cursor) {
        *slot = value;
    }
    cursor + usize::from(keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compaction_keeps_the_flagged_values_in_order() {
        // Lengths around the eight-row groups, masks all, none, alternate and one-in-three.
        for n in [0, 1, 7, 8, 9, 16, 17, 100] {
            let values: Vec<u32> = (0..n as u32).collect();
            let masks: [Vec<bool>; 4] = [
                vec![true; n],
                vec![false; n],
                (0..n).map(|i| i % 2 == 1).collect(),
                (0..n).map(|i| i % 3 == 0 || i >= 80).collect(),
            ];
            for mask in masks {
                let want: Vec<u32> = values
                    .iter()
                    .zip(&mask)
                    .filter(|k| *k.1)
                    .map(|k| *k.0)
                    .collect();
                let bits = Bitmap::from_bools(&mask);
                for first in [0, 3, 8] {
                    // The values from row `first` on, as the portable loop gets them after
                    // the wide path.
                    let Some(tail) = values.get(first..) else {
                        continue;
                    };
                    let want: Vec<u32> = want
                        .iter()
                        .copied()
                        .filter(|&v| v as usize >= first)
                        .collect();
                    let mut out = vec![u32::MAX; want.len()];
                    compact(tail, bits.words(), first, &mut out);
                    assert_eq!(out, want, "{n} rows from {first}, mask {mask:?}");
                }
                let mut out = vec![u32::MAX; want.len()];
                compact(&values, bits.words(), 0, &mut out);
                assert_eq!(out, want, "{n} rows, mask {mask:?}");
            }
        }
    }
}
