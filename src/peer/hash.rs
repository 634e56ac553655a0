//! A fast hasher for the peer's maps, whose keys are never chosen by a
//! remote peer: request ids the client numbers itself, and method names the
//! server registers (a request's method name is only looked up, so it
//! cannot grow a collision chain). SipHash's flood resistance buys nothing
//! there and costs more than the rest of a lookup.

use std::prelude::rust_2024::*;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a over bytes; one multiply-and-fold per integer.
#[derive(Clone, Copy, Default)]
pub(crate) struct FastHasher(u64);

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

impl Hasher for FastHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0 ^ FNV_OFFSET;
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(FNV_PRIME);
        }
        self.0 = h ^ FNV_OFFSET;
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        let h = (self.0 ^ n).wrapping_mul(GOLDEN);
        self.0 = h ^ (h >> 32);
    }
}

/// A `HashMap` with [`FastHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn spreads_sequential_ids_and_names() {
        let build = BuildHasherDefault::<FastHasher>::default();
        let ids: std::collections::HashSet<u64> =
            (1..=10_000u64).map(|i| build.hash_one(i) & 0xfff).collect();
        // A random hash fills about 3740 of the 4096 buckets.
        assert!(ids.len() > 3_500, "{} buckets of 4096", ids.len());
        assert_ne!(build.hash_one("hello"), build.hash_one("hellp"));
        assert_ne!(build.hash_one("ab"), build.hash_one("ba"));
        let mut m = FastMap::default();
        m.insert("x".to_string(), 1);
        assert_eq!(m.get("x"), Some(&1));
    }
}
