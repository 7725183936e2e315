//! Data types and scalar values, and the promotion rules that say what type a mixed operation
//! takes (decided in DESIGN.md: the float's type wins, wider wins among ints, literals are weak).

use std::fmt;

/// The element type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    I32,
    I64,
    U32,
    F32,
    F64,
}

impl DType {
    /// Every dtype, in a fixed order (tests iterate over it).
    pub const ALL: [DType; 6] = [
        DType::Bool,
        DType::I32,
        DType::I64,
        DType::U32,
        DType::F32,
        DType::F64,
    ];

    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }
    pub fn is_integer(self) -> bool {
        matches!(self, DType::I32 | DType::I64 | DType::U32)
    }
    /// Integers and floats: what arithmetic takes.
    pub fn is_numeric(self) -> bool {
        self.is_float() || self.is_integer()
    }
    /// Bytes one element occupies in a column.
    pub fn size_of(self) -> usize {
        match self {
            DType::Bool => 1,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I32 => "i32",
            DType::I64 => "i64",
            DType::U32 => "u32",
            DType::F32 => "f32",
            DType::F64 => "f64",
        }
    }
    /// The float type a value of this type becomes in float-only math (sqrt of an i32 is f64,
    /// as in numpy; f32 stays f32).
    pub fn float_of(self) -> DType {
        if self == DType::F32 {
            DType::F32
        } else {
            DType::F64
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The common type of two strongly typed operands, or `None` when they do not mix
/// (bool with a number).
pub fn promote(a: DType, b: DType) -> Option<DType> {
    use DType::*;
    if a == b {
        return Some(a);
    }
    Some(match (a, b) {
        (Bool, _) | (_, Bool) => return None,
        (F64, _) | (_, F64) => F64,
        (F32, _) | (_, F32) => F32,
        // Both integers and different: i32+i64, u32+i32 and u32+i64 all need i64.
        _ => I64,
    })
}

/// A single value of some dtype, or null.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    I32(i32),
    I64(i64),
    U32(u32),
    F32(f32),
    F64(f64),
}

impl Scalar {
    /// The dtype of the value; `None` for null.
    pub fn dtype(&self) -> Option<DType> {
        Some(match self {
            Scalar::Null => return None,
            Scalar::Bool(_) => DType::Bool,
            Scalar::I32(_) => DType::I32,
            Scalar::I64(_) => DType::I64,
            Scalar::U32(_) => DType::U32,
            Scalar::F32(_) => DType::F32,
            Scalar::F64(_) => DType::F64,
        })
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Scalar::Null)
    }
    /// The value as f64 (bool as 0/1); `None` for null. Lossy for huge i64.
    pub fn as_f64(&self) -> Option<f64> {
        Some(match *self {
            Scalar::Null => return None,
            Scalar::Bool(b) => b as u8 as f64,
            Scalar::I32(v) => v as f64,
            Scalar::I64(v) => v as f64,
            Scalar::U32(v) => v as f64,
            Scalar::F32(v) => v as f64,
            Scalar::F64(v) => v,
        })
    }
    /// Bit-exact identity of the value, for hashing constants (NaN equals NaN, -0 differs from 0).
    pub(crate) fn identity(&self) -> (Option<DType>, u64) {
        let bits = match *self {
            Scalar::Null => 0,
            Scalar::Bool(b) => b as u64,
            Scalar::I32(v) => v as u32 as u64,
            Scalar::I64(v) => v as u64,
            Scalar::U32(v) => v as u64,
            Scalar::F32(v) => v.to_bits() as u64,
            Scalar::F64(v) => v.to_bits(),
        };
        (self.dtype(), bits)
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Null => f.write_str("null"),
            Scalar::Bool(v) => write!(f, "{v}"),
            Scalar::I32(v) => write!(f, "{v}"),
            Scalar::I64(v) => write!(f, "{v}"),
            Scalar::U32(v) => write!(f, "{v}"),
            Scalar::F32(v) => write_float(f, *v as f64, v.fract() == 0.0, format!("{v}")),
            Scalar::F64(v) => write_float(f, *v, v.fract() == 0.0, format!("{v}")),
        }
    }
}

/// Floats print like Polars: whole numbers keep a `.0`, others their shortest exact form.
fn write_float(f: &mut fmt::Formatter<'_>, v: f64, whole: bool, text: String) -> fmt::Result {
    if whole && v.is_finite() && v.abs() < 1e16 {
        write!(f, "{text}.0")
    } else {
        f.write_str(&text)
    }
}

macro_rules! scalar_from {
    ($($t:ty => $v:ident),*) => {$(
        impl From<$t> for Scalar {
            fn from(x: $t) -> Self { Scalar::$v(x) }
        }
    )*};
}
scalar_from!(bool => Bool, i32 => I32, i64 => I64, u32 => U32, f32 => F32, f64 => F64);
