//! Key stores with bounded capacity and O(1) operations, one per cache instance.
//!
//! Every policy keeps its entries in a slab (`Vec`) indexed by a small integer, and a hash map
//! from key to slot with a cheap multiplicative hasher (keys are already well spread integers;
//! SipHash would cost more than the rest of a lookup). Lookups, inserts, removals and evictions
//! are O(1) for every policy:
//!
//! * `lru`: a doubly linked list in slab order of use; evict the tail;
//! * `fifo`: the same list in order of insertion (a hit does not move the entry);
//! * `lfu`: the classic O(1) LFU: entries hang in per-frequency lists, and the frequency lists
//!   themselves form an ordered list; evict the oldest entry of the lowest frequency;
//! * `random`: evict a uniformly random resident entry (swap-remove in a dense array).
//!
//! A TTL is checked on lookup: an entry older than the TTL counts as a miss and is removed.

use rand::Rng;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Eviction policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eviction {
    /// Least recently used.
    Lru,
    /// Least frequently used (ties: least recently inserted at that frequency).
    Lfu,
    /// First in, first out.
    Fifo,
    /// A random resident entry.
    Random,
}

impl Eviction {
    /// Parses a policy name.
    pub fn parse(s: &str) -> Option<Eviction> {
        Some(match s {
            "lru" => Eviction::Lru,
            "lfu" => Eviction::Lfu,
            "fifo" => Eviction::Fifo,
            "random" => Eviction::Random,
            _ => return None,
        })
    }
    /// The policy names.
    pub const NAMES: &'static [&'static str] = &["lru", "lfu", "fifo", "random"];
}

/// A multiplicative hasher for integer keys (Fibonacci hashing).
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ *b as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type KeyMap = HashMap<u64, u32, BuildHasherDefault<KeyHasher>>;

const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Node {
    key: u64,
    stored_ns: u64,
    prev: u32,
    next: u32,
    /// LFU: the frequency list this node hangs in; random: its index in `dense`.
    aux: u32,
}

/// LFU frequency list header.
#[derive(Clone, Copy, Debug)]
struct Freq {
    count: u64,
    head: u32,
    tail: u32,
    prev: u32,
    next: u32,
}

/// A bounded key store.
pub struct KeyStore {
    policy: Eviction,
    capacity: usize,
    ttl_ns: Option<u64>,
    map: KeyMap,
    nodes: Vec<Node>,
    free: Vec<u32>,
    // lru / fifo: most recent at head, evict at tail
    head: u32,
    tail: u32,
    // lfu
    freqs: Vec<Freq>,
    free_freqs: Vec<u32>,
    lowest: u32,
    // random
    dense: Vec<u32>,
    /// Entries evicted to make room.
    pub evictions: u64,
    /// Entries found expired on lookup.
    pub expirations: u64,
}

/// What a lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Present and fresh.
    Hit,
    /// Absent.
    Miss,
    /// Present but older than the TTL (now removed).
    Expired,
}

impl KeyStore {
    /// A store of at most `capacity` entries. Nothing is reserved up front: the store grows
    /// with the keys it is given, so a thousand instances of a large cache that sees few keys
    /// cost what they hold, not what they could hold (issue 11 item 3).
    pub fn new(policy: Eviction, capacity: usize, ttl_ns: Option<u64>) -> Self {
        Self {
            policy,
            capacity,
            ttl_ns,
            map: KeyMap::default(),
            nodes: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            freqs: Vec::new(),
            free_freqs: Vec::new(),
            lowest: NIL,
            dense: Vec::new(),
            evictions: 0,
            expirations: 0,
        }
    }

    /// Bytes reserved on the heap now (entry slab, key map, lists), for the memory estimate
    /// and its tests.
    pub fn reserved_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.map.capacity() * (std::mem::size_of::<(u64, u32)>() + 1)
            + (self.free.capacity() + self.dense.capacity() + self.free_freqs.capacity()) * 4
            + self.freqs.capacity() * std::mem::size_of::<Freq>()
    }

    /// Bytes one entry may cost at most once the store has grown to hold it: its slab slot and
    /// key-map slot, each at most doubled by growth (a `Vec` doubles; the map keeps 1/8 free
    /// and doubles), and its place in the free or random-eviction list.
    pub const ENTRY_BYTES: usize = 2 * std::mem::size_of::<Node>()
        + 2 * (std::mem::size_of::<(u64, u32)>() + 1) * 8 / 7
        + 2 * 4;

    /// Entries held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Looks `key` up at `now_ns`, counting the use for LRU and LFU.
    pub fn get(&mut self, key: u64, now_ns: u64) -> Lookup {
        let Some(&slot) = self.map.get(&key) else {
            return Lookup::Miss;
        };
        if let Some(ttl) = self.ttl_ns {
            if now_ns.saturating_sub(self.nodes[slot as usize].stored_ns) > ttl {
                self.remove_slot(slot);
                self.expirations += 1;
                return Lookup::Expired;
            }
        }
        match self.policy {
            Eviction::Lru => {
                self.unlink(slot);
                self.push_front(slot);
            }
            Eviction::Lfu => self.lfu_bump(slot),
            Eviction::Fifo | Eviction::Random => {}
        }
        Lookup::Hit
    }

    /// When `key` was stored, if present.
    pub fn stored_at(&self, key: u64) -> Option<u64> {
        self.map
            .get(&key)
            .map(|&s| self.nodes[s as usize].stored_ns)
    }

    /// Whether `key` is present (without counting a use or checking the TTL).
    pub fn contains(&self, key: u64) -> bool {
        self.map.contains_key(&key)
    }

    /// Stores `key` at `now_ns` (refreshing it if present), evicting if full.
    pub fn insert<R: Rng + ?Sized>(&mut self, key: u64, now_ns: u64, rng: &mut R) {
        if self.capacity == 0 {
            return;
        }
        if let Some(&slot) = self.map.get(&key) {
            self.nodes[slot as usize].stored_ns = now_ns;
            if self.policy == Eviction::Lru {
                self.unlink(slot);
                self.push_front(slot);
            }
            return;
        }
        if self.map.len() >= self.capacity {
            self.evict(rng);
        }
        let node = Node {
            key,
            stored_ns: now_ns,
            prev: NIL,
            next: NIL,
            aux: NIL,
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.nodes[s as usize] = node;
                s
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        self.map.insert(key, slot);
        match self.policy {
            Eviction::Lru | Eviction::Fifo => self.push_front(slot),
            Eviction::Lfu => self.lfu_insert(slot),
            Eviction::Random => {
                self.nodes[slot as usize].aux = self.dense.len() as u32;
                self.dense.push(slot);
            }
        }
    }

    /// Removes `key` if present; returns whether it was.
    pub fn remove(&mut self, key: u64) -> bool {
        match self.map.get(&key) {
            Some(&slot) => {
                self.remove_slot(slot);
                true
            }
            None => false,
        }
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        let (policy, capacity, ttl) = (self.policy, self.capacity, self.ttl_ns);
        let (e, x) = (self.evictions, self.expirations);
        *self = KeyStore::new(policy, capacity, ttl);
        self.evictions = e;
        self.expirations = x;
    }

    fn evict<R: Rng + ?Sized>(&mut self, rng: &mut R) {
        let victim = match self.policy {
            Eviction::Lru | Eviction::Fifo => self.tail,
            Eviction::Lfu => self.freqs[self.lowest as usize].tail,
            Eviction::Random => self.dense[rng.random_range(0..self.dense.len())],
        };
        if victim != NIL {
            self.remove_slot(victim);
            self.evictions += 1;
        }
    }

    fn remove_slot(&mut self, slot: u32) {
        let key = self.nodes[slot as usize].key;
        self.map.remove(&key);
        match self.policy {
            Eviction::Lru | Eviction::Fifo => self.unlink(slot),
            Eviction::Lfu => self.lfu_unlink(slot),
            Eviction::Random => {
                let i = self.nodes[slot as usize].aux as usize;
                self.dense.swap_remove(i);
                if i < self.dense.len() {
                    let moved = self.dense[i];
                    self.nodes[moved as usize].aux = i as u32;
                }
            }
        }
        self.free.push(slot);
    }

    // ----- lru / fifo list -----

    fn unlink(&mut self, slot: u32) {
        let Node { prev, next, .. } = self.nodes[slot as usize];
        if prev != NIL {
            self.nodes[prev as usize].next = next;
        } else {
            self.head = next;
        }
        if next != NIL {
            self.nodes[next as usize].prev = prev;
        } else {
            self.tail = prev;
        }
    }

    fn push_front(&mut self, slot: u32) {
        let n = &mut self.nodes[slot as usize];
        n.prev = NIL;
        n.next = self.head;
        if self.head != NIL {
            self.nodes[self.head as usize].prev = slot;
        } else {
            self.tail = slot;
        }
        self.head = slot;
    }

    // ----- lfu -----

    fn new_freq(&mut self, count: u64, prev: u32, next: u32) -> u32 {
        let f = Freq {
            count,
            head: NIL,
            tail: NIL,
            prev,
            next,
        };
        let i = match self.free_freqs.pop() {
            Some(i) => {
                self.freqs[i as usize] = f;
                i
            }
            None => {
                self.freqs.push(f);
                (self.freqs.len() - 1) as u32
            }
        };
        if prev != NIL {
            self.freqs[prev as usize].next = i;
        } else {
            self.lowest = i;
        }
        if next != NIL {
            self.freqs[next as usize].prev = i;
        }
        i
    }

    /// Hangs `slot` at the head (newest) of frequency list `f`.
    fn freq_push(&mut self, f: u32, slot: u32) {
        let head = self.freqs[f as usize].head;
        let n = &mut self.nodes[slot as usize];
        n.aux = f;
        n.prev = NIL;
        n.next = head;
        if head != NIL {
            self.nodes[head as usize].prev = slot;
        } else {
            self.freqs[f as usize].tail = slot;
        }
        self.freqs[f as usize].head = slot;
    }

    /// Unhooks `slot` from its frequency list; drops the list if it empties. Returns the
    /// neighbours of the list (prev, next) as they are after the removal, and whether the list
    /// survived.
    fn freq_unhook(&mut self, slot: u32) -> (u32, u32, bool) {
        let Node {
            prev, next, aux, ..
        } = self.nodes[slot as usize];
        let f = aux;
        if prev != NIL {
            self.nodes[prev as usize].next = next;
        } else {
            self.freqs[f as usize].head = next;
        }
        if next != NIL {
            self.nodes[next as usize].prev = prev;
        } else {
            self.freqs[f as usize].tail = prev;
        }
        let Freq {
            head,
            prev: fp,
            next: fn_,
            ..
        } = self.freqs[f as usize];
        if head == NIL {
            if fp != NIL {
                self.freqs[fp as usize].next = fn_;
            } else {
                self.lowest = fn_;
            }
            if fn_ != NIL {
                self.freqs[fn_ as usize].prev = fp;
            }
            self.free_freqs.push(f);
            (fp, fn_, false)
        } else {
            (fp, fn_, true)
        }
    }

    fn lfu_insert(&mut self, slot: u32) {
        let f = if self.lowest != NIL && self.freqs[self.lowest as usize].count == 1 {
            self.lowest
        } else {
            let next = self.lowest;
            self.new_freq(1, NIL, next)
        };
        self.freq_push(f, slot);
    }

    fn lfu_bump(&mut self, slot: u32) {
        let f = self.nodes[slot as usize].aux;
        let count = self.freqs[f as usize].count;
        let (prev, next, kept) = self.freq_unhook(slot);
        let before = if kept { f } else { prev };
        let target = if next != NIL && self.freqs[next as usize].count == count + 1 {
            next
        } else {
            self.new_freq(count + 1, before, next)
        };
        self.freq_push(target, slot);
    }

    fn lfu_unlink(&mut self, slot: u32) {
        self.freq_unhook(slot);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_new_store_reserves_nothing_up_front() {
        // 1000 instances of capacity 100000 reserved 4.45 GB of address space at start-up.
        let s = super::KeyStore::new(super::Eviction::Lru, 100_000, None);
        assert_eq!(s.nodes.capacity(), 0);
        assert_eq!(s.map.capacity(), 0);
        assert_eq!(s.reserved_bytes(), 0);
    }

    use super::*;
    use archsim_engine::stream;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    #[test]
    fn lru_evicts_the_least_recently_used() {
        let mut rng = stream(1, "t");
        let mut s = KeyStore::new(Eviction::Lru, 2, None);
        s.insert(1, 0, &mut rng);
        s.insert(2, 0, &mut rng);
        assert_eq!(s.get(1, 0), Lookup::Hit);
        s.insert(3, 0, &mut rng); // evicts 2
        assert_eq!(s.get(2, 0), Lookup::Miss);
        assert_eq!(s.get(1, 0), Lookup::Hit);
        assert_eq!(s.evictions, 1);
    }

    #[test]
    fn lfu_evicts_the_least_frequently_used() {
        let mut rng = stream(1, "t");
        let mut s = KeyStore::new(Eviction::Lfu, 2, None);
        s.insert(1, 0, &mut rng);
        s.insert(2, 0, &mut rng);
        s.get(1, 0);
        s.get(1, 0);
        s.get(2, 0);
        s.insert(3, 0, &mut rng); // 2 has count 2, 1 has 3: evict 2
        assert!(s.contains(1) && s.contains(3) && !s.contains(2));
        s.insert(4, 0, &mut rng); // 3 has count 1: evict it
        assert!(s.contains(1) && s.contains(4) && !s.contains(3));
    }

    #[test]
    fn fifo_ignores_hits_and_ttl_expires() {
        let mut rng = stream(1, "t");
        let mut s = KeyStore::new(Eviction::Fifo, 2, Some(100));
        s.insert(1, 0, &mut rng);
        s.insert(2, 0, &mut rng);
        s.get(1, 0);
        s.insert(3, 0, &mut rng); // evicts 1, the first in
        assert!(!s.contains(1));
        assert_eq!(s.get(2, 100), Lookup::Hit);
        assert_eq!(s.get(2, 101), Lookup::Expired);
        assert_eq!(s.get(2, 101), Lookup::Miss);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Get(u64),
        Insert(u64),
        Remove(u64),
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        proptest::collection::vec(
            prop_oneof![
                (0u64..12).prop_map(Op::Get),
                (0u64..12).prop_map(Op::Insert),
                (0u64..12).prop_map(Op::Remove),
            ],
            0..300,
        )
    }

    proptest! {
        /// LRU against a naive model: a VecDeque ordered by recency.
        #[test]
        fn lru_matches_naive(ops in ops(), cap in 1usize..6) {
            let mut rng = stream(1, "t");
            let mut s = KeyStore::new(Eviction::Lru, cap, None);
            let mut m: VecDeque<u64> = VecDeque::new();
            for op in ops {
                match op {
                    Op::Get(k) => {
                        let hit = s.get(k, 0) == Lookup::Hit;
                        let pos = m.iter().position(|x| *x == k);
                        prop_assert_eq!(hit, pos.is_some());
                        if let Some(p) = pos { m.remove(p); m.push_front(k); }
                    }
                    Op::Insert(k) => {
                        s.insert(k, 0, &mut rng);
                        if let Some(p) = m.iter().position(|x| *x == k) { m.remove(p); }
                        else if m.len() == cap { m.pop_back(); }
                        m.push_front(k);
                    }
                    Op::Remove(k) => {
                        let was = s.remove(k);
                        let pos = m.iter().position(|x| *x == k);
                        prop_assert_eq!(was, pos.is_some());
                        if let Some(p) = pos { m.remove(p); }
                    }
                }
                prop_assert_eq!(s.len(), m.len());
            }
        }

        /// LFU against a naive model: counts and insertion stamps, evict min (count, stamp).
        #[test]
        fn lfu_matches_naive(ops in ops(), cap in 1usize..6) {
            let mut rng = stream(1, "t");
            let mut s = KeyStore::new(Eviction::Lfu, cap, None);
            // key -> (count, stamp of last move into its count)
            let mut m: Vec<(u64, u64, u64)> = Vec::new();
            let mut stamp = 0u64;
            for op in ops {
                stamp += 1;
                match op {
                    Op::Get(k) => {
                        let hit = s.get(k, 0) == Lookup::Hit;
                        let pos = m.iter().position(|x| x.0 == k);
                        prop_assert_eq!(hit, pos.is_some());
                        if let Some(p) = pos { m[p].1 += 1; m[p].2 = stamp; }
                    }
                    Op::Insert(k) => {
                        s.insert(k, 0, &mut rng);
                        if !m.iter().any(|x| x.0 == k) {
                            if m.len() == cap {
                                let (i, _) = m.iter().enumerate().min_by_key(|(_, x)| (x.1, x.2)).unwrap();
                                m.remove(i);
                            }
                            m.push((k, 1, stamp));
                        }
                    }
                    Op::Remove(k) => {
                        let was = s.remove(k);
                        let pos = m.iter().position(|x| x.0 == k);
                        prop_assert_eq!(was, pos.is_some());
                        if let Some(p) = pos { m.remove(p); }
                    }
                }
                let mut got: Vec<u64> = m.iter().map(|x| x.0).collect();
                got.sort_unstable();
                for k in &got { prop_assert!(s.contains(*k), "missing {}", k); }
                prop_assert_eq!(s.len(), m.len());
            }
        }

        /// FIFO and random keep within capacity and agree with membership.
        #[test]
        fn fifo_and_random_stay_bounded(ops in ops(), cap in 1usize..6, random in any::<bool>()) {
            let mut rng = stream(1, "t");
            let policy = if random { Eviction::Random } else { Eviction::Fifo };
            let mut s = KeyStore::new(policy, cap, None);
            for op in ops {
                match op {
                    Op::Get(k) => { let _ = s.get(k, 0); }
                    Op::Insert(k) => { s.insert(k, 0, &mut rng); prop_assert!(s.contains(k)); }
                    Op::Remove(k) => { s.remove(k); prop_assert!(!s.contains(k)); }
                }
                prop_assert!(s.len() <= cap);
            }
        }
    }
}
