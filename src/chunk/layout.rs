//! Erasure layouts, stripe geometry and shard placement: the arithmetic of the chunk store.
//!
//! This file owns three pure computations and must stay free of I/O:
//! - [`Layout::validate`]: which (k, m, block size, spread) combinations a set of AZs can honour;
//! - [`StripeGeometry`]: where every stripe, block and byte of a blob lives, computed from
//!   (size, k, block_size) alone so a reader never needs an index;
//! - [`place_shards`]: which AZ and drive each shard index goes to.
//!
//! Invariants: with `Spread::Zones` and a validated layout, no AZ receives more than m shards of a blob,
//! so losing any one AZ loses no data; every block size is a multiple of 64 bytes and at least 64; only
//! the last stripe of a blob may use a smaller block than `block_size`.

use serde::{Deserialize, Serialize};

use super::shard::{BLOCK_HASH_LEN, SHARD_HEADER_LEN};
use super::{BlobId, ShardLocation};

/// Blocks are padded to this granularity: SIMD Reed–Solomon kernels work on 32/64-byte lanes, and a
/// 10-byte blob then costs (k+m) × 64 bytes of payload instead of (k+m) × block_size.
pub const BLOCK_ALIGN: u64 = 64;

/// Upper bound on `block_size`: a writer holds about two stripes of k × block_size, so this caps the
/// memory one upload can pin (RS(4,2) at the cap: ~640 MiB; at the usual 1 MiB: ~10 MiB).
pub const MAX_BLOCK_SIZE: u32 = 64 * 1024 * 1024;

/// Shard indices are stored in one byte (header, file name) and GF(2^8) Reed–Solomon caps k + m at 256.
pub const MAX_TOTAL_SHARDS: usize = 255;

/// How the k + m shards of a blob are spread over availability zones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Spread {
    /// Over all AZs, shard i in AZ (start + i) mod n; no AZ holds more than m shards.
    Zones,
    /// All shards in one AZ (ONEZONE_IA): survives drive loss, not AZ loss.
    SingleZone,
}

/// The drives of an AZ a class writes to: the `hot` pool, or the `archive` pool (directories on
/// cheaper media). An AZ without archive drives keeps archive classes on its hot drives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pool {
    #[default]
    Hot,
    Archive,
}

/// The erasure layout of a storage class: RS(k = data_shards, m = parity_shards) over stripes of
/// k × block_size bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    pub data_shards: u8,
    pub parity_shards: u8,
    pub block_size: u32,
    pub spread: Spread,
    #[serde(default)]
    pub pool: Pool,
}

impl Layout {
    /// Checks that the layout can be encoded at all and honoured by `az_count` AZs.
    pub fn validate(&self, az_count: usize) -> Result<(), String> {
        let k = usize::from(self.data_shards);
        let m = usize::from(self.parity_shards);
        if k == 0 {
            return Err("data_shards must be at least 1".into());
        }
        if m == 0 {
            // Without parity there is nothing to rebuild from, and the codec refuses it.
            return Err("parity_shards must be at least 1".into());
        }
        if k + m > MAX_TOTAL_SHARDS {
            return Err(format!(
                "data_shards + parity_shards = {} exceeds {MAX_TOTAL_SHARDS}",
                k + m
            ));
        }
        if self.block_size == 0
            || !u64::from(self.block_size).is_multiple_of(BLOCK_ALIGN)
            || self.block_size > MAX_BLOCK_SIZE
        {
            return Err(format!(
                "block_size {} must be a non-zero multiple of {BLOCK_ALIGN} of at most {MAX_BLOCK_SIZE}",
                self.block_size
            ));
        }
        if az_count == 0 {
            return Err("no availability zone configured".into());
        }
        if self.spread == Spread::Zones {
            let per_az = (k + m).div_ceil(az_count);
            if per_az > m {
                return Err(format!(
                    "RS({k},{m}) spread over {az_count} AZ(s) puts up to {per_az} shards in one AZ, \
                     more than the {m} parity shards: losing that AZ would lose data \
                     (needs at least {} AZs)",
                    (k + m).div_ceil(m)
                ));
            }
        }
        Ok(())
    }
}

/// Size of the block of a final, partial stripe holding `remaining` bytes (0 < remaining < k × block_size).
pub fn last_block_size(remaining: u64, k: u64) -> u64 {
    remaining
        .div_ceil(k)
        .next_multiple_of(BLOCK_ALIGN)
        .max(BLOCK_ALIGN)
}

/// Where things are in a blob of `size` bytes encoded RS(k, ·) with `block_size`.
///
/// Stripe s covers data bytes [s × k × block_size, ...); all stripes but the last are full. In every
/// shard file, stripe s starts at `SHARD_HEADER_LEN + s × (block_size + 32)` because only the last
/// stripe may be shorter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StripeGeometry {
    pub size: u64,
    pub data_shards: u64,
    pub block_size: u64,
}

impl StripeGeometry {
    pub fn new(size: u64, data_shards: u8, block_size: u32) -> StripeGeometry {
        StripeGeometry {
            size,
            data_shards: u64::from(data_shards),
            block_size: u64::from(block_size),
        }
    }

    /// Data bytes in a full stripe.
    pub fn full_stripe_len(&self) -> u64 {
        self.data_shards * self.block_size
    }

    pub fn stripe_count(&self) -> u64 {
        self.size.div_ceil(self.full_stripe_len())
    }

    /// Offset of the stripe's first data byte in the blob.
    pub fn stripe_start(&self, stripe: u64) -> u64 {
        stripe * self.full_stripe_len()
    }

    /// Data bytes (without padding) held by the stripe.
    pub fn stripe_data_len(&self, stripe: u64) -> u64 {
        let start = self.stripe_start(stripe);
        self.size.saturating_sub(start).min(self.full_stripe_len())
    }

    /// Block size used by every shard of the stripe.
    pub fn block_len(&self, stripe: u64) -> u64 {
        let len = self.stripe_data_len(stripe);
        if len == self.full_stripe_len() {
            self.block_size
        } else {
            last_block_size(len, self.data_shards)
        }
    }

    /// Offset of the stripe's block (followed by its hash) in every shard file.
    pub fn block_offset_in_shard(&self, stripe: u64) -> u64 {
        SHARD_HEADER_LEN as u64 + stripe * (self.block_size + BLOCK_HASH_LEN as u64)
    }

    /// Exact length of every shard file of the blob.
    pub fn shard_file_len(&self) -> u64 {
        match self.stripe_count() {
            0 => SHARD_HEADER_LEN as u64,
            n => self.block_offset_in_shard(n - 1) + self.block_len(n - 1) + BLOCK_HASH_LEN as u64,
        }
    }

    /// Stripes touched by the non-empty byte range [start, end).
    pub fn stripes_of_range(&self, start: u64, end: u64) -> std::ops::Range<u64> {
        if start >= end {
            return 0..0;
        }
        let full = self.full_stripe_len();
        start / full..(end - 1) / full + 1
    }

    /// For one stripe and a blob byte range, the data blocks to read and, per block, the bytes of it
    /// to return: `(block index, start within block, end within block)`. Padding is never returned.
    pub fn blocks_of_range(&self, stripe: u64, start: u64, end: u64) -> Vec<(usize, u64, u64)> {
        let stripe_start = self.stripe_start(stripe);
        let stripe_end = stripe_start + self.stripe_data_len(stripe);
        let lo = start.max(stripe_start);
        let hi = end.min(stripe_end);
        if lo >= hi {
            return Vec::new();
        }
        let block = self.block_len(stripe);
        let (lo, hi) = (lo - stripe_start, hi - stripe_start);
        (lo / block..(hi - 1) / block + 1)
            .map(|j| {
                let block_start = j * block;
                let from = lo.max(block_start) - block_start;
                let to = hi.min(block_start + block) - block_start;
                (j as usize, from, to)
            })
            .collect()
    }
}

/// Chooses the location of every shard of a blob. `pool_drives[a]` lists the drives of AZ a the
/// layout's pool may use (indices into the AZ's drives; each list non-empty). The layout must
/// have been validated against `pool_drives.len()` AZs.
pub fn place_shards(layout: &Layout, id: &BlobId, pool_drives: &[Vec<u16>]) -> Vec<ShardLocation> {
    let total = usize::from(layout.data_shards) + usize::from(layout.parity_shards);
    let az_count = pool_drives.len().max(1);
    // The id is random, so its bytes spread both the starting AZ and the starting drive evenly.
    let seed = u64::from_le_bytes([
        id.0[0], id.0[1], id.0[2], id.0[3], id.0[4], id.0[5], id.0[6], id.0[7],
    ]);
    let drive_seed = u64::from_le_bytes([
        id.0[8], id.0[9], id.0[10], id.0[11], id.0[12], id.0[13], id.0[14], id.0[15],
    ]) as usize;
    let start = (seed % az_count as u64) as usize;
    (0..total)
        .map(|i| {
            let (az, ordinal_in_az) = match layout.spread {
                Spread::Zones => ((start + i) % az_count, i / az_count),
                Spread::SingleZone => (start, i),
            };
            let drives = pool_drives.get(az).map(Vec::as_slice).unwrap_or(&[]);
            let drive = match drives.len() {
                0 => 0,
                n => drives[drive_seed.wrapping_add(ordinal_in_az) % n],
            };
            ShardLocation {
                az: az as u16,
                drive,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn layout(k: u8, m: u8, block_size: u32, spread: Spread) -> Layout {
        Layout {
            data_shards: k,
            parity_shards: m,
            block_size,
            spread,
            pool: Pool::Hot,
        }
    }

    #[test]
    fn validate_accepts_and_rejects_per_table() {
        use Spread::*;
        let table: &[(Layout, usize, bool)] = &[
            (layout(4, 2, 1 << 20, Zones), 3, true),
            (layout(4, 2, 1 << 20, Zones), 2, false), // 3 per AZ > m = 2
            (layout(4, 2, 1 << 20, Zones), 6, true),
            (layout(4, 2, 1 << 20, Zones), 1, false),
            (layout(10, 4, 1 << 20, Zones), 4, true), // ceil(14/4) = 4 <= 4
            (layout(10, 4, 1 << 20, Zones), 3, false),
            (layout(4, 2, 1 << 20, SingleZone), 1, true),
            (layout(4, 2, 1 << 20, SingleZone), 0, false),
            (layout(0, 2, 1 << 20, Zones), 3, false),
            (layout(4, 0, 1 << 20, SingleZone), 1, false),
            (layout(200, 56, 4096, SingleZone), 1, false), // 256 shards
            (layout(200, 55, 4096, SingleZone), 1, true),
            (layout(4, 2, 0, Zones), 3, false),
            (layout(4, 2, 100, Zones), 3, false), // not a multiple of 64
            (layout(4, 2, 64, Zones), 3, true),
            (layout(4, 2, MAX_BLOCK_SIZE, Zones), 3, true),
            (layout(4, 2, MAX_BLOCK_SIZE + 64, Zones), 3, false),
        ];
        for (layout, azs, ok) in table {
            assert_eq!(
                layout.validate(*azs).is_ok(),
                *ok,
                "{layout:?} over {azs} AZs: {:?}",
                layout.validate(*azs)
            );
        }
    }

    #[test]
    fn last_block_is_small_and_aligned() {
        assert_eq!(last_block_size(10, 4), 64);
        assert_eq!(last_block_size(1, 1), 64);
        assert_eq!(last_block_size(257, 4), 128); // ceil(257/4) = 65 -> 128
        assert_eq!(last_block_size(4096 * 4 - 1, 4), 4096);
        let g = StripeGeometry::new(10, 4, 1 << 20);
        assert_eq!(g.stripe_count(), 1);
        assert_eq!(g.block_len(0), 64);
        assert_eq!(
            g.shard_file_len(),
            (SHARD_HEADER_LEN + 64 + BLOCK_HASH_LEN) as u64
        );
    }

    #[test]
    fn geometry_of_exact_and_partial_stripes() {
        let g = StripeGeometry::new(4 * 4096 * 2, 4, 4096);
        assert_eq!(g.stripe_count(), 2);
        assert_eq!(g.block_len(1), 4096);
        let g = StripeGeometry::new(4 * 4096 * 2 + 1, 4, 4096);
        assert_eq!(g.stripe_count(), 3);
        assert_eq!(g.stripe_data_len(2), 1);
        assert_eq!(g.block_len(2), 64);
        assert_eq!(
            g.block_offset_in_shard(2),
            (SHARD_HEADER_LEN + 2 * (4096 + BLOCK_HASH_LEN)) as u64
        );
        let g = StripeGeometry::new(0, 4, 4096);
        assert_eq!(g.stripe_count(), 0);
        assert_eq!(g.shard_file_len(), SHARD_HEADER_LEN as u64);
        assert_eq!(g.stripes_of_range(0, 0), 0..0);
    }

    proptest! {
        #[test]
        fn blocks_of_range_cover_the_range_exactly(
            k in 1u8..8, blocks in 1u32..4, size in 0u64..100_000, a in 0u64..100_000, b in 0u64..100_000,
        ) {
            let block_size = blocks * 64;
            let g = StripeGeometry::new(size, k, block_size);
            let (start, end) = (a.min(b).min(size), a.max(b).min(size));
            let mut covered = Vec::new();
            for s in g.stripes_of_range(start, end) {
                let block = g.block_len(s);
                prop_assert!(block.is_multiple_of(BLOCK_ALIGN) && block <= u64::from(block_size));
                prop_assert!(block * u64::from(k) >= g.stripe_data_len(s));
                for (j, from, to) in g.blocks_of_range(s, start, end) {
                    prop_assert!(j < usize::from(k) && from < to && to <= block);
                    let base = g.stripe_start(s) + j as u64 * block;
                    covered.push((base + from, base + to));
                }
            }
            let mut at = start;
            for (from, to) in covered {
                prop_assert_eq!(from, at);
                at = to;
            }
            prop_assert_eq!(at, end);
        }

        #[test]
        fn placement_never_puts_more_than_m_shards_in_one_az(
            k in 1u8..20, m in 1u8..8, azs in 1usize..9, drives in proptest::collection::vec(1usize..4, 8),
            id in any::<[u8; 16]>(), single in any::<bool>(),
        ) {
            let spread = if single { Spread::SingleZone } else { Spread::Zones };
            let layout = layout(k, m, 4096, spread.clone());
            prop_assume!(layout.validate(azs).is_ok());
            let drives = &drives[..azs];
            let pool_drives: Vec<Vec<u16>> = drives.iter().map(|&n| (0..n as u16).collect()).collect();
            let placement = place_shards(&layout, &BlobId(id), &pool_drives);
            prop_assert_eq!(placement.len(), usize::from(k) + usize::from(m));
            let mut per_az = vec![0usize; azs];
            let mut per_drive = std::collections::HashMap::new();
            for loc in &placement {
                prop_assert!(usize::from(loc.drive) < drives[usize::from(loc.az)]);
                per_az[usize::from(loc.az)] += 1;
                *per_drive.entry((loc.az, loc.drive)).or_insert(0usize) += 1;
            }
            if spread == Spread::Zones {
                prop_assert!(per_az.iter().all(|&n| n <= usize::from(m)), "{:?}", per_az);
            } else {
                prop_assert_eq!(per_az.iter().filter(|&&n| n > 0).count(), 1);
            }
            // Round-robin: drives of one AZ differ in load by at most one shard.
            for (az, &count) in per_az.iter().enumerate() {
                let loads: Vec<usize> = (0..drives[az])
                    .map(|d| per_drive.get(&(az as u16, d as u16)).copied().unwrap_or(0))
                    .collect();
                let (lo, hi) = (loads.iter().min().copied().unwrap_or(0), loads.iter().max().copied().unwrap_or(0));
                prop_assert!(count == 0 || hi - lo <= 1, "{:?}", loads);
            }
        }
    }
}
