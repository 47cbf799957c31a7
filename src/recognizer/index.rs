//! Nearest-neighbour search over phrase embeddings: exact brute force for small command sets,
//! instant-distance HNSW above [`HNSW_MIN_ENTRIES`].
//!
//! Built when a command set loads (engine thread or CLI), searched per utterance.

use instant_distance::{Builder, HnswMap, Point, Search};

/// Below this many entries a linear scan is faster than the graph.
pub const HNSW_MIN_ENTRIES: usize = 512;

/// A unit-length embedding; distance is 1 - cosine.
#[derive(Clone, Debug)]
pub struct Embedding(pub Vec<f32>);

impl Point for Embedding {
    fn distance(&self, other: &Self) -> f32 {
        1.0 - dot(&self.0, &other.0)
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// One hit: the entry's value and its cosine similarity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit<V> {
    pub value: V,
    pub similarity: f32,
}

/// The index.
pub enum PhraseIndex<V: Clone + Send + Sync> {
    Exact(Vec<(Embedding, V)>),
    Graph(HnswMap<Embedding, V>),
}

impl<V: Clone + Send + Sync> PhraseIndex<V> {
    /// Builds the index over `entries`.
    pub fn build(entries: Vec<(Embedding, V)>) -> Self {
        if entries.len() < HNSW_MIN_ENTRIES {
            return PhraseIndex::Exact(entries);
        }
        let (points, values): (Vec<_>, Vec<_>) = entries.into_iter().unzip();
        PhraseIndex::Graph(Builder::default().seed(7).build(points, values))
    }

    /// The `k` most similar entries, best first.
    pub fn search(&self, query: &Embedding, k: usize) -> Vec<Hit<V>> {
        match self {
            PhraseIndex::Exact(entries) => {
                let mut hits: Vec<Hit<V>> =
                    entries.iter().map(|(e, v)| Hit { value: v.clone(), similarity: dot(&e.0, &query.0) }).collect();
                hits.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
                hits.truncate(k);
                hits
            }
            PhraseIndex::Graph(map) => {
                let mut search = Search::default();
                map.search(query, &mut search)
                    .take(k)
                    .map(|item| Hit { value: item.value.clone(), similarity: 1.0 - item.distance })
                    .collect()
            }
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        match self {
            PhraseIndex::Exact(e) => e.len(),
            PhraseIndex::Graph(m) => m.iter().count(),
        }
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(seed: u32, dim: usize) -> Embedding {
        let mut x = seed.wrapping_mul(2654435761).max(1);
        let v: Vec<f32> = (0..dim)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x as f32 / u32::MAX as f32) - 0.5
            })
            .collect();
        let n = v.iter().map(|a| a * a).sum::<f32>().sqrt();
        Embedding(v.into_iter().map(|a| a / n).collect())
    }

    #[test]
    fn exact_and_graph_find_the_same_nearest_entry() {
        for count in [10, 2000] {
            let entries: Vec<(Embedding, usize)> = (0..count).map(|i| (unit(i as u32 + 1, 32), i)).collect();
            let index = PhraseIndex::build(entries.clone());
            assert_eq!(matches!(index, PhraseIndex::Graph(_)), count >= HNSW_MIN_ENTRIES);
            for probe in [3usize, 7, 9] {
                let hits = index.search(&entries[probe].0, 3);
                assert_eq!(hits[0].value, probe);
                assert!((hits[0].similarity - 1.0).abs() < 1e-4);
            }
        }
    }
}
