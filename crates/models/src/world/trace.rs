//! Request traces: while a run is traced, every client request collects a span per call (its
//! component, instance, class, key, attempt, arrival, start of work, end, error) and a root
//! span for the request; when the request ends, the trace is kept or dropped: a
//! deterministic fraction of requests (head sampling), every failed request up to a bound,
//! and the slowest requests up to a bound (tail sampling, handed over at the end of the run).
//! Kept traces go to a [`TraceSink`] as they are decided, so memory holds only the requests
//! in flight and the slowest so far. Without a tracer nothing here runs.

use super::*;
use std::collections::BinaryHeap;

/// What a traced run keeps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceOptions {
    /// Fraction of requests kept whatever happens to them (head sampling), 0 to 1.
    pub sample: f64,
    /// Failed requests kept besides (the first ones, up to this many).
    pub failed: usize,
    /// The slowest successful requests kept besides (up to this many).
    pub slowest: usize,
}

impl Default for TraceOptions {
    fn default() -> Self {
        Self {
            sample: 0.01,
            failed: 1_000,
            slowest: 100,
        }
    }
}

/// Why a trace was kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    /// Head sampling chose it.
    Sampled,
    /// The request failed.
    Failed,
    /// Among the slowest requests of the run.
    Slowest,
}

/// One span: the request itself (`component: None`) or one call at a component.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// Its id, unique in the run (never 0).
    pub id: u64,
    /// Its parent's id (0 for the request's root span).
    pub parent: u64,
    /// The component (index into the spec's components); `None` for the root span.
    pub component: Option<u32>,
    /// The instance.
    pub instance: u32,
    /// Start: the request's start, or the call's arrival at its component (ns).
    pub start_ns: u64,
    /// When the call's work began (after waiting for admission), if it did.
    pub work_ns: Option<u64>,
    /// End: the request's outcome, or the call's answer (ns).
    pub end_ns: u64,
    /// The client's attempt this call belongs to (1 = the first).
    pub attempt: u32,
    /// The error the call or request ended with (reason name), if any.
    pub error: Option<String>,
}

/// One request's trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// The request's number in the run (from 0, in order of arrival).
    pub seq: u64,
    /// Its class (index into the spec's classes) and key.
    pub class: u16,
    /// Its key, if it has one.
    pub key: Option<u64>,
    /// Why it was kept.
    pub kept: Kept,
    /// Spans: the root first, then the calls in the order they ended.
    pub spans: Vec<Span>,
}

impl Trace {
    /// The request's latency (ns).
    pub fn latency_ns(&self) -> u64 {
        self.spans[0].end_ns - self.spans[0].start_ns
    }
    /// Its 16-byte trace id in a run of `seed`: derived from the seed and the request's
    /// number, so a trace file is the same on every run (never 0).
    pub fn id(&self, seed: u64) -> u128 {
        let a = mix(seed ^ mix(self.seq));
        let b = mix(a ^ self.seq.rotate_left(17)) | 1;
        (a as u128) << 64 | b as u128
    }
}

/// Where kept traces go, as they are decided (the slowest at the end of the run).
pub trait TraceSink: Send {
    /// A kept trace.
    fn trace(&mut self, t: &Trace);
}

/// A call's place in a trace.
#[derive(Clone, Copy, Debug)]
struct CallTrace {
    /// Slot in the pending traces, or `NONE` (an internal call: not traced).
    slot: u32,
    /// The request number the slot held when the call was made.
    seq: u64,
    span: u64,
    parent: u64,
    attempt: u32,
}

const UNTRACED: CallTrace = CallTrace {
    slot: NONE,
    seq: 0,
    span: 0,
    parent: 0,
    attempt: 0,
};

/// A span while its request is in flight: compact, and without names.
#[derive(Clone, Copy, Debug)]
struct RawSpan {
    id: u64,
    parent: u64,
    start: u64,
    /// When its work began; `UNSET` if it did not.
    work: u64,
    end: u64,
    comp: u32,
    inst: u32,
    attempt: u32,
    /// Error reason index + 1, or 0.
    err: u8,
}

const NO_WORK: u64 = u64::MAX;

/// A request's trace while it is in flight.
struct Pending {
    seq: u64,
    live: bool,
    root: u64,
    start: u64,
    class: u16,
    key: u64,
    attempts: u32,
    spans: Vec<RawSpan>,
}

/// The tracer of a traced run.
pub(in crate::world) struct Tracer {
    opts: TraceOptions,
    sink: Box<dyn TraceSink>,
    /// By call slot.
    calls: Vec<CallTrace>,
    pending: Vec<Pending>,
    free: Vec<u32>,
    /// By request record (clients with timeouts or retries): its pending slot.
    reqs: Vec<u32>,
    next_seq: u64,
    next_span: u64,
    failed_kept: usize,
    /// The slowest successful requests not kept otherwise: (latency, seq, trace), smallest
    /// on top.
    slowest: BinaryHeap<std::cmp::Reverse<(u64, u64, TraceBox)>>,
    /// Head sampling threshold on a request's hash.
    threshold: u64,
    seed: u64,
}

/// A trace ordered by nothing (the heap orders by latency and number).
struct TraceBox(Trace);
impl PartialEq for TraceBox {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for TraceBox {}
impl PartialOrd for TraceBox {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for TraceBox {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

/// SplitMix64: a request's or a span's well-mixed id from a counter.
pub(in crate::world) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Tracer {
    pub(in crate::world) fn new(opts: TraceOptions, sink: Box<dyn TraceSink>, seed: u64) -> Self {
        let threshold = if opts.sample >= 1.0 {
            u64::MAX
        } else {
            (opts.sample.max(0.0) * u64::MAX as f64) as u64
        };
        Tracer {
            opts,
            sink,
            calls: Vec::new(),
            pending: Vec::new(),
            free: Vec::new(),
            reqs: Vec::new(),
            next_seq: 0,
            next_span: 0,
            failed_kept: 0,
            slowest: BinaryHeap::new(),
            threshold,
            seed,
        }
    }
    fn span_id(&mut self) -> u64 {
        self.next_span += 1;
        mix(self.seed ^ self.next_span.rotate_left(32)) | 1
    }
    /// A request starts at `now` (request record `req`, or `NONE` for the simple client):
    /// its pending trace's slot.
    fn open(&mut self, req: u32, class: u16, key: u64, now: u64) -> u32 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let root = self.span_id();
        let p = Pending {
            seq,
            live: true,
            root,
            start: now,
            class,
            key,
            attempts: 0,
            spans: Vec::new(),
        };
        let slot = match self.free.pop() {
            Some(s) => {
                let old = std::mem::replace(&mut self.pending[s as usize], p);
                // Reuse the span buffer.
                let mut v = old.spans;
                v.clear();
                self.pending[s as usize].spans = v;
                s
            }
            None => {
                self.pending.push(p);
                (self.pending.len() - 1) as u32
            }
        };
        if req != NONE {
            if self.reqs.len() <= req as usize {
                self.reqs.resize(req as usize + 1, NONE);
            }
            self.reqs[req as usize] = slot;
        }
        slot
    }
    /// Call slot `c` was made: `parent` its caller's slot (`NONE`: the client; `INTERNAL`:
    /// the system's own), `req` its request record for a client call.
    pub(in crate::world) fn call_made(&mut self, c: u32, call: &Call, simple: bool, now: u64) {
        if self.calls.len() <= c as usize {
            self.calls.resize(c as usize + 1, UNTRACED);
        }
        let t = match call.parent {
            INTERNAL => UNTRACED,
            NONE => {
                let slot = if simple {
                    self.open(NONE, call.class, call.key, now)
                } else {
                    let r = call.request() as usize;
                    match self.reqs.get(r) {
                        Some(&s) if s != NONE => s,
                        _ => NONE,
                    }
                };
                if slot == NONE {
                    UNTRACED
                } else {
                    let p = &mut self.pending[slot as usize];
                    p.attempts += 1;
                    let (seq, root, attempt) = (p.seq, p.root, p.attempts);
                    CallTrace {
                        slot,
                        seq,
                        span: self.span_id(),
                        parent: root,
                        attempt,
                    }
                }
            }
            parent => {
                let pt = self.calls[parent as usize];
                if pt.slot == NONE {
                    UNTRACED
                } else {
                    CallTrace {
                        span: self.span_id(),
                        parent: pt.span,
                        ..pt
                    }
                }
            }
        };
        self.calls[c as usize] = t;
    }
    /// A request with a record (`r`) starts.
    pub(in crate::world) fn request_starts(&mut self, r: u32, class: u16, key: u64, now: u64) {
        self.open(r, class, key, now);
    }
    /// Call `c` ended at its component: its span joins its request's trace.
    #[allow(clippy::too_many_arguments)]
    pub(in crate::world) fn call_done(&mut self, c: u32, call: &Call, work: Option<u64>, now: u64) {
        let Some(t) = self.calls.get(c as usize).copied() else {
            return;
        };
        if t.slot == NONE {
            return;
        }
        let p = &mut self.pending[t.slot as usize];
        if !p.live || p.seq != t.seq {
            return; // its request has ended
        }
        p.spans.push(RawSpan {
            id: t.span,
            parent: t.parent,
            start: call.arrived,
            work: work.unwrap_or(NO_WORK),
            end: now,
            comp: call.comp,
            inst: call.inst,
            attempt: t.attempt,
            err: call.err,
        });
    }
    /// The request whose client call is `c` (simple client) or whose record is `r` ended at
    /// `now` (with `error`, a reason name, if it failed): keep or drop its trace.
    pub(in crate::world) fn request_ends(
        &mut self,
        slot_of: SlotOf,
        now: u64,
        error: Option<&str>,
        reasons: &[String],
    ) {
        let slot = match slot_of {
            SlotOf::Call(c) => match self.calls.get(c as usize) {
                Some(t) if t.slot != NONE => t.slot,
                _ => return,
            },
            SlotOf::Request(r) => match self.reqs.get(r as usize) {
                Some(&s) if s != NONE => {
                    self.reqs[r as usize] = NONE;
                    s
                }
                _ => return,
            },
        };
        let p = &mut self.pending[slot as usize];
        if !p.live {
            return;
        }
        p.live = false;
        self.free.push(slot);
        let latency = now.saturating_sub(p.start);
        let head = mix(self.seed ^ mix(p.seq)) < self.threshold;
        let failed = error.is_some();
        let kept = if head {
            Some(Kept::Sampled)
        } else if failed && self.failed_kept < self.opts.failed {
            self.failed_kept += 1;
            Some(Kept::Failed)
        } else if !failed && self.opts.slowest > 0 {
            let full = self.slowest.len() >= self.opts.slowest;
            let beats = self
                .slowest
                .peek()
                .is_none_or(|std::cmp::Reverse((l, _, _))| latency > *l);
            (!full || beats).then_some(Kept::Slowest)
        } else {
            None
        };
        let Some(kept) = kept else { return };
        let mut spans = Vec::with_capacity(p.spans.len() + 1);
        spans.push(Span {
            id: p.root,
            parent: 0,
            component: None,
            instance: 0,
            start_ns: p.start,
            work_ns: None,
            end_ns: now,
            attempt: p.attempts,
            error: error.map(str::to_string),
        });
        spans.extend(nested(p.root, p.start, now, &p.spans).map(|r| Span {
            id: r.id,
            parent: r.parent,
            component: Some(r.comp),
            instance: r.inst,
            start_ns: r.start,
            work_ns: (r.work != NO_WORK).then_some(r.work),
            end_ns: r.end,
            attempt: r.attempt,
            error: (r.err != 0).then(|| reasons[r.err as usize - 1].clone()),
        }));
        let trace = Trace {
            seq: p.seq,
            class: p.class,
            key: (p.key != NO_KEY).then_some(p.key),
            kept,
            spans,
        };
        if kept == Kept::Slowest {
            self.slowest
                .push(std::cmp::Reverse((latency, trace.seq, TraceBox(trace))));
            if self.slowest.len() > self.opts.slowest {
                self.slowest.pop();
            }
        } else {
            self.sink.trace(&trace);
        }
    }
    /// The end of the run: the slowest requests go out, in the order they arrived.
    pub(in crate::world) fn finish(&mut self) {
        let mut rest: Vec<Trace> = std::mem::take(&mut self.slowest)
            .into_iter()
            .map(|std::cmp::Reverse((_, _, t))| t.0)
            .collect();
        rest.sort_by_key(|t| t.seq);
        for t in &rest {
            self.sink.trace(t);
        }
    }
}

/// How a request's trace is found when it ends.
#[derive(Clone, Copy, Debug)]
pub(in crate::world) enum SlotOf {
    /// By its client call (the simple client).
    Call(u32),
    /// By its request record.
    Request(u32),
}

/// The spans that lie within their parents (a copy that lost a hedge, or an attempt the
/// client gave up on, may still have ended after its caller): kept spans' parents are kept
/// and contain them in time.
fn nested<'a>(
    root: u64,
    start: u64,
    end: u64,
    spans: &'a [RawSpan],
) -> impl Iterator<Item = &'a RawSpan> + 'a {
    let mut ok: HashMap<u64, (u64, u64)> = HashMap::new();
    ok.insert(root, (start, end));
    // A parent ends after its children, so it comes later in `spans`: go from the end.
    let mut keep = vec![false; spans.len()];
    for (i, s) in spans.iter().enumerate().rev() {
        if let Some(&(a, b)) = ok.get(&s.parent) {
            if s.start >= a && s.end <= b {
                ok.insert(s.id, (s.start, s.end));
                keep[i] = true;
            }
        }
    }
    spans.iter().zip(keep).filter(|(_, k)| *k).map(|(s, _)| s)
}
