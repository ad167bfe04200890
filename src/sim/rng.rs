//! Stable pseudo-random numbers. Everything the simulator generates comes from here so that
//! a seed fully determines every byte it serves: SplitMix64 for the (hot) per-offer content,
//! ChaCha8 streams for faults, churn and admin mutations. No thread-local or OS randomness.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// One SplitMix64 step: a good 64-bit mixer and the state advance of the generator.
pub fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a of a string: stable across runs and platforms, unlike `std`'s hasher.
pub fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// Key for (seed, name, index): the root of every derived stream.
pub fn key(seed: u64, name: &str, index: u64) -> u64 {
    splitmix(splitmix(seed ^ hash_str(name)).wrapping_add(index))
}

/// A fast SplitMix64 stream.
#[derive(Debug, Clone)]
pub struct Mix(u64);

impl Mix {
    pub fn new(seed: u64) -> Self {
        Mix(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0); the modulo bias is irrelevant at these sizes.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// Uniform in `[0, 1)` from the top 53 bits.
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A ChaCha8 stream for (seed, name, index).
pub fn chacha(seed: u64, name: &str, index: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(key(seed, name, index))
}
