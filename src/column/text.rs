//! Text columns: dictionary-encoded, as Arrow's dictionary arrays and Polars' Categorical
//! (ARCHITECTURE.md, "Text"). A column holds its distinct strings once and a `u32` code per
//! row; kernels (CPU and GPU) only ever see the codes.

use rustc_hash::FxHashMap as HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::{Bitmap, Column, ColumnData, Inner};
use crate::dtype::DType;
use crate::error::{Error, Result};

impl Column {
    /// A text column from its codes, the strings they name, and a validity.
    pub(crate) fn text(
        codes: Vec<u32>,
        dictionary: Arc<[String]>,
        validity: Option<Arc<Bitmap>>,
    ) -> Column {
        Column::with_validity(ColumnData::U32(crate::column::Values::new(codes)), validity)
            .with_dictionary(dictionary)
    }

    /// These codes (host copy) as a text column over `dictionary`.
    pub(crate) fn with_dictionary(self, dictionary: Arc<[String]>) -> Column {
        let host = OnceLock::new();
        if let Some(data) = self.inner.host.get() {
            let _ = host.set(data.clone());
        }
        Column {
            inner: Arc::new(Inner {
                dtype: DType::Categorical,
                len: self.len(),
                host,
                device: Mutex::new(None),
                validity: self.inner.validity.clone(),
                valid_bools: OnceLock::new(),
                packed: None,
                dictionary: Some(dictionary),
            }),
        }
    }

    /// Encodes `values` (`None`: null): each distinct string once, in order of first
    /// appearance, and a code per row.
    pub(crate) fn encode<S: AsRef<str>>(values: impl IntoIterator<Item = Option<S>>) -> Column {
        let mut index: HashMap<String, u32> = HashMap::default();
        let mut dictionary: Vec<String> = Vec::new();
        let codes: Vec<Option<u32>> = values
            .into_iter()
            .map(|value| {
                let text = value?;
                let text = text.as_ref();
                Some(match index.get(text) {
                    Some(&code) => code,
                    None => {
                        let code = dictionary.len() as u32;
                        index.insert(text.to_string(), code);
                        dictionary.push(text.to_string());
                        code
                    }
                })
            })
            .collect();
        Column::text_of_codes(codes, dictionary.into())
    }

    /// A text column over `dictionary` from each row's code, `None` for a null row.
    pub(crate) fn text_of_codes(codes: Vec<Option<u32>>, dictionary: Arc<[String]>) -> Column {
        let valid: Vec<bool> = codes.iter().map(Option::is_some).collect();
        let codes: Vec<u32> = codes.into_iter().map(|c| c.unwrap_or(0)).collect();
        let bitmap = Bitmap::from_bools(&valid);
        let validity = (bitmap.null_count() > 0).then(|| Arc::new(bitmap));
        Column::text(codes, dictionary, validity)
    }

    /// The distinct strings of a text column (code `k` names string `k`); `None` for other
    /// dtypes.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let c = Column::from(vec!["b", "a", "b"]);
    /// assert_eq!(c.dtype(), DType::Categorical);
    /// assert_eq!(c.categories(), Some(&["b".to_string(), "a".to_string()][..]));
    /// assert!(Column::from(vec![1.0f32]).categories().is_none());
    /// ```
    pub fn categories(&self) -> Option<&[String]> {
        self.inner.dictionary.as_deref()
    }

    /// The string at `row` of a text column, `None` where it is null. Errors past the end
    /// or on a column that is not text.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let c = Column::from(vec![Some("x"), None]);
    /// assert_eq!(c.str_value(0)?, Some("x"));
    /// assert_eq!(c.str_value(1)?, None);
    /// assert!(c.str_value(2).is_err());
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn str_value(&self, row: usize) -> Result<Option<&str>> {
        let dictionary = self.dictionary_or_err()?;
        if row >= self.len() {
            return Err(Error::OutOfBounds {
                name: String::new(),
                row,
                len: self.len(),
            });
        }
        if !self.is_valid(row) {
            return Ok(None);
        }
        let code = self.codes()?[row];
        dictionary
            .get(code as usize)
            .map(|s| Some(s.as_str()))
            .ok_or_else(|| Error::Internal(format!("text code {code} past the dictionary")))
    }

    /// Every row of a text column as an owned string, `None` where null.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let c = Column::from(vec![Some("a"), None, Some("a")]);
    /// assert_eq!(c.to_strings()?, [Some("a".to_string()), None, Some("a".to_string())]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn to_strings(&self) -> Result<Vec<Option<String>>> {
        (0..self.len())
            .map(|row| self.str_value(row).map(|s| s.map(str::to_string)))
            .collect()
    }

    /// The codes of a text column (`u32` per row, indexes into [`Column::categories`]).
    pub(crate) fn codes(&self) -> Result<&[u32]> {
        match self.data()? {
            ColumnData::U32(codes) => Ok(codes.as_slice()),
            _ => Err(Error::Internal("a text column without u32 codes".into())),
        }
    }

    /// The codes as a plain `u32` column (validity kept): what kernels read for a text
    /// column.
    pub(crate) fn codes_column(&self) -> Result<Column> {
        let data = self.data()?.clone();
        Ok(Column::with_validity(data, self.inner.validity.clone()))
    }

    fn dictionary_or_err(&self) -> Result<&[String]> {
        self.categories().ok_or_else(|| Error::DTypeMismatch {
            name: String::new(),
            found: self.dtype(),
            requested: DType::Categorical,
        })
    }
}

impl From<Vec<&str>> for Column {
    /// A text column (dictionary-encoded).
    fn from(values: Vec<&str>) -> Self {
        Column::encode(values.into_iter().map(Some))
    }
}

impl From<Vec<String>> for Column {
    /// A text column (dictionary-encoded).
    fn from(values: Vec<String>) -> Self {
        Column::encode(values.into_iter().map(Some))
    }
}

impl From<Vec<Option<&str>>> for Column {
    /// A text column; `None` is null.
    fn from(values: Vec<Option<&str>>) -> Self {
        Column::encode(values)
    }
}

impl From<Vec<Option<String>>> for Column {
    /// A text column; `None` is null.
    fn from(values: Vec<Option<String>>) -> Self {
        Column::encode(values)
    }
}
