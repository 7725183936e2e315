//! Frames to and from Arrow record batches, a column at a time (`column/arrow.rs`).

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{Field, Schema};

use super::Frame;
use crate::column::Column;
use crate::error::{Error, Result};

impl Frame {
    /// A frame from an Arrow record batch: each column by [`Column::from_arrow`] (an
    /// unsupported type is an error naming the column).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use swath::arrow::array::{ArrayRef, Float32Array, RecordBatch, StringArray};
    /// use swath::prelude::*;
    /// let batch = RecordBatch::try_from_iter([
    ///     ("x", Arc::new(Float32Array::from(vec![Some(1.0), None])) as ArrayRef),
    ///     ("k", Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef),
    /// ])
    /// .expect("a batch");
    /// let df = Frame::from_record_batch(&batch)?;
    /// assert_eq!(df.column("x")?.to_options::<f32>()?, [Some(1.0), None]);
    /// let back = df.to_record_batch()?;
    /// assert_eq!(back.num_rows(), 2);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn from_record_batch(batch: &RecordBatch) -> Result<Frame> {
        let schema = batch.schema();
        let columns = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(field, array)| {
                let column = Column::from_arrow(array.as_ref())
                    .map_err(|e| Column::name_error(e, field.name()))?;
                Ok((field.name().clone(), column))
            })
            .collect::<Result<Vec<_>>>()?;
        if columns.is_empty() {
            return Ok(Frame::with_rows(batch.num_rows()));
        }
        Frame::new(columns)
    }

    /// The frame as an Arrow record batch, each column by [`Column::to_arrow`] (sharing its
    /// memory). A field is nullable where its column holds a null.
    pub fn to_record_batch(&self) -> Result<RecordBatch> {
        let mut fields = Vec::with_capacity(self.width());
        let mut arrays = Vec::with_capacity(self.width());
        for (name, column) in self.columns() {
            let array = column.to_arrow().map_err(|e| Column::name_error(e, name))?;
            fields.push(Field::new(
                name,
                array.data_type().clone(),
                column.null_count() > 0,
            ));
            arrays.push(array);
        }
        let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(self.height()));
        RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &options)
            .map_err(|e| Error::Internal(format!("a record batch: {e}")))
    }
}
