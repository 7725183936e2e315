//! What the backends have in common: the types a pass's result comes in, which the execution
//! layer (`exec::execute`) receives from whichever backend ran the pass. A bottom layer
//! (ARCHITECTURE.md, "Layers"): the CPU and GPU backends both name it and neither names the
//! other.

use crate::column::Column;
use crate::dtype::Scalar;

/// What a kernel produced: what the CPU's [`run_scheduled`](crate::cpu::run_scheduled) and
/// the GPU's [`run_kernel`](crate::gpu::run_kernel) return.
#[derive(Debug)]
pub struct KernelOutput {
    /// One full-length column per store of the kernel, in order.
    pub stores: Vec<Column>,
    /// One value per reduction of the kernel, in order (null where there is no value, as
    /// for `min` or `mean` over no rows).
    pub reductions: Vec<Scalar>,
}

/// The examples of this file's items, run as unit tests: the items are crate-private, so
/// a doctest could not reach them.
#[cfg(test)]
mod examples {
    #[test]
    fn kernel_output_example() -> crate::Result<()> {
        use crate::cpu::{CHUNK, Schedule, run_scheduled};
        use crate::prelude::*;
        let x = Column::from(vec![1.0f64, 2.0, 3.0]);
        let exprs = [
            (col("x") * lit(2.0)).alias("y"),
            col("x").max().alias("top"),
        ];
        let schema = |name: &str| (name == "x").then_some(DType::F64);
        let plan = crate::plan::lower(&exprs, 3, &schema, &|| "x".to_string())?;
        let schedule = Schedule {
            isa: Isa::Base,
            threads: 1,
            chunks: 3usize.div_ceil(CHUNK),
        };
        let out = run_scheduled(&plan.kernels[0], &[&x], &[], &schedule)?;
        assert_eq!(out.stores[0].to_vec::<f64>()?, [2.0, 4.0, 6.0]);
        assert_eq!(out.reductions, [Scalar::F64(3.0)]);
        Ok::<(), crate::Error>(())
    }
}
