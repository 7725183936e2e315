//! Parquet in and out: a file pyarrow wrote (every dtype, nulls, dictionary and plain text,
//! three row groups, zstd) reads as pyarrow's own JSON of it says; reading only some columns;
//! Frame -> Parquet -> Frame loses nothing; truncated, corrupt or missing files and missing
//! columns are errors, never panics.

mod common;

use std::path::PathBuf;

use common::*;
use swath::prelude::*;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn a_file_pyarrow_wrote_reads_as_pyarrow_reads_it() {
    let df = swath::io::read_parquet(data("pyarrow.parquet"), None).unwrap();
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data("pyarrow.json")).unwrap()).unwrap();
    assert_eq!(
        df.names(),
        ["flag", "i32", "i64", "u32", "f32", "f64", "species", "note"]
    );
    assert_eq!(df.height(), 50);
    for (name, column) in df.columns() {
        let want = reference[name].as_array().unwrap();
        let got: Vec<serde_json::Value> = match column.dtype() {
            DType::Categorical => column
                .to_strings()
                .unwrap()
                .into_iter()
                .map(|s| s.map_or(serde_json::Value::Null, serde_json::Value::from))
                .collect(),
            _ => (0..column.len())
                .map(|row| match column.get(row).unwrap() {
                    Scalar::Null => serde_json::Value::Null,
                    Scalar::Bool(b) => b.into(),
                    Scalar::I32(v) => v.into(),
                    Scalar::I64(v) => v.into(),
                    Scalar::U32(v) => v.into(),
                    Scalar::F32(v) => f64::from(v).into(),
                    Scalar::F64(v) => v.into(),
                })
                .collect(),
        };
        assert_eq!(&got, want, "column {name}");
    }
    let expected = [
        ("flag", DType::Bool),
        ("i32", DType::I32),
        ("i64", DType::I64),
        ("u32", DType::U32),
        ("f32", DType::F32),
        ("f64", DType::F64),
        ("species", DType::Categorical),
        ("note", DType::Categorical),
    ];
    for (name, dtype) in expected {
        assert_eq!(df.column(name).unwrap().dtype(), dtype, "{name}");
    }
    // Row groups are read on several threads: the same frame every time.
    for _ in 0..20 {
        let again =
            swath::io::read_parquet(data("pyarrow.parquet"), Some(&["f64", "note"])).unwrap();
        assert_eq!(
            format!("{:?}", column_values(again.column("f64").unwrap())),
            format!("{:?}", column_values(df.column("f64").unwrap()))
        );
        assert_eq!(
            again.column("note").unwrap().to_strings().unwrap(),
            df.column("note").unwrap().to_strings().unwrap()
        );
    }
    // Only the columns asked for, in the file's order; text compares by value.
    let some = swath::io::read_parquet(data("pyarrow.parquet"), Some(&["species", "f64"])).unwrap();
    assert_eq!(some.names(), ["f64", "species"]);
    let gentoo = some.filter(col("species").eq(lit("Gentoo"))).unwrap();
    assert_eq!(
        gentoo.height(),
        (0..50).filter(|i| i % 7 != 3 && i % 3 == 1).count()
    );
}

#[test]
fn frames_round_trip_through_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::for_test("parquet-round-trip");
    for len in [0usize, 1, 65, 5000] {
        let frame = random_frame_with_text(&mut rng, len, 1, &["x", "y", "z"], 0.3);
        let path = dir.path().join(format!("f{len}.parquet"));
        swath::io::write_parquet(&frame, &path).unwrap();
        let back = swath::io::read_parquet(&path, None).unwrap();
        assert_eq!(back.names(), frame.names());
        assert_eq!(back.height(), len);
        for ((name, a), (_, b)) in frame.columns().zip(back.columns()) {
            assert_eq!(a.dtype(), b.dtype(), "{name}");
            assert_eq!(a.null_count(), b.null_count(), "{name}");
            if a.dtype() == DType::Categorical {
                assert_eq!(a.to_strings().unwrap(), b.to_strings().unwrap(), "{name}");
            } else {
                let bits = |c: &Column| format!("{:?}", column_values(c));
                assert_eq!(bits(a), bits(b), "{name} at {len} rows");
            }
        }
    }
}

#[test]
fn bad_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(data("pyarrow.parquet")).unwrap();
    let read = |bytes: &[u8], name: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        std::panic::catch_unwind(|| swath::io::read_parquet(&path, None))
    };
    let truncated = read(&good[..good.len() / 2], "truncated.parquet");
    assert!(
        matches!(truncated, Ok(Err(Error::Io { .. }))),
        "{truncated:?}"
    );
    let empty = read(&[], "empty.parquet");
    assert!(matches!(empty, Ok(Err(Error::Io { .. }))), "{empty:?}");
    let csv = read(b"a,b\n1,2\n", "not.parquet");
    assert!(matches!(csv, Ok(Err(Error::Io { .. }))), "{csv:?}");
    // Bytes flipped in the data pages (the footer intact): an error or, where the damage
    // still decodes, a frame; never a panic.
    for at in [8usize, 100, 400, 1000, 2000] {
        let mut corrupt = good.clone();
        for b in &mut corrupt[at..at + 16] {
            *b ^= 0x5a;
        }
        let result = read(&corrupt, &format!("corrupt{at}.parquet"));
        assert!(result.is_ok(), "panicked on bytes flipped at {at}");
    }
    let missing = swath::io::read_parquet(dir.path().join("nope.parquet"), None);
    assert!(matches!(missing, Err(Error::Io { .. })));
    let column = swath::io::read_parquet(data("pyarrow.parquet"), Some(&["nope"])).unwrap_err();
    assert!(column.to_string().contains("`nope`"), "{column}");
}
