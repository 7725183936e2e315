//! Columns joined end to end (Polars' `concat` of Series), the way a reader joins the pieces
//! it decoded in parallel (Parquet row groups).

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use crate::column::{Bitmap, Column, ColumnData, ColumnElem};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::options::ExecOptions;

impl Column {
    /// The rows of `parts`, in order, as one column. Nulls are kept. Text parts may each have
    /// their own dictionary: the result's holds each distinct string once (the first part's
    /// first), and codes are remapped. The values are copied once, the parts in parallel.
    ///
    /// Errors: [`Error::DTypeMismatch`] for a part whose dtype differs from the first's;
    /// [`Error::InvalidSetting`] for no parts (no dtype to give the result).
    ///
    /// ```
    /// use swath::prelude::*;
    /// let a = Column::from(vec![Some(1i64), None]);
    /// let b = Column::from(vec![3i64]);
    /// assert_eq!(Column::concat(&[a, b])?.to_options::<i64>()?, [Some(1), None, Some(3)]);
    /// let t = Column::concat(&[Column::from(vec!["x", "y"]), Column::from(vec!["y", "z"])])?;
    /// assert_eq!(t.to_strings()?, [Some("x".into()), Some("y".into()), Some("y".into()), Some("z".into())]);
    /// assert!(Column::concat(&[Column::from(vec![1i64]), Column::from(vec![1.0f64])]).is_err());
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn concat(parts: &[Column]) -> Result<Column> {
        let Some(first) = parts.first() else {
            return Err(Error::InvalidSetting {
                setting: "concat".into(),
                message: "no columns to join".into(),
            });
        };
        let dtype = first.dtype();
        if let Some(odd) = parts.iter().find(|p| p.dtype() != dtype) {
            return Err(Error::DTypeMismatch {
                name: String::new(),
                found: odd.dtype(),
                requested: dtype,
            });
        }
        if let [only] = parts {
            return Ok(only.clone());
        }
        let threads = ExecOptions::default().resolved_threads()?;
        let sources: Vec<&ColumnData> = parts.iter().map(Column::data).collect::<Result<_>>()?;
        let rows: usize = sources.iter().map(|d| d.len()).sum();
        let validity = joined_validity(parts, rows);
        if dtype == DType::Categorical {
            let (dictionary, maps) = merged_dictionary(parts);
            let codes: Vec<&[u32]> = sources
                .iter()
                .map(|d| u32::slice(d).unwrap_or_default())
                .collect();
            let sizes: Vec<usize> = codes.iter().map(|c| c.len()).collect();
            let codes = joined(&sizes, threads, |k, window| {
                let map = maps.get(k).map_or(&[][..], Vec::as_slice);
                let part = codes.get(k).copied().unwrap_or_default();
                for (slot, &code) in window.iter_mut().zip(part) {
                    *slot = map.get(code as usize).copied().unwrap_or(0);
                }
            })?;
            return Ok(Column::text(codes, dictionary.into(), validity));
        }
        let data = crate::with_dtype!(dtype, T => {
            let values: Vec<&[T]> = sources.iter().map(|d| T::slice(d).unwrap_or_default()).collect();
            let sizes: Vec<usize> = values.iter().map(|v| v.len()).collect();
            let joined = joined(&sizes, threads, |k, window| {
                copy_into(values.get(k).copied().unwrap_or_default(), window)
            })?;
            T::wrap(Arc::new(joined))
        });
        Ok(Column::with_validity(data, validity))
    }
}

/// The parts' validities as one bitmap; `None` when no part holds a null.
fn joined_validity(parts: &[Column], rows: usize) -> Option<Arc<Bitmap>> {
    if parts.iter().all(|p| p.null_count() == 0) {
        return None;
    }
    let mut valid = Vec::with_capacity(rows);
    for part in parts {
        match part.validity() {
            Some(bits) => valid.extend(bits.to_bools()),
            None => valid.resize(valid.len() + part.len(), true),
        }
    }
    Some(Arc::new(Bitmap::from_bools(&valid)))
}

/// One dictionary for text parts, and per part the map from its codes to the new ones.
fn merged_dictionary(parts: &[Column]) -> (Vec<String>, Vec<Vec<u32>>) {
    let mut index: HashMap<&str, u32> = HashMap::default();
    let mut strings: Vec<String> = Vec::new();
    let maps = parts
        .iter()
        .map(|part| {
            part.categories()
                .unwrap_or_default()
                .iter()
                .map(|s| {
                    *index.entry(s.as_str()).or_insert_with(|| {
                        strings.push(s.clone());
                        strings.len() as u32 - 1
                    })
                })
                .collect()
        })
        .collect();
    (strings, maps)
}

/// A vector of `sizes.iter().sum()` values whose window `k` (the next `sizes[k]` values) is
/// written by `fill(k, window)`, windows on up to `threads` threads. It starts zeroed (fresh
/// zeroed memory costs nothing until written, so the page faults are taken in parallel too,
/// on huge pages where the kernel allows). Readers that decode pieces in parallel (CSV parts,
/// Parquet row groups) join them with it.
pub(crate) fn joined<T: Default + Copy + Send + Sync>(
    sizes: &[usize],
    threads: usize,
    fill: impl Fn(usize, &mut [T]) + Sync,
) -> Result<Vec<T>> {
    let mut out = crate::hugepages::zeroed_vec::<T>(sizes.iter().sum());
    let mut windows = Vec::with_capacity(sizes.len());
    let mut rest = out.as_mut_slice();
    for &size in sizes {
        let (window, after) = rest.split_at_mut(size.min(rest.len()));
        windows.push(window);
        rest = after;
    }
    crate::cpu::pool::map_items(threads, windows, fill)?;
    Ok(out)
}

/// Copies `part` into `window` (of the same length).
fn copy_into<T: Copy>(part: &[T], window: &mut [T]) {
    if part.len() == window.len() {
        window.copy_from_slice(part);
    }
}
