//! A progress bar on stderr for long runs.
//!
//! The simulation adds the simulated nanoseconds it covers to an atomic counter once per
//! series bucket; a separate thread polls it and draws the bar. Nothing is drawn when stderr
//! is not a terminal, when the caller says so (`--json -`), or for runs that end within about
//! a second.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Shows a bar only after this long.
const DELAY: Duration = Duration::from_millis(1000);

/// A counter of simulated time and, when shown, the thread that draws it.
pub(crate) struct Progress {
    done: Arc<AtomicU64>,
    total: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// A counter out of `total_ns`; with a bar when `show` and stderr is a terminal.
    pub(crate) fn start(show: bool, total_ns: u64) -> Progress {
        let done = Arc::new(AtomicU64::new(0));
        let total = Arc::new(AtomicU64::new(total_ns));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = (show && std::io::stderr().is_terminal()).then(|| {
            let (done, total, stop) = (done.clone(), total.clone(), stop.clone());
            std::thread::spawn(move || draw(&done, &total, &stop))
        });
        Progress {
            done,
            total,
            stop,
            thread,
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

fn draw(done: &AtomicU64, total: &AtomicU64, stop: &AtomicBool) {
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
    bar.finish_and_clear();
}
