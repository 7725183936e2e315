//! Idle GPU buffers kept for reuse, by usage and size class, within a byte cap: the eviction
//! rule of the buffer pool (`pool.rs`), apart from wgpu so it can be tested without a device.

use std::collections::HashMap;

use super::pool::size_class;

/// What the pool needs to know of a buffer (a trait so the eviction rules can be tested
/// without a device).
pub trait PoolBuffer {
    /// Its size in bytes (a size class for pooled buffers).
    fn bytes(&self) -> u64;
    /// Its usage flags: a buffer is only reused for exactly the same usage.
    fn usage_bits(&self) -> u32;
}

impl PoolBuffer for wgpu::Buffer {
    fn bytes(&self) -> u64 {
        self.size()
    }
    fn usage_bits(&self) -> u32 {
        self.usage().bits()
    }
}

/// Idle buffers by (usage, size class), at most `cap` bytes. When a returned buffer does not
/// fit, the buffers idle the longest make room for it: the one just returned is the likeliest
/// to be asked for again (the next run of the same select wants the same sizes). Keeping the
/// old ones instead dropped a 64M-row map's 256 MiB output, to be allocated again next run:
/// the likely cause of that map's slowdown on the H200 (inferred, not profiled).
pub struct Idle<B> {
    free: HashMap<(u32, u64), Vec<(u64, B)>>,
    bytes: u64,
    cap: u64,
    /// Counts returns: a buffer's number says how recently it came back.
    returned: u64,
}

impl<B: PoolBuffer> Idle<B> {
    pub fn new(cap: u64) -> Self {
        Idle {
            free: HashMap::new(),
            bytes: 0,
            cap,
            returned: 0,
        }
    }

    /// The most recently returned idle buffer of the class of `bytes` with exactly `usage`.
    pub fn take(&mut self, usage: u32, bytes: u64) -> Option<B> {
        let class = size_class(bytes);
        let (_, buffer) = self.free.get_mut(&(usage, class))?.pop()?;
        self.bytes -= class;
        Some(buffer)
    }

    /// Keeps `buffer` for reuse, dropping the longest-idle buffers if it would not fit;
    /// a buffer that is not a size class, or larger than the whole cap, is dropped.
    pub fn give(&mut self, buffer: B) {
        let class = buffer.bytes();
        if class != size_class(class) || class > self.cap {
            return;
        }
        while self.bytes + class > self.cap && self.evict_oldest().is_some() {}
        self.bytes += class;
        self.returned += 1;
        self.free
            .entry((buffer.usage_bits(), class))
            .or_default()
            .push((self.returned, buffer));
    }

    /// Drops the buffer idle the longest; returns it (for tests) or `None` when empty.
    fn evict_oldest(&mut self) -> Option<B> {
        // Each list is in return order, so its oldest is first.
        let key = *self
            .free
            .iter()
            .filter_map(|(key, list)| list.first().map(|(n, _)| (n, key)))
            .min()?
            .1;
        let list = self.free.get_mut(&key)?;
        let (_, buffer) = list.remove(0);
        if list.is_empty() {
            self.free.remove(&key);
        }
        self.bytes -= buffer.bytes();
        Some(buffer)
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Drops every idle buffer; returns how many there were.
    pub fn clear(&mut self) -> usize {
        let n = self.free.values().map(Vec::len).sum();
        self.free.clear();
        self.bytes = 0;
        n
    }
}

#[cfg(test)]
mod tests {
    use super::{Idle, PoolBuffer};

    /// A stand-in buffer: its size, usage and a name to tell them apart.
    #[derive(Debug, PartialEq)]
    struct Fake(u64, u32, &'static str);

    impl PoolBuffer for Fake {
        fn bytes(&self) -> u64 {
            self.0
        }
        fn usage_bits(&self) -> u32 {
            self.1
        }
    }

    const MIB: u64 = 1 << 20;

    #[test]
    fn a_returned_buffer_evicts_the_longest_idle_ones() {
        let mut idle = Idle::new(512 * MIB);
        idle.give(Fake(128 * MIB, 1, "old"));
        idle.give(Fake(192 * MIB, 1, "middle"));
        idle.give(Fake(128 * MIB, 2, "recent"));
        assert_eq!(idle.bytes(), 448 * MIB);
        // 256 MiB more: "old" and then "middle" make room, "recent" stays.
        idle.give(Fake(256 * MIB, 1, "output"));
        assert_eq!(idle.bytes(), 384 * MIB);
        assert_eq!(idle.take(1, 128 * MIB), None);
        assert_eq!(idle.take(1, 192 * MIB), None);
        assert_eq!(idle.take(2, 128 * MIB), Some(Fake(128 * MIB, 2, "recent")));
        assert_eq!(idle.take(1, 250 * MIB), Some(Fake(256 * MIB, 1, "output")));
        assert_eq!(idle.bytes(), 0);
    }

    #[test]
    fn take_matches_usage_and_class_and_prefers_the_latest() {
        let mut idle = Idle::new(64 * MIB);
        idle.give(Fake(MIB, 1, "first"));
        idle.give(Fake(MIB, 1, "second"));
        assert_eq!(idle.take(2, MIB), None, "another usage is never reused");
        assert_eq!(idle.take(1, 2 * MIB), None, "nor another size class");
        assert_eq!(idle.take(1, MIB - 5), Some(Fake(MIB, 1, "second")));
        assert_eq!(idle.take(1, MIB), Some(Fake(MIB, 1, "first")));
        assert_eq!(idle.take(1, MIB), None);
    }

    #[test]
    fn buffers_too_big_or_off_class_are_not_kept() {
        let mut idle = Idle::new(64 * MIB);
        idle.give(Fake(32 * MIB, 1, "kept"));
        idle.give(Fake(128 * MIB, 1, "bigger than the cap"));
        idle.give(Fake(MIB + 1, 1, "not a size class"));
        assert_eq!(
            idle.bytes(),
            32 * MIB,
            "nothing evicted for a buffer never kept"
        );
        assert_eq!(idle.clear(), 1);
        assert_eq!(idle.bytes(), 0);
    }
}
