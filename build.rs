//! Embeds a hash of swath's sources (`SWATH_SOURCE_HASH`) so the calibration cache can tell
//! builds apart: kernel speed is a property of the code as much as of the machine, and a
//! cache measured by an older (or broken) build must not steer a newer one.

use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let mut files = Vec::new();
    for dir in ["src", "shaders"] {
        println!("cargo::rerun-if-changed={dir}");
        files_under(Path::new(dir), &mut files);
    }
    // Sorted, so the hash does not depend on the order the file system lists entries in.
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in &files {
        hasher.write(file.to_string_lossy().as_bytes());
        hasher.write(&std::fs::read(file).unwrap_or_default());
    }
    println!(
        "cargo::rustc-env=SWATH_SOURCE_HASH={:016x}",
        hasher.finish()
    );
}
