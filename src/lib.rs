//! # swath
//!
//! Data-parallel numeric work over named columns, Polars-style. Expressions are type-checked,
//! fused into as few passes over memory as possible, and run by SIMD-vectorized, multi-threaded
//! CPU kernels (small work stays on the calling thread).
//!
//! ```
//! use swath::prelude::*;
//!
//! fn main() -> Result<(), swath::Error> {
//!     let df = Frame::new([
//!         ("a", Column::from(vec![1.0f32, 2.0, 3.0, 4.0])),
//!         ("b", Column::from(ndarray::arr1(&[4.0f32, 3.0, 2.0, 1.0]))),
//!         ("k", Column::from(vec![1i32, 2, 3, 4])),
//!     ])?;
//!     let out = df.select([
//!         (col("a") * col("b") + lit(1.0)).sqrt().sum().alias("s"),
//!         col("a").mean().alias("mean_a"),
//!         col("k").max().alias("max_k"),
//!     ])?;
//!     let s: Vec<f32> = out.column("s")?.to_vec()?;
//!     assert!((s[0] - 9.7636).abs() < 1e-3);
//!     let kept = df.filter(col("a").gt(lit(1.5)))?;
//!     assert_eq!(kept.height(), 3);
//!     let centered = df.select([(col("a") - col("a").mean()).alias("c")])?;
//!     println!("{centered}");
//!     println!("{}", df.explain([col("a").sum()])?);
//!     Ok(())
//! }
//! ```

// The user's API: columns, expressions, frames, options, errors, io, the op table, and the
// GPU's status and synchronisation.
pub mod column;
pub mod dtype;
pub mod error;
pub mod expr;
pub mod frame;
pub mod gpu;
pub mod io;
pub mod isa;
pub mod ops;
pub mod options;
pub mod unstable;

// The engine (ARCHITECTURE.md, "Layers"): the planner and its IR, the backends, the cost
// model, the calibration and the execution layer are crate-private, so a user cannot hand
// the engine a malformed plan; `unstable` lends the CLI, benches and tests what they need.
mod backend;
mod calibrate;
mod cost;
mod cpu;
mod exec;
mod hugepages;
mod plan;

/// The Arrow crates swath converts to and from ([`Column::from_arrow`],
/// [`Frame::to_record_batch`] ...), re-exported so a program uses the same versions.
pub mod arrow {
    pub use arrow_array as array;
    pub use arrow_buffer as buffer;
    pub use arrow_schema as schema;
}

pub use column::Column;
pub use dtype::{DType, Scalar};
pub use error::{Error, Result};
pub use expr::{Expr, col, iterate, lit, parse, row_index, state, when};
pub use frame::{Frame, GroupBy, len};
pub use isa::Isa;
pub use options::{Backend, ExecOptions};

/// Everything a typical program needs: `use swath::prelude::*;`.
pub mod prelude {
    pub use crate::column::Column;
    pub use crate::dtype::{DType, Scalar};
    pub use crate::expr::{Expr, col, iterate, lit, row_index, state, when};
    pub use crate::frame::{Frame, GroupBy};
    pub use crate::options::{Backend, ExecOptions};
    pub use crate::{Error, Isa};
}
