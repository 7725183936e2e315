//! Splitting unquoted CSV text into rows and fields, 64 bytes at a time.
//!
//! The csv crate walks a state machine a byte at a time (it must, to follow quotes); on text
//! without quotes, where every `,` ends a field and every `\n` a row, that walk was most of a
//! read. Here each 64-byte block becomes two bitmasks (its commas, its line ends) in a few
//! vector compares, and the fields are read off the set bits, so the cost is per field rather
//! than per byte. Text with a quote never comes here (`csv.rs` sends it to the csv crate).

/// Bit `i` of the first mask is set where `block[i]` is `,`, of the second where it is `\n`.
#[inline(always)]
fn separators(block: &[u8; 64]) -> (u64, u64) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        let (mut commas, mut ends) = (0u64, 0u64);
        for (k, lane) in block.chunks_exact(16).enumerate() {
            // SAFETY: SSE2 is part of every x86-64 CPU; `lane` holds exactly 16 bytes, and the
            // load is an unaligned one.
            let (c, n) = unsafe {
                let v = _mm_loadu_si128(lane.as_ptr().cast());
                (
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b',' as i8))),
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8))),
                )
            };
            commas |= u64::from(c as u16) << (16 * k);
            ends |= u64::from(n as u16) << (16 * k);
        }
        (commas, ends)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let (mut commas, mut ends) = (0u64, 0u64);
        for (i, &b) in block.iter().enumerate() {
            commas |= u64::from(b == b',') << i;
            ends |= u64::from(b == b'\n') << i;
        }
        (commas, ends)
    }
}

/// Calls `row` with each row of `text` and the byte ranges of its fields (untrimmed; a `\r`
/// before a line end stays in the last field). A last line without a line end is a row. A
/// line holding nothing (or only `\r`) is skipped, as the csv crate skips it. Stops at the
/// first error `row` returns.
pub(super) fn for_each_row<E>(
    text: &[u8],
    mut row: impl FnMut(&[(usize, usize)]) -> Result<(), E>,
) -> Result<(), E> {
    let mut fields: Vec<(usize, usize)> = Vec::with_capacity(16);
    let mut start = 0;
    let mut end_row = |fields: &mut Vec<(usize, usize)>| -> Result<(), E> {
        let blank = match fields.as_slice() {
            [(s, e)] => text.get(*s..*e).is_some_and(|f| f.is_empty() || f == b"\r"),
            _ => false,
        };
        let result = if blank { Ok(()) } else { row(fields) };
        fields.clear();
        result
    };
    let mut blocks = text.chunks_exact(64);
    let mut base = 0;
    let mut on_block = |block: &[u8; 64],
                        base: usize,
                        start: &mut usize,
                        fields: &mut Vec<(usize, usize)>|
     -> Result<(), E> {
        let (commas, ends) = separators(block);
        let mut both = commas | ends;
        while both != 0 {
            let bit = both.trailing_zeros();
            both &= both - 1;
            let at = base + bit as usize;
            fields.push((*start, at));
            *start = at + 1;
            if ends >> bit & 1 == 1 {
                end_row(fields)?;
            }
        }
        Ok(())
    };
    for block in blocks.by_ref() {
        let block: &[u8; 64] = block.try_into().unwrap_or(&[0; 64]);
        on_block(block, base, &mut start, &mut fields)?;
        base += 64;
    }
    let rest = blocks.remainder();
    if !rest.is_empty() {
        // The last bytes, padded with zeros (neither separator) to a whole block.
        let mut block = [0u8; 64];
        block[..rest.len()].copy_from_slice(rest);
        on_block(&block, base, &mut start, &mut fields)?;
    }
    if start < text.len() || !fields.is_empty() {
        fields.push((start, text.len()));
        end_row(&mut fields)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows as the csv crate reads them (no quotes in the text), the oracle.
    fn by_csv_crate(text: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        reader
            .byte_records()
            .map(|r| {
                r.map(|r| r.iter().map(|f| f.to_vec()).collect())
                    .unwrap_or_default()
            })
            .collect()
    }

    fn by_splitter(text: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut rows = Vec::new();
        let _ = for_each_row(text, |fields| -> Result<(), ()> {
            // The csv crate drops the `\r` of a `\r\n` line end; trimming does it here.
            let mut row: Vec<Vec<u8>> = fields.iter().map(|&(s, e)| text[s..e].to_vec()).collect();
            if let Some(last) = row.last_mut()
                && last.last() == Some(&b'\r')
            {
                last.pop();
            }
            rows.push(row);
            Ok(())
        });
        rows
    }

    #[test]
    fn rows_and_fields_match_the_csv_crate() {
        let mut cases: Vec<Vec<u8>> = [
            "",
            "\n",
            "a",
            "a\n",
            "a,b\n1,2\n",
            "a,b\n1,2",
            ",\n,,\n",
            "x\n\ny\n",
            "1,2\r\n3,4\r\n",
            "\r\n\r\n5\r\n",
            "a,,b\n,\n",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        // Rows and fields of every length across the 64-byte blocks.
        let mut long = Vec::new();
        for r in 0..300u32 {
            let fields: Vec<String> = (0..(r % 5 + 1))
                .map(|f| "7".repeat(((r * 7 + f * 13) % 70) as usize))
                .collect();
            long.extend_from_slice(fields.join(",").as_bytes());
            long.extend_from_slice(if r % 3 == 0 { b"\r\n" } else { b"\n" });
        }
        for cut in [0, 1, 63, 64, 65, 127, 128, 1000, long.len()] {
            cases.push(long[..cut.min(long.len())].to_vec());
        }
        for text in cases {
            assert_eq!(
                by_splitter(&text),
                by_csv_crate(&text),
                "{:?}",
                String::from_utf8_lossy(&text)
            );
        }
    }

    #[test]
    fn an_error_stops_the_walk() {
        let mut seen = 0;
        let result = for_each_row(b"1\n2\n3\n", |_| {
            seen += 1;
            if seen == 2 { Err("second") } else { Ok(()) }
        });
        assert_eq!((result, seen), (Err("second"), 2));
    }
}
