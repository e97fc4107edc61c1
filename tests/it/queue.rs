//! The queue kind: backlog and consumer lag, loss without durability, CQRS staleness.

use crate::common::series;
use archsim::scenario::from_str;

const PIPELINE: &str = r#"
[run]
duration = "120s"
drain = "600s"
series_interval = "5s"
[traffic]
entry = "events"
rate = 150
arrivals = "uniform"
[components.events]
kind = "queue"
publish = "1ms"
consumers = 2
consumer = "worker"
[components.worker]
kind = "service"
[components.worker.endpoints.default]
cpu = "10ms"
"#;

#[test]
fn consumer_lag_grows_while_producers_outrun_consumers_and_drains_after() {
    // Two consumers at 10 ms handle 200 messages/s; 150/s arrive. From 40 s to 70 s the worker
    // is 2x slower (100/s): the backlog grows by 50/s to about 1500, then drains at 50/s.
    let text = format!(
        "{PIPELINE}\n[[faults]]\nat = \"40s\"\nfor = \"30s\"\ntarget = \"worker\"\nkind = \"slow\"\nfactor = 2.0\n"
    );
    let r = from_str(&text, "q.toml", &[]).unwrap().run().unwrap();
    let backlog = series(&r, "events", "backlog");
    let lag = series(&r, "events", "lag_ms");
    let at = |t: f64| (t / 5.0) as usize;
    assert!(
        backlog[at(30.0)].unwrap() <= 2.0,
        "no backlog before: {backlog:?}"
    );
    let peak = backlog[at(65.0)].unwrap();
    assert!(
        (peak - 1500.0).abs() < 60.0,
        "backlog at the end of the slowdown {peak}"
    );
    assert!(
        backlog[at(100.0)].unwrap() < peak / 2.0,
        "draining: {backlog:?}"
    );
    assert!(
        backlog[at(115.0)].unwrap() < 5.0,
        "drained by 100 s: {backlog:?}"
    );
    // Lag: 10 ms before. A message published x s before the slowdown ends finds
    // 1500 - 50x ahead of it, served at 100/s for x s and then at 200/s: it waits
    // 7.5 + x/4 s while 100x < 1500 - 50x, so the worst is 10 s at x = 10 (t = 60 s); the
    // bucket of 60-65 s averages about 9.4 s.
    assert!(lag[at(30.0)].unwrap() < 20.0);
    let peak_lag = lag.iter().flatten().cloned().fold(0.0, f64::max);
    assert!((peak_lag - 9_400.0).abs() < 600.0, "peak lag {peak_lag} ms");
    let q = &r.components["events"].extra;
    assert_eq!(q["published"], q["consumed"]);
    assert_eq!(q["lost_messages"], 0);
    assert_eq!(r.error_rate, 0.0);
}

#[test]
fn a_broker_without_durability_loses_its_backlog_in_a_crash() {
    // The worker stops for 20 s, so 3000 messages wait; then the broker crashes.
    let faults = "[[faults]]\nat = \"20s\"\nfor = \"25s\"\ntarget = \"worker\"\nkind = \"slow\"\nfactor = 1000.0\n\
                  [[faults]]\nat = \"40s\"\nfor = \"1s\"\ntarget = \"events\"\nkind = \"crash\"\n";
    for durable in [true, false] {
        let text = format!("{PIPELINE}durable = {durable}\n{faults}").replace(
            "consumer = \"worker\"\n[components.worker]",
            &format!("consumer = \"worker\"\ndurable = {durable}\n[components.worker]"),
        );
        let text = text.replace(
            &format!("cpu = \"10ms\"\ndurable = {durable}\n"),
            "cpu = \"10ms\"\n",
        );
        let r = from_str(&text, "q.toml", &[]).unwrap().run().unwrap();
        let q = &r.components["events"].extra;
        let lost = q["lost_messages"].as_u64().unwrap();
        let (published, consumed) = (
            q["published"].as_u64().unwrap(),
            q["consumed"].as_u64().unwrap(),
        );
        if durable {
            assert_eq!(lost, 0);
            assert_eq!(published, consumed);
        } else {
            // 20 s of 150/s minus the two messages in the consumers' hands.
            assert!((2990..=3000).contains(&lost), "lost {lost}");
            assert_eq!(published, consumed + lost);
        }
        // Publishing during the crash failed.
        assert!(r.errors["unavailable"] >= 149);
    }
}

#[test]
fn cqrs_reads_of_the_read_model_are_stale_until_the_event_is_applied() {
    // Writes publish an event; a projector applies it to the read model 20 ms later. A read
    // of key k is stale if a write of k was published in the last 20 ms:
    // P = sum_k p_k (1 - exp(-W p_k D)), with W = 100 writes/s and D = 20 ms.
    let text = r#"
[run]
duration = "300s"
warmup = "10s"
[traffic]
entry = "app"
rate = 1000
keys = { count = 500, zipf = 0.9 }
[traffic.classes.read]
weight = 0.9
[traffic.classes.write]
weight = 0.1
[components.app]
kind = "service"
[components.app.endpoints.read]
calls = ["read_model"]
[components.app.endpoints.write]
calls = ["events"]
[components.events]
kind = "queue"
consumers = 50
consumer = "projector"
[components.projector]
kind = "service"
[components.projector.endpoints.default]
cpu = "20ms"
calls = ["read_model"]
[components.read_model]
kind = "database"
source = "events"
"#;
    let r = from_str(text, "cqrs.toml", &[]).unwrap().run().unwrap();
    let w: Vec<f64> = (1..=500).map(|k| (k as f64).powf(-0.9)).collect();
    let t: f64 = w.iter().sum();
    let want: f64 = w
        .iter()
        .map(|x| x / t)
        .map(|p| p * (1.0 - (-100.0 * p * 0.020f64).exp()))
        .sum();
    let got = r.components["read_model"].extra["stale_read_ratio"]
        .as_f64()
        .unwrap();
    assert!(
        (got - want).abs() < 0.01,
        "stale ratio {got:.4}, expected {want:.4}"
    );
    let lag = r.components["events"].extra["lag_ms_mean"]
        .as_f64()
        .unwrap();
    assert!((lag - 20.0).abs() < 0.01, "lag {lag}");
}
