//! Parquet files into frames and back, through Arrow (`parquet`'s Arrow reader and writer):
//! only the columns asked for are decoded, and the row groups are decoded in parallel.

use std::fs::File;
use std::path::Path;

use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::arrow_writer::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rayon::prelude::*;

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
    let file = File::open(path).map_err(|e| io(e.to_string()))?;
    let metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
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
    let groups = metadata.metadata().num_row_groups();
    let read_group = |group: usize| -> Result<Vec<arrow_array::RecordBatch>> {
        // Its own handle: clones of one `File` share a read position, which readers on
        // several threads would move under each other.
        let file = File::open(path).map_err(|e| io(e.to_string()))?;
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata.clone())
            .with_row_groups(vec![group])
            .with_projection(mask.clone())
            .build()
            .map_err(|e| io(e.to_string()))?;
        reader
            .map(|batch| batch.map_err(|e| io(format!("row group {group}: {e}"))))
            .collect()
    };
    let batches: Vec<Vec<arrow_array::RecordBatch>> = (0..groups)
        .into_par_iter()
        .map(read_group)
        .collect::<Result<_>>()?;
    let batches: Vec<arrow_array::RecordBatch> = batches.into_iter().flatten().collect();
    let projected = match columns {
        None => metadata.schema().clone(),
        Some(_) => {
            let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(
                File::open(path).map_err(|e| io(e.to_string()))?,
                metadata.clone(),
            )
            .with_projection(mask);
            let reader = builder
                .with_row_groups(Vec::new())
                .build()
                .map_err(|e| io(e.to_string()))?;
            arrow_array::RecordBatchReader::schema(&reader)
        }
    };
    let whole = arrow_select::concat::concat_batches(&projected, &batches)
        .map_err(|e| io(e.to_string()))?;
    Frame::from_record_batch(&whole)
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
