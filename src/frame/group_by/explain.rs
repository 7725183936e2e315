//! `GroupBy::explain`: how a group-by will run, in words (README.md beside this file).

use super::{Aggregate, GroupBy, as_aggregate, keys, leaves};
use crate::error::Result;
use crate::expr::Expr;
use crate::options::ExecOptions;

impl GroupBy<'_> {
    /// How [`GroupBy::agg`] of `exprs` will run: how each key becomes slots and how many
    /// groups there are (the key step runs; the reductions do not), which reductions share
    /// one keyed pass over the rows and which operands are computed per window, the block
    /// size and threads.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([
    ///     ("k", Column::from(vec!["a", "b", "a"])),
    ///     ("v", Column::from(vec![1.0f64, 2.0, 3.0])),
    /// ])?;
    /// let plan = df.group_by([col("k")]).explain([col("v").sum(), (col("v") * lit(2.0)).mean()])?;
    /// assert!(plan.contains("2 groups"));
    /// assert!(plan.contains("text codes"));
    /// assert!(plan.contains("one keyed pass"));
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn explain(&self, exprs: impl IntoIterator<Item = Expr>) -> Result<String> {
        self.explain_with(exprs, &ExecOptions::default())
    }

    /// [`GroupBy::explain`] with explicit execution options.
    pub fn explain_with(
        &self,
        exprs: impl IntoIterator<Item = Expr>,
        options: &ExecOptions,
    ) -> Result<String> {
        let exprs: Vec<Expr> = exprs.into_iter().collect();
        let frame = self.frame;
        let (threads, key_frame) = self.key_step(options)?;
        let columns: Vec<_> = key_frame.columns().map(|(_, c)| c).collect();
        let groups = keys::group_rows(&columns, frame.height(), threads)?;
        let mut out = format!(
            "group_by over {} rows: {} groups, in order of first row; on the CPU\n",
            frame.height(),
            groups.len()
        );
        let mut names = key_frame.names().into_iter();
        for how in &groups.how {
            match how.strip_prefix("with the key before: ") {
                Some(combined) => out.push_str(&format!("  combined: {combined}\n")),
                None => {
                    let name = names.next().unwrap_or_default();
                    out.push_str(&format!("  key `{name}`: {how}\n"));
                }
            }
        }
        let leaves = leaves(&exprs);
        if !leaves.is_empty() {
            let names: Vec<String> = leaves
                .iter()
                .map(|l| match l.1 {
                    super::Agg::Reduce(op) => {
                        Expr::Reduce(op, std::sync::Arc::new(l.2.clone())).to_string()
                    }
                    super::Agg::Len => l.2.clone().len().to_string(),
                    super::Agg::NullCount => l.2.clone().null_count().to_string(),
                })
                .collect();
            out.push_str(&format!(
                "one keyed pass over the rows for {} reduction(s): {}\n",
                leaves.len(),
                names.join(", ")
            ));
            let (read, computed): (Vec<_>, Vec<_>) =
                leaves.iter().partition(|l| matches!(l.2, Expr::Column(_)));
            if !read.is_empty() {
                let mut names: Vec<String> = Vec::new();
                for l in &read {
                    if !names.contains(&l.3) {
                        names.push(l.3.clone());
                    }
                }
                let read = names;
                out.push_str(&format!(
                    "  read in place, a window at a time: {}\n",
                    read.join(", ")
                ));
            }
            if !computed.is_empty() {
                let computed: Vec<String> = computed.iter().map(|l| l.2.to_string()).collect();
                out.push_str(&format!(
                    "  computed per {}-row window in one select, never as whole columns: {}\n",
                    crate::cpu::CHUNK,
                    computed.join(", ")
                ));
            }
            out.push_str(&format!(
                "  blocks of {} rows on {threads} thread(s), one accumulator per slot ({} slots), merged in block order: the same bits on any thread count\n",
                super::reduce::block_rows(groups.height, groups.slots),
                groups.slots
            ));
        }
        let mut own = Vec::new();
        let mut stack: Vec<&Expr> = exprs.iter().collect();
        while let Some(e) = stack.pop() {
            if let Some((agg, operand)) = as_aggregate(e) {
                let key = format!("{e:?}");
                if !leaves.iter().any(|l| l.0 == key) {
                    own.push(match agg {
                        Aggregate::NUnique => {
                            format!("{e} (distinct (group, value) pairs, hashed)")
                        }
                        Aggregate::Keyed(_) => format!("{e} (its own pass)"),
                    });
                }
                stack.push(operand);
            } else {
                e.for_each_child(&mut |c| stack.push(c));
            }
        }
        if !own.is_empty() {
            out.push_str(&format!("then: {}\n", own.join("; ")));
        }
        Ok(out)
    }
}
