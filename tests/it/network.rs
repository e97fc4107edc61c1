//! Bandwidth and message sizes (issue 16 item 3): a link is a FIFO queue, validated against
//! the M/M/1 closed form; a big payload caps throughput at bandwidth / size; a saturated
//! region link (the shipped `resources/cross-region-link.toml`) shows as latency, then as
//! `link_full` errors; the keys' errors are located; a scenario without the keys has none of
//! the figures.
//!
//! # Tolerances
//!
//! Every tolerance is `K = 4` standard errors of the estimator compared. The mean response
//! time of an M/M/1 over a run of `t` has the relative standard error of the time-average
//! number in system, `sqrt(sigma^2 / t) / L` with `sigma^2 = 2 rho (1 + rho) / (mu (1 -
//! rho)^4)` (Whitt 1989, as in `validation.rs`); the utilization's is `sqrt(lambda E[S^2] /
//! t)` (the work that arrives is a compound Poisson sum).

use crate::common::{conserved, file, inline, line_of};
use archsim::scenario::{from_str, ScenarioError};
use archsim::stats::SimResult;

const K: f64 = 4.0;

fn check(what: &str, expected: f64, tol: f64, got: f64) {
    let line = format!(
        "{what}: expected {expected:.4} ± {tol:.4}, got {got:.4} ({:+.2} tolerances)",
        (got - expected) / tol
    );
    eprintln!("{line}");
    assert!((got - expected).abs() <= tol, "{line}");
}

fn num(r: &SimResult, comp: &str, key: &str) -> f64 {
    r.components[comp].extra[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{comp}.{key}"))
}

/// One service without CPU time whose responses (exponential, mean 10 kB) leave over one
/// 10 MB/s link: mu = 1,000 responses/s. Poisson arrivals at `rate` per second, no network
/// latency: each response's time in the link system is the request's whole latency.
fn mm1_link(rate: f64, secs: u32) -> String {
    format!(
        r#"
name = "mm1-link"
[run]
duration = "{secs}s"
warmup = "10s"
seed = 7
[traffic]
entry = "svc"
rate = {rate}
[components.svc]
kind = "service"
bandwidth = "80Mbps"
[components.svc.endpoints.default]
response_size = "exp(10kB)"
"#
    )
}

/// A link carrying M/M/1 traffic: mean time in the link system 1/(mu - lambda), utilization
/// rho, at rho = 0.5 and 0.8; all of it is network in the latency breakdown.
#[test]
fn a_link_is_an_mm1_queue() {
    let mu = 1.0; // per ms: 80 Mbit/s = 10 MB/s over 10 kB
    let secs = 310;
    let t_ms = (secs - 10) as f64 * 1e3;
    for rho in [0.5, 0.8] {
        let lambda = rho * mu;
        let r = inline(&mm1_link(lambda * 1e3, secs), &[]);
        conserved(&r);
        let l = rho / (1.0 - rho);
        let sigma2_l = 2.0 * rho * (1.0 + rho) / (mu * (1.0 - rho).powi(4));
        let rel = (sigma2_l / t_ms).sqrt() / l;
        let w = 1.0 / (mu - lambda);
        check(
            &format!("rho {rho}: mean time in the link ms"),
            w,
            K * rel * w,
            r.latency_ms.mean.unwrap(),
        );
        // E[S^2] = 2 / mu^2 for exponential sizes.
        let se_rho = (lambda * 2.0 / (mu * mu) / t_ms).sqrt();
        check(
            &format!("rho {rho}: link utilization"),
            rho,
            K * se_rho,
            num(&r, "svc", "link_utilization"),
        );
        // The bytes sent per second are the utilization times the bandwidth.
        let sent = num(&r, "svc", "net_sent_bytes_per_s");
        check(
            &format!("rho {rho}: bytes sent per s"),
            rho * 1e7,
            K * se_rho * 1e7,
            sent,
        );
        // The time on the link is network time: the breakdown's median is all network.
        let b = r.breakdown.as_ref().expect("breakdown");
        let net: f64 = b
            .median
            .iter()
            .filter(|p| p.phase == "network")
            .map(|p| p.share)
            .sum();
        assert!(net > 0.999, "rho {rho}: network share {net}: {b:?}");
        assert!(r.errors.is_empty());
    }
}

/// A 1 MB response over a 100 MB/s link takes 10 ms: the link carries at most 100 responses
/// a second. Offered 200 a second, it stays busy and caps the throughput at 100/s; its 8 MB
/// buffer bounds the wait (at most 8 responses ahead, so at most 90 ms in the link), and what
/// does not fit fails with `link_full` (about half).
#[test]
fn a_big_payload_caps_throughput_at_bandwidth_over_size() {
    let text = r#"
name = "big-payload"
[run]
duration = "110s"
warmup = "10s"
seed = 3
[traffic]
entry = "files"
rate = 200
[components.files]
kind = "service"
bandwidth = "100MB/s"
link_buffer = "8MB"
[components.files.endpoints.default]
cpu = "const(1ms)"
response_size = "1MB"
"#;
    let r = inline(text, &[]);
    conserved(&r);
    // The link is never idle once the queue has formed: 100 responses a second, exactly,
    // up to the window's edges (one response each side).
    check("throughput rps", 100.0, 0.2, r.throughput_rps);
    check(
        "link utilization",
        1.0,
        0.002,
        num(&r, "files", "link_utilization"),
    );
    // Arrivals are Poisson: 20,000 +- 141 in 100 s, half of them over the cap.
    check("error rate", 0.5, K * 0.5 * 141.0 / 20_000.0, r.error_rate);
    assert!(r.errors.contains_key("link_full"), "{:?}", r.errors);
    let dropped = num(&r, "files", "link_dropped");
    assert!(dropped > 9_000.0, "link_dropped {dropped}");
    // 1 ms of CPU, at most 8 MB ahead (80 ms) and its own 10 ms.
    let max = r.latency_ms.max.unwrap();
    assert!(max <= 91.0 + 1e-6, "max latency {max} ms");
    // Without the buffer the queue grows without bound: latency climbs through the run.
    let r = inline(text, &["components.files.link_buffer=1TiB"]);
    assert!(r.errors.is_empty());
    assert!(r.latency_ms.p99.unwrap() > 10_000.0, "{:?}", r.latency_ms);
}

/// The shipped scenario: the eu-west -> us-east direction of a 100 Mbit/s link carries the
/// catalog's responses and fills as the traffic climbs; latency grows with it, then the
/// buffer overflows (`link_full`); a 1 Gbit/s link removes both.
#[test]
fn a_saturated_cross_region_link_shows_as_latency_then_errors() {
    let r = file(
        "scenarios/resources/cross-region-link.toml",
        &["run.seed=1"],
    );
    conserved(&r);
    let links = r.region_links.as_ref().expect("region links");
    let dir = |from: &str| links.iter().find(|l| l.from == from).unwrap();
    let (back, out) = (dir("eu-west"), dir("us-east"));
    assert!(back.utilization > 0.75, "{back:?}");
    assert!(out.utilization < 0.1, "{out:?}");
    assert!(back.wait_ms_mean.unwrap() > 20.0, "{back:?}");
    assert!(back.dropped > 0, "{back:?}");
    // The catalog's own 10 Gbit/s links are nearly idle: the region link is the bottleneck.
    assert!(num(&r, "catalog", "link_utilization") < 0.01);
    // The errors are the link's, and come with the load: none in the first half.
    assert_eq!(r.errors.keys().collect::<Vec<_>>(), ["link_full"]);
    let err = &r.series.error_rate;
    let half = err.len() / 2;
    assert!(err[..half].iter().all(|e| *e == 0.0), "{err:?}");
    // p99 over the last minute against the first (after the warm-up).
    let p99 = &r.series.p99_ms;
    let mean = |s: &[Option<f64>]| s.iter().flatten().sum::<f64>() / s.len() as f64;
    let (early, late) = (mean(&p99[3..9]), mean(&p99[p99.len() - 7..p99.len() - 1]));
    assert!(late > 2.0 * early, "p99 early {early} ms, late {late} ms");
    // The median's largest part is the catalog's network time (the link and the ocean).
    let b = r.breakdown.as_ref().unwrap();
    let top = &b.median[0];
    assert_eq!(
        (top.component.as_str(), top.phase.as_str()),
        ("catalog", "network")
    );
    // The fix: a 1 Gbit/s link.
    let fixed = file(
        "scenarios/resources/cross-region-link.toml",
        &[
            "run.seed=1",
            "network.regions.us-east/eu-west.bandwidth=1Gbps",
        ],
    );
    assert!(fixed.errors.is_empty(), "{:?}", fixed.errors);
    assert!(fixed.latency_ms.p99.unwrap() < 0.5 * r.latency_ms.p99.unwrap());
}

/// Without a size or a bandwidth, no figure of the network appears.
#[test]
fn without_the_keys_there_are_no_network_figures() {
    let r = inline(&mm1_link(500.0, 20), &["components.svc.bandwidth=1Gbps"]);
    assert!(r.components["svc"].extra.contains_key("link_utilization"));
    let text = mm1_link(500.0, 20)
        .replace("bandwidth = \"80Mbps\"\n", "")
        .replace("response_size = \"exp(10kB)\"\n", "cpu = \"exp(1ms)\"\n");
    let r = inline(&text, &[]);
    let keys: Vec<&String> = r.components["svc"].extra.keys().collect();
    assert!(
        keys.iter()
            .all(|k| !k.starts_with("net_") && !k.starts_with("link_")),
        "{keys:?}"
    );
    assert!(r.region_links.is_none());
    let json = r.to_json().unwrap();
    assert!(!json.contains("net_sent") && !json.contains("region_links"));
}

/// Bad values of the keys are refused with located messages that say what to write.
#[test]
fn bad_network_keys_get_located_messages() {
    let text = r#"
name = "bad-network"
[run]
duration = "10s"
[network.regions]
"a/b" = { latency = "10ms", bandwidth = "fast" }
"a/c" = { latency = "10ms", buffer = "1MiB" }
"b/c" = { bandwidth = "1Gbps" }
[traffic]
entry = "svc"
rate = 10
[components.svc]
kind = "service"
region = "a"
bandwidth = "0.1bps"
[components.other]
kind = "service"
region = "b"
link_buffer = "64KiB"
[components.third]
kind = "service"
region = "c"
[components.svc.endpoints.default]
request_size = "exp(2 parsecs)"
response_size = "2TiB"
"#;
    let Err(ScenarioError::Invalid(ds)) = from_str(text, "bad.toml", &[]) else {
        panic!("accepted");
    };
    let all: Vec<String> = ds.iter().map(|d| d.to_string()).collect();
    let has = |line_pat: &str, msg: &str| {
        let line = line_of(text, line_pat);
        assert!(
            all.iter()
                .any(|d| d.starts_with(&format!("bad.toml:{line}:")) && d.contains(msg)),
            "no `{msg}` at line {line}: {all:#?}"
        );
    };
    has("bandwidth = \"fast\"", "network.regions.\"a/b\".bandwidth:");
    has(
        "buffer = \"1MiB\"",
        "`buffer` bounds the queue of a link with a `bandwidth`",
    );
    has("\"b/c\"", "needs a `latency`");
    has("bandwidth = \"0.1bps\"", "between 8bps and 80Tbps");
    has("link_buffer = \"64KiB\"", "needs a `bandwidth`");
    has("request_size", "request_size:");
    has("response_size", "over the limit of 1TiB");
}
