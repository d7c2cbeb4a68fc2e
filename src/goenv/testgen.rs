//! A seeded xorshift generator for the property tests: deterministic across runs.

pub(crate) struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        XorShift(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A string of up to `max` characters biased towards the bytes parsers care about.
    pub fn junk(&mut self, max: usize) -> String {
        const ALPHABET: &[char] = &[
            'a', 'Z', '0', '.', ',', '|', '/', ':', '*', '?', '[', ']', '^', '-', '\\', ' ', '\t',
            '\n', '"', '`', '=', '(', ')', '#', '%', '@', 'é', '\u{FFFD}', '\u{0}', '/', '/',
        ];
        let n = self.below(max + 1);
        (0..n)
            .map(|_| ALPHABET[self.below(ALPHABET.len())])
            .collect()
    }
}
