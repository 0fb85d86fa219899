//! The mutations that make a fuzz case from a seed: bit flips, overwritten runs and headers,
//! truncation, moved, deleted or inserted chunks and extreme length fields, chosen by a PRNG
//! seeded from the run's seed and the case's index, so that any case can be made again.

/// The bytes counted as a file's headers, where one mutation aims specifically.
const HEADER_BYTES: usize = 512;

/// The longest chunk a duplication or a deletion moves, in bytes.
const MAX_CHUNK_BYTES: usize = 4096;

/// The four-byte values a length field is set to: all ones, zero and the largest signed.
const LENGTH_FIELD_VALUES: [u32; 3] = [0xFFFF_FFFF, 0x0000_0000, 0x7FFF_FFFF];

/// A small, fast PRNG (xorshift64*), enough to choose mutations; never for anything secret.
struct Rng {
    /// The state, never zero.
    state: u64,
}

impl Rng {
    /// The PRNG of case `index` of a run with seed `seed`: the two are mixed by SplitMix64, so
    /// that neighbouring indices give unrelated streams.
    fn for_case(seed: u64, index: u64) -> Self {
        let state = splitmix64(seed ^ splitmix64(index));
        Self {
            state: if state == 0 {
                0x9E37_79B9_7F4A_7C15
            } else {
                state
            },
        }
    }

    /// The next 64 random bits.
    fn next_u64(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` above zero).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }

    /// A random byte.
    fn byte(&mut self) -> u8 {
        (self.next_u64() >> 56) as u8
    }
}

/// One step of SplitMix64, the mixer that seeds [`Rng`].
fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One way a case is damaged; a case gets one to three of them, in random order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mutation {
    /// Flip 1 to 64 random bits.
    FlipBits,
    /// Overwrite 1 to 16 runs of 1 to 16 bytes with random bytes.
    OverwriteRuns,
    /// Overwrite 1 to 16 bytes among the first [`HEADER_BYTES`] (the headers).
    OverwriteHeader,
    /// Cut the file at a random length.
    Truncate,
    /// Copy a chunk of up to [`MAX_CHUNK_BYTES`] to a random place.
    DuplicateChunk,
    /// Remove a chunk of up to [`MAX_CHUNK_BYTES`].
    DeleteChunk,
    /// Insert 1 to 256 random bytes at a random place.
    InsertBytes,
    /// Set four bytes (half the time in the headers) to a length field's extreme values.
    LengthField,
}

impl Mutation {
    /// Every mutation, equally likely.
    const ALL: [Mutation; 8] = [
        Mutation::FlipBits,
        Mutation::OverwriteRuns,
        Mutation::OverwriteHeader,
        Mutation::Truncate,
        Mutation::DuplicateChunk,
        Mutation::DeleteChunk,
        Mutation::InsertBytes,
        Mutation::LengthField,
    ];

    /// Applies the mutation to `bytes`; one that needs a byte to work on leaves an empty file
    /// as it is.
    fn apply(self, bytes: &mut Vec<u8>, rng: &mut Rng) {
        let len = bytes.len();
        if len == 0 && self != Mutation::InsertBytes {
            return;
        }
        match self {
            Mutation::FlipBits => {
                for _ in 0..rng.between(1, 64) {
                    let at = rng.below(len);
                    bytes[at] ^= 1 << rng.below(8);
                }
            }
            Mutation::OverwriteRuns => {
                for _ in 0..rng.between(1, 16) {
                    let start = rng.below(len);
                    let end = (start + rng.between(1, 16)).min(len);
                    for byte in &mut bytes[start..end] {
                        *byte = rng.byte();
                    }
                }
            }
            Mutation::OverwriteHeader => {
                let header = len.min(HEADER_BYTES);
                for _ in 0..rng.between(1, 16) {
                    let at = rng.below(header);
                    bytes[at] = rng.byte();
                }
            }
            Mutation::Truncate => bytes.truncate(rng.below(len)),
            Mutation::DuplicateChunk => {
                let start = rng.below(len);
                let end = start + rng.between(1, (len - start).min(MAX_CHUNK_BYTES));
                let chunk = bytes[start..end].to_vec();
                let at = rng.below(len + 1);
                bytes.splice(at..at, chunk);
            }
            Mutation::DeleteChunk => {
                let start = rng.below(len);
                let end = start + rng.between(1, (len - start).min(MAX_CHUNK_BYTES));
                bytes.drain(start..end);
            }
            Mutation::InsertBytes => {
                let at = rng.below(len + 1);
                let inserted: Vec<u8> = (0..rng.between(1, 256)).map(|_| rng.byte()).collect();
                bytes.splice(at..at, inserted);
            }
            Mutation::LengthField => {
                let value = LENGTH_FIELD_VALUES[rng.below(LENGTH_FIELD_VALUES.len())];
                let start = if rng.below(2) == 0 {
                    rng.below(len.min(HEADER_BYTES))
                } else {
                    rng.below(len)
                };
                let end = (start + 4).min(len);
                bytes[start..end].copy_from_slice(&value.to_le_bytes()[..end - start]);
            }
        }
    }
}

/// Case `index` of a run with seed `seed`: a copy of `seed_bytes` with one to three random
/// mutations, the same every time.
pub(super) fn mutate(seed_bytes: &[u8], seed: u64, index: u64) -> Vec<u8> {
    let mut rng = Rng::for_case(seed, index);
    let mut bytes = seed_bytes.to_vec();
    for _ in 0..rng.between(1, 3) {
        let mutation = Mutation::ALL[rng.below(Mutation::ALL.len())];
        mutation.apply(&mut bytes, &mut rng);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_are_the_same_every_time_and_differ_between_indices() {
        let seed: Vec<u8> = (0..10_000).map(|i| (i % 251) as u8).collect();
        assert_eq!(mutate(&seed, 1, 7), mutate(&seed, 1, 7));
        assert_ne!(mutate(&seed, 1, 7), mutate(&seed, 1, 8));
        assert_ne!(mutate(&seed, 1, 7), mutate(&seed, 2, 7));
        // Every mutation survives tiny and empty files.
        let mut rng = Rng::for_case(3, 4);
        for mutation in Mutation::ALL {
            for len in [0, 1, 3, 5] {
                let mut bytes = vec![0xAB; len];
                mutation.apply(&mut bytes, &mut rng);
            }
        }
    }
}
