//! Every elementwise op and reduction swath knows, with its names, the dtypes it takes and the
//! dtype it gives. The elementwise ops are declared once, in the op table
//! (`src/ops/table.rs`); this module generates the enums and their lookups from it. The scalar Rust function of each op
//! lives in [`elem`]; the backends call those and nothing else, so an op's meaning is written
//! once.

pub mod elem;
pub mod fastmath;
pub mod moments;
pub mod reduce;
mod table;

pub(crate) use table::{binary_table, unary_table};

use crate::dtype::DType;

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
    /// Bool in, bool out (logical not); an integer in, the same type out (bitwise not).
    Logical,
    /// Any number in, bool out.
    Predicate,
    /// An integer key (taken as u32, wrapping) in, f32 out.
    Random,
}

/// What an op costs per element on the CPU, as the cost model counts it.
///
/// ```
/// use swath::DType;
/// use swath::ops::{CostClass, UnaryOp};
/// assert_eq!(UnaryOp::Abs.cost_class(DType::F32), CostClass::Cheap);
/// assert_eq!(UnaryOp::Exp.cost_class(DType::F32), CostClass::Vector);
/// assert_eq!(UnaryOp::Exp.cost_class(DType::F64), CostClass::Libm);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostClass {
    /// One vector instruction or a few (add, compare, select ...).
    Cheap,
    /// A square root: a vector instruction about twice an add's cost.
    Sqrt,
    /// A vectorized polynomial (swath's f32 exp, ln, sin and cos).
    Vector,
    /// A library call per element.
    Libm,
}

/// The cost class a math row declares, for an op computed in `dtype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MathCost {
    Cheap,
    Sqrt,
    /// Vectorized in f32, a library call in f64.
    VectorF32,
    Libm,
}

impl MathCost {
    const fn class(self, dtype: DType) -> CostClass {
        match self {
            MathCost::Cheap => CostClass::Cheap,
            MathCost::Sqrt => CostClass::Sqrt,
            MathCost::VectorF32 if matches!(dtype, DType::F32) => CostClass::Vector,
            MathCost::VectorF32 | MathCost::Libm => CostClass::Libm,
        }
    }
}

/// Generates [`UnaryOp`] and its lookups from the table's rows.
macro_rules! define_unary {
    (
        structural { $($sv:ident $sm:ident [$($sa:literal),*] $sk:ident $sdoc:literal,)* }
        math { $($mv:ident $mm:ident [$($ma:literal),*] $mc:ident ($f32:expr) ($f64:expr)
               $g32:literal $g64:literal $mdoc:literal,)* }
    ) => {
        /// Elementwise ops of one operand, declared in the op table (`src/ops/table.rs`).
        /// Expressions build them with methods of the same name ([`Expr::sqrt`](crate::Expr::sqrt)
        /// ...); the backends evaluate them with [`Elem::unary`](elem::Elem::unary).
        ///
        /// ```
        /// use swath::DType;
        /// use swath::ops::{UnaryKind, UnaryOp};
        /// assert_eq!(UnaryOp::Sqrt.name(), "sqrt");
        /// assert_eq!(UnaryOp::Sqrt.kind(), UnaryKind::Float);
        /// assert_eq!(UnaryOp::Sqrt.signature(DType::I32), Ok((DType::F64, DType::F64)));
        /// assert_eq!(UnaryOp::from_name("arcsinh"), Some(UnaryOp::Asinh));
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum UnaryOp {
            $(#[doc = $sdoc] $sv,)*
            $(#[doc = $mdoc] $mv,)*
        }

        impl UnaryOp {
            /// Every unary op, in table order.
            ///
            /// ```
            /// use swath::ops::UnaryOp;
            /// assert_eq!(UnaryOp::ALL[0], UnaryOp::Neg);
            /// assert!(UnaryOp::ALL.contains(&UnaryOp::Erf));
            /// ```
            pub const ALL: &'static [UnaryOp] = &[$(UnaryOp::$sv,)* $(UnaryOp::$mv,)*];

            /// The op's name, as expressions print it (`x.sqrt()`) and parse it (`sqrt(x)`).
            ///
            /// ```
            /// use swath::ops::UnaryOp;
            /// assert_eq!(UnaryOp::Log1p.name(), "log1p");
            /// assert_eq!(UnaryOp::IsNan.name(), "is_nan");
            /// ```
            pub const fn name(self) -> &'static str {
                match self {
                    $(UnaryOp::$sv => stringify!($sm),)*
                    $(UnaryOp::$mv => stringify!($mm),)*
                }
            }

            /// The other names the parser accepts (numpy's and numexpr's).
            ///
            /// ```
            /// use swath::ops::UnaryOp;
            /// assert_eq!(UnaryOp::Atanh.aliases(), ["arctanh"]);
            /// ```
            pub const fn aliases(self) -> &'static [&'static str] {
                match self {
                    $(UnaryOp::$sv => &[$($sa),*],)*
                    $(UnaryOp::$mv => &[$($ma),*],)*
                }
            }

            /// The op called `name` (its name or an alias).
            ///
            /// ```
            /// use swath::ops::UnaryOp;
            /// assert_eq!(UnaryOp::from_name("log"), Some(UnaryOp::Ln));
            /// assert_eq!(UnaryOp::from_name("isinf"), Some(UnaryOp::IsInf));
            /// assert_eq!(UnaryOp::from_name("frobnicate"), None);
            /// ```
            pub fn from_name(name: &str) -> Option<UnaryOp> {
                UnaryOp::ALL
                    .iter()
                    .copied()
                    .find(|op| op.name() == name || op.aliases().contains(&name))
            }

            /// The op's dtype class, which decides [`UnaryOp::signature`].
            ///
            /// ```
            /// use swath::ops::{UnaryKind, UnaryOp};
            /// assert_eq!(UnaryOp::Abs.kind(), UnaryKind::Numeric);
            /// assert_eq!(UnaryOp::Exp.kind(), UnaryKind::Float);
            /// assert_eq!(UnaryOp::Not.kind(), UnaryKind::Logical);
            /// ```
            pub const fn kind(self) -> UnaryKind {
                match self {
                    $(UnaryOp::$sv => UnaryKind::$sk,)*
                    $(UnaryOp::$mv => UnaryKind::Float,)*
                }
            }

            /// What the op costs per element when computed in `dtype`.
            pub const fn cost_class(self, dtype: DType) -> CostClass {
                match self {
                    $(UnaryOp::$sv => CostClass::Cheap,)*
                    $(UnaryOp::$mv => MathCost::$mc.class(dtype),)*
                }
            }

            /// The WGSL function computing the op in `dtype` (f32 or f64), for math ops the
            /// GPU has; `None` for structural ops (the code generator writes them per dtype)
            /// and for math ops the GPU lacks in that precision.
            ///
            /// ```
            /// use swath::DType;
            /// use swath::ops::UnaryOp;
            /// assert_eq!(UnaryOp::Sqrt.wgsl(DType::F64), Some("sqrt_f64"));
            /// assert_eq!(UnaryOp::Sin.wgsl(DType::F64), None);
            /// ```
            pub fn wgsl(self, dtype: DType) -> Option<&'static str> {
                let name = match (self, dtype) {
                    $((UnaryOp::$mv, DType::F32) => $g32,)*
                    $((UnaryOp::$mv, DType::F64) => $g64,)*
                    _ => "",
                };
                (!name.is_empty()).then_some(name)
            }
        }

        /// The math ops' scalar functions, per float type.
        impl elem::MathFns for f32 {
            #[inline(always)]
            fn math_unary(op: UnaryOp, x: f32) -> f32 {
                match op {
                    $(UnaryOp::$mv => ($f32)(x),)*
                    _ => x,
                }
            }
        }
        impl elem::MathFns for f64 {
            #[inline(always)]
            fn math_unary(op: UnaryOp, x: f64) -> f64 {
                match op {
                    $(UnaryOp::$mv => ($f64)(x),)*
                    _ => x,
                }
            }
        }

    };
}
unary_table!(define_unary);

/// How a binary op treats dtypes (see [`BinaryOp::kind`]).
///
/// ```
/// use swath::ops::{BinaryKind, BinaryOp};
/// assert_eq!(BinaryOp::Mul.kind(), BinaryKind::Arithmetic);
/// assert_eq!(BinaryOp::Pow.kind(), BinaryKind::Float);
/// assert_eq!(BinaryOp::Xor.kind(), BinaryKind::Bitwise);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryKind {
    /// Numbers of the promoted type in and out.
    Arithmetic,
    /// Float math; integers become f64.
    Float,
    /// Any two values of a common type in, bool out.
    Comparison,
    /// Bools (logical) or integers (bitwise) of the promoted type in and out.
    Bitwise,
    /// Integers of the promoted type in and out.
    Shift,
}

/// An infix operator's precedence level in the parser, loosest first (see
/// [`BinaryOp::level`]). Python's order, except that `| ^ &` sit below comparisons (as in
/// numexpr's and pandas' query strings), so `a < b & b < c` is `(a < b) & (b < c)`; shifts sit
/// between comparisons and `+ -`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `|` (and the keyword `or`).
    Or,
    /// `^`.
    Xor,
    /// `&` (and the keyword `and`).
    And,
    /// `== != < <= > >=` (not chained).
    Compare,
    /// `<< >>`.
    Shift,
    /// `+ -`.
    Sum,
    /// `* / // %`.
    Product,
}

impl Level {
    /// Every level, loosest first.
    pub const ALL: [Level; 7] = [
        Level::Or,
        Level::Xor,
        Level::And,
        Level::Compare,
        Level::Shift,
        Level::Sum,
        Level::Product,
    ];
}

/// A row's `Level` column: `None` for ops written as calls.
macro_rules! level_of {
    (None) => {
        None
    };
    ($level:ident) => {
        Some(Level::$level)
    };
}

/// How a binary op is written (see the table's docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Infix,
    Method,
    Call,
}

/// Generates [`BinaryOp`] and its lookups from the table's rows.
macro_rules! define_binary {
    (
        structural { $($sv:ident $sm:ident $sym:literal [$($sa:literal),*] $sk:ident $st:ident
                       $sp:ident $sdoc:literal,)* }
        math { $($mv:ident $mm:ident [$($ma:literal),*] $mc:ident ($f32:expr) ($f64:expr)
               $g32:literal $g64:literal $mdoc:literal,)* }
    ) => {
        /// Elementwise ops of two operands, declared in the op table (`src/ops/table.rs`).
        /// Expressions build them with operators (`a + b`) and methods
        /// ([`Expr::pow`](crate::Expr::pow), [`Expr::gt`](crate::Expr::gt) ...); the backends
        /// evaluate them with [`Elem::binary`](elem::Elem::binary) and
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
            $(#[doc = $sdoc] $sv,)*
            $(#[doc = $mdoc] $mv,)*
        }

        impl BinaryOp {
            /// Every binary op, in table order.
            ///
            /// ```
            /// use swath::ops::BinaryOp;
            /// assert_eq!(BinaryOp::ALL[0], BinaryOp::Add);
            /// assert!(BinaryOp::ALL.contains(&BinaryOp::Hypot));
            /// ```
            pub const ALL: &'static [BinaryOp] = &[$(BinaryOp::$sv,)* $(BinaryOp::$mv,)*];

            /// The op's Rust method name (`floor_div`, `pow`; `add` for `+`).
            ///
            /// ```
            /// use swath::ops::BinaryOp;
            /// assert_eq!(BinaryOp::FloorDiv.method(), "floor_div");
            /// ```
            pub const fn method(self) -> &'static str {
                match self {
                    $(BinaryOp::$sv => stringify!($sm),)*
                    $(BinaryOp::$mv => stringify!($mm),)*
                }
            }

            /// The operator the parser reads (`+`, `//`, `<<`), if the op has one.
            ///
            /// ```
            /// use swath::ops::BinaryOp;
            /// assert_eq!(BinaryOp::FloorDiv.symbol(), Some("//"));
            /// assert_eq!(BinaryOp::Pow.symbol(), None); // `**` is parsed by the grammar
            /// ```
            pub fn symbol(self) -> Option<&'static str> {
                let symbol = match self {
                    $(BinaryOp::$sv => $sym,)*
                    $(BinaryOp::$mv => "",)*
                };
                (!symbol.is_empty()).then_some(symbol)
            }

            /// The operator's precedence level in the parser (`None` for ops written as
            /// calls).
            ///
            /// ```
            /// use swath::ops::{BinaryOp, Level};
            /// assert_eq!(BinaryOp::FloorDiv.level(), Some(Level::Product));
            /// assert!(BinaryOp::Shl.level() < BinaryOp::Add.level());
            /// assert_eq!(BinaryOp::Hypot.level(), None);
            /// ```
            pub fn level(self) -> Option<Level> {
                match self {
                    $(BinaryOp::$sv => level_of!($sp),)*
                    $(BinaryOp::$mv => None,)*
                }
            }

            fn style(self) -> Style {
                match self {
                    $(BinaryOp::$sv => Style::$st,)*
                    $(BinaryOp::$mv => Style::Call,)*
                }
            }

            /// Names the parser accepts as a call of two arguments (`remainder(a, b)`), besides
            /// the method name of ops written as calls.
            ///
            /// ```
            /// use swath::ops::BinaryOp;
            /// assert_eq!(BinaryOp::Atan2.aliases(), ["arctan2"]);
            /// ```
            pub const fn aliases(self) -> &'static [&'static str] {
                match self {
                    $(BinaryOp::$sv => &[$($sa),*],)*
                    $(BinaryOp::$mv => &[$($ma),*],)*
                }
            }

            /// The op's dtype class, which decides [`BinaryOp::signature`].
            ///
            /// ```
            /// use swath::ops::{BinaryKind, BinaryOp};
            /// assert_eq!(BinaryOp::Minimum.kind(), BinaryKind::Arithmetic);
            /// assert_eq!(BinaryOp::Atan2.kind(), BinaryKind::Float);
            /// assert_eq!(BinaryOp::Ne.kind(), BinaryKind::Comparison);
            /// assert_eq!(BinaryOp::Shl.kind(), BinaryKind::Shift);
            /// ```
            pub const fn kind(self) -> BinaryKind {
                match self {
                    $(BinaryOp::$sv => BinaryKind::$sk,)*
                    $(BinaryOp::$mv => BinaryKind::Float,)*
                }
            }

            /// What the op costs per element when computed in `dtype`: float `//`, `%` and
            /// `fmod` call the library's fmod per element.
            ///
            /// ```
            /// use swath::DType;
            /// use swath::ops::{BinaryOp, CostClass};
            /// assert_eq!(BinaryOp::Rem.cost_class(DType::I32), CostClass::Cheap);
            /// assert_eq!(BinaryOp::Rem.cost_class(DType::F64), CostClass::Libm);
            /// assert_eq!(BinaryOp::Hypot.cost_class(DType::F32), CostClass::Libm);
            /// ```
            pub const fn cost_class(self, dtype: DType) -> CostClass {
                match self {
                    BinaryOp::FloorDiv | BinaryOp::Rem | BinaryOp::Fmod
                        if matches!(dtype, DType::F32 | DType::F64) =>
                    {
                        CostClass::Libm
                    }
                    $(BinaryOp::$sv => CostClass::Cheap,)*
                    $(BinaryOp::$mv => MathCost::$mc.class(dtype),)*
                }
            }

            /// The WGSL function computing a math op in `dtype` (f32 or f64); `None` for
            /// structural ops and where the GPU lacks it (see [`UnaryOp::wgsl`]).
            pub fn wgsl(self, dtype: DType) -> Option<&'static str> {
                let name = match (self, dtype) {
                    $((BinaryOp::$mv, DType::F32) => $g32,)*
                    $((BinaryOp::$mv, DType::F64) => $g64,)*
                    _ => "",
                };
                (!name.is_empty()).then_some(name)
            }
        }

        impl elem::MathFns2 for f32 {
            #[inline(always)]
            fn math_binary(op: BinaryOp, x: f32, y: f32) -> f32 {
                match op {
                    $(BinaryOp::$mv => ($f32)(x, y),)*
                    _ => x,
                }
            }
        }
        impl elem::MathFns2 for f64 {
            #[inline(always)]
            fn math_binary(op: BinaryOp, x: f64, y: f64) -> f64 {
                match op {
                    $(BinaryOp::$mv => ($f64)(x, y),)*
                    _ => x,
                }
            }
        }
    };
}
binary_table!(define_binary);

impl UnaryOp {
    /// (dtype the operand is cast to, dtype of the result), or an error message.
    ///
    /// ```
    /// use swath::DType;
    /// use swath::ops::UnaryOp;
    /// assert_eq!(UnaryOp::Neg.signature(DType::I32), Ok((DType::I32, DType::I32)));
    /// assert_eq!(UnaryOp::Sin.signature(DType::F32), Ok((DType::F32, DType::F32)));
    /// assert_eq!(UnaryOp::IsFinite.signature(DType::F64), Ok((DType::F64, DType::Bool)));
    /// assert_eq!(UnaryOp::Not.signature(DType::U32), Ok((DType::U32, DType::U32)));
    /// assert_eq!(UnaryOp::Uniform.signature(DType::I64), Ok((DType::U32, DType::F32)));
    /// assert_eq!(UnaryOp::Sqrt.signature(DType::Bool), Err("`sqrt` does not take bool".into()));
    /// ```
    pub fn signature(self, input: DType) -> Result<(DType, DType), String> {
        let refuse = || Err(format!("`{}` does not take {input}", self.name()));
        match self.kind() {
            UnaryKind::Numeric if input.is_numeric() => Ok((input, input)),
            UnaryKind::Float if input.is_numeric() => Ok((input.float_of(), input.float_of())),
            UnaryKind::Logical if input == DType::Bool || input.is_integer() => Ok((input, input)),
            UnaryKind::Predicate if input.is_numeric() => Ok((input, DType::Bool)),
            UnaryKind::Random if input.is_integer() => Ok((DType::U32, DType::F32)),
            _ => refuse(),
        }
    }
}

impl BinaryOp {
    /// The op's name: its operator for ops Rust writes between operands (`+`, `<=`, `&`),
    /// else its method name (`floor_div`, `pow`). Expressions print with it.
    ///
    /// ```
    /// use swath::ops::BinaryOp;
    /// assert_eq!(BinaryOp::Le.name(), "<=");
    /// assert_eq!(BinaryOp::Atan2.name(), "atan2");
    /// assert_eq!(BinaryOp::FloorDiv.name(), "floor_div");
    /// ```
    pub fn name(self) -> &'static str {
        match (self.style(), self.symbol()) {
            (Style::Infix, Some(symbol)) => symbol,
            _ => self.method(),
        }
    }

    /// Whether Rust writes the op between its operands (`a + b`) rather than as a method
    /// (`a.pow(b)`).
    ///
    /// ```
    /// use swath::ops::BinaryOp;
    /// assert!(BinaryOp::Rem.is_infix());
    /// assert!(!BinaryOp::Maximum.is_infix());
    /// assert!(!BinaryOp::FloorDiv.is_infix()); // `a // b` parses, but Rust has no `//`
    /// ```
    pub fn is_infix(self) -> bool {
        self.style() == Style::Infix
    }

    /// The op the parser reads as the call `name(a, b)`: an op written as a call by its
    /// method name, or any op by an alias.
    ///
    /// ```
    /// use swath::ops::BinaryOp;
    /// assert_eq!(BinaryOp::from_call_name("hypot"), Some(BinaryOp::Hypot));
    /// assert_eq!(BinaryOp::from_call_name("remainder"), Some(BinaryOp::Rem));
    /// assert_eq!(BinaryOp::from_call_name("add"), Some(BinaryOp::Add));
    /// assert_eq!(BinaryOp::from_call_name("+"), None);
    /// ```
    pub fn from_call_name(name: &str) -> Option<BinaryOp> {
        BinaryOp::ALL.iter().copied().find(|op| {
            (op.style() != Style::Infix && op.method() == name) || op.aliases().contains(&name)
        })
    }

    /// The op whose operator is `symbol`.
    ///
    /// ```
    /// use swath::ops::BinaryOp;
    /// assert_eq!(BinaryOp::from_symbol("<<"), Some(BinaryOp::Shl));
    /// ```
    pub fn from_symbol(symbol: &str) -> Option<BinaryOp> {
        BinaryOp::ALL
            .iter()
            .copied()
            .find(|op| op.symbol() == Some(symbol))
    }

    /// (dtype both operands are cast to, dtype of the result) for operands already promoted
    /// to `common`, or an error message.
    ///
    /// ```
    /// use swath::DType;
    /// use swath::ops::BinaryOp;
    /// assert_eq!(BinaryOp::Div.signature(DType::I32), Ok((DType::F64, DType::F64)));
    /// assert_eq!(BinaryOp::FloorDiv.signature(DType::I32), Ok((DType::I32, DType::I32)));
    /// assert_eq!(BinaryOp::Pow.signature(DType::I32), Ok((DType::F64, DType::F64)));
    /// assert_eq!(BinaryOp::Eq.signature(DType::Bool), Ok((DType::Bool, DType::Bool)));
    /// assert_eq!(BinaryOp::Or.signature(DType::I64), Ok((DType::I64, DType::I64)));
    /// assert!(BinaryOp::Or.signature(DType::F32).is_err());
    /// assert!(BinaryOp::Shl.signature(DType::Bool).is_err());
    /// ```
    pub fn signature(self, common: DType) -> Result<(DType, DType), String> {
        let ok = match self.kind() {
            BinaryKind::Arithmetic | BinaryKind::Float => common.is_numeric(),
            BinaryKind::Comparison => true,
            BinaryKind::Bitwise => common == DType::Bool || common.is_integer(),
            BinaryKind::Shift => common.is_integer(),
        };
        if !ok {
            return Err(format!("`{}` does not take {common}", self.name()));
        }
        Ok(match self.kind() {
            BinaryKind::Arithmetic | BinaryKind::Bitwise | BinaryKind::Shift => (common, common),
            BinaryKind::Float => (common.float_of(), common.float_of()),
            BinaryKind::Comparison => (common, DType::Bool),
        })
    }
}

/// Runs `$body` with `$c` a constant naming the unary op `$op`, so a loop over a block gets
/// its op at compile time (and so vectorizes).
macro_rules! with_const_unary {
    ($op:expr, $c:ident => $body:expr) => {
        $crate::ops::unary_table!($crate::ops::with_const_unary_rows ($op, $c => $body))
    };
}
pub(crate) use with_const_unary;

/// [`with_const_unary`]'s match over the table's rows.
macro_rules! with_const_unary_rows {
    (
        ($op:expr, $c:ident => $body:expr)
        structural { $($sv:ident $sm:ident [$($sa:literal),*] $sk:ident $sdoc:literal,)* }
        math { $($mv:ident $mm:ident [$($ma:literal),*] $mc:ident ($f32:expr) ($f64:expr)
               $g32:literal $g64:literal $mdoc:literal,)* }
    ) => {
        match $op {
            $($crate::ops::UnaryOp::$sv => {
                const $c: $crate::ops::UnaryOp = $crate::ops::UnaryOp::$sv;
                $body
            })*
            $($crate::ops::UnaryOp::$mv => {
                const $c: $crate::ops::UnaryOp = $crate::ops::UnaryOp::$mv;
                $body
            })*
        }
    };
}
pub(crate) use with_const_unary_rows;

/// Runs `$body` with `$c` a constant naming the binary op `$op` (see [`with_const_unary`]).
macro_rules! with_const_binary {
    ($op:expr, $c:ident => $body:expr) => {
        $crate::ops::binary_table!($crate::ops::with_const_binary_rows ($op, $c => $body))
    };
}
pub(crate) use with_const_binary;

/// [`with_const_binary`]'s match over the table's rows.
macro_rules! with_const_binary_rows {
    (
        ($op:expr, $c:ident => $body:expr)
        structural { $($sv:ident $sm:ident $sym:literal [$($sa:literal),*] $sk:ident $st:ident
                       $sp:ident $sdoc:literal,)* }
        math { $($mv:ident $mm:ident [$($ma:literal),*] $mc:ident ($f32:expr) ($f64:expr)
               $g32:literal $g64:literal $mdoc:literal,)* }
    ) => {
        match $op {
            $($crate::ops::BinaryOp::$sv => {
                const $c: $crate::ops::BinaryOp = $crate::ops::BinaryOp::$sv;
                $body
            })*
            $($crate::ops::BinaryOp::$mv => {
                const $c: $crate::ops::BinaryOp = $crate::ops::BinaryOp::$mv;
                $body
            })*
        }
    };
}
pub(crate) use with_const_binary_rows;

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
    /// The product (integers accumulate in i64, wrapping; f32 in f64).
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

    /// Every reduction of one argument, by the name the parser reads (`var` and `std` also
    /// take a ddof; as one-argument calls they are `Var(1)` and `Std(1)`, Polars' default).
    pub const ALL: [ReduceOp; 12] = {
        use ReduceOp::*;
        [
            Sum,
            Prod,
            Mean,
            Min,
            Max,
            Count,
            Var(1),
            Std(1),
            ArgMin,
            ArgMax,
            Any,
            All,
        ]
    };

    /// The other names the parser accepts.
    ///
    /// ```
    /// use swath::ops::ReduceOp;
    /// assert_eq!(ReduceOp::Prod.aliases(), ["product"]);
    /// ```
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            ReduceOp::Prod => &["product"],
            ReduceOp::ArgMin => &["arg_min"],
            ReduceOp::ArgMax => &["arg_max"],
            _ => &[],
        }
    }

    /// The reduction called `name` (its name or an alias) as a one-argument call.
    ///
    /// ```
    /// use swath::ops::ReduceOp;
    /// assert_eq!(ReduceOp::from_name("product"), Some(ReduceOp::Prod));
    /// assert_eq!(ReduceOp::from_name("std"), Some(ReduceOp::Std(1)));
    /// assert_eq!(ReduceOp::from_name("median"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<ReduceOp> {
        ReduceOp::ALL
            .into_iter()
            .find(|op| op.name() == name || op.aliases().contains(&name))
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
            Sum => Ok(match input {
                F32 | F64 => (input, input),
                _ => (I64, I64),
            }),
            // An f32 product accumulates in f64: regrouped into partials (lanes, blocks,
            // chunks), an f32 product can overflow to inf where numpy's in-order one stays
            // finite, and a zero then makes it NaN.
            Prod => Ok(match input {
                F32 => (F64, F32),
                F64 => (F64, F64),
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
