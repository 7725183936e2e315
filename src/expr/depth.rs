//! Expressions of any depth: how deeply one nests, and dropping, comparing and debug-printing
//! one without overflowing the stack.
//!
//! The planner, the printer and the parser walk an expression recursively, several stack
//! frames per level (about 8 KiB per level in a debug build: a 2 MiB thread stack held 200
//! levels). A program can build an expression of any depth (a fold over many terms, or
//! `parse` of a long `a+a+...+a`), so those walks grow the stack on demand (the `recursive`
//! crate, as Polars does), and the planner refuses an expression deeper than [`MAX_DEPTH`]
//! with an error, which bounds the memory that costs. Dropping recurses only 256 levels deep,
//! then goes on from a worklist: the derived drop of nested `Arc`s would recurse once per
//! level on the caller's stack. `Debug` and `PartialEq` are written here rather than derived
//! for the same reason: they grow the stack as needed.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use super::Expr;

/// The deepest expression the planner accepts and the printer prints: far beyond expressions
/// people write (a sum of 1,000 columns folded left is 1,000 deep), and small enough that
/// the stack its walks grow stays bounded.
pub const MAX_DEPTH: usize = 10_000;

impl Expr {
    /// Calls `f` on each direct operand (for a loop: the states' initial values and updates,
    /// and its condition).
    pub(crate) fn for_each_child<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        match self {
            Expr::Column(_)
            | Expr::Literal(_)
            | Expr::Text(_)
            | Expr::RowIndex
            | Expr::LoopState(_) => {}
            Expr::Unary(_, a)
            | Expr::Cast(_, a)
            | Expr::Reduce(_, a)
            | Expr::Alias(a, _)
            | Expr::Nulls(_, a) => f(a),
            Expr::Binary(_, a, b) | Expr::FillNull(a, b) => {
                f(a);
                f(b);
            }
            Expr::Select {
                cond,
                then,
                otherwise,
            } => {
                f(cond);
                f(then);
                f(otherwise);
            }
            Expr::Loop(spec, _) => {
                for state in &spec.states {
                    state.init.iter().chain(&state.update).for_each(&mut *f);
                }
                spec.cond.iter().for_each(f);
            }
        }
    }

    /// The number of nodes on the longest path from this one down to a leaf: 1 for a column
    /// or literal. Computed without recursion, each shared operand once.
    ///
    /// ```
    /// use swath::prelude::*;
    /// assert_eq!(col("a").depth(), 1);
    /// assert_eq!((col("a") + lit(1.0)).sqrt().depth(), 3);
    /// let mut e = col("a");
    /// for _ in 0..100_000 {
    ///     e = e + lit(1.0);
    /// }
    /// assert_eq!(e.depth(), 100_001);
    /// let df = Frame::new([("a", Column::from(vec![1.0f64]))])?;
    /// assert!(df.select([e]).is_err()); // deeper than `MAX_DEPTH`
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn depth(&self) -> usize {
        // Most expressions are a few levels deep: measure those directly, without allocating
        // (every select measures its expressions); fall back to the general walk past 64
        // levels or 4,096 nodes visited.
        let mut budget = 4_096;
        if let Some(depth) = shallow_depth(self, 0, &mut budget) {
            return depth;
        }
        let mut done: HashMap<*const Expr, usize> = HashMap::new();
        let mut stack: Vec<(&Expr, bool)> = vec![(self, false)];
        while let Some((e, children_done)) = stack.pop() {
            let key = e as *const Expr;
            if done.contains_key(&key) {
                continue;
            }
            if children_done {
                let mut deepest = 0;
                e.for_each_child(&mut |c| {
                    deepest = deepest.max(done.get(&(c as *const Expr)).copied().unwrap_or(0))
                });
                done.insert(key, deepest + 1);
            } else {
                stack.push((e, true));
                e.for_each_child(&mut |c| stack.push((c, false)));
            }
        }
        done.get(&(self as *const Expr)).copied().unwrap_or(1)
    }

    /// Hands `f` each of this node's `Arc` operands that nothing else holds, leaving a shared
    /// leaf in its place (a shared operand only loses a count when this node drops).
    fn for_each_unique_operand(&mut self, f: &mut dyn FnMut(Arc<Expr>)) {
        let mut take = |a: &mut Arc<Expr>| {
            if Arc::strong_count(a) == 1 && Arc::weak_count(a) == 0 {
                f(std::mem::replace(a, LEAF.clone()));
            }
        };
        match self {
            Expr::Column(_)
            | Expr::Literal(_)
            | Expr::Text(_)
            | Expr::RowIndex
            | Expr::LoopState(_)
            | Expr::Loop(..) => {}
            Expr::Unary(_, a)
            | Expr::Cast(_, a)
            | Expr::Reduce(_, a)
            | Expr::Alias(a, _)
            | Expr::Nulls(_, a) => take(a),
            Expr::Binary(_, a, b) | Expr::FillNull(a, b) => {
                take(a);
                take(b);
            }
            Expr::Select {
                cond,
                then,
                otherwise,
            } => {
                take(cond);
                take(then);
                take(otherwise);
            }
        }
    }
}

/// The depth of `e` by direct recursion, if it is at most 64 levels below `level` and the
/// walk visits at most `budget` nodes (a shared operand is visited once per use).
fn shallow_depth(e: &Expr, level: usize, budget: &mut usize) -> Option<usize> {
    if level > 64 || *budget == 0 {
        return None;
    }
    *budget -= 1;
    let mut deepest = Some(0);
    e.for_each_child(&mut |c| {
        deepest = match (deepest, shallow_depth(c, level + 1, budget)) {
            (Some(d), Some(c)) => Some(d.max(c)),
            _ => None,
        }
    });
    deepest.map(|d| d + 1)
}

/// What a dropped node's operands are replaced with: one shared leaf, so taking them costs no
/// allocation.
static LEAF: LazyLock<Arc<Expr>> = LazyLock::new(|| Arc::new(Expr::RowIndex));

thread_local! {
    /// How many `Expr` drops are nested on this thread's stack right now.
    static DROPS_NESTED: Cell<usize> = const { Cell::new(0) };
}

/// Drops nested deeper than this go through a worklist instead of the stack.
const DROP_RECURSION: usize = 256;

/// Drops the operands held by no one else. A shallow tree (the usual case: every select drops
/// its expressions) drops them right here, recursively, without allocating; past
/// [`DROP_RECURSION`] nested drops the rest go one by one through a worklist, so a chain of
/// any length drops in bounded stack (a loop's own expressions drop through its `LoopSpec`,
/// each of them by this same rule).
impl Drop for Expr {
    fn drop(&mut self) {
        let nested = DROPS_NESTED.try_with(Cell::get).unwrap_or(usize::MAX);
        if nested < DROP_RECURSION {
            let _ = DROPS_NESTED.try_with(|n| n.set(nested + 1));
            self.for_each_unique_operand(&mut |operand| drop(operand));
            let _ = DROPS_NESTED.try_with(|n| n.set(nested));
            return;
        }
        let mut pending = Vec::new();
        self.for_each_unique_operand(&mut |operand| pending.push(operand));
        while let Some(operand) = pending.pop() {
            if let Some(mut node) = Arc::into_inner(operand) {
                node.for_each_unique_operand(&mut |operand| pending.push(operand));
            }
        }
    }
}

/// `==` compares structure, as a derived `PartialEq` would (a NaN literal differs from
/// itself), on a stack grown as needed: a derived one recursed on the caller's stack.
impl PartialEq for Expr {
    #[recursive::recursive]
    fn eq(&self, other: &Expr) -> bool {
        match (self, other) {
            (Expr::Column(a), Expr::Column(b)) => a == b,
            (Expr::Literal(a), Expr::Literal(b)) => a == b,
            (Expr::Text(a), Expr::Text(b)) => a == b,
            (Expr::Unary(o, a), Expr::Unary(p, b)) => o == p && a == b,
            (Expr::Binary(o, a1, a2), Expr::Binary(p, b1, b2)) => o == p && a1 == b1 && a2 == b2,
            (
                Expr::Select {
                    cond: c1,
                    then: t1,
                    otherwise: e1,
                },
                Expr::Select {
                    cond: c2,
                    then: t2,
                    otherwise: e2,
                },
            ) => c1 == c2 && t1 == t2 && e1 == e2,
            (Expr::Cast(d, a), Expr::Cast(e, b)) => d == e && a == b,
            (Expr::Reduce(o, a), Expr::Reduce(p, b)) => o == p && a == b,
            (Expr::Alias(a, n), Expr::Alias(b, m)) => n == m && a == b,
            (Expr::RowIndex, Expr::RowIndex) => true,
            (Expr::LoopState(a), Expr::LoopState(b)) => a == b,
            (Expr::Loop(s, o), Expr::Loop(t, p)) => o == p && s == t,
            (Expr::Nulls(o, a), Expr::Nulls(p, b)) => o == p && a == b,
            (Expr::FillNull(a1, a2), Expr::FillNull(b1, b2)) => a1 == b1 && a2 == b2,
            _ => false,
        }
    }
}

/// Prints as a derived `Debug` would, on a stack grown as needed.
impl std::fmt::Debug for Expr {
    #[recursive::recursive]
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expr::Column(name) => f.debug_tuple("Column").field(name).finish(),
            Expr::Literal(value) => f.debug_tuple("Literal").field(value).finish(),
            Expr::Text(text) => f.debug_tuple("Text").field(text).finish(),
            Expr::Unary(op, a) => f.debug_tuple("Unary").field(op).field(a).finish(),
            Expr::Binary(op, a, b) => f.debug_tuple("Binary").field(op).field(a).field(b).finish(),
            Expr::Select {
                cond,
                then,
                otherwise,
            } => f
                .debug_struct("Select")
                .field("cond", cond)
                .field("then", then)
                .field("otherwise", otherwise)
                .finish(),
            Expr::Cast(dtype, a) => f.debug_tuple("Cast").field(dtype).field(a).finish(),
            Expr::Reduce(op, a) => f.debug_tuple("Reduce").field(op).field(a).finish(),
            Expr::Alias(a, name) => f.debug_tuple("Alias").field(a).field(name).finish(),
            Expr::RowIndex => f.write_str("RowIndex"),
            Expr::LoopState(name) => f.debug_tuple("LoopState").field(name).finish(),
            Expr::Loop(spec, output) => f.debug_tuple("Loop").field(spec).field(output).finish(),
            Expr::Nulls(op, a) => f.debug_tuple("Nulls").field(op).field(a).finish(),
            Expr::FillNull(a, b) => f.debug_tuple("FillNull").field(a).field(b).finish(),
        }
    }
}
