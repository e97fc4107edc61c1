//! probe
#[test]
fn probe() {
    let t = r#"
[run]
duration = "1010s"
warmup = "10s"
[traffic]
entry = "app"
rate = 900
[components.app]
kind = "service"
cores = 1
[components.app.endpoints.default]
cpu = "exp(1ms)"
"#;
    let t0 = std::time::Instant::now();
    let r = archsim::scenario::from_str(t, "x.toml", &[]).unwrap().run().unwrap();
    println!("{:?} {:?} {:?} {:?} events {} wall {:?}", r.latency_ms, r.components["app"].utilization, r.components["app"].mean_queue, r.requests, r.events, t0.elapsed());
}
