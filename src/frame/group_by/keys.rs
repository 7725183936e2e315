//! Each row's group: key columns become one slot per row, and the slots are numbered in the
//! order of each group's first row (README.md beside this file, "Keys").

use std::borrow::Cow;
use std::ops::Range;

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

/// Rows whose slots are made at a time when they are computed, not stored.
const WINDOW: usize = 4096;

/// Each row's slot: stored, or computed a window at a time from an integer key (so a
/// group-by over one key column holds no per-row array beside it).
pub(crate) enum Slots<'a> {
    /// One slot per row (text codes are their own slots, borrowed).
    Stored(Cow<'a, [u32]>),
    /// The key's offset from its smallest value (a key without nulls).
    Offset(IntKey<'a>, i64),
}

/// An integer key column's values.
#[derive(Clone, Copy)]
pub(crate) enum IntKey<'a> {
    I32(&'a [i32]),
    I64(&'a [i64]),
    U32(&'a [u32]),
}

impl<'a> Slots<'a> {
    /// The slots of `rows`: borrowed when stored, else written into `buf`.
    pub fn of<'s>(&'s self, rows: Range<usize>, buf: &'s mut Vec<u32>) -> &'s [u32] {
        match self {
            Slots::Stored(slots) => slots.get(rows).unwrap_or(&[]),
            Slots::Offset(key, lo) => {
                buf.clear();
                match key {
                    IntKey::I32(v) => offsets(v.get(rows).unwrap_or(&[]), *lo, buf, i64::from),
                    IntKey::I64(v) => offsets(v.get(rows).unwrap_or(&[]), *lo, buf, |x| x),
                    IntKey::U32(v) => offsets(v.get(rows).unwrap_or(&[]), *lo, buf, i64::from),
                }
                buf
            }
        }
    }

    /// Every row's slot, stored (borrowed when it is already).
    fn stored(self, rows: usize, threads: usize) -> Result<Cow<'a, [u32]>> {
        if let Slots::Stored(slots) = self {
            return Ok(slots);
        }
        Ok(Cow::Owned(fill(threads, rows, |range, out| {
            let mut buf = Vec::new();
            out.copy_from_slice(self.of(range, &mut buf));
        })?))
    }
}

fn offsets<T: Copy>(values: &[T], lo: i64, out: &mut Vec<u32>, wide: impl Fn(T) -> i64) {
    out.extend(values.iter().map(|&x| wide(x).wrapping_sub(lo) as u32));
}

/// Which group each row belongs to.
pub(crate) struct Groups<'a> {
    /// Per row: its slot (below `slots`).
    pub rows: Slots<'a>,
    /// How many slots there are (some may be empty when they are indexed directly).
    pub slots: usize,
    /// Per group, in the order of their first rows: its slot.
    pub order: Vec<u32>,
    /// Per group: its first row.
    pub first_rows: Vec<usize>,
    /// Rows grouped.
    pub height: usize,
    /// How each key became slots, and how they combined (for `explain`).
    pub how: Vec<String>,
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
    let mut combined: Option<(Slots<'a>, u64, bool)> = None;
    let mut how = Vec::new();
    for key in keys {
        let (slots, count, ordered) = key_slots(key, rows, threads)?;
        how.push(describe(key, &slots, count, ordered));
        combined = Some(match combined {
            None => (slots, count, ordered),
            Some((before, before_count, _)) => {
                let product = before_count.saturating_mul(count);
                let before = before.stored(rows, threads)?;
                let after = slots.stored(rows, threads)?;
                if product <= DIRECT_SLOTS {
                    let joined = fill(threads, rows, |range, out| {
                        for ((o, &a), &b) in out
                            .iter_mut()
                            .zip(&before[range.clone()])
                            .zip(&after[range])
                        {
                            *o = a * count as u32 + b;
                        }
                    })?;
                    how.push(format!(
                        "with the key before: {product} slots, indexed directly"
                    ));
                    (Slots::Stored(Cow::Owned(joined)), product, false)
                } else {
                    let (ids, n) = dense_ids(rows, threads, |r| {
                        u128::from(before[r]) << 32 | u128::from(after[r])
                    })?;
                    how.push(format!(
                        "with the key before: {product} slot pairs possible, hashed to {n}"
                    ));
                    (Slots::Stored(Cow::Owned(ids)), n, true)
                }
            }
        });
    }
    let Some((slots, count, ordered)) = combined else {
        // No key: every row is one group (when there is a row).
        let order = if rows > 0 { vec![0] } else { Vec::new() };
        return Ok(Groups {
            rows: Slots::Stored(Cow::Owned(vec![0; rows])),
            slots: 1,
            first_rows: order.iter().map(|_| 0).collect(),
            order,
            height: rows,
            how,
        });
    };
    let slots_len = usize::try_from(count).unwrap_or(usize::MAX);
    // Each slot's first row: a minimum, so the same however the rows are split between
    // threads. Slots numbered by first appearance are the groups already; direct slots are
    // sorted by it.
    let parts = map_items(threads, split(rows, threads), |_, range| {
        let mut first = vec![u32::MAX; slots_len];
        let mut buf = Vec::with_capacity(WINDOW);
        let mut start = range.start;
        while start < range.end {
            let end = (start + WINDOW).min(range.end);
            for (r, &s) in (start..end).zip(slots.of(start..end, &mut buf)) {
                if let Some(f) = first.get_mut(s as usize)
                    && *f == u32::MAX
                {
                    *f = r as u32;
                }
            }
            start = end;
        }
        first
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
    if !ordered {
        present.sort_unstable();
    }
    Ok(Groups {
        rows: slots,
        slots: slots_len,
        order: present.iter().map(|&(_, s)| s).collect(),
        first_rows: present.iter().map(|&(f, _)| f as usize).collect(),
        height: rows,
        how,
    })
}

/// How `key` became slots, in words.
fn describe(key: &Column, slots: &Slots<'_>, count: u64, ordered: bool) -> String {
    match (slots, key.dtype()) {
        (_, _) if ordered => format!("hashed by value: {count} distinct (null one of them)"),
        (Slots::Offset(_, lo), _) => {
            format!(
                "integer offsets from {lo}: {count} slots, indexed directly, computed per window"
            )
        }
        (_, crate::dtype::DType::Categorical) => {
            format!("text codes: {count} slots (the dictionary and null), indexed directly")
        }
        (_, crate::dtype::DType::Bool) => "bool: 3 slots (false, true, null)".to_string(),
        _ => {
            format!("integer offsets from the smallest, null last: {count} slots, indexed directly")
        }
    }
}

/// One key column as slots: (the slots, how many, whether they are numbered by first
/// appearance).
fn key_slots<'a>(key: &'a Column, rows: usize, threads: usize) -> Result<(Slots<'a>, u64, bool)> {
    let valid = key.validity();
    let data = key.data()?;
    if let (ColumnData::U32(codes), Some(dictionary)) = (data, key.categories()) {
        // Text: the codes are slots already; a null takes the slot after the dictionary.
        let null = dictionary.len() as u32;
        let slots = match valid {
            None => Cow::Borrowed(&codes[..]),
            Some(v) => Cow::Owned(with_nulls(codes, v, null, threads, |c| c)?),
        };
        return Ok((Slots::Stored(slots), u64::from(null) + 1, false));
    }
    match data {
        ColumnData::Bool(v) => {
            let slots = match valid {
                None => fill(threads, rows, |r, out| {
                    for (o, &b) in out.iter_mut().zip(&v[r]) {
                        *o = u32::from(b);
                    }
                })?,
                Some(m) => with_nulls(v, m, 2, threads, u32::from)?,
            };
            Ok((Slots::Stored(Cow::Owned(slots)), 3, false))
        }
        ColumnData::I32(v) => integer_slots(IntKey::I32(v), valid, rows, threads),
        ColumnData::I64(v) => integer_slots(IntKey::I64(v), valid, rows, threads),
        ColumnData::U32(v) => integer_slots(IntKey::U32(v), valid, rows, threads),
        ColumnData::F32(v) => hashed(rows, threads, |r| {
            valid_at(valid, r).then(|| float_bits(f64::from(v[r])))
        }),
        ColumnData::F64(v) => hashed(rows, threads, |r| {
            valid_at(valid, r).then(|| float_bits(v[r]))
        }),
    }
}

impl IntKey<'_> {
    fn at(&self, row: usize) -> i64 {
        match self {
            IntKey::I32(v) => i64::from(v[row]),
            IntKey::I64(v) => v[row],
            IntKey::U32(v) => i64::from(v[row]),
        }
    }

    /// The smallest and largest of `rows` where `valid` holds.
    fn bounds(&self, rows: Range<usize>, valid: Option<&Bitmap>) -> (i64, i64) {
        // Sixteen lanes each (chunks_exact), so the loop vectorizes: one read of the key.
        fn of<T: Copy + Ord + Default>(v: &[T], wide: impl Fn(T) -> i64) -> (i64, i64) {
            let Some(&first) = v.first() else {
                return (i64::MAX, i64::MIN);
            };
            let mut lo = [first; 16];
            let mut hi = [first; 16];
            let chunks = v.chunks_exact(16);
            let tail = chunks.remainder();
            for chunk in chunks {
                for ((l, h), &x) in lo.iter_mut().zip(&mut hi).zip(chunk) {
                    *l = (*l).min(x);
                    *h = (*h).max(x);
                }
            }
            let lo = lo.iter().chain(tail).copied().min().unwrap_or(first);
            let hi = hi.iter().chain(tail).copied().max().unwrap_or(first);
            (wide(lo), wide(hi))
        }
        match (valid, self) {
            (None, IntKey::I32(v)) => of(&v[rows], i64::from),
            (None, IntKey::I64(v)) => of(&v[rows], |x| x),
            (None, IntKey::U32(v)) => of(&v[rows], i64::from),
            (Some(valid), _) => {
                rows.filter(|&r| valid.is_valid(r))
                    .fold((i64::MAX, i64::MIN), |(lo, hi), r| {
                        let x = self.at(r);
                        (lo.min(x), hi.max(x))
                    })
            }
        }
    }
}

/// Integers: their offset from the smallest when the range is small, else hashed.
fn integer_slots<'a>(
    key: IntKey<'a>,
    valid: Option<&Bitmap>,
    rows: usize,
    threads: usize,
) -> Result<(Slots<'a>, u64, bool)> {
    let bounds = map_items(threads, split(rows, threads), |_, range| {
        key.bounds(range, valid)
    })?;
    let lo = bounds.iter().map(|b| b.0).min().unwrap_or(i64::MAX);
    let hi = bounds.iter().map(|b| b.1).max().unwrap_or(i64::MIN);
    let span = if lo <= hi {
        (i128::from(hi) - i128::from(lo) + 1) as u128
    } else {
        0
    };
    if span >= u128::from(DIRECT_SLOTS) {
        return hashed(rows, threads, |r| {
            valid_at(valid, r).then(|| key.at(r) as u64)
        });
    }
    let null = span as u32;
    Ok(match valid {
        None => (Slots::Offset(key, lo), u64::from(null), false),
        Some(valid) => {
            let slots = fill(threads, rows, |range, out| {
                for (o, r) in out.iter_mut().zip(range) {
                    *o = if valid.is_valid(r) {
                        key.at(r).wrapping_sub(lo) as u32
                    } else {
                        null
                    };
                }
            })?;
            (Slots::Stored(Cow::Owned(slots)), u64::from(null) + 1, false)
        }
    })
}

/// Keys that need hashing: numbered by first appearance (a null is one key).
fn hashed<'a>(
    rows: usize,
    threads: usize,
    key: impl Fn(usize) -> Option<u64> + Sync,
) -> Result<(Slots<'a>, u64, bool)> {
    let (ids, count) = dense_ids(rows, threads, |r| match key(r) {
        Some(k) => 1u128 << 64 | u128::from(k),
        None => 0,
    })?;
    Ok((Slots::Stored(Cow::Owned(ids)), count, true))
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
    fill(threads, values.len(), |range, out| {
        for ((o, r), &x) in out.iter_mut().zip(range.clone()).zip(&values[range]) {
            *o = if valid.is_valid(r) { slot(x) } else { null };
        }
    })
}

/// `rows` split into one consecutive range per thread.
fn split(rows: usize, threads: usize) -> Vec<Range<usize>> {
    let threads = threads.max(1);
    let step = rows.div_ceil(threads).max(1);
    (0..threads)
        .map(|t| (t * step).min(rows)..((t + 1) * step).min(rows))
        .collect()
}

/// A vector of `rows` values, each thread writing its range through `f(range, out)`.
fn fill(
    threads: usize,
    rows: usize,
    f: impl Fn(Range<usize>, &mut [u32]) + Sync,
) -> Result<Vec<u32>> {
    let mut out = vec![0u32; rows];
    let ranges = split(rows, threads);
    let mut rest: &mut [u32] = &mut out;
    let mut items = Vec::with_capacity(ranges.len());
    for range in ranges {
        let (window, tail) = rest.split_at_mut(range.len());
        rest = tail;
        items.push((range, window));
    }
    map_items(threads, items, |_, (range, window)| f(range, window))?;
    Ok(out)
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

/// Per slot of `groups`: how many distinct values of `values` its rows hold (null counting
/// as one, floats as keys compare), as an i64 column.
pub(crate) fn distinct_per_slot(
    groups: &Groups<'_>,
    values: &Column,
    threads: usize,
) -> Result<Column> {
    let rows = groups.height;
    let slots = match &groups.rows {
        Slots::Stored(s) => Cow::Borrowed(&s[..]),
        Slots::Offset(..) => {
            let mut buf = Vec::new();
            Cow::Owned(groups.rows.of(0..rows, &mut buf).to_vec())
        }
    };
    let value_slots = key_slots(values, rows, threads)?.0.stored(rows, threads)?;
    let (pairs, _) = dense_ids(rows, threads, |r| {
        u128::from(slots[r]) << 32 | u128::from(value_slots[r])
    })?;
    // Pairs are numbered by first appearance: a pair is new exactly when its number is the
    // next one.
    let mut next = 0u32;
    let mut counts = vec![0i64; groups.slots];
    for (&pair, &slot) in pairs.iter().zip(slots.iter()) {
        if pair == next {
            next += 1;
            if let Some(c) = counts.get_mut(slot as usize) {
                *c += 1;
            }
        }
    }
    Ok(Column::from(counts))
}
