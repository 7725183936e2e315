//! Data types and scalar values, and the promotion rules that say what type a mixed operation
//! takes (ARCHITECTURE.md, "Semantics": the float's type wins, wider wins among ints, literals are weak).

use std::fmt;

/// The element type of a column.
///
/// ```
/// use swath::prelude::*;
/// let c = Column::from(vec![1i64, 2, 3]);
/// assert_eq!(c.dtype(), DType::I64);
/// assert_eq!(DType::I64.to_string(), "i64");
/// assert!(DType::I64.is_integer() && !DType::I64.is_float());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `bool`: true or false (one byte per element on the host).
    Bool,
    /// `i32`: 32-bit signed integer.
    I32,
    /// `i64`: 64-bit signed integer.
    I64,
    /// `u32`: 32-bit unsigned integer.
    U32,
    /// `f32`: 32-bit IEEE float.
    F32,
    /// `f64`: 64-bit IEEE float.
    F64,
    /// Text, dictionary-encoded (Arrow's dictionary layout, Polars' Categorical): each row a
    /// `u32` code into the column's list of distinct strings. Compared by string value.
    Categorical,
}

impl DType {
    /// Every dtype kernels compute in, in a fixed order (tests iterate over it); text
    /// ([`DType::Categorical`]) is not among them: kernels see its codes as `u32`.
    ///
    /// ```
    /// use swath::DType;
    /// assert_eq!(DType::ALL.len(), 6);
    /// let floats: Vec<DType> = DType::ALL.into_iter().filter(|d| d.is_float()).collect();
    /// assert_eq!(floats, [DType::F32, DType::F64]);
    /// ```
    pub const ALL: [DType; 6] = [
        DType::Bool,
        DType::I32,
        DType::I64,
        DType::U32,
        DType::F32,
        DType::F64,
    ];

    /// Whether this is a float type (f32 or f64).
    ///
    /// ```
    /// use swath::DType;
    /// assert!(DType::F32.is_float());
    /// assert!(!DType::I64.is_float());
    /// ```
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }
    /// Whether this is an integer type (i32, i64 or u32; bool is not one).
    ///
    /// ```
    /// use swath::DType;
    /// assert!(DType::U32.is_integer());
    /// assert!(!DType::Bool.is_integer());
    /// assert!(!DType::F64.is_integer());
    /// ```
    pub fn is_integer(self) -> bool {
        matches!(self, DType::I32 | DType::I64 | DType::U32)
    }
    /// Integers and floats: what arithmetic takes.
    ///
    /// ```
    /// use swath::DType;
    /// assert!(DType::I32.is_numeric() && DType::F32.is_numeric());
    /// assert!(!DType::Bool.is_numeric());
    /// ```
    pub fn is_numeric(self) -> bool {
        self.is_float() || self.is_integer()
    }
    /// Bytes one element occupies in a column.
    ///
    /// ```
    /// use swath::DType;
    /// assert_eq!(DType::Bool.size_of(), 1);
    /// assert_eq!(DType::F32.size_of(), 4);
    /// assert_eq!(DType::I64.size_of(), 8);
    /// ```
    pub fn size_of(self) -> usize {
        match self {
            DType::Bool => 1,
            DType::I32 | DType::U32 | DType::F32 | DType::Categorical => 4,
            DType::I64 | DType::F64 => 8,
        }
    }
    /// The lowercase name (`"f32"`, `"bool"` ...), as `Display` prints it.
    ///
    /// ```
    /// use swath::DType;
    /// assert_eq!(DType::U32.name(), "u32");
    /// assert_eq!(DType::Bool.name(), DType::Bool.to_string());
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I32 => "i32",
            DType::I64 => "i64",
            DType::U32 => "u32",
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::Categorical => "cat",
        }
    }
    /// The float type a value of this type becomes in float-only math (sqrt of an i32 is f64,
    /// as in numpy; f32 stays f32).
    ///
    /// ```
    /// use swath::DType;
    /// assert_eq!(DType::F32.float_of(), DType::F32);
    /// assert_eq!(DType::I32.float_of(), DType::F64);
    /// assert_eq!(DType::F64.float_of(), DType::F64);
    /// ```
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
///
/// ```
/// use swath::DType;
/// use swath::dtype::promote;
/// assert_eq!(promote(DType::I32, DType::F32), Some(DType::F32));
/// assert_eq!(promote(DType::U32, DType::I32), Some(DType::I64));
/// assert_eq!(promote(DType::F32, DType::F64), Some(DType::F64));
/// assert_eq!(promote(DType::Bool, DType::I32), None);
/// ```
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

/// A single value of some dtype, or null: what [`Column::get`](crate::Column::get) returns
/// and what [`lit`](crate::lit) takes.
///
/// ```
/// use swath::prelude::*;
/// let s = Scalar::from(2.5f32);
/// assert_eq!(s, Scalar::F32(2.5));
/// assert_eq!(s.dtype(), Some(DType::F32));
/// assert_eq!(s.to_string(), "2.5");
/// assert_eq!(Scalar::F64(3.0).to_string(), "3.0");
/// assert_eq!(Scalar::Null.to_string(), "null");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    /// No value (a null row, or a reduction over no rows).
    Null,
    /// A `bool` value.
    Bool(bool),
    /// An `i32` value.
    I32(i32),
    /// An `i64` value.
    I64(i64),
    /// A `u32` value.
    U32(u32),
    /// An `f32` value.
    F32(f32),
    /// An `f64` value.
    F64(f64),
}

impl Scalar {
    /// The dtype of the value; `None` for null.
    ///
    /// ```
    /// use swath::{DType, Scalar};
    /// assert_eq!(Scalar::I32(7).dtype(), Some(DType::I32));
    /// assert_eq!(Scalar::Null.dtype(), None);
    /// ```
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
    /// Whether this is [`Scalar::Null`].
    ///
    /// ```
    /// use swath::Scalar;
    /// assert!(Scalar::Null.is_null());
    /// assert!(!Scalar::F64(f64::NAN).is_null());
    /// ```
    pub fn is_null(&self) -> bool {
        matches!(self, Scalar::Null)
    }
    /// The value as f64 (bool as 0/1); `None` for null. Lossy for huge i64.
    ///
    /// ```
    /// use swath::Scalar;
    /// assert_eq!(Scalar::Bool(true).as_f64(), Some(1.0));
    /// assert_eq!(Scalar::I64(-3).as_f64(), Some(-3.0));
    /// assert_eq!(Scalar::Null.as_f64(), None);
    /// ```
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
