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
//!
//! **Bytes.** A store may also have a byte budget (Redis' `maxmemory`): each entry then has a
//! size, and an insert evicts by the policy until the new entry fits under the budget as well
//! as under the entry count (several small entries may go for one big one: each entry is
//! evicted at most once after its insert, so this stays O(1) amortised). An entry bigger than
//! the whole budget is not stored (`too_big`). The size lives in the node's padding, so a store
//! without a budget is the same size and does the same work as before. [`EntrySizes`] gives
//! each key its one size in a run.

use crate::dist::Dist;
use archsim_engine::{derive_seed, Stream};
use rand::{Rng, SeedableRng};
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

/// The size of each key's entry in a cache: one draw of a size distribution per key, a pure
/// function of the run's seed, the component's name and the key, so a key weighs the same on
/// every instance, at every miss and refill, and in a test that asks for it (the draws move no
/// other stream). A draw is at least 1 byte and at most [`MAX_ENTRY_DRAW`] bytes.
#[derive(Clone, Debug)]
pub struct EntrySizes {
    dist: Dist,
    salt: u64,
}

/// The largest size of one entry (a draw above it is clamped): what a node keeps (`u32`).
pub const MAX_ENTRY_DRAW: u64 = u32::MAX as u64;

impl EntrySizes {
    /// The sizes of component `component`'s entries in a run under `seed` (a replication's
    /// seed), drawn from `dist` (a distribution of bytes, as `Dist::parse_bytes` reads).
    pub fn new(dist: Dist, seed: u64, component: &str) -> Self {
        EntrySizes {
            dist,
            salt: derive_seed(seed, &format!("component/{component}/entry_size")),
        }
    }

    /// The bytes of `key`'s entry.
    pub fn of(&self, key: u64) -> u32 {
        let mut rng = Stream::seed_from_u64(self.salt ^ key.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        self.dist
            .sample(&mut rng)
            .as_nanos()
            .clamp(1, MAX_ENTRY_DRAW) as u32
    }
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
    /// Bytes (0 in a store without a byte budget).
    size: u32,
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
    /// Byte budget (`u64::MAX`: none) and the bytes of the entries held.
    max_bytes: u64,
    used_bytes: u64,
    /// Entries evicted to make room.
    pub evictions: u64,
    /// Entries not stored because they alone are bigger than the byte budget.
    pub too_big: u64,
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
            max_bytes: u64::MAX,
            used_bytes: 0,
            evictions: 0,
            too_big: 0,
            expirations: 0,
        }
    }

    /// A store of at most `capacity` entries and `max_bytes` bytes of entries.
    pub fn with_budget(
        policy: Eviction,
        capacity: usize,
        ttl_ns: Option<u64>,
        max_bytes: u64,
    ) -> Self {
        Self {
            max_bytes,
            ..Self::new(policy, capacity, ttl_ns)
        }
    }

    /// Bytes of the entries held (0 without sizes).
    pub fn used_bytes(&self) -> u64 {
        self.used_bytes
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
    #[inline]
    pub fn insert<R: Rng + ?Sized>(&mut self, key: u64, now_ns: u64, rng: &mut R) {
        self.insert_sized(key, 0, now_ns, rng)
    }

    /// Stores `key` of `size` bytes at `now_ns` (refreshing it if present: a key keeps the
    /// size it was stored with), evicting until it fits under the entry count and the byte
    /// budget; an entry bigger than the whole budget is not stored (counted in `too_big`).
    pub fn insert_sized<R: Rng + ?Sized>(&mut self, key: u64, size: u32, now_ns: u64, rng: &mut R) {
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
        if size as u64 > self.max_bytes {
            self.too_big += 1;
            return;
        }
        // Without a budget the second test never holds: one eviction when full, as ever.
        while self.map.len() >= self.capacity || self.used_bytes + size as u64 > self.max_bytes {
            if !self.evict(rng) {
                break;
            }
        }
        self.used_bytes += size as u64;
        let node = Node {
            key,
            stored_ns: now_ns,
            prev: NIL,
            next: NIL,
            aux: NIL,
            size,
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
        let (e, x, b) = (self.evictions, self.expirations, self.too_big);
        *self = KeyStore::with_budget(policy, capacity, ttl, self.max_bytes);
        self.evictions = e;
        self.expirations = x;
        self.too_big = b;
    }

    /// Evicts one entry by the policy; false when the store is empty.
    fn evict<R: Rng + ?Sized>(&mut self, rng: &mut R) -> bool {
        let victim = match self.policy {
            Eviction::Lru | Eviction::Fifo => self.tail,
            Eviction::Lfu => self.freqs[self.lowest as usize].tail,
            Eviction::Random if !self.dense.is_empty() => {
                self.dense[rng.random_range(0..self.dense.len())]
            }
            Eviction::Random => NIL,
        };
        if victim != NIL {
            self.remove_slot(victim);
            self.evictions += 1;
        }
        victim != NIL
    }

    fn remove_slot(&mut self, slot: u32) {
        let Node { key, size, .. } = self.nodes[slot as usize];
        self.used_bytes -= size as u64;
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

    #[test]
    fn a_byte_budget_evicts_until_the_new_entry_fits() {
        let mut rng = stream(1, "t");
        let mut s = KeyStore::with_budget(Eviction::Lru, 100, None, 10);
        s.insert_sized(1, 3, 0, &mut rng);
        s.insert_sized(2, 3, 0, &mut rng);
        s.insert_sized(3, 3, 0, &mut rng);
        assert_eq!(s.used_bytes(), 9);
        // 8 bytes: 1, 2 and 3 must go (9 + 8 - 3 - 3 = 11 > 10 with 3 still there).
        s.insert_sized(4, 8, 0, &mut rng);
        assert_eq!((s.len(), s.used_bytes(), s.evictions), (1, 8, 3));
        // Bigger than the whole budget: not stored, nothing evicted.
        s.insert_sized(5, 11, 0, &mut rng);
        assert!(!s.contains(5) && s.contains(4));
        assert_eq!((s.too_big, s.evictions), (1, 3));
        s.remove(4);
        assert_eq!(s.used_bytes(), 0);
    }

    #[test]
    fn entry_sizes_are_one_per_key_and_follow_their_distribution() {
        let d = Dist::parse_bytes("mix(0.5: const(1KiB), 0.5: const(8KiB))").unwrap();
        let a = EntrySizes::new(d.clone(), 7, "cache");
        let b = EntrySizes::new(d.clone(), 7, "cache");
        assert!((0..1000).all(|k| a.of(k) == b.of(k) && a.of(k) == a.of(k)));
        let small = (0..10_000).filter(|&k| a.of(k) == 1024).count();
        let big = (0..10_000).filter(|&k| a.of(k) == 8192).count();
        assert_eq!(small + big, 10_000);
        // Binomial(10,000, 0.5): sd 50.
        assert!(small.abs_diff(5_000) < 250, "{small} small entries");
        // Another seed or component draws other sizes.
        let c = EntrySizes::new(d, 8, "cache");
        assert!((0..100).any(|k| a.of(k) != c.of(k)));
        let z = EntrySizes::new(Dist::Const(0), 1, "cache");
        assert_eq!(z.of(3), 1);
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

        /// LRU with a byte budget against a naive model: evict from the least recently used
        /// end until the new entry fits under both bounds; the bytes held always equal the
        /// sum of the sizes resident and stay within the budget.
        #[test]
        fn lru_with_bytes_matches_naive(ops in ops(), cap in 1usize..8, budget in 1u64..40) {
            let mut rng = stream(1, "t");
            let size = |k: u64| (k * 7 % 13 + 1) as u32;
            let mut s = KeyStore::with_budget(Eviction::Lru, cap, None, budget);
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
                        s.insert_sized(k, size(k), 0, &mut rng);
                        if let Some(p) = m.iter().position(|x| *x == k) {
                            m.remove(p);
                            m.push_front(k);
                        } else if size(k) as u64 <= budget {
                            let used = |m: &VecDeque<u64>| m.iter().map(|&x| size(x) as u64).sum::<u64>();
                            while m.len() >= cap || used(&m) + size(k) as u64 > budget {
                                m.pop_back();
                            }
                            m.push_front(k);
                        }
                    }
                    Op::Remove(k) => {
                        let was = s.remove(k);
                        let pos = m.iter().position(|x| *x == k);
                        prop_assert_eq!(was, pos.is_some());
                        if let Some(p) = pos { m.remove(p); }
                    }
                }
                let used: u64 = m.iter().map(|&x| size(x) as u64).sum();
                prop_assert_eq!(s.len(), m.len());
                prop_assert_eq!(s.used_bytes(), used);
                prop_assert!(used <= budget);
            }
        }

        /// Every policy keeps its bytes within the budget and equal to what it holds.
        #[test]
        fn every_policy_keeps_within_its_byte_budget(ops in ops(), budget in 1u64..40, p in 0usize..4) {
            let mut rng = stream(1, "t");
            let size = |k: u64| (k * 5 % 11 + 1) as u32;
            let policy = Eviction::parse(Eviction::NAMES[p]).unwrap();
            let mut s = KeyStore::with_budget(policy, 1_000, None, budget);
            for op in ops {
                match op {
                    Op::Get(k) => { let _ = s.get(k, 0); }
                    Op::Insert(k) => {
                        s.insert_sized(k, size(k), 0, &mut rng);
                        prop_assert_eq!(s.contains(k), size(k) as u64 <= budget);
                    }
                    Op::Remove(k) => { s.remove(k); }
                }
                let used: u64 = (0u64..12).filter(|&k| s.contains(k)).map(|k| size(k) as u64).sum();
                prop_assert_eq!(s.used_bytes(), used);
                prop_assert!(used <= budget);
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
