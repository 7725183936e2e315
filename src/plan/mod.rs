//! From expressions to a plan: [`lower`] turns a call's expressions into passes over rows
//! ([`ir::Kernel`]) plus a scalar program. The execution layer (`crate::exec`) runs them.

mod hoist;
pub mod ir;
mod lower;
pub mod scalar;
pub(crate) mod types;
mod work;

pub use lower::{Plan, Source, lower};
pub use work::Work;
