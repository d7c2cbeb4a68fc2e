//! A seeded xorshift generator: the generated test cases are the same on every run. One file for
//! both test crates: the integration tests use it as `support::rng`, the unit tests of
//! `src/goenv` include it as `goenv::testgen`.

pub struct XorShift(pub u64);

impl XorShift {
    /// A generator from any seed (zero included: the low bit is set, as a zero state would stay
    /// zero forever).
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

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One of `items`, as the `&str` itself.
    pub fn pick_str<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// Up to `max` pieces of `alphabet`, joined.
    pub fn string(&mut self, alphabet: &[&str], max: usize) -> String {
        let n = self.below(max + 1);
        (0..n).map(|_| self.pick_str(alphabet)).collect()
    }

    /// A string of up to `max` characters biased towards the bytes parsers care about.
    pub fn junk(&mut self, max: usize) -> String {
        const ALPHABET: &[char] = &[
            'a', 'Z', '0', '.', ',', '|', '/', ':', '*', '?', '[', ']', '^', '-', '\\', ' ', '\t',
            '\n', '"', '`', '=', '(', ')', '#', '%', '@', 'é', '\u{FFFD}', '\u{0}', '/', '/',
        ];
        let n = self.below(max + 1);
        (0..n).map(|_| *self.pick(ALPHABET)).collect()
    }
}
