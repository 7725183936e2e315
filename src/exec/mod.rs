//! The execution layer: runs a plan's passes in order, asking the cost model where each runs
//! (from the calibration of `crate::calibrate`), running it on that backend (the calling
//! thread or the pool, `crate::cpu`; the GPU, `crate::gpu`), falling back to the CPU where the
//! GPU cannot run it or fails, and feeding each pass the reduction results it needs. `explain`
//! prints the same decisions for people. Above the backends, the cost model and the
//! calibration; below the frame (ARCHITECTURE.md, "Layers").

mod explain;

pub use explain::explain_placed;

use crate::backend::{KernelOutput, Outcome};
use crate::column::Column;
use crate::dtype::Scalar;
use crate::error::{Error, Result};
use crate::options::ExecOptions;
use crate::plan::ir::{self, Instr, Program};
use crate::plan::{Plan, Source, scalar};

/// A plan's outputs: (name, column), with single values still of length 1.
pub type Outputs = Vec<(String, Column)>;

/// Runs `plan`, reading input columns through `column`: each pass where the cost model
/// (with `options`) sends it; a GPU pass the device cannot run, or that fails there, runs on
/// the CPU instead (forcing the GPU with no adapter is an error). This is what
/// [`Frame::select_with`](crate::Frame::select_with) does, short of broadcasting single
/// values to the frame's height.
pub fn execute(
    plan: &Plan,
    column: &dyn Fn(&str) -> Result<Column>,
    options: &ExecOptions,
) -> Result<Outputs> {
    let mut scalars = ScalarState {
        values: Vec::new(),
        results: Vec::new(),
    };
    let mut stores: Vec<Vec<Column>> = Vec::with_capacity(plan.kernels.len());
    for (k, kernel) in plan.kernels.iter().enumerate() {
        scalars.run_until(plan, k)?;
        let params: Vec<Scalar> = kernel
            .params
            .iter()
            .map(|&id| scalars.value(id))
            .collect::<Result<_>>()?;
        let output = if kernel.is_empty() {
            KernelOutput {
                stores: Vec::new(),
                reductions: Vec::new(),
            }
        } else if params.iter().any(Scalar::is_null) && kernel.rows > 0 {
            // Nulls come only from reductions over no rows, so this cannot happen today;
            // propagate them rather than compute with made-up values.
            null_output(kernel)
        } else {
            let inputs = kernel_inputs(kernel, column)?;
            let refs: Vec<&Column> = inputs.iter().collect();
            run_pass(kernel, &refs, &params, options)?
        };
        stores.push(output.stores);
        scalars.results.push(output.reductions);
    }
    scalars.run_until(plan, usize::MAX)?;
    plan.outputs
        .iter()
        .map(|out| {
            let col = match &out.source {
                Source::Input(name) => column(name)?,
                Source::Store { kernel, index } => stores
                    .get(*kernel)
                    .and_then(|s| s.get(*index))
                    .cloned()
                    .ok_or_else(|| Error::Internal("missing store".into()))?,
                Source::Scalar(id) => Column::full(scalars.value(*id)?, 1, out.dtype),
            };
            Ok((out.name.clone(), col))
        })
        .collect()
}

/// Runs one pass where the chooser says (`cost::choose`), asking the backends in turn: the
/// chosen one, then, should it not run the pass (a GPU that cannot, or that fails: device
/// lost, out of memory), the better CPU way, logged (and counted by the GPU in
/// `gpu::thread_stats`). Forcing a backend that is not there at all (the GPU without an
/// adapter) is an error, as forcing an unsupported ISA is; a CPU way's error is the pass's.
fn run_pass(
    kernel: &ir::Kernel,
    columns: &[&Column],
    params: &[Scalar],
    options: &ExecOptions,
) -> Result<KernelOutput> {
    let resident = resident_bytes_per_row(kernel, columns);
    let costs = crate::calibrate::costs()?;
    let choice = crate::cost::choose(kernel, resident, options, &costs)?;
    log::debug!("pass over {} rows: {}", kernel.rows, choice.reason);
    let list = choice.engines.list();
    let chosen = list[choice.chosen];
    match chosen.run(kernel, columns, params) {
        Outcome::Ran(out) => return Ok(out),
        Outcome::Failed(Error::BackendUnavailable(reason)) => {
            return Err(Error::BackendUnavailable(format!(
                "the {} backend was requested but {reason}",
                chosen.way()
            )));
        }
        Outcome::Failed(e) if chosen.runs_everything() => return Err(e),
        Outcome::Unsupported(why) => log::info!("pass runs on the CPU: {why}"),
        Outcome::Failed(e) => {
            log::warn!("{} pass failed, running it on the CPU: {e}", chosen.way())
        }
    }
    match list[choice.fallback].run(kernel, columns, params) {
        Outcome::Ran(out) => Ok(out),
        Outcome::Failed(e) => Err(e),
        Outcome::Unsupported(why) => {
            Err(Error::Internal(format!("no backend runs this pass: {why}")))
        }
    }
}

/// Bytes per row of `kernel`'s inputs that already have a copy on the GPU, reading the
/// inputs through `column` (for [`explain_placed`]).
pub fn resident_inputs(
    kernel: &ir::Kernel,
    column: &dyn Fn(&str) -> Result<Column>,
) -> Result<f64> {
    let inputs = kernel_inputs(kernel, column)?;
    let refs: Vec<&Column> = inputs.iter().collect();
    Ok(resident_bytes_per_row(kernel, &refs))
}

/// The columns `kernel` reads, in its input order.
fn kernel_inputs(
    kernel: &ir::Kernel,
    column: &dyn Fn(&str) -> Result<Column>,
) -> Result<Vec<Column>> {
    kernel.inputs.iter().map(|n| column(n)).collect()
}

/// Bytes per row of `columns` that already have a copy on the GPU.
fn resident_bytes_per_row(kernel: &ir::Kernel, columns: &[&Column]) -> f64 {
    if kernel.rows == 0 {
        return 0.0;
    }
    columns
        .iter()
        .filter(|c| c.is_on_device())
        .map(|c| c.len() as f64 * c.dtype().size_of() as f64)
        .sum::<f64>()
        / kernel.rows as f64
}

fn null_output(kernel: &ir::Kernel) -> KernelOutput {
    let p = &kernel.program;
    KernelOutput {
        stores: kernel
            .stores
            .iter()
            .map(|&s| Column::nulls(p.dtype(s), kernel.rows))
            .collect(),
        reductions: kernel.reductions.iter().map(|_| Scalar::Null).collect(),
    }
}

/// The scalar program's values, computed as the passes they depend on finish.
struct ScalarState {
    /// `None` until computed. Readiness is not monotone in id order (a later value can be
    /// ready before an earlier one), so each step sweeps every id.
    values: Vec<Option<Scalar>>,
    /// Reduction results of each pass run so far.
    results: Vec<Vec<Scalar>>,
}

impl ScalarState {
    fn value(&self, id: usize) -> Result<Scalar> {
        self.values
            .get(id)
            .copied()
            .flatten()
            .ok_or_else(|| Error::Internal(format!("scalar %{id} used before it was computed")))
    }

    /// Computes every scalar that is ready once `passes` passes have run. Operands precede
    /// their users and are ready no later than them, so one sweep in id order suffices.
    fn run_until(&mut self, plan: &Plan, passes: usize) -> Result<()> {
        let program: &Program = &plan.scalars;
        self.values.resize(program.len(), None);
        for id in 0..program.len() {
            // A hand-built plan may hold fewer entries than scalars: an error, not a panic.
            let ready = plan.scalar_ready.get(id).copied().ok_or_else(|| {
                Error::Internal(format!("scalar %{id} has no entry in scalar_ready"))
            })?;
            if self.values[id].is_some() || ready > passes {
                continue;
            }
            let v = |i: usize| self.value(i);
            let value = match program.instrs()[id] {
                Instr::Const(c) => c,
                Instr::Unary(op, a) => scalar::unary(op, v(a)?),
                Instr::Binary(op, a, b) => scalar::binary(op, v(a)?, v(b)?),
                Instr::Select(c, a, b) => scalar::select(v(c)?, v(a)?, v(b)?),
                Instr::Cast(to, a) => crate::ops::elem::cast_scalar(v(a)?, to),
                Instr::ReduceScalar(op, a) => scalar::reduce_one(op, v(a)?, program.dtype(id)),
                Instr::KernelResult { kernel, output } => self
                    .results
                    .get(kernel)
                    .and_then(|r| r.get(output))
                    .copied()
                    .ok_or_else(|| Error::Internal("reduction result not ready".into()))?,
                Instr::Load(_)
                | Instr::Param(_)
                | Instr::RowIndex
                | Instr::LoopBegin
                | Instr::LoopState { .. }
                | Instr::LoopEnd { .. } => {
                    return Err(Error::Internal(
                        "row instruction in the scalar program".into(),
                    ));
                }
            };
            self.values[id] = Some(value);
        }
        Ok(())
    }
}

/// The examples of this file's items, run as unit tests: the items are crate-private, so
/// a doctest could not reach them.
#[cfg(test)]
mod examples {
    #[test]
    fn outputs_example() -> crate::Result<()> {
        use crate::exec::{Outputs, execute};
        use crate::plan::lower;
        use crate::prelude::*;
        let df = Frame::new([("x", Column::from(vec![1.0f64, 2.0, 3.0]))])?;
        let schema = |name: &str| df.column(name).ok().map(|c| c.dtype());
        let exprs = [col("x") * lit(2.0), col("x").sum().alias("s")];
        let plan = lower(&exprs, 3, &schema, &|| "x".into())?;
        let out: Outputs = execute(&plan, &|name| df.column(name).cloned(), &ExecOptions::new())?;
        assert_eq!(out[0].0, "x");
        assert_eq!(out[0].1.to_vec::<f64>()?, [2.0, 4.0, 6.0]);
        assert_eq!((out[1].0.as_str(), out[1].1.len()), ("s", 1)); // not broadcast
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn execute_example() -> crate::Result<()> {
        use crate::exec::execute;
        use crate::plan::lower;
        use crate::prelude::*;
        use std::collections::HashMap;
        let columns = HashMap::from([("x", Column::from(vec![1.0f32, 2.0, 3.0, 6.0]))]);
        let read = |name: &str| {
            columns
                .get(name)
                .cloned()
                .ok_or_else(|| Error::Internal(format!("no column {name}")))
        };
        let schema = |name: &str| columns.get(name).map(|c| c.dtype());
        let exprs = [
            (col("x") - col("x").mean()).alias("centered"),
            col("x").max(),
        ];
        let plan = lower(&exprs, 4, &schema, &|| "x".into())?;
        let out = execute(&plan, &read, &ExecOptions::new().backend(Backend::Cpu))?;
        assert_eq!(out[0].1.to_vec::<f32>()?, [-2.0, -1.0, 0.0, 3.0]);
        assert_eq!(out[1].1.to_vec::<f32>()?, [6.0]);
        Ok::<(), crate::Error>(())
    }

    /// Kernels the planner would never make (a planner bug) are errors on both backends, never a
    /// panic: an operand that does not precede its user, a load or param
    /// past its slots, a store past the program, a loop end without its start, a wrong schedule.
    #[test]
    fn malformed_kernels_are_errors_not_panics() {
        use crate::cpu::{CHUNK, Schedule, run_scheduled};
        use crate::ops::UnaryOp;
        use crate::plan::ir::{Instr, Kernel};
        use crate::prelude::*;
        use std::panic::{AssertUnwindSafe, catch_unwind};
        fn no_panic<T>(f: impl FnOnce() -> T) -> std::result::Result<T, &'static str> {
            catch_unwind(AssertUnwindSafe(f)).map_err(|_| "a panic")
        }

        let x = Column::from(vec![1.0f32, 4.0, 9.0]);
        let base = || {
            let mut k = Kernel {
                rows: 3,
                inputs: vec!["x".into()],
                ..Kernel::default()
            };
            let v = k.program.push(Instr::Load(0), DType::F32);
            (k, v)
        };
        let mut cases: Vec<(&str, Kernel)> = Vec::new();
        let (mut k, _) = base();
        let s = k.program.push(Instr::Unary(UnaryOp::Sqrt, 7), DType::F32);
        k.stores.push(s);
        cases.push(("an operand after its user", k));
        let (mut k, _) = base();
        let s = k.program.push(Instr::Load(3), DType::F32);
        k.stores.push(s);
        cases.push(("a load past the inputs", k));
        let (mut k, _) = base();
        let s = k.program.push(Instr::Param(0), DType::F32);
        k.stores.push(s);
        cases.push(("a param past the params", k));
        let (mut k, _) = base();
        k.stores.push(42);
        cases.push(("a store past the program", k));
        let (mut k, v) = base();
        let t = k
            .program
            .push(Instr::Const(crate::Scalar::Bool(true)), DType::Bool);
        let end = k.program.push(
            Instr::LoopEnd {
                begin: v,
                max_iter: 3,
                cond: t,
                updates: vec![],
            },
            DType::U32,
        );
        k.stores.push(end);
        cases.push(("a loop end without its start", k));

        let schedule = Schedule {
            isa: Isa::Base,
            threads: 1,
            chunks: 3usize.div_ceil(CHUNK),
        };
        // An input shorter than the kernel's rows.
        let (mut k, v) = base();
        k.rows = 5;
        k.stores.push(v);
        cases.push(("an input shorter than the pass", k));
        for (what, kernel) in cases {
            let cpu = no_panic(|| run_scheduled(&kernel, &[&x], &[], &schedule))
                .unwrap_or_else(|p| panic!("cpu, {what}: panicked: {p}"));
            assert!(cpu.is_err(), "cpu, {what}: {cpu:?}");
            let gpu = no_panic(|| {
                crate::gpu::run_kernel(
                    &kernel,
                    &[&x],
                    &[],
                    &ExecOptions::new().backend(Backend::Gpu),
                )
            })
            .unwrap_or_else(|p| panic!("gpu, {what}: panicked: {p}"));
            assert!(gpu.is_err(), "gpu, {what}: {gpu:?}");
        }
    }
}
