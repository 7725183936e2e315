//! Arrow in and out: Frame -> RecordBatch -> Frame loses nothing (every dtype, nulls at every
//! pattern, text), columns given to Arrow share their memory (same buffer addresses), arrays
//! from Arrow (sliced, dictionaries with repeats, string kinds) read right, and types swath
//! lacks are errors naming the column and the type.

mod common;

use std::sync::Arc;

use common::*;
use swath::arrow::array::{
    Array, ArrayRef, DictionaryArray, Float32Array, Int8Array, Int64Array, LargeStringArray,
    RecordBatch, StringArray, StringViewArray, UInt64Array, types::Int16Type,
};
use swath::prelude::*;

fn same_values(a: &Column, b: &Column) -> bool {
    if a.dtype() != b.dtype() || a.len() != b.len() {
        return false;
    }
    if a.dtype() == DType::Categorical {
        return a.to_strings().ok() == b.to_strings().ok();
    }
    // Bits compare NaN and signed zeros exactly.
    let bits = |c: &Column| -> Vec<Option<u64>> {
        column_values(c)
            .into_iter()
            .map(|v| match v {
                V::Null => None,
                V::F(x, _) => Some(x.to_bits()),
                V::I(i) => Some(i as u64),
                V::B(b) => Some(b as u64),
                V::Unknown => None,
            })
            .collect()
    };
    bits(a) == bits(b)
}

#[test]
fn frames_round_trip_through_record_batches() {
    let mut rng = Rng::for_test("arrow-round-trip");
    for len in [0usize, 1, 7, 64, 65, 1000] {
        let frame = random_frame_with_text(&mut rng, len, 2, &["alpha", "beta", "gamma"], 0.2);
        let batch = frame.to_record_batch().unwrap();
        assert_eq!(
            (batch.num_rows(), batch.num_columns()),
            (len, frame.width())
        );
        let back = Frame::from_record_batch(&batch).unwrap();
        assert_eq!(back.names(), frame.names());
        for ((name, a), (_, b)) in frame.columns().zip(back.columns()) {
            assert!(same_values(a, b), "{name} at {len} rows");
            assert_eq!(a.null_count(), b.null_count(), "{name}");
        }
    }
}

#[test]
fn columns_given_to_arrow_share_their_memory() {
    let values: Vec<Option<f32>> = (0..1000)
        .map(|i| (i % 7 != 0).then_some(i as f32))
        .collect();
    let c = Column::from(values);
    let array = c.to_arrow().unwrap();
    let floats = array.as_any().downcast_ref::<Float32Array>().unwrap();
    let column_values = match c.data().unwrap() {
        swath::column::ColumnData::F32(v) => v.as_ptr(),
        other => panic!("{other:?}"),
    };
    assert_eq!(floats.values().as_ptr(), column_values, "values copied");
    let nulls = floats.nulls().expect("a validity");
    let words = c.validity().expect("nulls").words().as_ptr();
    assert_eq!(
        nulls.buffer().as_ptr(),
        words as *const u8,
        "validity copied"
    );
    assert_eq!(nulls.null_count(), c.null_count());
    // The array keeps the memory alive after the column is gone.
    drop(c);
    assert_eq!(floats.value(1), 1.0);
    // A text column's keys are its codes.
    let t = Column::from(vec!["x", "y", "x"]);
    let dict = t.to_arrow().unwrap();
    let dict = dict
        .as_any()
        .downcast_ref::<DictionaryArray<swath::arrow::array::types::UInt32Type>>()
        .unwrap();
    let codes = match t.data().unwrap() {
        swath::column::ColumnData::U32(v) => v.as_ptr(),
        other => panic!("{other:?}"),
    };
    assert_eq!(dict.keys().values().as_ptr(), codes);
}

#[test]
fn arrays_taken_from_arrow_share_their_memory() {
    // Every primitive type, whole and sliced at an offset: the column reads the array's own
    // values buffer, and outlives the array.
    let floats = swath::arrow::array::Float64Array::from(
        (0..100).map(|i| i as f64 * 0.5).collect::<Vec<_>>(),
    );
    for (array, offset) in [(floats.clone(), 0usize), (floats.slice(3, 50), 3)] {
        let c = Column::from_arrow(&array).unwrap();
        let values = match c.data().unwrap() {
            swath::column::ColumnData::F64(v) => v,
            other => panic!("{other:?}"),
        };
        assert!(values.is_shared_with_arrow());
        assert_eq!(
            values.as_ptr(),
            floats.values()[offset..].as_ptr(),
            "values copied"
        );
        drop(array);
        assert_eq!(c.get(1).unwrap(), Scalar::F64((offset + 1) as f64 * 0.5));
        // And back to Arrow: the same buffer again.
        let back = c.to_arrow().unwrap();
        let back = back
            .as_any()
            .downcast_ref::<swath::arrow::array::Float64Array>()
            .unwrap();
        assert_eq!(back.values().as_ptr(), floats.values()[offset..].as_ptr());
    }
    let ints = swath::arrow::array::Int32Array::from(vec![Some(1), None, Some(3)]);
    let c = Column::from_arrow(&ints).unwrap();
    let shared = match c.data().unwrap() {
        swath::column::ColumnData::I32(v) => v.as_ptr(),
        other => panic!("{other:?}"),
    };
    assert_eq!(shared, ints.values().as_ptr());
    assert_eq!(c.to_options::<i32>().unwrap(), [Some(1), None, Some(3)]);
    // A select over shared columns reads them like any other.
    let df = Frame::new([("x", Column::from_arrow(&floats).unwrap())]).unwrap();
    let sum = df.select([col("x").sum()]).unwrap();
    assert_eq!(
        sum.values::<f64>("x").unwrap(),
        [(0..100).map(|i| i as f64 * 0.5).sum::<f64>()]
    );
}

#[test]
fn arrays_from_arrow_read_right() {
    // A slice starts at an offset, values and validity both.
    let whole = Int64Array::from(vec![Some(1), None, Some(3), Some(4), None, Some(6)]);
    let sliced = whole.slice(1, 4);
    let c = Column::from_arrow(&sliced).unwrap();
    assert_eq!(
        c.to_options::<i64>().unwrap(),
        [None, Some(3), Some(4), None]
    );
    // Dictionaries with repeated strings, null entries and other key types.
    let keys =
        swath::arrow::array::Int16Array::from(vec![Some(0), Some(2), None, Some(1), Some(3)]);
    let values: ArrayRef = Arc::new(StringArray::from(vec![
        Some("a"),
        Some("b"),
        Some("a"),
        None,
    ]));
    let dict = DictionaryArray::<Int16Type>::try_new(keys, values).unwrap();
    let t = Column::from_arrow(&dict).unwrap();
    assert_eq!(
        t.to_strings().unwrap(),
        [
            Some("a".to_string()),
            Some("a".into()),
            None,
            Some("b".into()),
            None
        ]
    );
    assert_eq!(t.categories().map(<[String]>::len), Some(2));
    for array in [
        Arc::new(LargeStringArray::from(vec![Some("p"), None])) as ArrayRef,
        Arc::new(StringViewArray::from(vec![Some("p"), None])) as ArrayRef,
    ] {
        let t = Column::from_arrow(array.as_ref()).unwrap();
        assert_eq!(t.to_strings().unwrap(), [Some("p".to_string()), None]);
    }
}

#[test]
fn arrow_types_swath_lacks_are_errors_naming_the_column() {
    let batch = RecordBatch::try_from_iter([
        (
            "fine",
            Arc::new(Float32Array::from(vec![1.0f32])) as ArrayRef,
        ),
        ("tiny", Arc::new(Int8Array::from(vec![1i8])) as ArrayRef),
    ])
    .unwrap();
    let err = Frame::from_record_batch(&batch).unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedArrow { name, data_type } if name == "tiny" && data_type == "Int8"),
        "{err}"
    );
    let err = Column::from_arrow(&UInt64Array::from(vec![1u64])).unwrap_err();
    assert!(err.to_string().contains("UInt64"), "{err}");
}
