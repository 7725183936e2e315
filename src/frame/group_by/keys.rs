//! Each row's group: key columns become one slot per row, and the slots are numbered in the
//! order of each group's first row (README.md beside this file, "Keys").

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use crate::column::{Bitmap, Column, ColumnData};
use crate::cpu::pool::map_items;
use crate::error::{Error, Result};

/// A slot space at most this big is indexed directly (no hashing): a table of a `u32` per slot
/// per thread stays small next to the keys themselves.
const DIRECT_SLOTS: u64 = 1 << 22;

/// Rows hashed per part when keys need hashing: each part numbers its keys alone, and the
/// parts are merged in row order, so the numbering never depends on the thread count.
const HASH_PART: usize = 1 << 20;

/// Which group each row belongs to.
pub(crate) struct Groups<'a> {
    /// Per row: its slot (below `slots`). Borrowed from a text or bool-free key column when
    /// its values are the slots already.
    pub rows: Cow<'a, [u32]>,
    /// How many slots there are (some may be empty when they are indexed directly).
    pub slots: usize,
    /// Per group, in the order of their first rows: its slot.
    pub order: Vec<u32>,
    /// Per group: its first row.
    pub first_rows: Vec<usize>,
}

impl Groups<'_> {
    /// How many groups.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Per slot: its group (u32::MAX for an empty slot).
    pub fn group_of_slot(&self) -> Vec<u32> {
        let mut group = vec![u32::MAX; self.slots];
        for (g, &slot) in self.order.iter().enumerate() {
            if let Some(s) = group.get_mut(slot as usize) {
                *s = g as u32;
            }
        }
        group
    }
}

/// The groups of `rows` rows keyed by `keys` (each `rows` long): rows with equal values in
/// every key are one group; a null is a value of its own, every NaN one value, and `-0.0`
/// equals `0.0`. The numbering is the same for any `threads`.
pub(crate) fn group_rows<'a>(
    keys: &[&'a Column],
    rows: usize,
    threads: usize,
) -> Result<Groups<'a>> {
    if u32::try_from(rows).is_err() {
        return Err(Error::InvalidSetting {
            setting: "group_by".into(),
            message: format!("{rows} rows: grouping takes at most 2^32 - 1"),
        });
    }
    let mut combined: Option<(Cow<'a, [u32]>, u64, bool)> = None;
    for key in keys {
        let (slots, count, ordered) = key_slots(key, rows, threads)?;
        combined = Some(match combined {
            None => (slots, count, ordered),
            Some((before, before_count, _)) => {
                let product = before_count.saturating_mul(count);
                if product <= DIRECT_SLOTS {
                    let joined = map_parts(threads, rows, |range| {
                        before[range.clone()]
                            .iter()
                            .zip(&slots[range])
                            .map(|(&a, &b)| a * count as u32 + b)
                            .collect()
                    })?;
                    (Cow::Owned(joined), product, false)
                } else {
                    let (ids, n) = dense_ids(rows, threads, |r| {
                        u128::from(before[r]) << 32 | u128::from(slots[r])
                    })?;
                    (Cow::Owned(ids), n, true)
                }
            }
        });
    }
    let Some((slots, count, ordered)) = combined else {
        // No key: every row is one group (when there is a row).
        let order = if rows > 0 { vec![0] } else { Vec::new() };
        let first_rows = if rows > 0 { vec![0] } else { Vec::new() };
        return Ok(Groups {
            rows: Cow::Owned(vec![0; rows]),
            slots: 1,
            order,
            first_rows,
        });
    };
    let slots_len = usize::try_from(count).unwrap_or(usize::MAX);
    if ordered {
        // Numbered by first appearance already: slot g is group g.
        let mut first_rows = vec![usize::MAX; slots_len];
        for (r, &s) in slots.iter().enumerate() {
            if let Some(f) = first_rows.get_mut(s as usize)
                && *f == usize::MAX
            {
                *f = r;
            }
        }
        return Ok(Groups {
            rows: slots,
            slots: slots_len,
            order: (0..count as u32).collect(),
            first_rows,
        });
    }
    // Direct slots: each slot's first row (a minimum, so the same however the rows are split
    // between threads), then the present slots sorted by it.
    let parts = map_parts(threads, rows, |range| {
        let mut first = vec![u32::MAX; slots_len];
        for (r, &s) in range.clone().zip(&slots[range]) {
            if let Some(f) = first.get_mut(s as usize)
                && *f == u32::MAX
            {
                *f = r as u32;
            }
        }
        vec![first]
    })?;
    let mut first = vec![u32::MAX; slots_len];
    for part in &parts {
        for (f, &p) in first.iter_mut().zip(part) {
            *f = (*f).min(p);
        }
    }
    let mut present: Vec<(u32, u32)> = first
        .iter()
        .enumerate()
        .filter(|&(_, &f)| f != u32::MAX)
        .map(|(s, &f)| (f, s as u32))
        .collect();
    present.sort_unstable();
    Ok(Groups {
        rows: slots,
        slots: slots_len,
        order: present.iter().map(|&(_, s)| s).collect(),
        first_rows: present.iter().map(|&(f, _)| f as usize).collect(),
    })
}

/// One key column as slots: (per row slot, slot count, whether the slots are numbered by
/// first appearance).
fn key_slots<'a>(
    key: &'a Column,
    rows: usize,
    threads: usize,
) -> Result<(Cow<'a, [u32]>, u64, bool)> {
    let valid = key.validity();
    let data = key.data()?;
    if let (ColumnData::U32(codes), Some(dictionary)) = (data, key.categories()) {
        // Text: the codes are slots already; a null takes the slot after the dictionary.
        let null = dictionary.len() as u32;
        let slots = match valid {
            None => Cow::Borrowed(&codes[..]),
            Some(v) => Cow::Owned(with_nulls(codes, v, null, threads, |c| c)?),
        };
        return Ok((slots, u64::from(null) + 1, false));
    }
    match data {
        ColumnData::Bool(v) => {
            let slots = match valid {
                None => map_parts(threads, rows, |r| {
                    v[r].iter().map(|&b| u32::from(b)).collect()
                })?,
                Some(m) => with_nulls(v, m, 2, threads, u32::from)?,
            };
            Ok((Cow::Owned(slots), 3, false))
        }
        ColumnData::I32(v) => integer_slots(v, valid, rows, threads, |x| i64::from(x)),
        ColumnData::I64(v) => integer_slots(v, valid, rows, threads, |x| x),
        ColumnData::U32(v) => integer_slots(v, valid, rows, threads, |x| i64::from(x)),
        ColumnData::F32(v) => hashed(rows, threads, |r| {
            valid_at(valid, r).then(|| float_bits(f64::from(v[r])))
        }),
        ColumnData::F64(v) => hashed(rows, threads, |r| {
            valid_at(valid, r).then(|| float_bits(v[r]))
        }),
    }
}

/// Integers: their offset from the smallest when the range is small, else hashed.
fn integer_slots<'a, T: Copy + Sync>(
    values: &[T],
    valid: Option<&Bitmap>,
    rows: usize,
    threads: usize,
    wide: impl Fn(T) -> i64 + Sync,
) -> Result<(Cow<'a, [u32]>, u64, bool)> {
    let bounds = map_parts(threads, rows, |range| {
        let mut lo = i64::MAX;
        let mut hi = i64::MIN;
        for r in range {
            if valid_at(valid, r) {
                let x = wide(values[r]);
                lo = lo.min(x);
                hi = hi.max(x);
            }
        }
        vec![(lo, hi)]
    })?;
    let lo = bounds.iter().map(|b| b.0).min().unwrap_or(i64::MAX);
    let hi = bounds.iter().map(|b| b.1).max().unwrap_or(i64::MIN);
    let span = if lo <= hi {
        (i128::from(hi) - i128::from(lo) + 1) as u128
    } else {
        0
    };
    if span < u128::from(DIRECT_SLOTS) {
        let null = span as u32;
        let slots = map_parts(threads, rows, |range| {
            range
                .map(|r| {
                    if valid_at(valid, r) {
                        (wide(values[r]) - lo) as u32
                    } else {
                        null
                    }
                })
                .collect()
        })?;
        return Ok((Cow::Owned(slots), u64::from(null) + 1, false));
    }
    hashed(rows, threads, |r| {
        valid_at(valid, r).then(|| wide(values[r]) as u64)
    })
}

/// Keys that need hashing: numbered by first appearance (a null is one key).
fn hashed<'a>(
    rows: usize,
    threads: usize,
    key: impl Fn(usize) -> Option<u64> + Sync,
) -> Result<(Cow<'a, [u32]>, u64, bool)> {
    let (ids, count) = dense_ids(rows, threads, |r| match key(r) {
        Some(k) => 1u128 << 64 | u128::from(k),
        None => 0,
    })?;
    Ok((Cow::Owned(ids), count, true))
}

/// Per row, the number of its key (from `key(row)`) in order of first appearance, and how many
/// keys there are. Parts of [`HASH_PART`] rows number their own keys in parallel; their tables
/// then merge in row order and the rows are renumbered.
fn dense_ids(
    rows: usize,
    threads: usize,
    key: impl Fn(usize) -> u128 + Sync,
) -> Result<(Vec<u32>, u64)> {
    let parts: Vec<std::ops::Range<usize>> = (0..rows.div_ceil(HASH_PART))
        .map(|p| p * HASH_PART..((p + 1) * HASH_PART).min(rows))
        .collect();
    let local = map_items(threads, parts.clone(), |_, range| {
        let mut table: FxHashMap<u128, u32> = FxHashMap::default();
        let mut keys = Vec::new();
        let ids: Vec<u32> = range
            .map(|r| {
                let k = key(r);
                *table.entry(k).or_insert_with(|| {
                    keys.push(k);
                    (keys.len() - 1) as u32
                })
            })
            .collect();
        (ids, keys)
    })?;
    let mut global: FxHashMap<u128, u32> = FxHashMap::default();
    let renumber: Vec<Vec<u32>> = local
        .iter()
        .map(|(_, keys)| {
            keys.iter()
                .map(|k| {
                    let next = global.len() as u32;
                    *global.entry(*k).or_insert(next)
                })
                .collect()
        })
        .collect();
    let count = global.len() as u64;
    let items: Vec<_> = local.into_iter().zip(renumber).collect();
    let pieces = map_items(threads, items, |_, ((mut ids, _), table)| {
        for id in &mut ids {
            *id = table.get(*id as usize).copied().unwrap_or(u32::MAX);
        }
        ids
    })?;
    Ok((pieces.concat(), count))
}

/// `values` as slots through `slot`, with `null` where `valid` is clear.
fn with_nulls<T: Copy + Sync>(
    values: &[T],
    valid: &Bitmap,
    null: u32,
    threads: usize,
    slot: impl Fn(T) -> u32 + Sync,
) -> Result<Vec<u32>> {
    map_parts(threads, values.len(), |range| {
        range
            .clone()
            .zip(&values[range])
            .map(|(r, &x)| if valid.is_valid(r) { slot(x) } else { null })
            .collect()
    })
}

/// `f` over consecutive ranges of `rows` (one per thread, at most), the pieces joined in
/// order.
fn map_parts<T: Send>(
    threads: usize,
    rows: usize,
    f: impl Fn(std::ops::Range<usize>) -> Vec<T> + Sync,
) -> Result<Vec<T>> {
    let threads = threads.max(1);
    let step = rows.div_ceil(threads).max(1);
    let ranges: Vec<_> = (0..threads)
        .map(|t| (t * step).min(rows)..((t + 1) * step).min(rows))
        .collect();
    Ok(map_items(threads, ranges, |_, r| f(r))?
        .into_iter()
        .flatten()
        .collect())
}

fn valid_at(valid: Option<&Bitmap>, row: usize) -> bool {
    valid.is_none_or(|v| v.is_valid(row))
}

/// A float's identity as a key: its bits, with every NaN one key and `-0.0` as `0.0` (an f32
/// widens exactly, so its keys are its value's).
pub(crate) fn float_bits(x: f64) -> u64 {
    if x.is_nan() {
        f64::NAN.to_bits()
    } else if x == 0.0 {
        0
    } else {
        x.to_bits()
    }
}

/// Per slot of `slots` (`nslots` of them): how many distinct values of `values` its rows hold
/// (null counting as one, floats as keys compare), as an i64 column.
pub(crate) fn distinct_per_slot(
    slots: &[u32],
    nslots: usize,
    values: &Column,
    threads: usize,
) -> Result<Column> {
    let rows = slots.len();
    let (value_slots, _, _) = key_slots(values, rows, threads)?;
    let (pairs, _) = dense_ids(rows, threads, |r| {
        u128::from(slots[r]) << 32 | u128::from(value_slots[r])
    })?;
    // Pairs are numbered by first appearance: a pair is new exactly when its number is the
    // next one.
    let mut next = 0u32;
    let mut counts = vec![0i64; nslots];
    for (&pair, &slot) in pairs.iter().zip(slots) {
        if pair == next {
            next += 1;
            if let Some(c) = counts.get_mut(slot as usize) {
                *c += 1;
            }
        }
    }
    Ok(Column::from(counts))
}
