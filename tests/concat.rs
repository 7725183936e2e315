//! Column::concat: pieces of every dtype, with nulls and text with different dictionaries,
//! joined, read back as the pieces' values one after another (the oracle: each piece's own
//! values, read row by row).

mod common;

use common::*;
use swath::prelude::*;

#[test]
fn joined_columns_hold_the_pieces_rows_in_order() {
    let mut rng = Rng::for_test("concat");
    // Lengths around the 64-row bitmap words; the words differ per piece, so each piece's
    // text dictionary lists the strings in its own order.
    for lens in [vec![0, 3], vec![65, 1, 130], vec![1000, 0, 7, 64]] {
        let words: [&[&str]; 3] = [&["x", "y"], &["z", "y", "w"], &["w"]];
        let pieces: Vec<Frame> = lens
            .iter()
            .enumerate()
            .map(|(k, &len)| random_frame_with_text(&mut rng, len, 1, words[k % 3], 0.3))
            .collect();
        for name in pieces[0].names() {
            let columns: Vec<Column> = pieces
                .iter()
                .map(|p| p.column(name).unwrap().clone())
                .collect();
            let joined = Column::concat(&columns).unwrap();
            assert_eq!(joined.len(), lens.iter().sum::<usize>(), "{name}");
            assert_eq!(
                joined.null_count(),
                columns.iter().map(Column::null_count).sum::<usize>(),
                "{name}"
            );
            if joined.dtype() == DType::Categorical {
                let want: Vec<Option<String>> = columns
                    .iter()
                    .flat_map(|c| c.to_strings().unwrap())
                    .collect();
                assert_eq!(joined.to_strings().unwrap(), want, "{name}");
                let mut distinct = joined.categories().unwrap().to_vec();
                distinct.sort();
                distinct.dedup();
                assert_eq!(
                    distinct.len(),
                    joined.categories().unwrap().len(),
                    "{name}: a string twice"
                );
            } else {
                let want: Vec<V> = columns.iter().flat_map(column_values).collect();
                assert_eq!(
                    format!("{:?}", column_values(&joined)),
                    format!("{want:?}"),
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn mismatched_or_missing_pieces_are_errors() {
    let err = Column::concat(&[Column::from(vec![1i64]), Column::from(vec![1.0f64])]);
    assert!(matches!(err, Err(Error::DTypeMismatch { .. })), "{err:?}");
    let err = Column::concat(&[Column::from(vec!["a"]), Column::from(vec![1u32])]);
    assert!(matches!(err, Err(Error::DTypeMismatch { .. })), "{err:?}");
    assert!(matches!(
        Column::concat(&[]),
        Err(Error::InvalidSetting { .. })
    ));
}
