//! Frames print as a table in Polars' style: shape, names, dtypes, then the rows (the first and
//! last five when there are many).

use std::fmt;

use super::Frame;

const EDGE_ROWS: usize = 5;

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "shape: ({}, {})", self.height, self.width())?;
        let rows: Vec<Option<usize>> = if self.height <= 2 * EDGE_ROWS {
            (0..self.height).map(Some).collect()
        } else {
            (0..EDGE_ROWS)
                .map(Some)
                .chain([None])
                .chain((self.height - EDGE_ROWS..self.height).map(Some))
                .collect()
        };
        let mut cells: Vec<Vec<String>> = Vec::new();
        for (name, column) in &self.columns {
            let mut cell = vec![name.clone(), "---".into(), column.dtype().to_string()];
            for row in &rows {
                cell.push(match row {
                    Some(r) if column.categories().is_some() => match column.str_value(*r) {
                        Ok(Some(text)) => format!("{text:?}"),
                        Ok(None) => "null".into(),
                        Err(_) => "?".into(),
                    },
                    Some(r) => column.get(*r).map_or("?".into(), |v| v.to_string()),
                    None => "…".into(),
                });
            }
            cells.push(cell);
        }
        let widths: Vec<usize> = cells
            .iter()
            .map(|c| c.iter().map(|s| s.chars().count()).max().unwrap_or(0))
            .collect();
        let rule = |l: &str, m: &str, r: &str, fill: &str| {
            let parts: Vec<String> = widths.iter().map(|w| fill.repeat(w + 2)).collect();
            format!("{l}{}{r}", parts.join(m))
        };
        let line = |i: usize| {
            let parts: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!(" {:<w$} ", c[i], w = *w))
                .collect();
            format!("│{}│", parts.join("┆"))
        };
        if cells.is_empty() {
            return Ok(());
        }
        writeln!(f, "{}", rule("┌", "┬", "┐", "─"))?;
        for i in 0..3 {
            writeln!(f, "{}", line(i))?;
        }
        writeln!(f, "{}", rule("╞", "╪", "╡", "═"))?;
        for i in 3..3 + rows.len() {
            writeln!(f, "{}", line(i))?;
        }
        write!(f, "{}", rule("└", "┴", "┘", "─"))
    }
}
