//! Windows of a frame: consecutive rows of every column, shared (`Column::window`).

use std::ops::Range;

use super::Frame;
use crate::error::Result;

impl Frame {
    /// Rows `rows` of every column, as a frame of their own (values shared, not copied).
    pub(crate) fn window(&self, rows: Range<usize>) -> Result<Frame> {
        let columns = self
            .columns
            .iter()
            .map(|(name, c)| Ok((name.clone(), c.window(rows.clone())?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Frame {
            columns,
            height: rows.len(),
        })
    }
}
