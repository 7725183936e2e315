//! The validity bitmap: Arrow's layout, one bit per row, set where the row holds a value.

/// Validity of each row: a set bit means the row holds a value, a clear bit means null.
///
/// ```
/// use swath::column::Bitmap;
/// let nulls = Bitmap::new(3, false);
/// assert_eq!((nulls.len(), nulls.null_count()), (3, 3));
/// assert!(!nulls.is_valid(0));
/// assert_eq!(Bitmap::new(3, true).null_count(), 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    words: Vec<u64>,
    len: usize,
    /// Counted once when made: planning asks every column read whether it has nulls.
    nulls: usize,
}

impl Bitmap {
    /// A bitmap of `len` rows, all valid or all null.
    ///
    /// ```
    /// use swath::column::Bitmap;
    /// let valid = Bitmap::new(100, true);
    /// assert!(valid.is_valid(99));
    /// assert_eq!(valid.null_count(), 0);
    /// ```
    pub fn new(len: usize, valid: bool) -> Self {
        let fill = if valid { u64::MAX } else { 0 };
        let mut words = vec![fill; len.div_ceil(64)];
        if let (Some(last), 1..) = (words.last_mut(), len % 64) {
            *last &= (1u64 << (len % 64)) - 1;
        }
        Bitmap::of_words(words, len)
    }
    /// The number of rows it covers.
    ///
    /// ```
    /// use swath::column::Bitmap;
    /// assert_eq!(Bitmap::new(70, true).len(), 70);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether it covers no rows.
    ///
    /// ```
    /// use swath::column::Bitmap;
    /// assert!(Bitmap::new(0, true).is_empty());
    /// assert!(!Bitmap::new(1, false).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Whether `row` holds a value; false for null rows and for rows past the end.
    ///
    /// ```
    /// use swath::column::Bitmap;
    /// let b = Bitmap::new(2, true);
    /// assert!(b.is_valid(1));
    /// assert!(!b.is_valid(2)); // past the end
    /// ```
    pub fn is_valid(&self, row: usize) -> bool {
        row < self.len && self.words[row / 64] >> (row % 64) & 1 == 1
    }
    /// The number of null rows.
    ///
    /// ```
    /// use swath::column::Bitmap;
    /// assert_eq!(Bitmap::new(5, false).null_count(), 5);
    /// assert_eq!(Bitmap::new(5, true).null_count(), 0);
    /// ```
    pub fn null_count(&self) -> usize {
        self.nulls
    }

    /// The bitmap of these words (bits past `len` must be clear, as every maker keeps them).
    fn of_words(words: Vec<u64>, len: usize) -> Bitmap {
        let valid: usize = words.iter().map(|w| w.count_ones() as usize).sum();
        Bitmap {
            words,
            len,
            nulls: len.saturating_sub(valid),
        }
    }
    /// A bitmap with bit `r` set where `valid[r]` is true.
    ///
    /// ```
    /// use swath::column::Bitmap;
    /// let b = Bitmap::from_bools(&[true, false, true]);
    /// assert_eq!((b.len(), b.null_count()), (3, 1));
    /// assert!(!b.is_valid(1));
    /// ```
    pub fn from_bools(valid: &[bool]) -> Self {
        let mut words = Vec::with_capacity(valid.len().div_ceil(64));
        let chunks = valid.chunks_exact(64);
        let tail = chunks.remainder();
        for chunk in chunks {
            words.push(pack(chunk));
        }
        if !tail.is_empty() {
            words.push(pack(tail));
        }
        Bitmap::of_words(words, valid.len())
    }
    /// Each row's validity as a bool (true: holds a value).
    ///
    /// ```
    /// use swath::column::Bitmap;
    /// assert_eq!(Bitmap::from_bools(&[false, true]).to_bools(), [false, true]);
    /// ```
    pub fn to_bools(&self) -> Vec<bool> {
        let mut out = Vec::with_capacity(self.words.len() * 64);
        for &word in &self.words {
            out.extend((0..64).map(|bit| word >> bit & 1 == 1));
        }
        out.truncate(self.len);
        out
    }
    /// The bits as 64-bit words, row `r` at bit `r % 64` of word `r / 64` (Arrow's order);
    /// bits past `len` are clear.
    pub fn words(&self) -> &[u64] {
        &self.words
    }
    /// The first null row, if any.
    pub fn first_null(&self) -> Option<usize> {
        self.words
            .iter()
            .position(|&w| w != u64::MAX)
            .map(|k| k * 64 + (!self.words[k]).trailing_zeros() as usize)
            .filter(|&row| row < self.len)
    }
    /// The rows valid in both (of equal length; the shorter length otherwise).
    ///
    /// ```
    /// use swath::column::Bitmap;
    /// let a = Bitmap::from_bools(&[true, true, false]);
    /// let b = Bitmap::from_bools(&[true, false, true]);
    /// assert_eq!(a.and(&b).to_bools(), [true, false, false]);
    /// ```
    pub fn and(&self, other: &Bitmap) -> Bitmap {
        let words = self
            .words
            .iter()
            .zip(&other.words)
            .map(|(x, y)| x & y)
            .collect();
        Bitmap::of_words(words, self.len.min(other.len))
    }
    /// The validity of the rows set in `keep`, in order (a filter's gather).
    ///
    /// ```
    /// use swath::column::Bitmap;
    /// let valid = Bitmap::from_bools(&[true, false, true, false]);
    /// let keep = Bitmap::from_bools(&[false, true, true, true]);
    /// assert_eq!(valid.kept(&keep).to_bools(), [false, true, false]);
    /// ```
    pub fn kept(&self, keep: &Bitmap) -> Bitmap {
        let mut kept = Vec::with_capacity(keep.len() - keep.null_count());
        for (k, &word) in keep.words().iter().enumerate() {
            let mut rest = word;
            while rest != 0 {
                kept.push(self.is_valid(k * 64 + rest.trailing_zeros() as usize));
                rest &= rest - 1;
            }
        }
        Bitmap::from_bools(&kept)
    }
    /// The bitmap of `len` rows whose bits are `words` (row `r` at bit `r % 64` of word
    /// `r / 64`); bits past `len` are cleared, missing words are null rows.
    pub(crate) fn from_words(mut words: Vec<u64>, len: usize) -> Bitmap {
        words.resize(len.div_ceil(64), 0);
        if let (Some(last), 1..) = (words.last_mut(), len % 64) {
            *last &= (1u64 << (len % 64)) - 1;
        }
        Bitmap::of_words(words, len)
    }
    /// The words, given up (see [`Bitmap::words`]).
    pub(crate) fn into_words(self) -> Vec<u64> {
        self.words
    }
}

/// Up to 64 bools packed into a word, bool `i` at bit `i`.
fn pack(bools: &[bool]) -> u64 {
    let mut word = 0u64;
    let bytes = bools.chunks_exact(8);
    let tail = bytes.remainder();
    let mut shift = 0;
    for eight in bytes {
        // Each bool is a byte holding 0 or 1: one multiply gathers the eight low bits into
        // the top byte, bool 0 lowest (a bool's bytes are 0 or 1 by Rust's rules).
        let mut raw = [0u8; 8];
        for (r, &b) in raw.iter_mut().zip(eight) {
            *r = u8::from(b);
        }
        let gathered = u64::from_le_bytes(raw).wrapping_mul(0x0102_0408_1020_4080) >> 56;
        word |= gathered << shift;
        shift += 8;
    }
    for (i, &b) in tail.iter().enumerate() {
        word |= u64::from(b) << (shift + i);
    }
    word
}

#[cfg(test)]
mod tests {
    use super::Bitmap;

    #[test]
    fn packing_round_trips_at_every_length_and_pattern() {
        let mut state = 7u64;
        for len in [0usize, 1, 7, 8, 9, 63, 64, 65, 127, 128, 200] {
            for density in [0u64, 1, 2, 3] {
                let bools: Vec<bool> = (0..len)
                    .map(|_| {
                        state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                        (state >> 33) % 4 < density
                    })
                    .collect();
                let bitmap = Bitmap::from_bools(&bools);
                assert_eq!(bitmap.to_bools(), bools, "len {len}");
                let nulls = bools.iter().filter(|b| !**b).count();
                assert_eq!(bitmap.null_count(), nulls, "len {len}");
                assert_eq!(bitmap.first_null(), bools.iter().position(|b| !b));
                let all = Bitmap::new(len, true);
                assert_eq!(bitmap.and(&all), bitmap);
            }
        }
    }
}
