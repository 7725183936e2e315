//! What one pass does per row, counted from its kernel: the cost model's input, which each
//! backend turns into an estimate with its own measured constants.

use crate::ops::CostClass;
use crate::plan::ir::{Instr, Kernel};

/// What one pass does per row, independent of the backend.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Work {
    /// Rows the pass runs over.
    pub rows: f64,
    /// Bytes of input columns read per row.
    pub bytes_in: f64,
    /// Bytes of output columns written per row.
    pub bytes_out: f64,
    /// Cheap ops per row (arithmetic, comparisons, casts, selects, reduction steps).
    pub cheap_ops: f64,
    /// Vectorized transcendental ops per row: f32 exp, ln, sin and cos (swath's own
    /// polynomials, several per instruction on the CPU).
    pub heavy_ops: f64,
    /// Transcendental ops per row that the CPU computes by a library call per element: every
    /// f64 one, the other f32 ones (tan, pow, cbrt ...). An f64 sin costs ~10x an f32 one;
    /// counted with the f32 ones, the Black-Scholes example's f64 pass was estimated 10x too
    /// fast.
    pub libm_ops: f64,
    /// Whether the CPU runs this pass as compiled code (`cpu/jit`), whose cheap ops cost
    /// less than the evaluator's. Set by the chooser, which knows the ISA.
    pub compiled: bool,
}

impl Work {
    /// Counts `times` ops of cost class `class`.
    fn add(&mut self, class: CostClass, times: f64) {
        match class {
            CostClass::Cheap => self.cheap_ops += times,
            CostClass::Sqrt => self.cheap_ops += 2.0 * times,
            CostClass::Vector => self.heavy_ops += times,
            CostClass::Libm => self.libm_ops += times,
        }
    }

    /// The work of `kernel`: each column it loads counts once; ops in a loop body count
    /// `max_iter` times (the worst case).
    pub fn of(kernel: &Kernel) -> Work {
        let program = &kernel.program;
        let mut w = Work {
            rows: kernel.rows as f64,
            ..Work::default()
        };
        let mut loaded = Vec::new();
        // Ops in a loop body count once per step, and a row may take up to `max_iter` steps:
        // the estimate assumes the worst, which errs towards parallel backends for loops.
        let mut repeats: Vec<(usize, f64)> = Vec::new();
        for (id, instr) in program.instrs().iter().enumerate() {
            while repeats.last().is_some_and(|&(end, _)| id > end) {
                repeats.pop();
            }
            let times = repeats.last().map_or(1.0, |&(_, t)| t);
            match instr {
                // A column loaded again after a loop is still read from memory once.
                Instr::Load(k) if !loaded.contains(k) => {
                    loaded.push(*k);
                    w.bytes_in += program.dtype(id).size_of() as f64;
                }
                // Each op's class comes from its row of the op table (ops/table.rs): sqrt is
                // a vector instruction, f32 exp, ln, sin and cos are vectorized polynomials,
                // the other math functions are library calls.
                Instr::Unary(op, a) => w.add(op.cost_class(program.dtype(*a)), times),
                Instr::Binary(op, a, _) => w.add(op.cost_class(program.dtype(*a)), times),
                Instr::Select(..) | Instr::Cast(..) | Instr::RowIndex => w.cheap_ops += times,
                Instr::LoopBegin => {
                    if let Some(end) = program.loop_end(id)
                        && let Some(Instr::LoopEnd { max_iter, .. }) = program.instrs().get(end)
                    {
                        repeats.push((end, times * f64::from((*max_iter).max(1))));
                    }
                }
                Instr::LoopEnd { updates, .. } => {
                    // The step itself: a compare, a count and a masked copy per state.
                    w.cheap_ops += (2 + updates.len()) as f64 * times
                }
                _ => {}
            }
        }
        for &s in &kernel.stores {
            w.bytes_out += program.dtype(s).size_of() as f64;
        }
        w.cheap_ops += kernel.reductions.len() as f64;
        w
    }
}
