//! Parquet files into frames and back, through Arrow (`parquet`'s Arrow reader and writer):
//! only the columns asked for are decoded, and the row groups are decoded in parallel.

use std::fs::File;
use std::path::Path;

use bytes::Bytes;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::arrow_writer::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rayon::prelude::*;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::column::Column;
use crate::error::{Error, Result};
use crate::frame::Frame;

/// Reads the Parquet file at `path`: the columns `columns` names, in the file's order (every
/// column when `None`). Nulls, text (plain or dictionary-encoded) and every dtype swath holds
/// come through; row groups are decoded on the thread pool.
///
/// Errors: [`Error::Io`] naming the file for one that cannot be read or is not valid Parquet
/// (truncated, corrupt), or for a column the file lacks; [`Error::UnsupportedArrow`] naming a
/// column of a type swath lacks.
///
/// ```
/// use swath::prelude::*;
/// let dir = tempfile::tempdir().expect("a temporary directory");
/// let path = dir.path().join("data.parquet");
/// let df = Frame::new([
///     ("x", Column::from(vec![Some(1.5f64), None])),
///     ("k", Column::from(vec!["a", "b"])),
/// ])?;
/// swath::io::write_parquet(&df, &path)?;
/// let back = swath::io::read_parquet(&path, Some(&["x"]))?;
/// assert_eq!(back.names(), ["x"]);
/// assert_eq!(back.column("x")?.to_options::<f64>()?, [Some(1.5), None]);
/// # Ok::<(), swath::Error>(())
/// ```
pub fn read_parquet(path: impl AsRef<Path>, columns: Option<&[&str]>) -> Result<Frame> {
    let path = path.as_ref();
    let io = |message: String| Error::Io {
        path: path.display().to_string(),
        message,
    };
    let file = mapped(path).map_err(|e| io(e.to_string()))?;
    let plain = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
        .map_err(|e| io(format!("not a readable Parquet file: {e}")))?;
    // Text is decoded as Arrow dictionaries: Parquet writers store most text
    // dictionary-encoded, and keeping that encoding spares hashing a string per row.
    let hinted = ArrowReaderOptions::new().with_schema(text_as_dictionaries(plain.schema()));
    let metadata = ArrowReaderMetadata::try_new(plain.metadata().clone(), hinted)
        .map_err(|e| io(format!("not a readable Parquet file: {e}")))?;
    let schema = metadata.metadata().file_metadata().schema_descr_ptr();
    let mask = match columns {
        None => ProjectionMask::all(),
        Some(names) => {
            let fields = metadata.schema().fields();
            let mut roots = Vec::with_capacity(names.len());
            for name in names {
                let root = fields
                    .iter()
                    .position(|f| f.name() == name)
                    .ok_or_else(|| {
                        let have: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
                        io(format!(
                            "column `{name}` not found; the file has: {}",
                            have.join(", ")
                        ))
                    })?;
                roots.push(root);
            }
            ProjectionMask::roots(&schema, roots)
        }
    };
    let groups = metadata.metadata().row_groups();
    // Each row group decodes to one batch (the reader's default is 1,024 rows a batch, whose
    // per-batch costs showed in profiles) and then to swath columns, on its own thread.
    let read_group = |group: usize| -> Result<Frame> {
        let file = file.clone();
        let rows = groups.get(group).map_or(0, |g| g.num_rows());
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata.clone())
            .with_row_groups(vec![group])
            .with_projection(mask.clone())
            .with_batch_size(usize::try_from(rows).unwrap_or(usize::MAX).max(1))
            .build()
            .map_err(|e| io(e.to_string()))?;
        let schema = arrow_array::RecordBatchReader::schema(&reader);
        let batches = reader
            .map(|batch| batch.map_err(|e| io(format!("row group {group}: {e}"))))
            .collect::<Result<Vec<_>>>()?;
        let batch = match batches.as_slice() {
            [one] => one.clone(),
            _ => arrow_select::concat::concat_batches(&schema, &batches)
                .map_err(|e| io(e.to_string()))?,
        };
        Frame::from_record_batch(&batch)
    };
    let parts: Vec<Frame> = (0..groups.len())
        .into_par_iter()
        .map(read_group)
        .collect::<Result<_>>()?;
    if parts.is_empty() {
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata.clone())
            .with_projection(mask)
            .with_row_groups(Vec::new())
            .build()
            .map_err(|e| io(e.to_string()))?;
        let empty = RecordBatch::new_empty(arrow_array::RecordBatchReader::schema(&reader));
        return Frame::from_record_batch(&empty);
    }
    let names: Vec<String> = parts[0].names().iter().map(|n| n.to_string()).collect();
    if names.is_empty() {
        return Ok(Frame::with_rows(parts.iter().map(Frame::height).sum()));
    }
    let columns = names
        .iter()
        .map(|name| {
            let pieces = parts
                .iter()
                .map(|p| p.column(name).cloned())
                .collect::<Result<Vec<Column>>>()?;
            let column = Column::concat(&pieces).map_err(|e| Column::name_error(e, name))?;
            Ok((name.clone(), column))
        })
        .collect::<Result<Vec<_>>>()?;
    Frame::new(columns)
}

/// The bytes of the file at `path`, memory-mapped: the reader slices its pages out of the
/// map instead of reading each into a fresh buffer (a profile of a 42 MB file put `read`'s
/// copy and the zeroing of its buffers at a fifth of the read). A file that cannot be mapped
/// (a pipe, say) is read whole instead.
fn mapped(path: &Path) -> std::io::Result<Bytes> {
    let file = File::open(path)?;
    // SAFETY: the map is only read. Another process truncating or rewriting the file while
    // it is read is outside what this function promises (as for every reader that maps
    // files, Polars' and Arrow's included): the bytes read may then be stale or fault.
    match unsafe { memmap2::Mmap::map(&file) } {
        Ok(map) => Ok(Bytes::from_owner(map)),
        Err(_) => std::fs::read(path).map(Bytes::from),
    }
}

/// `schema` with each text field (`Utf8`, `LargeUtf8`) asked for as a dictionary of it.
fn text_as_dictionaries(schema: &SchemaRef) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 => f.as_ref().clone().with_data_type(
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(f.data_type().clone())),
            ),
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// Writes `frame` to a Parquet file at `path` (Snappy-compressed; text as Arrow
/// dictionaries, nulls as Parquet nulls), replacing any file there.
///
/// Errors: [`Error::Io`] naming the file when it cannot be written.
pub fn write_parquet(frame: &Frame, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let io = |message: String| Error::Io {
        path: path.display().to_string(),
        message,
    };
    let batch = frame.to_record_batch()?;
    let file = File::create(path).map_err(|e| io(e.to_string()))?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(properties))
        .map_err(|e| io(e.to_string()))?;
    writer.write(&batch).map_err(|e| io(e.to_string()))?;
    writer.close().map_err(|e| io(e.to_string()))?;
    Ok(())
}
