//! The op table: every elementwise op and reduction swath knows, with its name, the dtypes it
//! takes and the dtype it gives. The scalar Rust function of each op lives in [`elem`]; the
//! backends call those and nothing else, so an op's meaning is written once.

pub mod elem;
pub mod fastmath;

use crate::dtype::DType;

/// Elementwise ops of one operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Neg,
    Abs,
    Sign,
    Floor,
    Ceil,
    Round,
    Trunc,
    Sqrt,
    Cbrt,
    Exp,
    Exp2,
    Ln,
    Log2,
    Log10,
    Log1p,
    Expm1,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Not,
    IsNan,
    IsFinite,
    /// A counter-based random number: a fixed 32-bit hash of the integer key, mapped to a
    /// uniform f32 in [0, 1). The same key gives the same number on every backend.
    Uniform,
}

/// How a unary op treats dtypes.
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
    pub const ALL: [UnaryOp; 29] = {
        use UnaryOp::*;
        [
            Neg, Abs, Sign, Floor, Ceil, Round, Trunc, Sqrt, Cbrt, Exp, Exp2, Ln, Log2, Log10,
            Log1p, Expm1, Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Tanh, Not, IsNan, IsFinite,
            Uniform,
        ]
    };

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
    pub fn cost(self) -> f64 {
        match self.kind() {
            UnaryKind::Float if self == UnaryOp::Sqrt => 2.0,
            UnaryKind::Float => 20.0,
            _ => 1.0,
        }
    }
}

/// Elementwise ops of two operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    Atan2,
    Minimum,
    Maximum,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Xor,
}

/// How a binary op treats dtypes.
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
    pub const ALL: [BinaryOp; 18] = {
        use BinaryOp::*;
        [
            Add, Sub, Mul, Div, Rem, Pow, Atan2, Minimum, Maximum, Eq, Ne, Lt, Le, Gt, Ge, And, Or,
            Xor,
        ]
    };

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
    pub fn is_infix(self) -> bool {
        !matches!(
            self,
            BinaryOp::Pow | BinaryOp::Atan2 | BinaryOp::Minimum | BinaryOp::Maximum
        )
    }

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

    pub fn cost(self) -> f64 {
        match self {
            BinaryOp::Pow | BinaryOp::Atan2 => 30.0,
            BinaryOp::Div | BinaryOp::Rem => 4.0,
            _ => 1.0,
        }
    }
}

/// Reductions: a column in, one value out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    Sum,
    Prod,
    Mean,
    Min,
    Max,
    Count,
    /// Variance with `ddof` delta degrees of freedom (divisor n - ddof).
    Var(u8),
    /// Standard deviation with `ddof`.
    Std(u8),
    ArgMin,
    ArgMax,
    Any,
    All,
}

impl ReduceOp {
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
