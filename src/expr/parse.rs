//! A numexpr-like expression syntax: `sum(sqrt(a*b+c))`, `where(x > 0, x, -x)`,
//! `mean(a) - min(b)`. Used by `swath eval` and handy in tests.
//!
//! Grammar, loosest binding first (Python's precedence):
//!
//! ```text
//! expr    := or
//! or      := and (('|' | 'or') and)*
//! and     := xor (('&' | 'and') xor)*      xor := not ('^' not)*
//! not     := ('~' | 'not') not | cmp
//! cmp     := sum (('<' | '<=' | '>' | '>=' | '==' | '!=') sum)?
//! sum     := product (('+' | '-') product)*
//! product := unary (('*' | '/' | '%') unary)*
//! unary   := '-' unary | power
//! power   := atom ('**' unary)?
//! atom    := number | 'true' | 'false' | name | name '(' args ')' | '(' expr ')'
//! ```
//!
//! Names are columns; a name that is not a function call is always a column.

use std::sync::Arc;

use super::{Expr, col, lit, when};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::{BinaryOp, Level, ReduceOp, UnaryOp};

/// Parses `text` into an expression.
///
/// ```
/// let e = swath::parse("sum(sqrt(a*b + c))")?;
/// assert_eq!(e, (swath::col("a") * swath::col("b") + swath::col("c")).sqrt().sum());
/// assert!(swath::parse("sqrt(a").is_err());
/// # Ok::<(), swath::Error>(())
/// ```
pub fn parse(text: &str) -> Result<Expr> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        text,
        tokens,
        at: 0,
        nesting: 0,
    };
    let expr = parser.or()?;
    match parser.peek() {
        Tok::End => Ok(expr),
        _ => Err(parser.error("unexpected input after the expression")),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Int(i64),
    Float(f64),
    Name(String),
    /// A text literal, in single or double quotes.
    Text(String),
    Op(&'static str),
    End,
}

/// The tokens that are not names or numbers: the binary operators of the op table
/// (`ops/table.rs`) and the grammar's own, longest first so `<=` is not read as `<`.
fn operators() -> &'static [&'static str] {
    static OPERATORS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    OPERATORS.get_or_init(|| {
        let mut ops: Vec<&'static str> =
            BinaryOp::ALL.iter().filter_map(|op| op.symbol()).collect();
        ops.extend(["**", "(", ")", ",", "~", "="]);
        ops.sort_by_key(|op| std::cmp::Reverse(op.len()));
        ops
    })
}

fn tokenize(text: &str) -> Result<Vec<(Tok, usize)>> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
                i += 1;
                if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
                    i += 1;
                }
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let word = &text[start..i];
            let bad = || parse_error(text, start, &format!("`{word}` is not a number"));
            let tok = if word.contains(['.', 'e', 'E']) {
                Tok::Float(word.parse().map_err(|_| bad())?)
            } else {
                Tok::Int(word.parse().map_err(|_| bad())?)
            };
            tokens.push((tok, start));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            tokens.push((Tok::Name(text[start..i].to_string()), start));
        } else if c == b'"' || c == b'\'' || c == b'`' {
            // Backticks quote a column name that is not an identifier (pandas' `query`);
            // single or double quotes make a text literal (`k == "beta"`).
            let start = i;
            let end = text[i + 1..]
                .find(c as char)
                .ok_or_else(|| parse_error(text, start, "unterminated quotes"))?;
            let inner = text[i + 1..i + 1 + end].to_string();
            let tok = if c == b'`' {
                Tok::Name(inner)
            } else {
                Tok::Text(inner)
            };
            tokens.push((tok, start));
            i += end + 2;
        } else {
            let op = operators()
                .iter()
                .find(|op| text[i..].starts_with(**op))
                .ok_or_else(|| {
                    let ch = text[i..].chars().next().unwrap_or('?');
                    parse_error(text, i, &format!("unexpected character `{ch}`"))
                })?;
            if *op == "=" {
                return Err(parse_error(
                    text,
                    i,
                    "`=` is not an operator; did you mean `==`?",
                ));
            }
            tokens.push((Tok::Op(op), i));
            i += op.len();
        }
    }
    tokens.push((Tok::End, text.len()));
    Ok(tokens)
}

fn parse_error(text: &str, at: usize, message: &str) -> Error {
    Error::Parse {
        input: text.to_string(),
        position: at,
        message: message.to_string(),
    }
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<(Tok, usize)>,
    at: usize,
    /// Brackets, calls and prefix operators open around the current position.
    nesting: usize,
}

/// The deepest nesting of brackets, calls and prefix operators `parse` accepts: the planner's
/// limit, `MAX_DEPTH` (the parser recurses about a dozen frames per level, on a stack it
/// grows as needed). A chain such as `a + a + ... + a` is parsed by a loop and not limited
/// here; the planner refuses it if it is too deep.
const MAX_NESTING: usize = super::MAX_DEPTH;

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.tokens[self.at.min(self.tokens.len() - 1)].0
    }
    fn position(&self) -> usize {
        self.tokens[self.at.min(self.tokens.len() - 1)].1
    }
    fn error(&self, message: &str) -> Error {
        parse_error(self.text, self.position(), message)
    }
    fn bump(&mut self) -> Tok {
        let tok = self.peek().clone();
        self.at += 1;
        tok
    }
    /// Consumes the operator or keyword `word` if it is next.
    fn eat(&mut self, word: &str) -> bool {
        let hit = match self.peek() {
            Tok::Op(op) => *op == word,
            Tok::Name(name) => name == word && matches!(word, "and" | "or" | "not"),
            _ => false,
        };
        if hit {
            self.at += 1;
        }
        hit
    }
    fn expect(&mut self, op: &str) -> Result<()> {
        if self.eat(op) {
            Ok(())
        } else {
            Err(self.error(&format!("expected `{op}`")))
        }
    }

    /// The binary operator of precedence `level` next in the input, if any (the keywords
    /// `and` and `or` spell `&` and `|`).
    fn peek_operator(&self, level: Level) -> Option<BinaryOp> {
        let op = match self.peek() {
            Tok::Op(symbol) => BinaryOp::from_symbol(symbol)?,
            Tok::Name(word) if word == "and" => BinaryOp::And,
            Tok::Name(word) if word == "or" => BinaryOp::Or,
            _ => return None,
        };
        (op.level() == Some(level)).then_some(op)
    }
    /// Operands of `level`'s operators: the next tighter level, or `not` below comparisons,
    /// or a unary expression below products.
    fn operand(&mut self, level: Level) -> Result<Expr> {
        match level {
            Level::And => self.not(),
            Level::Product => self.unary(),
            _ => self.binary(Level::ALL[level as usize + 1]),
        }
    }
    /// A chain of `level`'s operators, left-associative; comparisons do not chain.
    fn binary(&mut self, level: Level) -> Result<Expr> {
        let mut e = self.operand(level)?;
        while let Some(op) = self.peek_operator(level) {
            self.at += 1;
            let rhs = self.operand(level)?;
            e = Expr::Binary(op, Arc::new(e), Arc::new(rhs));
            if level == Level::Compare {
                break;
            }
        }
        Ok(e)
    }
    /// Runs `f` one level of nesting deeper, refusing input nested past [`MAX_NESTING`]
    /// instead of overflowing the stack.
    #[recursive::recursive]
    fn nest(&mut self, f: impl FnOnce(&mut Self) -> Result<Expr>) -> Result<Expr> {
        if self.nesting >= MAX_NESTING {
            return Err(self.error(&format!(
                "the expression nests more than {MAX_NESTING} levels deep"
            )));
        }
        self.nesting += 1;
        let e = f(self);
        self.nesting -= 1;
        e
    }
    fn or(&mut self) -> Result<Expr> {
        self.nest(|p| p.binary(Level::Or))
    }
    fn not(&mut self) -> Result<Expr> {
        if self.eat("not") {
            return Ok(self.nest(Self::not)?.not());
        }
        self.binary(Level::Compare)
    }
    fn unary(&mut self) -> Result<Expr> {
        if self.eat("-") {
            return Ok(match self.nest(Self::unary)? {
                // Fold the sign into a literal, so `-1` is one weak literal.
                Expr::Literal(crate::Scalar::I64(v)) => lit(v.wrapping_neg()),
                Expr::Literal(crate::Scalar::I32(v)) => lit(v.wrapping_neg()),
                Expr::Literal(crate::Scalar::F64(v)) => lit(-v),
                e => -e,
            });
        }
        if self.eat("+") {
            return self.nest(Self::unary);
        }
        // `~` binds as tightly as unary minus (Python's rule): `~a + 1` is `(~a) + 1`.
        if self.eat("~") {
            return Ok(self.nest(Self::unary)?.not());
        }
        self.power()
    }
    fn power(&mut self) -> Result<Expr> {
        let base = self.atom()?;
        if self.eat("**") {
            return Ok(base.pow(self.nest(Self::unary)?));
        }
        Ok(base)
    }
    fn atom(&mut self) -> Result<Expr> {
        let start = self.position();
        match self.bump() {
            Tok::Int(v) => Ok(match i32::try_from(v) {
                Ok(small) => lit(small),
                Err(_) => lit(v),
            }),
            Tok::Float(v) => Ok(lit(v)),
            Tok::Op("(") => {
                let e = self.or()?;
                self.expect(")")?;
                Ok(e)
            }
            Tok::Text(text) => Ok(Expr::Text(text.into())),
            Tok::Name(name) if name == "true" => Ok(lit(true)),
            Tok::Name(name) if name == "false" => Ok(lit(false)),
            Tok::Name(name) if name == "row_index" && self.peek() == &Tok::Op("(") => {
                self.at += 1;
                self.expect(")")?;
                Ok(super::row_index())
            }
            Tok::Name(name) if self.peek() == &Tok::Op("(") => {
                self.at += 1;
                let args = self.args()?;
                call(&name, args).map_err(|m| parse_error(self.text, start, &m))
            }
            Tok::Name(name) => Ok(col(name)),
            Tok::End => Err(parse_error(
                self.text,
                start,
                "the expression ends too early",
            )),
            Tok::Op(op) => Err(parse_error(self.text, start, &format!("unexpected `{op}`"))),
        }
    }
    fn args(&mut self) -> Result<Vec<Expr>> {
        let mut args = Vec::new();
        if self.eat(")") {
            return Ok(args);
        }
        loop {
            args.push(self.or()?);
            if self.eat(")") {
                return Ok(args);
            }
            if !self.eat(",") {
                return Err(self.error("expected `,` or `)`"));
            }
        }
    }
}

/// Builds the call `name(args)`.
fn call(name: &str, mut args: Vec<Expr>) -> std::result::Result<Expr, String> {
    let n = args.len();
    let arity = |want: usize| {
        if n == want {
            Ok(())
        } else {
            Err(format!("`{name}` takes {want} argument(s), got {n}"))
        }
    };
    // Elementwise ops by any of their names in the op table (`ops/table.rs`).
    if let Some(op) = UnaryOp::from_name(name) {
        arity(1)?;
        return Ok(Expr::Unary(op, Arc::new(args.remove(0))));
    }
    if let Some(op) = BinaryOp::from_call_name(name) {
        arity(2)?;
        let b = args.pop();
        return match (args.pop(), b) {
            (Some(a), Some(b)) => Ok(Expr::Binary(op, Arc::new(a), Arc::new(b))),
            _ => Err(format!("`{name}` takes 2 argument(s), got {n}")),
        };
    }
    // Reductions of one argument by their names in `ReduceOp` (`min`/`max` of two are the
    // elementwise `minimum`/`maximum`, below; `var`/`std` may take a ddof, below).
    if let Some(op) = ReduceOp::from_name(name) {
        match op {
            _ if n == 1 => return Ok(Expr::Reduce(op, Arc::new(args.remove(0)))),
            ReduceOp::Min | ReduceOp::Max | ReduceOp::Var(_) | ReduceOp::Std(_) => {}
            _ => return Err(format!("`{name}` takes 1 argument(s), got {n}")),
        }
    }
    if let Some(op) = crate::expr::NullOp::from_name(name) {
        arity(1)?;
        return Ok(Expr::Nulls(op, Arc::new(args.remove(0))));
    }
    match name {
        "fill_null" => {
            arity(2)?;
            let fill = args.remove(1);
            return Ok(args.remove(0).fill_null(fill));
        }
        "var" | "std" => {
            let ddof = match n {
                1 => 1,
                2 => match args.pop() {
                    Some(Expr::Literal(s)) => match s.as_f64() {
                        Some(d) if (0.0..=255.0).contains(&d) && d.fract() == 0.0 => d as u8,
                        _ => return Err(format!("`{name}`: ddof must be a small whole number")),
                    },
                    _ => return Err(format!("`{name}`: ddof must be a number")),
                },
                _ => return Err(format!("`{name}` takes 1 or 2 arguments, got {n}")),
            };
            let x = args.remove(0);
            return Ok(if name == "var" {
                x.var(ddof)
            } else {
                x.std(ddof)
            });
        }
        "cast" | "astype" => {
            arity(2)?;
            let target = match args.last() {
                Some(Expr::Column(t)) => t.clone(),
                _ => return Err(format!("`{name}`: the second argument is a dtype name")),
            };
            let dtype = DType::ALL
                .into_iter()
                .find(|d| d.name() == target)
                .ok_or_else(|| {
                    format!("`{target}` is not a dtype (bool, i32, i64, u32, f32, f64)")
                })?;
            return Ok(args.remove(0).cast(dtype));
        }
        _ => {}
    }
    let mut args = args.into_iter();
    // Arity is checked before any argument is taken, so `take` never runs dry.
    let mut take = || args.next().unwrap_or(Expr::Literal(crate::Scalar::Null));
    match name {
        "min" => arity(2).map(|_| take().minimum(take())),
        "max" => arity(2).map(|_| take().maximum(take())),
        "where" => arity(3).map(|_| when(take()).then(take()).otherwise(take())),
        "clamp" | "clip" => arity(3).map(|_| take().clamp(take(), take())),
        "fill_nan" => arity(2).map(|_| take().fill_nan(take())),
        _ => Err(format!("unknown function `{name}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_follows_python() {
        let (a, b, c) = (|| col("a"), || col("b"), || col("c"));
        assert_eq!(parse("a + b * c").unwrap(), a() + b() * c());
        assert_eq!(parse("(a + b) * c").unwrap(), (a() + b()) * c());
        assert_eq!(parse("-a ** 2").unwrap(), -(a().pow(lit(2))));
        assert_eq!(parse("a ** b ** c").unwrap(), a().pow(b().pow(c())));
        assert_eq!(
            parse("a < b & b < c").unwrap(),
            a().lt(b()).and(b().lt(c()))
        );
        assert_eq!(
            parse("not a > 1 or b").unwrap(),
            a().gt(lit(1)).not().or(b())
        );
        assert_eq!(parse("a - -1.5").unwrap(), a() - lit(-1.5));
    }

    #[test]
    fn calls_and_literals() {
        assert_eq!(
            parse("where(x > 0, x, -x)").unwrap(),
            when(col("x").gt(lit(0)))
                .then(col("x"))
                .otherwise(-col("x"))
        );
        assert_eq!(
            parse("mean(a) - min(b)").unwrap(),
            col("a").mean() - col("b").min()
        );
        assert_eq!(parse("min(a, 2)").unwrap(), col("a").minimum(lit(2)));
        assert_eq!(parse("var(a, 0)").unwrap(), col("a").var(0));
        assert_eq!(parse("cast(k, f32)").unwrap(), col("k").cast(DType::F32));
        assert_eq!(
            parse("`odd name` + 3000000000").unwrap(),
            col("odd name") + lit(3_000_000_000i64)
        );
        assert_eq!(parse("1e3").unwrap(), lit(1000.0));
    }

    #[test]
    fn errors_point_at_the_offending_position() {
        let at = |text: &str| match parse(text) {
            Err(Error::Parse { position, .. }) => position,
            other => panic!("expected a parse error for {text:?}, got {other:?}"),
        };
        assert_eq!(at("a + "), 4);
        assert_eq!(at("sqrt(a"), 6);
        assert_eq!(at("a $ b"), 2);
        assert_eq!(at("a b"), 2);
        assert_eq!(at("frobnicate(a)"), 0);
        assert_eq!(at("sqrt(a, b)"), 0);
        assert_eq!(at("a = b"), 2);
        assert_eq!(at(""), 0);
        let message = parse("a + ").unwrap_err().to_string();
        assert_eq!(
            message,
            "cannot parse `a + ` at position 4: the expression ends too early"
        );
    }
}
