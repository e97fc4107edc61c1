//! Progress on stderr for long runs.
//!
//! The simulation adds the simulated nanoseconds it covers to an atomic counter once per
//! series bucket; a separate thread polls it and draws a bar on a terminal, or writes a
//! `progress:` line every few seconds when stderr is not a terminal (a log, CI; issue 11
//! item 4). Nothing is shown when the caller says so (`--json -`), or for runs that end
//! within about a second (a terminal) or five seconds (otherwise). Before a run that will
//! take long, [`announce`] prints its estimated work.

use crate::out::errln;
use archsim_scenario::WorkEstimate;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Shows a bar only after this long.
const DELAY: Duration = Duration::from_millis(1000);
/// Without a terminal: a line after this long, and again every time it passes.
const LINE_EVERY: Duration = Duration::from_secs(5);
/// Runs estimated at more simulated events than this are announced (about half a minute
/// on one core).
const LONG_EVENTS: f64 = 5e7;

/// Prints the estimated work of a run before it starts, when it will take long.
pub(crate) fn announce(show: bool, work: WorkEstimate) {
    if show && work.events >= LONG_EVENTS {
        errln!(
            "estimated work: about {} requests, {} simulated events ({:.1} components a request); progress follows on stderr",
            count(work.requests),
            count(work.events),
            work.hops
        );
    }
}

/// `1.2 million`, `34 billion`: a large count for people.
fn count(x: f64) -> String {
    match x {
        x if x >= 1e12 => format!("{:.1} trillion", x / 1e12),
        x if x >= 1e9 => format!("{:.1} billion", x / 1e9),
        x if x >= 1e6 => format!("{:.1} million", x / 1e6),
        x => format!("{x:.0}"),
    }
}

/// A counter of simulated time and, when shown, the thread that draws it.
pub(crate) struct Progress {
    done: Arc<AtomicU64>,
    total: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// The bar while it is drawn (lines printed meanwhile suspend it).
    bar: Arc<Mutex<Option<ProgressBar>>>,
}

impl Progress {
    /// A counter out of `total_ns`; when `show`, with a bar on a terminal or progress lines
    /// otherwise.
    pub(crate) fn start(show: bool, total_ns: u64) -> Progress {
        let done = Arc::new(AtomicU64::new(0));
        let total = Arc::new(AtomicU64::new(total_ns));
        let stop = Arc::new(AtomicBool::new(false));
        let bar = Arc::new(Mutex::new(None));
        let thread = show.then(|| {
            let (done, total, stop) = (done.clone(), total.clone(), stop.clone());
            if std::io::stderr().is_terminal() {
                let bar = bar.clone();
                std::thread::spawn(move || draw(&done, &total, &stop, &bar))
            } else {
                std::thread::spawn(move || lines(&done, &total, &stop))
            }
        });
        Progress {
            done,
            total,
            stop,
            thread,
            bar,
        }
    }

    /// Prints `line` on stderr, above the bar if one is drawn.
    pub(crate) fn println(&self, line: &str) {
        let bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        match bar.as_ref() {
            Some(b) => b.suspend(|| errln!("{line}")),
            None => errln!("{line}"),
        }
    }

    /// The counter the runs add simulated nanoseconds to.
    pub(crate) fn counter(&self) -> &AtomicU64 {
        &self.done
    }

    /// Adds `ns` to the total (a search that learns its runs as it goes).
    pub(crate) fn add_total(&self, ns: u64) {
        self.total.fetch_add(ns, Relaxed);
    }

    /// Stops and clears the bar.
    pub(crate) fn finish(mut self) {
        self.stop_thread();
    }

    fn stop_thread(&mut self) {
        self.stop.store(true, Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

/// Without a terminal: a line every [`LINE_EVERY`] until stopped.
fn lines(done: &AtomicU64, total: &AtomicU64, stop: &AtomicBool) {
    let t0 = Instant::now();
    let mut next = LINE_EVERY;
    while !stop.load(Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
        let elapsed = t0.elapsed();
        if elapsed < next || stop.load(Relaxed) {
            continue;
        }
        next += LINE_EVERY;
        let t = total.load(Relaxed) as f64 / 1e9;
        let d = (done.load(Relaxed) as f64 / 1e9).min(t);
        errln!(
            "progress: {d:.0}s of {t:.0}s simulated ({:.0}%), {:.0}s elapsed",
            if t > 0.0 { 100.0 * d / t } else { 0.0 },
            elapsed.as_secs_f64()
        );
    }
}

fn draw(
    done: &AtomicU64,
    total: &AtomicU64,
    stop: &AtomicBool,
    shown: &Mutex<Option<ProgressBar>>,
) {
    let t0 = Instant::now();
    while t0.elapsed() < DELAY {
        if stop.load(Relaxed) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let bar = ProgressBar::with_draw_target(
        Some(total.load(Relaxed) / 1_000_000),
        ProgressDrawTarget::stderr_with_hz(10),
    );
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {msg} simulated (eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    *shown.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar.clone());
    while !stop.load(Relaxed) {
        let t_ms = total.load(Relaxed) / 1_000_000;
        let d_ms = (done.load(Relaxed) / 1_000_000).min(t_ms);
        bar.set_length(t_ms);
        bar.set_position(d_ms);
        bar.set_message(format!(
            "{:.0}s / {:.0}s",
            d_ms as f64 / 1e3,
            t_ms as f64 / 1e3
        ));
        std::thread::sleep(Duration::from_millis(100));
    }
    shown.lock().unwrap_or_else(|e| e.into_inner()).take();
    bar.finish_and_clear();
}
