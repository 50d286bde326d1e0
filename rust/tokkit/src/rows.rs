//! The ids of a batch of texts, one row per text, as the workers that encoded them left
//! them.
//!
//! A batch encoder's worker job writes the ids of its consecutive texts back to back into
//! one buffer (a part), so that a batch of 30,000 paragraphs makes a few allocations rather
//! than one per paragraph, and the thread that hands the rows on (to Python, under its
//! lock) has a few buffers to free rather than 30,000. A row is a slice of a part.

/// Rows of token ids, in the order of the texts they encode.
#[derive(Debug, Default)]
pub struct IdRows {
    parts: Vec<Vec<u32>>,
    rows: Vec<Row>,
}

/// Where a row is: ids `start..end` of part `part`.
#[derive(Clone, Copy, Debug)]
struct Row {
    part: usize,
    start: usize,
    end: usize,
}

impl IdRows {
    /// Rows from parts in order, each part its rows' ids back to back and the offset
    /// where each of its rows ends.
    pub fn from_parts(parts: Vec<(Vec<u32>, Vec<usize>)>) -> IdRows {
        let mut rows = Vec::with_capacity(parts.iter().map(|(_, ends)| ends.len()).sum());
        let mut ids = Vec::with_capacity(parts.len());
        for (part, (part_ids, ends)) in parts.into_iter().enumerate() {
            let mut start = 0;
            for end in ends {
                rows.push(Row { part, start, end });
                start = end;
            }
            ids.push(part_ids);
        }
        IdRows { parts: ids, rows }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The number of ids in all rows.
    pub fn id_count(&self) -> usize {
        self.parts.iter().map(Vec::len).sum()
    }

    /// The rows, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u32]> + Clone + '_ {
        self.rows.iter().map(|row| &self.parts[row.part][row.start..row.end])
    }
}

/// Each row its own part: no ids are copied.
impl From<Vec<Vec<u32>>> for IdRows {
    fn from(rows: Vec<Vec<u32>>) -> IdRows {
        let spans = rows.iter().enumerate().map(|(part, ids)| Row { part, start: 0, end: ids.len() }).collect();
        IdRows { parts: rows, rows: spans }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_come_out_in_order_across_parts() {
        let rows = IdRows::from_parts(vec![(vec![1, 2, 3], vec![2, 2, 3]), (vec![], vec![]), (vec![4], vec![0, 1])]);
        let found: Vec<&[u32]> = rows.iter().collect();
        assert_eq!(found, [&[1, 2][..], &[], &[3], &[], &[4]]);
        assert_eq!((rows.len(), rows.id_count()), (5, 4));
    }

    #[test]
    fn a_vector_of_rows_keeps_its_rows() {
        let rows = IdRows::from(vec![vec![7, 8], vec![], vec![9]]);
        assert_eq!(rows.iter().collect::<Vec<_>>(), [&[7, 8][..], &[], &[9]]);
    }
}
