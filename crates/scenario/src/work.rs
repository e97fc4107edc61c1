//! A rough estimate of the work a run will do (issue 11 item 4): how many requests arrive
//! and how many simulated events they cause, from the traffic and the call graph alone,
//! before anything runs. The command prints it before a long run; nothing else depends on it.

use crate::Scenario;
use archsim_models::{KindSpec, Load, Spec};

/// Events the engine handles per hop of a request, about (arrival, CPU, reply, network);
/// measured on the shipped scenarios (stage 3: ~10 events a request over ~2.7 hops).
const EVENTS_PER_HOP: f64 = 3.5;
/// Calls deeper than this are not followed (a cycle, or a pathological graph).
const MAX_DEPTH: u32 = 12;
/// Of the requests a cache sees, the fraction assumed to reach its backing component when
/// the scenario does not say (a CDN's `hit_ratio` does).
const DEFAULT_MISS: f64 = 0.5;

/// The estimated work of a whole run, every replication included.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WorkEstimate {
    /// Requests that arrive.
    pub requests: f64,
    /// Components a request visits, on average (1 = the entry only).
    pub hops: f64,
    /// Simulated events, about `requests x hops x 3.5`.
    pub events: f64,
}

impl WorkEstimate {
    /// The work of two runs one after the other (`hops` averaged over their requests).
    pub fn plus(&self, o: &WorkEstimate) -> WorkEstimate {
        let requests = self.requests + o.requests;
        WorkEstimate {
            requests,
            hops: if requests > 0.0 {
                (self.hops * self.requests + o.hops * o.requests) / requests
            } else {
                self.hops.max(o.hops)
            },
            events: self.events + o.events,
        }
    }
}

impl Scenario {
    /// The estimated work of the run: open loop `rate x duration` (the load curve's largest
    /// factor), closed loop `users x duration / (think + the time of one request)`; events
    /// from the number of components a request visits. Every replication counts.
    pub fn estimate_work(&self) -> WorkEstimate {
        estimate(&self.spec, self.replications)
    }
}

/// See [`Scenario::estimate_work`].
pub(crate) fn estimate(spec: &Spec, replications: u32) -> WorkEstimate {
    let t = &spec.traffic;
    let net_ns = spec.network_latency.mean_ns();
    let classes: Vec<(&str, f64)> = t.classes.iter().map(|(c, w)| (c.as_str(), *w)).collect();
    let total_w: f64 = classes
        .iter()
        .map(|c| c.1)
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    let (mut hops, mut time_ns) = (0.0, 0.0);
    for (class, w) in &classes {
        let (h, tn) = visit(spec, &t.entry, class, net_ns, 0);
        hops += h * w / total_w;
        time_ns += tn * w / total_w;
    }
    let hops = hops.max(1.0);
    let peak = t.profile.iter().map(|p| p.1).fold(1.0_f64, f64::max);
    let secs = spec.duration.as_nanos() as f64 / 1e9;
    let per_run = match &t.load {
        Load::Open { rate_per_s, .. } => rate_per_s * secs * peak,
        Load::Closed { users, think } => {
            let cycle_ns = (think.mean_ns() + time_ns + 2.0 * net_ns).max(1e3);
            let cycle_ns = if cycle_ns.is_finite() { cycle_ns } else { 1e9 };
            *users as f64 * peak * secs * 1e9 / cycle_ns
        }
    };
    let requests = per_run * replications.max(1) as f64;
    WorkEstimate {
        requests,
        hops,
        events: requests * hops * EVENTS_PER_HOP,
    }
}

/// Components one request of `class` visits from `name` (itself included), and the time it
/// spends there and below, both averaged over what the scenario says about caches.
fn visit(spec: &Spec, name: &str, class: &str, net_ns: f64, depth: u32) -> (f64, f64) {
    let Some(c) = spec.components.iter().find(|c| c.name == name) else {
        return (0.0, 0.0);
    };
    if depth >= MAX_DEPTH {
        return (1.0, 0.0);
    }
    let down = |to: &str| {
        let (h, t) = visit(spec, to, class, net_ns, depth + 1);
        (h, t + 2.0 * net_ns)
    };
    match &c.kind {
        KindSpec::Service(s) => {
            let ep = s
                .endpoints
                .iter()
                .find(|(n, _)| n == class)
                .or_else(|| s.endpoints.iter().find(|(n, _)| n == "default"));
            let Some((_, ep)) = ep else {
                return (1.0, 0.0);
            };
            let mut hops = 1.0;
            let mut time = ep.cpu.as_ref().map_or(0.0, |d| finite(d.mean_ns()));
            for call in &ep.calls {
                let (h, t) = down(&call.to);
                hops += h * call.fanout.max(1) as f64;
                time += t;
            }
            (hops, time)
        }
        KindSpec::LoadBalancer { targets, .. } => {
            let (h, t) = down(targets);
            (1.0 + h, t)
        }
        KindSpec::Cache(cs) => {
            let miss = match &cs.cdn {
                Some(cdn) if !cdn.classes.iter().any(|c| c == class) => 1.0,
                Some(cdn) => cdn.hit_ratio.map_or(DEFAULT_MISS, |h| 1.0 - h),
                None => DEFAULT_MISS,
            };
            let (h, t) = down(&cs.backing);
            (1.0 + miss * h, finite(cs.hit.mean_ns()) + miss * t)
        }
        KindSpec::Queue(q) => {
            let (h, _) = down(&q.consumer);
            (1.0 + h, finite(q.publish.mean_ns()))
        }
        KindSpec::Custom { .. } => (1.0, 0.0),
    }
}

fn finite(x: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use crate::from_str;

    fn work(text: &str) -> super::WorkEstimate {
        from_str(text, "t.toml", &[]).unwrap().estimate_work()
    }

    #[test]
    fn open_loop_is_rate_times_duration_and_hops_follow_the_calls() {
        let w = work(
            r#"
[run]
duration = "100s"
replications = 2
[traffic]
entry = "lb"
rate = 1000
[components.lb]
kind = "load_balancer"
targets = "app"
[components.app]
kind = "service"
[components.app.endpoints.default]
cpu = "1ms"
calls = [{ to = "db", fanout = 2 }]
[components.db]
kind = "database"
instances = 2
[components.db.endpoints.default]
cpu = "1ms"
"#,
        );
        assert_eq!(w.requests, 200_000.0);
        assert_eq!(w.hops, 4.0);
        assert_eq!(w.events, 200_000.0 * 4.0 * 3.5);
    }

    #[test]
    fn closed_loop_is_users_over_think_plus_path() {
        let w = work(
            r#"
[run]
duration = "100s"
[traffic]
entry = "app"
users = 10
think = "9ms"
[components.app]
kind = "service"
[components.app.endpoints.default]
cpu = "1ms"
"#,
        );
        // A cycle of 10 ms: 100 requests a second per user.
        assert!((w.requests - 100_000.0).abs() < 1.0, "{w:?}");
        assert_eq!(w.hops, 1.0);
    }
}
