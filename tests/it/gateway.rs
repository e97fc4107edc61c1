//! The API gateway: auth cost, rate limiting, routing of classes.

use archsim::scenario::from_str;

#[test]
fn rate_limiting_caps_throughput_at_the_bucket_rate() {
    let text = r#"
[run]
duration = "120s"
warmup = "10s"
[traffic]
entry = "gw"
rate = 2000
[traffic.classes.read]
weight = 0.8
[traffic.classes.write]
weight = 0.2
[components.gw]
kind = "gateway"
cores = 4
rate_limit = 500          # per second, per instance
burst = 50
[components.gw.endpoints.read]
cpu = "exp(0.2ms)"        # auth: verify a token
calls = ["reader"]
[components.gw.endpoints.write]
cpu = "exp(0.2ms)"
calls = ["writer"]
[components.reader]
kind = "service"
cores = 4
[components.reader.endpoints.default]
cpu = "exp(2ms)"
[components.writer]
kind = "service"
cores = 2
[components.writer.endpoints.default]
cpu = "exp(5ms)"
"#;
    let r = from_str(text, "gw.toml", &[]).unwrap().run().unwrap();
    // Over 110 s the bucket admits 500/s (plus one burst of 50): throughput 500/s, and the
    // other 1500/s fail as rate_limited.
    assert!(
        (r.throughput_rps - 500.0).abs() < 5.0,
        "throughput {}",
        r.throughput_rps
    );
    let limited = r.errors["rate_limited"] as f64 / 110.0;
    assert!((limited - 1500.0).abs() < 30.0, "rate limited {limited}/s");
    assert_eq!(r.components["gw"].kind, "gateway");
    // Routing by class: reads reached the reader, writes the writer, in the mix's proportion.
    let (reads, writes) = (r.components["reader"].served, r.components["writer"].served);
    let share = reads as f64 / (reads + writes) as f64;
    assert!((share - 0.8).abs() < 0.01, "read share {share}");
    // Without the limit, everything gets through.
    let open = from_str(text, "gw.toml", &["components.gw.rate_limit=100000".into()])
        .unwrap()
        .run()
        .unwrap();
    assert!((open.throughput_rps - 2000.0).abs() < 40.0);
}
