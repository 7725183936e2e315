//! Numbers out of CSV cells, without going through `&str`: the same cells parse, to the same
//! values, as `str::parse` would give (the tests check it), only faster on the common forms.

/// A whole number as `str::parse::<i64>` reads it: an optional `+` or `-`, then ASCII digits.
/// Up to 18 digits cannot overflow, so they are summed without checks; longer ones go to the
/// standard parser.
#[inline]
pub(super) fn parse_i64(cell: &[u8]) -> Option<i64> {
    let (negative, digits) = match cell {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, cell),
    };
    if digits.is_empty() {
        return None;
    }
    if digits.len() > 18 {
        return std::str::from_utf8(cell).ok()?.parse().ok();
    }
    let mut value: i64 = 0;
    for &d in digits {
        let d = d.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        value = value * 10 + i64::from(d);
    }
    Some(if negative { -value } else { value })
}

/// A number as `str::parse::<f64>` reads it (decimal or exponent forms, `inf`, `infinity`,
/// `nan`, any case, with a sign), correctly rounded. fast-float2 (the parser Polars uses)
/// reads the common forms; what it refuses goes to the standard parser, so nothing the
/// standard parser accepts is lost.
#[inline]
pub(super) fn parse_f64(cell: &[u8]) -> Option<f64> {
    if let Some(x) = plain_decimal(cell) {
        return Some(x);
    }
    match fast_float2::parse::<f64, _>(cell) {
        Ok(x) => Some(x),
        Err(_) => std::str::from_utf8(cell).ok()?.parse().ok(),
    }
}

/// `[-+]digits[.digits]` with at most 15 digits in all and no exponent, the form most files
/// hold, read in one pass: its digits as an integer below 2^53 and a power of ten up to 10^15
/// are both exact doubles, so the one division is correctly rounded (Clinger's fast path, as
/// fast-float takes it after a more general scan). `None` for every other form.
#[inline(always)]
fn plain_decimal(cell: &[u8]) -> Option<f64> {
    const POWERS: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (negative, body) = match cell {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, cell),
    };
    if body.is_empty() || body.len() > 16 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut point: Option<usize> = None;
    for (i, &b) in body.iter().enumerate() {
        let d = b.wrapping_sub(b'0');
        if d <= 9 {
            mantissa = mantissa * 10 + u64::from(d);
        } else if b == b'.' && point.is_none() {
            point = Some(i);
        } else {
            return None;
        }
    }
    let digits = body.len() - usize::from(point.is_some());
    // "." alone, or more than 15 digits (whose integer could pass 2^53): the general parser.
    if digits == 0 || digits > 15 {
        return None;
    }
    let decimals = point.map_or(0, |p| body.len() - p - 1);
    let x = mantissa as i64 as f64 / POWERS.get(decimals).copied()?;
    Some(if negative { -x } else { x })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cells of every form: the standard parser is the oracle.
    fn cells() -> Vec<String> {
        let mut cells: Vec<String> = [
            "",
            "+",
            "-",
            "0",
            "-0",
            "+0",
            "007",
            "1",
            "-1",
            "+1",
            "12345678901234567",
            "123456789012345678",
            "1234567890123456789",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999",
            "1.5",
            "-.5",
            ".5",
            "5.",
            ".",
            "e5",
            "1e5",
            "1E+5",
            "1e-5",
            "1e",
            "1e+",
            "-1.25e-3",
            "inf",
            "-inf",
            "+inf",
            "Infinity",
            "-INFINITY",
            "infinit",
            "nan",
            "NaN",
            "-nan",
            "+NaN",
            "1_0",
            "1 ",
            " 1",
            "0x10",
            "1e400",
            "-1e400",
            "1e-400",
            "2.2250738585072011e-308",
            "1.7976931348623157e308",
            "4.9e-324",
            "0.1",
            "0.30000000000000004",
            "123456789012345678901234567890",
            "1..2",
            "1.2.3",
            "--1",
            "+-1",
            "1-",
            "١",
            "9007199254740993",
            "0.000000000000000000000000000001",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Random decimals and exponents, as files print them.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let x = f64::from_bits(state >> 2) * if state & 1 == 0 { 1.0 } else { -1.0 };
            cells.push(format!("{x}"));
            cells.push(format!("{x:e}"));
            cells.push(format!("{:.6}", (state >> 11) as f64 / (1u64 << 53) as f64));
            cells.push(format!("{}", state as i64 >> (state % 60)));
        }
        cells
    }

    #[test]
    fn whole_numbers_parse_as_the_standard_parser_parses_them() {
        for cell in cells() {
            assert_eq!(
                parse_i64(cell.as_bytes()),
                cell.parse::<i64>().ok(),
                "{cell:?}"
            );
        }
    }

    #[test]
    fn floats_parse_as_the_standard_parser_parses_them() {
        for cell in cells() {
            let want = cell.parse::<f64>().ok();
            let got = parse_f64(cell.as_bytes());
            assert_eq!(
                got.map(|x| if x.is_nan() { u64::MAX } else { x.to_bits() }),
                want.map(|x| if x.is_nan() { u64::MAX } else { x.to_bits() }),
                "{cell:?}"
            );
        }
        // Bytes that are not UTF-8 are no number.
        assert_eq!(parse_f64(&[0xff, b'1']), None);
        assert_eq!(parse_i64(&[b'1', 0xff]), None);
    }
}
