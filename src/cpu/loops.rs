//! Per-row loops on the CPU: the whole block steps together, like SIMD lanes or GPU threads.
//! Each step evaluates the body for every row of the block, then rows whose condition holds
//! take their updates and rows that are done keep their values (a masked copy). The block
//! leaves the loop as soon as no row is still iterating, so a block of quickly escaping
//! rows costs a few steps, not `max_iter`.

use std::collections::HashMap;
use std::ops::Range;

use super::block::{ChunkInput, internal, operand};
use super::buffers::{Buf, CpuElem};
use crate::error::Result;
use crate::plan::ir::{Instr, Program};

/// The state one loop of a kernel carries between its steps.
pub struct LoopRun {
    begin: usize,
    end: usize,
    states: Range<usize>,
    steps: u32,
    /// Which rows take this step.
    go: Vec<bool>,
    /// One spare register per state: the new values are built here, then swapped in.
    spare: Vec<Buf>,
}

/// Every loop of `program`, by the id of its `LoopEnd`, with room for blocks of `block` rows.
pub fn loop_runs(program: &Program, block: usize) -> HashMap<usize, LoopRun> {
    let mut runs = HashMap::new();
    for (begin, instr) in program.instrs().iter().enumerate() {
        if !matches!(instr, Instr::LoopBegin) {
            continue;
        }
        let Some(end) = program.loop_end(begin) else {
            continue;
        };
        let states = program.loop_states(begin);
        let spare = states
            .clone()
            .map(|s| Buf::zeroed(program.dtype(s), block))
            .collect();
        runs.insert(
            end,
            LoopRun {
                begin,
                end,
                states,
                steps: 0,
                go: vec![false; block],
                spare,
            },
        );
    }
    runs
}

/// Entering the loop that begins at `begin`: every row iterates, none has taken a step.
#[inline(always)]
pub fn enter(
    runs: &mut HashMap<usize, LoopRun>,
    regs: &mut [Buf],
    begin: usize,
    n: usize,
) -> Result<()> {
    let run = runs
        .values_mut()
        .find(|r| r.begin == begin)
        .ok_or_else(|| internal("loop without an end"))?;
    run.steps = 0;
    let active = regs
        .get_mut(begin)
        .and_then(bool::buf_mut)
        .and_then(|v| v.get_mut(..n))
        .ok_or_else(|| internal("loop register"))?;
    active.fill(true);
    let count = regs
        .get_mut(run.end)
        .and_then(u32::buf_mut)
        .and_then(|v| v.get_mut(..n))
        .ok_or_else(|| internal("loop count register"))?;
    count.fill(0);
    Ok(())
}

/// The end of one step of the loop ending at `end`: masked updates. Returns where to jump
/// (the first body instruction) if any row goes round again.
#[inline(always)]
pub fn step(
    input: &ChunkInput<'_>,
    runs: &mut HashMap<usize, LoopRun>,
    regs: &mut [Buf],
    end: usize,
    rows: &Range<usize>,
) -> Result<Option<usize>> {
    let program = &input.kernel.program;
    let Some(Instr::LoopEnd {
        max_iter,
        cond,
        updates,
        ..
    }) = program.instrs().get(end)
    else {
        return Err(internal("loop end"));
    };
    let run = runs.get_mut(&end).ok_or_else(|| internal("loop run"))?;
    let n = rows.len();
    let go = run.go.get_mut(..n).ok_or_else(|| internal("loop mask"))?;
    if run.steps < *max_iter {
        let active = operand::<bool>(input, regs, run.begin, rows)?;
        let holds = operand::<bool>(input, regs, *cond, rows)?;
        for ((g, &a), &c) in go.iter_mut().zip(active).zip(holds) {
            *g = a && c;
        }
    } else {
        go.fill(false);
    }
    let any = go.iter().any(|&g| g);
    if any {
        // Build every new value before replacing any state: updates read the old states.
        for ((state, &update), spare) in run.states.clone().zip(updates).zip(&mut run.spare) {
            crate::with_dtype!(program.dtype(state), T => {
                let old = operand::<T>(input, regs, state, rows)?;
                let new = operand::<T>(input, regs, update, rows)?;
                let dst = T::buf_mut(spare)
                    .and_then(|v| v.get_mut(..n))
                    .ok_or_else(|| internal("loop spare register"))?;
                // A blend, not a branch: see `Instr::Select` in block.rs.
                for (((d, &o), &v), &g) in dst.iter_mut().zip(old).zip(new).zip(go.iter()) {
                    *d = std::hint::select_unpredictable(g, v, o);
                }
            });
        }
        for (state, spare) in run.states.clone().zip(&mut run.spare) {
            let reg = regs
                .get_mut(state)
                .ok_or_else(|| internal("state register"))?;
            std::mem::swap(reg, spare);
        }
        let count = regs
            .get_mut(end)
            .and_then(u32::buf_mut)
            .and_then(|v| v.get_mut(..n))
            .ok_or_else(|| internal("loop count register"))?;
        for (c, &g) in count.iter_mut().zip(go.iter()) {
            *c += u32::from(g);
        }
    }
    let active = regs
        .get_mut(run.begin)
        .and_then(bool::buf_mut)
        .and_then(|v| v.get_mut(..n))
        .ok_or_else(|| internal("loop register"))?;
    active.copy_from_slice(go);
    run.steps += 1;
    Ok((any && run.steps < *max_iter).then_some(run.states.end))
}
