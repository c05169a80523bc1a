//! Reed–Solomon coding of one stripe: k data blocks in, m parity blocks out, and back.
//!
//! This file owns the codec (reed-solomon-erasure, GF(2^8), SIMD) and a cache of codec instances per
//! (k, m), because building one computes and inverts matrices and the decoder keeps an LRU of
//! inverted matrices worth reusing. It must not touch files: callers hand it blocks.
//! Invariant: all blocks of a stripe have the same length (the stripe's block size); padding bytes of
//! the last stripe are zeros, so encoding is deterministic and a rebuilt shard is byte-identical.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reed_solomon_erasure::galois_8::ReedSolomon;

/// Codecs by (k, m).
type CodecMap = HashMap<(u8, u8), Arc<ReedSolomon>>;

/// Shared, lazily built codecs. Cheap to clone.
#[derive(Clone, Default)]
pub struct CodecCache {
    codecs: Arc<Mutex<CodecMap>>,
}

impl CodecCache {
    /// The codec for RS(k, m); fails for layouts the codec refuses (k = 0, m = 0, k + m > 256).
    pub fn get(&self, data_shards: u8, parity_shards: u8) -> Result<Arc<ReedSolomon>, String> {
        let key = (data_shards, parity_shards);
        // A poisoned lock only means another thread panicked while inserting: the map is still valid.
        let mut codecs = self.codecs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(codec) = codecs.get(&key) {
            return Ok(codec.clone());
        }
        let codec = ReedSolomon::new(usize::from(data_shards), usize::from(parity_shards))
            .map_err(|e| format!("RS({data_shards},{parity_shards}): {e:?}"))?;
        let codec = Arc::new(codec);
        codecs.insert(key, codec.clone());
        Ok(codec)
    }
}

/// Computes the parity blocks of a stripe. `parity` must hold m buffers of the data blocks' length.
pub fn encode_parity(
    codec: &ReedSolomon,
    data: &[&[u8]],
    parity: &mut [Vec<u8>],
) -> Result<(), String> {
    codec
        .encode_sep(data, parity)
        .map_err(|e| format!("encode: {e:?}"))
}

/// Fills in the missing (`None`) blocks of a stripe from any k present ones. With `data_only`, only
/// data blocks are rebuilt (enough for a read); repair needs parity too.
pub fn reconstruct(
    codec: &ReedSolomon,
    blocks: &mut [Option<Vec<u8>>],
    data_only: bool,
) -> Result<(), String> {
    let result = if data_only {
        codec.reconstruct_data(blocks)
    } else {
        codec.reconstruct(blocks)
    };
    result.map_err(|e| format!("reconstruct: {e:?}"))
}

/// The data blocks of a stripe whose data is shorter than k × block_len: zero-padded copy.
pub fn padded_blocks(data: &[u8], data_shards: usize, block_len: usize) -> Vec<Vec<u8>> {
    (0..data_shards)
        .map(|j| {
            let mut block = vec![0u8; block_len];
            let start = (j * block_len).min(data.len());
            let end = ((j + 1) * block_len).min(data.len());
            block[..end - start].copy_from_slice(&data[start..end]);
            block
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_k_blocks_rebuild_the_rest() {
        let cache = CodecCache::default();
        let codec = cache.get(4, 2).unwrap();
        assert!(Arc::ptr_eq(&codec, &cache.get(4, 2).unwrap()));
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let blocks = padded_blocks(&data, 4, 256);
        assert_eq!(blocks[3][232..], [0u8; 24]);
        let mut parity = vec![vec![0u8; 256]; 2];
        let refs: Vec<&[u8]> = blocks.iter().map(|b| b.as_slice()).collect();
        encode_parity(&codec, &refs, &mut parity).unwrap();
        let all: Vec<Vec<u8>> = blocks.iter().chain(parity.iter()).cloned().collect();

        for lost_a in 0..6 {
            for lost_b in lost_a + 1..6 {
                let mut damaged: Vec<Option<Vec<u8>>> = all.iter().cloned().map(Some).collect();
                damaged[lost_a] = None;
                damaged[lost_b] = None;
                reconstruct(&codec, &mut damaged, false).unwrap();
                let rebuilt: Vec<Vec<u8>> = damaged.into_iter().flatten().collect();
                assert_eq!(rebuilt, all, "lost {lost_a} and {lost_b}");
            }
        }
        let mut too_few: Vec<Option<Vec<u8>>> = all.iter().cloned().map(Some).collect();
        too_few[0] = None;
        too_few[1] = None;
        too_few[5] = None;
        assert!(reconstruct(&codec, &mut too_few, true).is_err());
        assert!(cache.get(0, 2).is_err());
    }
}
