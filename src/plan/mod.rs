//! From expressions to results: [`lower`] turns a call's expressions into passes over rows
//! ([`ir::Kernel`]) plus a scalar program; [`execute`] runs them in order, feeding each pass the
//! reduction results it needs. `explain` prints the same plan for people.

mod explain;
pub mod ir;
mod lower;
pub mod scalar;
mod types;

pub use explain::explain;
pub use lower::{Output, Plan, Source, lower};

use crate::column::Column;
use crate::dtype::Scalar;
use crate::error::{Error, Result};
use crate::options::ExecOptions;
use ir::{Instr, Program};

/// A plan's outputs: (name, column), with single values still of length 1.
pub type Outputs = Vec<(String, Column)>;

/// Runs `plan`, reading input columns through `column`.
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
        let params: Vec<Scalar> = kernel.params.iter().map(|&id| scalars.values[id]).collect();
        let output = if kernel.is_empty() {
            crate::cpu::KernelOutput {
                stores: Vec::new(),
                reductions: Vec::new(),
            }
        } else if params.iter().any(Scalar::is_null) && kernel.rows > 0 {
            // Nulls come only from reductions over no rows, so this cannot happen today;
            // propagate them rather than compute with made-up values.
            null_output(kernel)
        } else {
            let inputs = kernel
                .inputs
                .iter()
                .map(|n| column(n))
                .collect::<Result<Vec<_>>>()?;
            let refs: Vec<&Column> = inputs.iter().collect();
            crate::cpu::run_kernel(kernel, &refs, &params, options)?
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
                Source::Scalar(id) => Column::full(scalars.values[*id], 1, out.dtype),
            };
            Ok((out.name.clone(), col))
        })
        .collect()
}

fn null_output(kernel: &ir::Kernel) -> crate::cpu::KernelOutput {
    let p = &kernel.program;
    crate::cpu::KernelOutput {
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
    values: Vec<Scalar>,
    /// Reduction results of each pass run so far.
    results: Vec<Vec<Scalar>>,
}

impl ScalarState {
    /// Computes every scalar that is ready once `passes` passes have run.
    fn run_until(&mut self, plan: &Plan, passes: usize) -> Result<()> {
        let program: &Program = &plan.scalars;
        while self.values.len() < program.len() && plan.scalar_ready[self.values.len()] <= passes {
            let id = self.values.len();
            let v = |i: usize| self.values[i];
            let value = match program.instrs()[id] {
                Instr::Const(c) => c,
                Instr::Unary(op, a) => scalar::unary(op, v(a)),
                Instr::Binary(op, a, b) => scalar::binary(op, v(a), v(b)),
                Instr::Select(c, a, b) => scalar::select(v(c), v(a), v(b)),
                Instr::Cast(to, a) => crate::ops::elem::cast_scalar(v(a), to),
                Instr::ReduceScalar(op, a) => scalar::reduce_one(op, v(a), program.dtype(id)),
                Instr::KernelResult { kernel, output } => self
                    .results
                    .get(kernel)
                    .and_then(|r| r.get(output))
                    .copied()
                    .ok_or_else(|| Error::Internal("reduction result not ready".into()))?,
                Instr::Load(_) | Instr::Param(_) => {
                    return Err(Error::Internal(
                        "row instruction in the scalar program".into(),
                    ));
                }
            };
            self.values.push(value);
        }
        Ok(())
    }
}
