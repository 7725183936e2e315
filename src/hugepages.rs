//! Large result buffers ask Linux for transparent huge pages.
//!
//! A fresh result column is memory the process has never touched: every 4 KiB page faults on
//! its first write and the kernel zeroes it then. On the dev VM that was close to half of a
//! large map pass (`a*b+1` over 16M f32 into a new 64 MiB column, one thread: 33 ms with
//! 4 KiB pages, 18.5 ms with 2 MiB ones). numpy advises huge pages for its arrays of 4 MiB and
//! more for the same reason; swath does the same for the buffers it allocates and then
//! writes whole (pass outputs, GPU read-backs). It is only advice: with huge pages off
//! (`/sys/kernel/mm/transparent_hugepage/enabled` = never) or on another OS nothing changes.
//! `SWATH_HUGEPAGES=0` turns it off.

use std::sync::OnceLock;

/// Buffers smaller than this are left alone (numpy's threshold): their faults are few, and
/// a huge page could not fit inside them anyway once aligned.
const THRESHOLD: usize = 4 << 20;

/// The size of a huge page on x86-64 and most aarch64 kernels; only the part of the buffer
/// aligned to it can use huge pages.
const HUGE_PAGE: usize = 2 << 20;

/// `n` zero values (`T::default()` is zero for every column type), in memory advised to use
/// huge pages when it is large. A large zeroed allocation is usually fresh mapped memory not
/// yet touched (glibc maps blocks above its threshold, which grows to at most 32 MiB after
/// frees), so the advice comes before the first write, where the pages are chosen; on memory
/// the allocator reuses it changes nothing.
pub(crate) fn zeroed_vec<T: Default + Clone>(n: usize) -> Vec<T> {
    let v = vec![T::default(); n];
    advise(v.as_ptr().cast::<u8>(), std::mem::size_of_val(v.as_slice()));
    v
}

/// Room for `n` values, not yet written (length 0, capacity `n`), advised like
/// [`zeroed_vec`]: for outputs a pass writes whole, which need no zeroing first.
pub(crate) fn unwritten_vec<T>(n: usize) -> Vec<T> {
    let v: Vec<T> = Vec::with_capacity(n);
    advise(v.as_ptr().cast::<u8>(), n * std::mem::size_of::<T>());
    v
}

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var("SWATH_HUGEPAGES").map_or(true, |v| v.trim() != "0"))
}

/// The whole huge pages inside `len` bytes from `start`, as (first byte, length).
fn aligned_interior(start: usize, len: usize) -> Option<(usize, usize)> {
    let first = start.checked_next_multiple_of(HUGE_PAGE)?;
    let end = start.checked_add(len)? / HUGE_PAGE * HUGE_PAGE;
    (end > first).then(|| (first, end - first))
}

#[cfg(target_os = "linux")]
fn advise(start: *const u8, len: usize) {
    if len < THRESHOLD || !enabled() {
        return;
    }
    let Some((first, len)) = aligned_interior(start as usize, len) else {
        return;
    };
    // SAFETY: the range lies inside one live allocation of ours (`aligned_interior` only
    // shrinks it), and MADV_HUGEPAGE changes how its pages are backed, never their contents.
    let status = unsafe { libc::madvise(first as *mut libc::c_void, len, libc::MADV_HUGEPAGE) };
    if status != 0 {
        log::debug!(
            "madvise(MADV_HUGEPAGE) failed: {}",
            std::io::Error::last_os_error()
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn advise(_start: *const u8, _len: usize) {
    let _ = (THRESHOLD, enabled());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_aligned_huge_pages_are_advised() {
        let mb = 1 << 20;
        assert_eq!(aligned_interior(0, 4 * mb), Some((0, 4 * mb)));
        assert_eq!(aligned_interior(16, 4 * mb), Some((2 * mb, 2 * mb)));
        assert_eq!(aligned_interior(16, 4 * mb - 16), Some((2 * mb, 2 * mb)));
        assert_eq!(aligned_interior(mb, 3 * mb), Some((2 * mb, 2 * mb)));
        assert_eq!(aligned_interior(mb, 2 * mb), None);
        assert_eq!(aligned_interior(usize::MAX - mb, 4 * mb), None);
    }

    #[test]
    fn advised_buffers_are_zeroed_and_whole() {
        let v: Vec<f32> = zeroed_vec(3 << 20);
        assert_eq!(v.len(), 3 << 20);
        assert!(v.iter().all(|&x| x == 0.0));
        let b: Vec<bool> = zeroed_vec(5);
        assert_eq!(b, [false; 5]);
    }
}
