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

/// Weight of the newest rate sample in the smoothed rate.
const SMOOTHING: f64 = 0.3;

/// The time left, from simulated time done over wall time (issue 12 item 12): each sample's
/// rate (simulated nanoseconds per wall second since the last sample) enters an exponential
/// moving average, and the time left is what remains divided by that rate.
#[derive(Debug, Default)]
pub(crate) struct Eta {
    last: Option<(f64, f64)>,
    rate: Option<f64>,
}

impl Eta {
    /// Records that `done` of the simulated nanoseconds were done at `wall_s` seconds.
    pub(crate) fn sample(&mut self, wall_s: f64, done: f64) {
        if let Some((w0, d0)) = self.last {
            let dw = wall_s - w0;
            if dw <= 0.0 {
                return;
            }
            let r = (done - d0).max(0.0) / dw;
            self.rate = Some(match self.rate {
                None => r,
                Some(e) => SMOOTHING * r + (1.0 - SMOOTHING) * e,
            });
        }
        self.last = Some((wall_s, done));
    }

    /// Wall seconds left to reach `total`, once a rate is known.
    pub(crate) fn left_s(&self, total: f64) -> Option<f64> {
        let (_, done) = self.last?;
        let r = self.rate.filter(|r| *r > 0.0)?;
        Some((total - done).max(0.0) / r)
    }
}

/// `eta 1m05s`, `eta 12s`, `eta ?` before there is a rate.
fn eta_text(left: Option<f64>) -> String {
    match left {
        None => "eta ?".into(),
        Some(s) if s >= 3600.0 => format!(
            "eta {}h{:02}m",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        ),
        Some(s) if s >= 60.0 => format!("eta {}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64),
        Some(s) => format!("eta {:.0}s", s.ceil()),
    }
}

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
    let mut eta = Eta::default();
    let mut sampled = Duration::ZERO;
    while !stop.load(Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
        let elapsed = t0.elapsed();
        if elapsed >= sampled + Duration::from_millis(500) {
            sampled = elapsed;
            eta.sample(elapsed.as_secs_f64(), done.load(Relaxed) as f64);
        }
        if elapsed < next || stop.load(Relaxed) {
            continue;
        }
        next += LINE_EVERY;
        let total_ns = total.load(Relaxed) as f64;
        let t = total_ns / 1e9;
        let d = (done.load(Relaxed) as f64 / 1e9).min(t);
        errln!(
            "progress: {d:.0}s of {t:.0}s simulated ({:.0}%), {:.0}s elapsed, {}",
            if t > 0.0 { 100.0 * d / t } else { 0.0 },
            elapsed.as_secs_f64(),
            eta_text(eta.left_s(total_ns))
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
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    *shown.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar.clone());
    let mut eta = Eta::default();
    let mut ticks = 0u32;
    while !stop.load(Relaxed) {
        let t_ms = total.load(Relaxed) / 1_000_000;
        let d_ms = (done.load(Relaxed) / 1_000_000).min(t_ms);
        if ticks.is_multiple_of(5) {
            eta.sample(t0.elapsed().as_secs_f64(), d_ms as f64 * 1e6);
        }
        ticks = ticks.wrapping_add(1);
        bar.set_length(t_ms);
        bar.set_position(d_ms);
        bar.set_message(format!(
            "{:.0}s / {:.0}s simulated ({})",
            d_ms as f64 / 1e3,
            t_ms as f64 / 1e3,
            eta_text(eta.left_s(t_ms as f64 * 1e6))
        ));
        std::thread::sleep(Duration::from_millis(100));
    }
    shown.lock().unwrap_or_else(|e| e.into_inner()).take();
    bar.finish_and_clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_is_what_is_left_over_the_smoothed_rate() {
        let mut e = Eta::default();
        assert_eq!(e.left_s(100.0), None);
        e.sample(0.0, 0.0);
        assert_eq!(e.left_s(100.0), None, "one sample has no rate");
        // A steady 10 units a second: 100 - 20 left is 8 s.
        e.sample(1.0, 10.0);
        e.sample(2.0, 20.0);
        assert!((e.left_s(100.0).unwrap() - 8.0).abs() < 1e-9);
        // One stalled second (a slow stretch) moves the estimate, but not all the way to
        // infinity: the rate is smoothed.
        e.sample(3.0, 20.0);
        let left = e.left_s(100.0).unwrap();
        assert!(left > 8.0 && left < 80.0 / 5.0, "{left}");
        // It converges back to the true rate.
        for i in 4..40 {
            e.sample(i as f64, 20.0 + 10.0 * (i - 3) as f64);
        }
        let done = 20.0 + 10.0 * 36.0;
        let left = e.left_s(1000.0).unwrap();
        assert!((left - (1000.0 - done) / 10.0).abs() < 0.5, "{left}");
        // A clock that did not move adds nothing; past the end nothing is left.
        e.sample(39.0, 999.0);
        assert_eq!(e.left_s(100.0), Some(0.0));
    }

    #[test]
    fn eta_text_reads_like_a_clock() {
        assert_eq!(eta_text(None), "eta ?");
        assert_eq!(eta_text(Some(7.2)), "eta 8s");
        assert_eq!(eta_text(Some(65.0)), "eta 1m05s");
        assert_eq!(eta_text(Some(3725.0)), "eta 1h02m");
    }
}
