//! Keeping the rows a filter's mask selects.
//!
//! The mask comes from a pass like any select. Keeping rows is a gather on the CPU in chunks
//! of [`CHUNK`] rows: each chunk counts its kept rows, a running sum gives every chunk its own
//! window of the output, and the chunks fill their windows in parallel, so the result does not
//! depend on the thread count. Whether the pool is worth it is decided by the cost model, as
//! for a pass. Each chunk compacts without a branch on the mask (write every value at the
//! cursor, advance it past kept ones), so a random mask costs no mispredictions.

use std::ops::Range;

use crate::column::{ColumnData, ColumnElem};
use crate::cost::Work;
use crate::cpu::CHUNK;
use crate::cpu::buffers::{Buf, CpuElem, OutSlice};
use crate::cpu::pool::map_items;
use crate::error::{Error, Result};
use crate::isa::Isa;
use crate::options::ExecOptions;

/// Which rows a filter keeps, split into chunks that can be gathered in parallel.
pub(crate) struct Selection<'a> {
    mask: &'a [bool],
    /// Per chunk: its input rows and how many of them are kept (its window of the output).
    chunks: Vec<(Range<usize>, usize)>,
    height: usize,
    threads: usize,
    isa: Isa,
}

impl<'a> Selection<'a> {
    /// The rows of `mask` that hold; `bytes_per_row` is what one row of every column to be
    /// gathered weighs (it sizes the work for the choice of threads).
    pub fn new(mask: &'a [bool], bytes_per_row: f64, options: &ExecOptions) -> Result<Self> {
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
        let counts = map_items(threads, inputs.clone(), |_, r: Range<usize>| {
            mask.get(r)
                .map_or(0, |m| m.iter().filter(|&&keep| keep).count())
        })?;
        let height = counts.iter().sum();
        let chunks = inputs.into_iter().zip(counts).collect();
        Ok(Selection {
            mask,
            chunks,
            height,
            threads,
            isa: options.resolved_isa()?,
        })
    }

    /// Rows kept.
    pub fn height(&self) -> usize {
        self.height
    }

    /// One flag per input row.
    pub fn mask(&self) -> &[bool] {
        self.mask
    }

    /// The kept rows of every column in `columns` (each one value per mask row), in order.
    /// Each chunk gathers all the columns, so the mask is read from memory once.
    pub fn gather(&self, columns: &[&ColumnData]) -> Result<Vec<ColumnData>> {
        if let Some(c) = columns.iter().find(|c| c.len() != self.mask.len()) {
            return Err(Error::Internal(format!(
                "filter: a column of {} rows under a mask of {}",
                c.len(),
                self.mask.len()
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
            let mask = self.mask.get(input.clone()).unwrap_or(&[]);
            for (column, out) in columns.iter().zip(&mut outs) {
                let (row, cursor) =
                    super::compress::compact_prefix(self.isa, column, input.clone(), mask, out);
                crate::with_dtype!(column.dtype(), T => {
                    let values = T::slice(column).and_then(|v| v.get(input.start + row..input.end));
                    let out = T::out_mut(out).and_then(|o| o.get_mut(cursor..));
                    if let (Some(values), Some(keep), Some(out)) = (values, mask.get(row..), out) {
                        compact(values, keep, out);
                    }
                });
            }
        })?;
        Ok(outputs.into_iter().map(Buf::into_column_data).collect())
    }
}

/// Writes the `values` whose `keep` holds into `out` (exactly that many slots), in order.
#[inline(always)]
fn compact<T: Copy>(values: &[T], keep: &[bool], out: &mut [T]) {
    const ALL: u64 = 0x0101_0101_0101_0101;
    let rows = values.len().min(keep.len());
    let whole = rows - rows % 8;
    let mut cursor = 0;
    // Eight rows at a time: none kept (common in sparse masks) costs one test, all kept one
    // copy; a mixed group is compacted without a branch per row.
    for (values, keep) in values[..whole]
        .chunks_exact(8)
        .zip(keep[..whole].chunks_exact(8))
    {
        let flags: [bool; 8] = keep.try_into().unwrap_or([true; 8]);
        match u64::from_le_bytes(flags.map(u8::from)) {
            0 => {}
            ALL => {
                if let Some(dst) = out.get_mut(cursor..cursor + 8) {
                    dst.copy_from_slice(values);
                }
                cursor += 8;
            }
            _ => cursor = compact_rows(values, keep, out, cursor),
        }
    }
    compact_rows(&values[whole..rows], &keep[whole..rows], out, cursor);
}

/// Row by row from `cursor`, without a branch on the mask: every value is written, only a
/// kept one is passed. Returns the new cursor.
#[inline(always)]
fn compact_rows<T: Copy>(values: &[T], keep: &[bool], out: &mut [T], mut cursor: usize) -> usize {
    for (&value, &keep) in values.iter().zip(keep) {
        // Past the last kept row there is no slot left: a branch taken only at the end.
        if let Some(slot) = out.get_mut(cursor) {
            *slot = value;
        }
        cursor += usize::from(keep);
    }
    cursor
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
                let mut out = vec![u32::MAX; want.len()];
                compact(&values, &mask, &mut out);
                assert_eq!(out, want, "{n} rows, mask {mask:?}");
            }
        }
    }
}
