//! The limits of a model: the most of each thing a [`crate::Spec`] may ask for. The model
//! relies on them (some are the widths of its counters); the `scenario` crate's check refuses
//! a scenario beyond them, naming the key. One number each, used by both.

/// Most instances of one component: a call counts its outstanding downstream calls (a fanout
/// to every instance) in 16 bits.
pub const MAX_INSTANCES: u32 = u16::MAX as u32;

/// Most closed-loop users (`traffic.users`); spikes and load profiles are capped at it too.
pub const MAX_USERS: u32 = 50_000_000;

/// Highest arrival rate, and highest rate limit, per second: one request a nanosecond, the
/// clock's resolution.
pub const MAX_RATE_PER_S: f64 = 1e9;

/// `run.max_in_flight` when a scenario does not set it.
pub const DEFAULT_MAX_IN_FLIGHT: u64 = 2_000_000;

/// Most requests in flight a run may be told to allow (`run.max_in_flight`; about 100 bytes
/// each).
pub const MAX_IN_FLIGHT: u64 = 100_000_000;

/// Most cores of one instance.
pub const MAX_CORES: u32 = 100_000;

/// Most workers (request threads) of one instance.
pub const MAX_WORKERS: u32 = 10_000_000;

/// Most requests waiting at one instance (its `queue`, and a `lifo_above` threshold in it).
pub const MAX_QUEUE: u32 = 100_000_000;

/// Most entries one cache (or CDN) instance holds.
pub const MAX_CACHE_CAPACITY: u64 = 50_000_000;

/// Largest mean size of one cache entry (`entry_size`): 1 GiB, twice Redis' largest value.
/// A single draw may go up to [`crate::MAX_ENTRY_DRAW`] (4 GiB) and is clamped there.
pub const MAX_CACHE_ENTRY_BYTES: u64 = 1 << 30;

/// Most messages a queue holds (its `capacity`).
pub const MAX_QUEUE_CAPACITY: u64 = 100_000_000;

/// Most consumers a queue hands messages to at once.
pub const MAX_CONSUMERS: u32 = 100_000;

/// Most read replicas of a database, given or autoscaled.
pub const MAX_REPLICAS: u32 = 100;

/// Most shards of a database, given or after a reshard.
pub const MAX_SHARDS: u32 = 10_000;

/// Most instances an autoscaler may scale to (its `min` and `max`; all are allocated up
/// front).
pub const MAX_AUTOSCALE: u32 = 10_000;

/// Most regions a model may name: a run numbers them in a byte, and one value of it means
/// "no region".
pub const MAX_REGIONS: usize = u8::MAX as usize - 1;

/// Largest USL contention or coherency coefficient (`sigma`, `kappa`): at 1 a second core
/// already halves the throughput of each.
pub const MAX_USL: f64 = 1.0;

/// Most memory of one instance (`memory`, `memory_base`, a leak's size), in bytes: 64 TiB,
/// beyond any machine, and small enough that sums of a run's bytes stay exact in an `f64`.
pub const MAX_MEMORY_BYTES: u64 = 1 << 46;

/// Highest garbage-collection overhead at half occupancy (`gc_overhead`): CPU times 100
/// times longer with the heap half full.
pub const MAX_GC_OVERHEAD: f64 = 100.0;

/// Highest bandwidth of a link (an instance's or a region pair's), in bytes per second:
/// 80 Tbit/s, beyond any network interface or inter-region link.
pub const MAX_BANDWIDTH_BYTES_PER_S: f64 = 1e13;

/// Lowest bandwidth of a link, in bytes per second (8 bit/s).
pub const MIN_BANDWIDTH_BYTES_PER_S: f64 = 1.0;

/// Largest mean size of one message (a request or a response), and largest link buffer: 1 TiB.
pub const MAX_MESSAGE_BYTES: u64 = 1 << 40;

/// Most tables of one database.
pub const MAX_TABLES: usize = 1_000;

/// Most rows a table starts with (its rows are a count, never rows in memory).
pub const MAX_TABLE_ROWS: u64 = 1_000_000_000_000_000;

/// Largest row (and index entry) of a table, in bytes.
pub const MAX_ROW_SIZE: u64 = 1 << 30;

/// Most rows one write adds (its `grows`, or the mean of its distribution).
pub const MAX_ROWS_PER_WRITE: u64 = 1_000_000;

/// Largest B-tree fanout of an index.
pub const MAX_INDEX_FANOUT: u64 = 100_000;

/// Largest storage of a database, in bytes (1 PiB); also where storage autoscaling stops
/// without a `max`.
pub const MAX_STORAGE: u64 = 1 << 50;

/// Most I/O operations a second of one database instance's disk.
pub const MAX_DISK_IOPS: f64 = 1e8;
