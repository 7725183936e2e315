//! The op table: every elementwise op and reduction swath knows, with its name, the dtypes it
//! takes and the dtype it gives. The scalar Rust function of each op lives in [`elem`]; the
//! backends call those and nothing else, so an op's meaning is written once.

pub mod elem;
pub mod fastmath;

use crate::dtype::DType;

/// Elementwise ops of one operand. Expressions build them with methods of the same name
/// ([`Expr::sqrt`](crate::Expr::sqrt) ...); the backends evaluate them with
/// [`Elem::unary`](elem::Elem::unary).
///
/// ```
/// use swath::DType;
/// use swath::ops::{UnaryKind, UnaryOp};
/// assert_eq!(UnaryOp::Sqrt.name(), "sqrt");
/// assert_eq!(UnaryOp::Sqrt.kind(), UnaryKind::Float);
/// assert_eq!(UnaryOp::Sqrt.signature(DType::I32), Ok((DType::F64, DType::F64)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x` (wrapping for integers).
    Neg,
    /// `|x|` (wrapping for the most negative integer).
    Abs,
    /// -1, 0 or 1 by the sign of `x` (NaN stays NaN, a float zero keeps its sign).
    Sign,
    /// Round toward negative infinity.
    Floor,
    /// Round toward positive infinity.
    Ceil,
    /// Round to the nearest integer, half to even.
    Round,
    /// Round toward zero.
    Trunc,
    /// Square root.
    Sqrt,
    /// Cube root.
    Cbrt,
    /// `e^x`.
    Exp,
    /// `2^x`.
    Exp2,
    /// Natural logarithm.
    Ln,
    /// Base-2 logarithm.
    Log2,
    /// Base-10 logarithm.
    Log10,
    /// `ln(1 + x)`, accurate near 0.
    Log1p,
    /// `e^x - 1`, accurate near 0.
    Expm1,
    /// Sine (radians).
    Sin,
    /// Cosine (radians).
    Cos,
    /// Tangent (radians).
    Tan,
    /// Arcsine.
    Asin,
    /// Arccosine.
    Acos,
    /// Arctangent.
    Atan,
    /// Hyperbolic sine.
    Sinh,
    /// Hyperbolic cosine.
    Cosh,
    /// Hyperbolic tangent.
    Tanh,
    /// Logical not of a bool.
    Not,
    /// Whether a number is NaN (always false for integers).
    IsNan,
    /// Whether a number is neither NaN nor infinite (always true for integers).
    IsFinite,
    /// A counter-based random number: a fixed 32-bit hash of the integer key, mapped to a
    /// uniform f32 in [0, 1). The same key gives the same number on every backend.
    Uniform,
}

/// How a unary op treats dtypes (see [`UnaryOp::kind`]).
///
/// ```
/// use swath::ops::{UnaryKind, UnaryOp};
/// assert_eq!(UnaryOp::Floor.kind(), UnaryKind::Numeric);
/// assert_eq!(UnaryOp::IsNan.kind(), UnaryKind::Predicate);
/// assert_eq!(UnaryOp::Uniform.kind(), UnaryKind::Random);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryKind {
    /// Any number, result of the same type (neg, abs, floor ...).
    Numeric,
    /// Float math: f32 stays f32, integers become f64 (as in numpy).
    Float,
    /// Bool in, bool out.
    Logical,
    /// Any number in, bool out.
    Predicate,
    /// An integer key (taken as u32, wrapping) in, f32 out.
    Random,
}

impl UnaryOp {
    /// Every unary op, in declaration order.
    ///
    /// ```
    /// use swath::ops::UnaryOp;
    /// assert_eq!(UnaryOp::ALL.len(), 29);
    /// assert_eq!(UnaryOp::ALL[0], UnaryOp::Neg);
    /// assert!(UnaryOp::ALL.contains(&UnaryOp::Uniform));
    /// ```
    pub const ALL: [UnaryOp; 29] = {
        use UnaryOp::*;
        [
            Neg, Abs, Sign, Floor, Ceil, Round, Trunc, Sqrt, Cbrt, Exp, Exp2, Ln, Log2, Log10,
            Log1p, Expm1, Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Tanh, Not, IsNan, IsFinite,
            Uniform,
        ]
    };

    /// The op's name, as expressions print it (`sqrt(x)`) and parse it.
    ///
    /// ```
    /// use swath::ops::UnaryOp;
    /// assert_eq!(UnaryOp::Log1p.name(), "log1p");
    /// assert_eq!(UnaryOp::IsNan.name(), "is_nan");
    /// ```
    pub fn name(self) -> &'static str {
        use UnaryOp::*;
        match self {
            Neg => "neg",
            Abs => "abs",
            Sign => "sign",
            Floor => "floor",
            Ceil => "ceil",
            Round => "round",
            Trunc => "trunc",
            Sqrt => "sqrt",
            Cbrt => "cbrt",
            Exp => "exp",
            Exp2 => "exp2",
            Ln => "ln",
            Log2 => "log2",
            Log10 => "log10",
            Log1p => "log1p",
            Expm1 => "expm1",
            Sin => "sin",
            Cos => "cos",
            Tan => "tan",
            Asin => "asin",
            Acos => "acos",
            Atan => "atan",
            Sinh => "sinh",
            Cosh => "cosh",
            Tanh => "tanh",
            Not => "not",
            IsNan => "is_nan",
            IsFinite => "is_finite",
            Uniform => "uniform",
        }
    }

    /// The op's dtype class, which decides [`UnaryOp::signature`].
    ///
    /// ```
    /// use swath::ops::{UnaryKind, UnaryOp};
    /// assert_eq!(UnaryOp::Abs.kind(), UnaryKind::Numeric);
    /// assert_eq!(UnaryOp::Exp.kind(), UnaryKind::Float);
    /// assert_eq!(UnaryOp::Not.kind(), UnaryKind::Logical);
    /// ```
    pub fn kind(self) -> UnaryKind {
        use UnaryOp::*;
        match self {
            Neg | Abs | Sign | Floor | Ceil | Round | Trunc => UnaryKind::Numeric,
            Not => UnaryKind::Logical,
            IsNan | IsFinite => UnaryKind::Predicate,
            Uniform => UnaryKind::Random,
            _ => UnaryKind::Float,
        }
    }

    /// (dtype the operand is cast to, dtype of the result), or an error message.
    ///
    /// ```
    /// use swath::DType;
    /// use swath::ops::UnaryOp;
    /// assert_eq!(UnaryOp::Neg.signature(DType::I32), Ok((DType::I32, DType::I32)));
    /// assert_eq!(UnaryOp::Sin.signature(DType::F32), Ok((DType::F32, DType::F32)));
    /// assert_eq!(UnaryOp::IsFinite.signature(DType::F64), Ok((DType::F64, DType::Bool)));
    /// assert_eq!(UnaryOp::Uniform.signature(DType::I64), Ok((DType::U32, DType::F32)));
    /// assert_eq!(UnaryOp::Sqrt.signature(DType::Bool), Err("`sqrt` does not take bool".into()));
    /// ```
    pub fn signature(self, input: DType) -> Result<(DType, DType), String> {
        let refuse = || Err(format!("`{}` does not take {input}", self.name()));
        match self.kind() {
            UnaryKind::Numeric if input.is_numeric() => Ok((input, input)),
            UnaryKind::Float if input.is_numeric() => Ok((input.float_of(), input.float_of())),
            UnaryKind::Logical if input == DType::Bool => Ok((input, input)),
            UnaryKind::Predicate if input.is_numeric() => Ok((input, DType::Bool)),
            UnaryKind::Random if input.is_integer() => Ok((DType::U32, DType::F32)),
            _ => refuse(),
        }
    }

    /// Relative cost per element, in units of one add, for the cost model.
    ///
    /// ```
    /// use swath::ops::UnaryOp;
    /// assert_eq!(UnaryOp::Neg.cost(), 1.0);
    /// assert_eq!(UnaryOp::Sqrt.cost(), 2.0);
    /// assert_eq!(UnaryOp::Sin.cost(), 20.0);
    /// ```
    pub fn cost(self) -> f64 {
        match self.kind() {
            UnaryKind::Float if self == UnaryOp::Sqrt => 2.0,
            UnaryKind::Float => 20.0,
            _ => 1.0,
        }
    }
}

/// Elementwise ops of two operands. Expressions build them with operators (`a + b`) and
/// methods ([`Expr::pow`](crate::Expr::pow), [`Expr::gt`](crate::Expr::gt) ...); the
/// backends evaluate them with [`Elem::binary`](elem::Elem::binary) and
/// [`Elem::compare`](elem::Elem::compare).
///
/// ```
/// use swath::DType;
/// use swath::ops::{BinaryKind, BinaryOp};
/// assert_eq!(BinaryOp::Add.name(), "+");
/// assert_eq!(BinaryOp::Lt.kind(), BinaryKind::Comparison);
/// assert_eq!(BinaryOp::Lt.signature(DType::I64), Ok((DType::I64, DType::Bool)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `a + b` (wrapping for integers).
    Add,
    /// `a - b` (wrapping for integers).
    Sub,
    /// `a * b` (wrapping for integers).
    Mul,
    /// `a / b`; integer division truncates toward zero and gives 0 for `x / 0`.
    Div,
    /// `a % b` with the dividend's sign; for integers `x % 0` is 0.
    Rem,
    /// `a` to the power `b` (float math).
    Pow,
    /// The four-quadrant arctangent of `a / b` (float math).
    Atan2,
    /// The smaller operand; NaN if either is NaN.
    Minimum,
    /// The larger operand; NaN if either is NaN.
    Maximum,
    /// `a == b`.
    Eq,
    /// `a != b`.
    Ne,
    /// `a < b`.
    Lt,
    /// `a <= b`.
    Le,
    /// `a > b`.
    Gt,
    /// `a >= b`.
    Ge,
    /// Logical and of two bools.
    And,
    /// Logical or of two bools.
    Or,
    /// Logical exclusive or of two bools.
    Xor,
}

/// How a binary op treats dtypes (see [`BinaryOp::kind`]).
///
/// ```
/// use swath::ops::{BinaryKind, BinaryOp};
/// assert_eq!(BinaryOp::Mul.kind(), BinaryKind::Arithmetic);
/// assert_eq!(BinaryOp::Pow.kind(), BinaryKind::Float);
/// assert_eq!(BinaryOp::Xor.kind(), BinaryKind::Logical);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryKind {
    /// Numbers of the promoted type in and out.
    Arithmetic,
    /// Float math; integers become f64.
    Float,
    /// Any two values of a common type in, bool out.
    Comparison,
    /// Bools in and out.
    Logical,
}

impl BinaryOp {
    /// Every binary op, in declaration order.
    ///
    /// ```
    /// use swath::ops::BinaryOp;
    /// assert_eq!(BinaryOp::ALL.len(), 18);
    /// assert_eq!(BinaryOp::ALL.iter().filter(|op| !op.is_infix()).count(), 4);
    /// ```
    pub const ALL: [BinaryOp; 18] = {
        use BinaryOp::*;
        [
            Add, Sub, Mul, Div, Rem, Pow, Atan2, Minimum, Maximum, Eq, Ne, Lt, Le, Gt, Ge, And, Or,
            Xor,
        ]
    };

    /// The op's symbol (`+`, `<=`, `&` ...) or, for ops written as calls, its name (`pow`).
    ///
    /// ```
    /// use swath::ops::BinaryOp;
    /// assert_eq!(BinaryOp::Le.name(), "<=");
    /// assert_eq!(BinaryOp::Atan2.name(), "atan2");
    /// ```
    pub fn name(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Rem => "%",
            Pow => "pow",
            Atan2 => "atan2",
            Minimum => "minimum",
            Maximum => "maximum",
            Eq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            And => "&",
            Or => "|",
            Xor => "^",
        }
    }

    /// Whether the op is written between its operands (`a + b`) or as a call (`pow(a, b)`).
    ///
    /// ```
    /// use swath::ops::BinaryOp;
    /// assert!(BinaryOp::Rem.is_infix());
    /// assert!(!BinaryOp::Maximum.is_infix());
    /// ```
    pub fn is_infix(self) -> bool {
        !matches!(
            self,
            BinaryOp::Pow | BinaryOp::Atan2 | BinaryOp::Minimum | BinaryOp::Maximum
        )
    }

    /// The op's dtype class, which decides [`BinaryOp::signature`].
    ///
    /// ```
    /// use swath::ops::{BinaryKind, BinaryOp};
    /// assert_eq!(BinaryOp::Minimum.kind(), BinaryKind::Arithmetic);
    /// assert_eq!(BinaryOp::Atan2.kind(), BinaryKind::Float);
    /// assert_eq!(BinaryOp::Ne.kind(), BinaryKind::Comparison);
    /// assert_eq!(BinaryOp::And.kind(), BinaryKind::Logical);
    /// ```
    pub fn kind(self) -> BinaryKind {
        use BinaryOp::*;
        match self {
            Add | Sub | Mul | Div | Rem | Minimum | Maximum => BinaryKind::Arithmetic,
            Pow | Atan2 => BinaryKind::Float,
            Eq | Ne | Lt | Le | Gt | Ge => BinaryKind::Comparison,
            And | Or | Xor => BinaryKind::Logical,
        }
    }

    /// (dtype both operands are cast to, dtype of the result) for operands already promoted
    /// to `common`, or an error message.
    ///
    /// ```
    /// use swath::DType;
    /// use swath::ops::BinaryOp;
    /// assert_eq!(BinaryOp::Div.signature(DType::I32), Ok((DType::I32, DType::I32)));
    /// assert_eq!(BinaryOp::Pow.signature(DType::I32), Ok((DType::F64, DType::F64)));
    /// assert_eq!(BinaryOp::Eq.signature(DType::Bool), Ok((DType::Bool, DType::Bool)));
    /// assert!(BinaryOp::Or.signature(DType::F32).is_err());
    /// ```
    pub fn signature(self, common: DType) -> Result<(DType, DType), String> {
        let ok = match self.kind() {
            BinaryKind::Arithmetic | BinaryKind::Float => common.is_numeric(),
            BinaryKind::Comparison => true,
            BinaryKind::Logical => common == DType::Bool,
        };
        if !ok {
            return Err(format!("`{}` does not take {common}", self.name()));
        }
        Ok(match self.kind() {
            BinaryKind::Arithmetic | BinaryKind::Logical => (common, common),
            BinaryKind::Float => (common.float_of(), common.float_of()),
            BinaryKind::Comparison => (common, DType::Bool),
        })
    }

    /// Relative cost per element, in units of one add, for the cost model.
    ///
    /// ```
    /// use swath::ops::BinaryOp;
    /// assert_eq!(BinaryOp::Add.cost(), 1.0);
    /// assert_eq!(BinaryOp::Div.cost(), 4.0);
    /// assert_eq!(BinaryOp::Pow.cost(), 30.0);
    /// ```
    pub fn cost(self) -> f64 {
        match self {
            BinaryOp::Pow | BinaryOp::Atan2 => 30.0,
            BinaryOp::Div | BinaryOp::Rem => 4.0,
            _ => 1.0,
        }
    }
}

/// Reductions: a column in, one value out. Expressions build them with
/// [`Expr::sum`](crate::Expr::sum), [`Expr::var`](crate::Expr::var) ...
///
/// ```
/// use swath::DType;
/// use swath::ops::ReduceOp;
/// assert_eq!(ReduceOp::Var(1).name(), "var");
/// assert_eq!(ReduceOp::Sum.signature(DType::I32), Ok((DType::I64, DType::I64)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// The sum (integers accumulate in i64, wrapping).
    Sum,
    /// The product (integers accumulate in i64, wrapping).
    Prod,
    /// The arithmetic mean.
    Mean,
    /// The smallest value (NaN if any value is NaN).
    Min,
    /// The largest value (NaN if any value is NaN).
    Max,
    /// The number of rows.
    Count,
    /// Variance with `ddof` delta degrees of freedom (divisor n - ddof).
    Var(u8),
    /// Standard deviation with `ddof`.
    Std(u8),
    /// The row of the smallest value: the first such row, or the first NaN's.
    ArgMin,
    /// The row of the largest value: the first such row, or the first NaN's.
    ArgMax,
    /// Whether any bool is true (false over no rows).
    Any,
    /// Whether every bool is true (true over no rows).
    All,
}

impl ReduceOp {
    /// The reduction's name, as expressions print it (`sum(x)`).
    ///
    /// ```
    /// use swath::ops::ReduceOp;
    /// assert_eq!(ReduceOp::ArgMax.name(), "argmax");
    /// assert_eq!(ReduceOp::Std(0).name(), "std");
    /// ```
    pub fn name(self) -> &'static str {
        use ReduceOp::*;
        match self {
            Sum => "sum",
            Prod => "prod",
            Mean => "mean",
            Min => "min",
            Max => "max",
            Count => "count",
            Var(_) => "var",
            Std(_) => "std",
            ArgMin => "argmin",
            ArgMax => "argmax",
            Any => "any",
            All => "all",
        }
    }

    /// (dtype the input is cast to before accumulating, dtype of the result), or an error.
    /// Sums of integers accumulate in i64; variance in f64 whatever the input.
    ///
    /// ```
    /// use swath::DType;
    /// use swath::ops::ReduceOp;
    /// assert_eq!(ReduceOp::Mean.signature(DType::F32), Ok((DType::F32, DType::F32)));
    /// assert_eq!(ReduceOp::Mean.signature(DType::I32), Ok((DType::F64, DType::F64)));
    /// assert_eq!(ReduceOp::Var(1).signature(DType::F32), Ok((DType::F64, DType::F32)));
    /// assert_eq!(ReduceOp::ArgMin.signature(DType::U32), Ok((DType::U32, DType::I64)));
    /// assert!(ReduceOp::Any.signature(DType::I32).is_err());
    /// ```
    pub fn signature(self, input: DType) -> Result<(DType, DType), String> {
        use DType::*;
        use ReduceOp::*;
        let refuse = || Err(format!("`{}` does not take {input}", self.name()));
        match self {
            Count => Ok((input, I64)),
            Any | All if input == Bool => Ok((Bool, Bool)),
            Any | All => refuse(),
            Min | Max => Ok((input, input)),
            ArgMin | ArgMax => Ok((input, I64)),
            Sum | Prod => Ok(match input {
                F32 | F64 => (input, input),
                _ => (I64, I64),
            }),
            Mean => Ok(match input {
                F32 => (F32, F32),
                _ => (F64, F64),
            }),
            Var(_) | Std(_) => Ok((F64, if input == F32 { F32 } else { F64 })),
        }
    }
}
