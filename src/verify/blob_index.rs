//! The blob table as phase 1 looks blobs up: SHA-1 -> a dense number, and
//! per number the table entry and its recorded reference count.
//!
//! An install image has hundreds of thousands of blobs, and the tree walk
//! keeps two facts per blob (references found, first path). Keyed by a
//! dense number those are plain vectors of a few bytes per blob; keyed by
//! SHA-1 each was a hash map of its own, which cost more memory at the
//! walk's peak than the rest of the plan (see `scripts/bench.sh lzx`).

use std::collections::HashMap;

/// A blob of the table, as recorded there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Known {
    /// Index of its entry in its part's blob table.
    pub entry: u32,
    /// The reference count the entry records.
    pub refcount: u32,
}

/// SHA-1 -> dense blob number (`0..len()`, in the order blobs were added).
#[derive(Clone, Debug, Default)]
pub struct BlobIndex {
    ids: HashMap<[u8; 20], u32>,
    blobs: Vec<Known>,
}

impl BlobIndex {
    /// Adds a blob; if its SHA-1 is already known, returns the entry that
    /// holds it instead (readers use only one of the two). Past u32::MAX
    /// blobs nothing is added (the blob table's entry limit is far lower).
    pub fn insert(&mut self, sha1: [u8; 20], known: Known) -> Result<u32, u32> {
        use std::collections::hash_map::Entry;
        let Ok(id) = u32::try_from(self.blobs.len()) else {
            return Err(known.entry);
        };
        match self.ids.entry(sha1) {
            Entry::Occupied(o) => Err(self.blobs[*o.get() as usize].entry),
            Entry::Vacant(v) => {
                v.insert(id);
                self.blobs.push(known);
                Ok(id)
            }
        }
    }

    /// The number of the blob with this SHA-1.
    pub fn id(&self, sha1: &[u8; 20]) -> Option<u32> {
        self.ids.get(sha1).copied()
    }

    /// The blob numbered `id`.
    pub fn get(&self, id: u32) -> Option<Known> {
        self.blobs.get(id as usize).copied()
    }

    pub fn contains(&self, sha1: &[u8; 20]) -> bool {
        self.ids.contains_key(sha1)
    }

    pub fn len(&self) -> usize {
        self.blobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.blobs.is_empty()
    }

    /// Every blob as (SHA-1, number), in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8; 20], u32)> {
        self.ids.iter().map(|(h, &id)| (h, id))
    }

    /// Room for `n` more blobs, reserved at once rather than by doubling.
    pub fn reserve(&mut self, n: usize) {
        self.ids.reserve(n);
        self.blobs.reserve_exact(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_dense_and_duplicates_name_the_first_entry() {
        let mut ix = BlobIndex::default();
        let k = |entry| Known { entry, refcount: 1 };
        assert_eq!(ix.insert([1; 20], k(7)), Ok(0));
        assert_eq!(ix.insert([2; 20], k(9)), Ok(1));
        assert_eq!(ix.insert([1; 20], k(12)), Err(7));
        assert_eq!(ix.len(), 2);
        assert_eq!(ix.id(&[2; 20]), Some(1));
        assert_eq!(ix.get(1), Some(k(9)));
        assert_eq!(ix.id(&[3; 20]), None);
        assert_eq!(ix.get(2), None);
    }
}
