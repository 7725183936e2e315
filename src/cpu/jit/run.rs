//! Runs a compiled kernel over one chunk: one call for every whole group of 64 rows, which
//! closes each whole block itself, then the last block's rows. Each sum closes its blocks
//! exactly where the evaluator does, so the results are the evaluator's bits.

use std::mem::MaybeUninit;
use std::ops::Range;

use super::JitPass;
use super::lower::{ConstSource, StreamKind, Width};
use crate::cpu::block::{BLOCK, ChunkInput, internal};
use crate::cpu::buffers::{CpuElem, OutSlice, UninitOut};
use crate::cpu::reduce::{Accumulator, LANES, Partial};
use crate::error::Result;

/// Runs `pass` over `rows` of the chunk. The caller has checked that the CPU has AVX-512
/// (`prepare` compiles only then).
pub fn run_chunk(
    input: &ChunkInput<'_>,
    pass: &JitPass,
    rows: Range<usize>,
    outs: &mut [OutSlice<'_>],
) -> Result<Vec<Partial>> {
    match pass.lowered.body.width {
        Width::F32 => run_typed::<f32>(input, pass, rows, outs),
        Width::F64 => run_typed::<f64>(input, pass, rows, outs),
    }
}

fn run_typed<T: CpuElem + UninitOut>(
    input: &ChunkInput<'_>,
    pass: &JitPass,
    rows: Range<usize>,
    outs: &mut [OutSlice<'_>],
) -> Result<Vec<Partial>> {
    let kernel = input.kernel;
    let lowered = &pass.lowered;
    let inputs: Vec<Stream<'_, T>> = lowered
        .loads
        .iter()
        .zip(&lowered.body.input_kinds)
        .map(|(&k, &kind)| {
            let column = input.columns.get(k);
            let stream = match kind {
                StreamKind::Float => column
                    .and_then(|c| T::slice(c))
                    .and_then(|c| c.get(rows.clone()))
                    .map(Stream::Float),
                StreamKind::Bytes => column
                    .and_then(|c| <bool as crate::column::ColumnElem>::slice(c))
                    .and_then(|c| c.get(rows.clone()))
                    .map(Stream::Mask),
                // A chunk starts on a whole word (chunks are multiples of 64 rows).
                StreamKind::Bits => input
                    .bits
                    .get(k)
                    .copied()
                    .flatten()
                    .filter(|b| rows.start.is_multiple_of(64) && b.len() >= rows.end)
                    .and_then(|b| b.words().get(rows.start / 64..rows.end.div_ceil(64)))
                    .map(|words| Stream::Bits(words, rows.len())),
            };
            stream.ok_or_else(|| internal("compiled kernel input"))
        })
        .collect::<Result<_>>()?;
    // The output windows are unwritten memory (`UninitColumn`): every row is written below,
    // the groups by the code, the last rows from the scratch group.
    let mut outputs: Vec<&mut [MaybeUninit<T>]> = outs
        .iter_mut()
        .map(|o| {
            T::uninit_mut(o)
                .filter(|o| o.len() == rows.len())
                .ok_or_else(|| internal("compiled kernel output"))
        })
        .collect::<Result<_>>()?;
    if outputs.len() != lowered.body.outputs {
        return Err(internal("compiled kernel outputs"));
    }
    // The constants as the evaluator fills its registers (a null is the default), then the
    // sign bit for neg and abs.
    let mut consts: Vec<T> = lowered
        .consts
        .iter()
        .map(|source| {
            let value = match *source {
                ConstSource::Literal(value) => value,
                ConstSource::Param(k) => *input
                    .params
                    .get(k)
                    .ok_or_else(|| internal("missing param"))?,
            };
            Ok(T::from_scalar(value).unwrap_or_default())
        })
        .collect::<Result<_>>()?;
    // -0.0, the sign bit alone (a float sum's identity).
    consts.push(<T as crate::ops::elem::Elem>::SUM_IDENTITY);
    let mut accs: Vec<Accumulator> = kernel
        .reductions
        .iter()
        .map(|r| Accumulator::new(r.op, kernel.program.dtype(r.value)))
        .collect();
    let sums = accs.len();
    let mut lanes: Vec<T> = vec![T::default(); sums * LANES];

    let mut args = Vec::with_capacity(5 + inputs.len() + outputs.len());
    // Every group of 64 rows in one call, which closes each whole block itself and leaves
    // its partials; the chunk starts a block, so the lanes start from the identity.
    let len = rows.len();
    let groups = len / LANES;
    let block_groups = BLOCK / LANES;
    let blocks = groups / block_groups;
    for (acc, lane) in accs.iter_mut().zip(lanes.chunks_exact_mut(LANES)) {
        lane.copy_from_slice(acc.sum_lanes::<T>(0)?);
    }
    let mut partials = vec![T::default(); blocks * sums];
    Call {
        groups,
        block_groups,
        at: 0,
    }
    .run(
        (pass, &consts),
        &mut args,
        &mut lanes,
        &mut partials,
        &inputs,
        &mut outputs,
    )?;
    for (s, acc) in accs.iter_mut().enumerate() {
        let block_sums = partials.iter().skip(s).step_by(sums.max(1)).copied();
        acc.add_block_sums::<T>(block_sums, blocks * BLOCK)?;
    }
    // The last block, if it is not whole: its groups are in the lanes; its last rows
    // (fewer than 64) run as one zero-padded group through scratch copies, and the lanes past
    // them are put back as they were, so only real rows are summed.
    let block_start = blocks * BLOCK;
    if block_start < len {
        for (acc, lane) in accs.iter_mut().zip(lanes.chunks_exact(LANES)) {
            acc.sum_lanes::<T>(len - block_start)?.copy_from_slice(lane);
        }
        let at = groups * LANES;
        let tail = len - at;
        if tail > 0 {
            let padded: Vec<([T; LANES], [bool; LANES], [u64; 1])> = inputs
                .iter()
                .map(|x| {
                    let (mut floats, mut bools, mut word) =
                        ([T::default(); LANES], [false; LANES], [0u64]);
                    match x {
                        Stream::Float(x) => floats[..tail].copy_from_slice(&x[at..]),
                        Stream::Mask(x) => bools[..tail].copy_from_slice(&x[at..]),
                        // `at` is a whole number of words; the tail's bits, the rest clear.
                        Stream::Bits(words, _) => {
                            word[0] = words[at / 64] & ((1u64 << tail) - 1);
                        }
                    }
                    (floats, bools, word)
                })
                .collect();
            let ins: Vec<Stream<'_, T>> = padded
                .iter()
                .zip(&inputs)
                .map(|((floats, bools, word), x)| match x {
                    Stream::Float(_) => Stream::Float(&floats[..]),
                    Stream::Mask(_) => Stream::Mask(&bools[..]),
                    Stream::Bits(..) => Stream::Bits(&word[..], LANES),
                })
                .collect();
            let zero = MaybeUninit::new(T::default());
            let mut scratch: Vec<[MaybeUninit<T>; LANES]> = vec![[zero; LANES]; outputs.len()];
            let mut outs: Vec<&mut [MaybeUninit<T>]> =
                scratch.iter_mut().map(|r| &mut r[..]).collect();
            let before = lanes.clone();
            let never_closes = Call {
                groups: 1,
                block_groups: 0,
                at: 0,
            };
            never_closes.run(
                (pass, &consts),
                &mut args,
                &mut lanes,
                &mut [],
                &ins,
                &mut outs,
            )?;
            for (acc, (lane, old)) in accs.iter_mut().zip(
                lanes
                    .chunks_exact_mut(LANES)
                    .zip(before.chunks_exact(LANES)),
            ) {
                lane[tail..].copy_from_slice(&old[tail..]);
                acc.sum_lanes::<T>(0)?.copy_from_slice(lane);
            }
            for (o, s) in outputs.iter_mut().zip(&scratch) {
                o[at..].copy_from_slice(&s[..tail]);
            }
        }
        for acc in &mut accs {
            acc.end_block::<T>(rows.start + block_start)?;
        }
    }
    Ok(accs.into_iter().map(Accumulator::finish).collect())
}

/// An input stream: floats of the kernel's width, or bools read as masks, a byte or a bit
/// per row.
enum Stream<'a, T> {
    Float(&'a [T]),
    Mask(&'a [bool]),
    /// Words of bits from the chunk's first row, and how many rows they hold.
    Bits(&'a [u64], usize),
}

impl<T> Stream<'_, T> {
    /// Rows it holds.
    fn len(&self) -> usize {
        match self {
            Stream::Float(x) => x.len(),
            Stream::Mask(x) => x.len(),
            Stream::Bits(words, rows) => (*rows).min(words.len() * 64),
        }
    }
    /// The address of row `at` (at most the length; a multiple of 64 for bits).
    fn address(&self, at: usize) -> u64 {
        match self {
            Stream::Float(x) => x[at..].as_ptr() as u64,
            Stream::Mask(x) => x[at..].as_ptr() as u64,
            Stream::Bits(words, _) => words[at / 64..].as_ptr() as u64,
        }
    }
    fn kind(&self) -> StreamKind {
        match self {
            Stream::Float(_) => StreamKind::Float,
            Stream::Mask(_) => StreamKind::Bytes,
            Stream::Bits(..) => StreamKind::Bits,
        }
    }
}

/// One call of the code: `groups` groups of 64 rows from row `at` of every stream, closing a
/// block every `block_groups` groups (0: never).
struct Call {
    groups: usize,
    block_groups: usize,
    at: usize,
}

impl Call {
    /// Runs the code; `args` is scratch for its argument words (kept between calls, so a
    /// chunk's blocks allocate nothing).
    fn run<T: CpuElem>(
        &self,
        (pass, consts): (&JitPass, &[T]),
        args: &mut Vec<u64>,
        lanes: &mut [T],
        partials: &mut [T],
        inputs: &[Stream<'_, T>],
        outputs: &mut [&mut [MaybeUninit<T>]],
    ) -> Result<()> {
        let end = self.at + self.groups * LANES;
        let body = &pass.lowered.body;
        let fits = inputs.len() == body.inputs
            && outputs.len() == body.outputs
            && inputs.iter().all(|x| x.len() >= end)
            && self.at.is_multiple_of(64)
            && inputs
                .iter()
                .zip(&body.input_kinds)
                .all(|(x, &kind)| x.kind() == kind)
            && outputs.iter().all(|o| o.len() >= end)
            && lanes.len() == body.sum_registers.len() * LANES
            && consts.len() == body.const_registers.len() + 1
            && (self.block_groups == 0
                || partials.len() >= self.groups / self.block_groups * body.sum_registers.len());
        if !fits {
            // Running on a mismatch would read or write out of bounds.
            return Err(internal("compiled kernel arguments do not fit its body"));
        }
        args.clear();
        args.extend([
            self.groups as u64,
            self.block_groups as u64,
            consts.as_ptr() as u64,
            lanes.as_mut_ptr() as u64,
            partials.as_mut_ptr() as u64,
        ]);
        args.extend(inputs.iter().map(|x| x.address(self.at)));
        args.extend(outputs.iter_mut().map(|o| o[self.at..].as_mut_ptr() as u64));
        // SAFETY: the code was assembled for this body (`emit.rs`): it reads `groups * 64`
        // rows (floats, or one byte or one bit each for the bool streams, whose kinds were
        // checked to match the body's) from each input pointer and writes as many to each output pointer (each
        // slice was checked just above to hold them past `at`), reads `const_registers + 1`
        // constants, reads and writes 64 lanes per sum, writes one partial per sum per
        // closed block (checked to fit), and touches nothing else. It uses
        // AVX-512, which `prepare` checked the CPU has before compiling, and follows the
        // System V calling convention it is declared with. `pass` holds the code's pages
        // mapped for the call.
        unsafe { (pass.compiled.entry)(args.as_ptr()) };
        Ok(())
    }
}
