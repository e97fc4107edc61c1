//! `--traces`: the options, and the writers that stream kept request traces to a file as
//! the run decides them: OTLP/JSON (the OpenTelemetry protocol's JSON encoding, one
//! `TracesData` object per line, as the OpenTelemetry Collector's file exporter writes) or
//! the Chrome trace event format (Perfetto, chrome://tracing). The file is written beside
//! its target and renamed into place when the run is over: whole or not at all.

use archsim_scenario::{Kept, Trace, TraceOptions, TraceSink};
use clap::{Args, ValueEnum};
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The trace options of a run.
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct TraceArgs {
    /// Also write sampled request traces to PATH (OTLP/JSON lines by default).
    #[arg(long, value_name = "PATH")]
    pub traces: Option<PathBuf>,
    /// The fraction of requests traced whatever happens to them (head sampling), 0 to 1;
    /// failed and the slowest requests are traced besides.
    #[arg(long, value_name = "F", default_value_t = 0.01, value_parser = fraction)]
    pub trace_sample: f64,
    /// The trace file's format.
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = TraceFormat::Otlp)]
    pub trace_format: TraceFormat,
    /// Keep the N slowest successful requests besides the sample (tail sampling).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub trace_slowest: usize,
    /// Keep the first N failed requests besides the sample (tail sampling).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub trace_failed: usize,
}

/// A trace file's format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum TraceFormat {
    /// OpenTelemetry OTLP/JSON, one `{"resourceSpans": [...]}` object per line.
    #[default]
    Otlp,
    /// The Chrome trace event format (JSON), for Perfetto and chrome://tracing.
    Chrome,
}

/// `--trace-sample`: a number from 0 to 1.
fn fraction(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number; write a fraction from 0 to 1, e.g. 0.01"))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!(
            "{v} is outside 0..1; write a fraction from 0 to 1, e.g. 0.01 for 1% of requests"
        ));
    }
    Ok(v)
}

impl TraceArgs {
    pub(crate) fn options(&self) -> TraceOptions {
        TraceOptions {
            sample: self.trace_sample,
            failed: self.trace_failed,
            slowest: self.trace_slowest,
        }
    }
}

/// What a trace file needs to name things: the scenario, its components and classes, the
/// seed (trace ids) and the epoch simulated time 0 maps to.
pub(crate) struct Names {
    pub components: Vec<String>,
    pub classes: Vec<String>,
    pub seed: u64,
    pub epoch_ns: u64,
    /// The components' names as JSON strings.
    components_js: Vec<String>,
    /// Each component's resource opening, and the client's.
    heads: Vec<String>,
    client_head: String,
}

impl Names {
    pub(crate) fn new(
        scenario: &str,
        components: Vec<String>,
        classes: Vec<String>,
        seed: u64,
        epoch_ns: u64,
    ) -> Names {
        Names {
            components_js: components.iter().map(|c| js(c)).collect(),
            heads: components
                .iter()
                .map(|c| resource_head(c, scenario))
                .collect(),
            client_head: resource_head("client", scenario),
            components,
            classes,
            seed,
            epoch_ns,
        }
    }
}

/// A trace file being written: shared by the sink the run holds and the command, which
/// finishes it after the run.
pub(crate) struct TraceFile {
    target: PathBuf,
    /// The temporary twin renamed into place at the end; `None` for a device or a pipe
    /// (`/dev/null`), written in place.
    temp: Option<PathBuf>,
    out: Option<BufWriter<std::fs::File>>,
    format: TraceFormat,
    names: Names,
    written: u64,
    error: Option<std::io::Error>,
    line: String,
}

/// The run's end of a [`TraceFile`].
pub(crate) struct Sink(pub Arc<Mutex<TraceFile>>);

impl TraceSink for Sink {
    fn trace(&mut self, t: &Trace) {
        if let Ok(mut f) = self.0.lock() {
            f.write(t);
        }
    }
}

impl TraceFile {
    /// Starts the file (its temporary twin beside `target`).
    pub(crate) fn create(
        target: &Path,
        format: TraceFormat,
        names: Names,
    ) -> std::io::Result<Self> {
        let (temp, file) = if crate::outputs::is_special(target) {
            (None, std::fs::OpenOptions::new().write(true).open(target)?)
        } else {
            let temp = crate::outputs::temp_path(target);
            let file = std::fs::File::create(&temp)?;
            (Some(temp), file)
        };
        let mut f = TraceFile {
            target: target.to_path_buf(),
            temp,
            out: Some(BufWriter::new(file)),
            format,
            names,
            written: 0,
            error: None,
            line: String::new(),
        };
        if format == TraceFormat::Chrome {
            f.raw("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
        }
        Ok(f)
    }
    fn raw(&mut self, s: &str) {
        if self.error.is_some() {
            return;
        }
        if let Some(out) = &mut self.out {
            if let Err(e) = out.write_all(s.as_bytes()) {
                self.error = Some(e);
            }
        }
    }
    fn write(&mut self, t: &Trace) {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        match self.format {
            TraceFormat::Otlp => otlp_line(&mut line, t, &self.names),
            TraceFormat::Chrome => chrome_events(&mut line, t, &self.names, self.written == 0),
        }
        self.raw(&line);
        self.line = line;
        self.written += 1;
    }
    /// Closes the file and renames it into place; the number of traces written. On an
    /// error (or when `ok` is false: the run failed) the temporary file is removed.
    pub(crate) fn finish(&mut self, ok: bool) -> anyhow::Result<u64> {
        if self.format == TraceFormat::Chrome {
            self.raw("\n]}\n");
        }
        let out = self.out.take();
        let flushed = match out {
            Some(mut o) if self.temp.is_some() => o.flush().and_then(|_| o.get_ref().sync_all()),
            Some(mut o) => o.flush(),
            None => Ok(()),
        };
        let Some(temp) = &self.temp else {
            // Written in place.
            return match (self.error.take(), flushed) {
                (Some(e), _) | (None, Err(e)) => Err(anyhow::Error::from(e)),
                _ => Ok(self.written),
            };
        };
        let res = match (self.error.take(), flushed) {
            (Some(e), _) | (None, Err(e)) => Err(anyhow::Error::from(e)),
            _ if !ok => Ok(()),
            _ => std::fs::rename(temp, &self.target).map_err(anyhow::Error::from),
        };
        if res.is_err() || !ok {
            let _ = std::fs::remove_file(temp);
        }
        res.map(|_| self.written)
    }
}

/// Starts the trace file of a run of `scenario` at `path`.
pub(crate) fn start(
    path: &Path,
    args: &TraceArgs,
    scenario: &archsim_scenario::Scenario,
    epoch_ns: u64,
) -> std::io::Result<Arc<Mutex<TraceFile>>> {
    let names = Names::new(
        &scenario.name,
        scenario
            .spec
            .components
            .iter()
            .map(|c| c.name.clone())
            .collect(),
        scenario
            .spec
            .traffic
            .classes
            .iter()
            .map(|c| c.0.clone())
            .collect(),
        scenario.seed,
        epoch_ns,
    );
    Ok(Arc::new(Mutex::new(TraceFile::create(
        path,
        args.trace_format,
        names,
    )?)))
}

/// Finishes a run's trace file (`ok`: the run succeeded); the number of traces written.
pub(crate) fn finish(f: &Arc<Mutex<TraceFile>>, ok: bool) -> anyhow::Result<u64> {
    match f.lock() {
        Ok(mut f) => f.finish(ok),
        Err(_) => anyhow::bail!("the trace writer failed"),
    }
}

fn kept_name(k: Kept) -> &'static str {
    match k {
        Kept::Sampled => "sampled",
        Kept::Failed => "failed",
        Kept::Slowest => "slowest",
    }
}

/// A JSON string literal.
fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The opening of a resource's part of a line (`service.name` = `service`).
fn resource_head(service: &str, scenario: &str) -> String {
    format!(
        "{{\"resource\":{{\"attributes\":[{{\"key\":\"service.name\",\"value\":{{\"stringValue\":{}}}}},{{\"key\":\"archsim.scenario\",\"value\":{{\"stringValue\":{}}}}}]}},\"scopeSpans\":[{{\"scope\":{{\"name\":\"archsim\",\"version\":\"{}\"}},\"spans\":[",
        js(service),
        js(scenario),
        env!("CARGO_PKG_VERSION")
    )
}

/// Appends `,{"key":K,"value":{"intValue":"V"}}`.
fn int_attr(out: &mut String, k: &str, v: u64) {
    let _ = write!(
        out,
        ",{{\"key\":\"{k}\",\"value\":{{\"intValue\":\"{v}\"}}}}"
    );
}

/// Appends `,{"key":K,"value":{"stringValue":V}}` (`v_js` already a JSON string).
fn str_attr(out: &mut String, k: &str, v_js: &str) {
    let _ = write!(
        out,
        ",{{\"key\":\"{k}\",\"value\":{{\"stringValue\":{v_js}}}}}"
    );
}

/// One trace as an OTLP/JSON `TracesData` line: a resource per component (and `client` for
/// the request's root span), each with its spans.
fn otlp_line(out: &mut String, t: &Trace, n: &Names) {
    let tid = format!("{:032x}", t.id(n.seed));
    let class = n.classes.get(t.class as usize).map_or("", |s| s.as_str());
    let class_js = js(class);
    // Resources in order of first appearance: the client first.
    let mut groups: Vec<(Option<u32>, Vec<usize>)> = Vec::new();
    for (i, s) in t.spans.iter().enumerate() {
        match groups.iter_mut().find(|g| g.0 == s.component) {
            Some(g) => g.1.push(i),
            None => groups.push((s.component, vec![i])),
        }
    }
    out.push_str("{\"resourceSpans\":[");
    for (gi, (comp, idx)) in groups.iter().enumerate() {
        if gi > 0 {
            out.push(',');
        }
        match comp {
            Some(c) => out.push_str(&n.heads[*c as usize]),
            None => out.push_str(&n.client_head),
        }
        for (k, &i) in idx.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            let s = &t.spans[i];
            let _ = write!(out, "{{\"traceId\":\"{tid}\",\"spanId\":\"{:016x}\",", s.id);
            if s.parent != 0 {
                let _ = write!(out, "\"parentSpanId\":\"{:016x}\",", s.parent);
            }
            out.push_str("\"name\":");
            match s.component {
                Some(c) => out.push_str(&n.components_js[c as usize]),
                None => out.push_str(&js(&format!("request {class}"))),
            }
            let _ = write!(
                out,
                ",\"kind\":{},\"startTimeUnixNano\":\"{}\",\"endTimeUnixNano\":\"{}\",\"attributes\":[",
                if s.component.is_some() { 2 } else { 3 },
                n.epoch_ns.saturating_add(s.start_ns),
                n.epoch_ns.saturating_add(s.end_ns)
            );
            let _ = write!(
                out,
                "{{\"key\":\"archsim.class\",\"value\":{{\"stringValue\":{class_js}}}}}"
            );
            if let Some(key) = t.key {
                int_attr(out, "archsim.key", key);
            }
            match s.component {
                Some(_) => {
                    int_attr(out, "archsim.instance", s.instance as u64);
                    int_attr(out, "archsim.attempt", s.attempt as u64);
                }
                None => {
                    int_attr(out, "archsim.request", t.seq);
                    int_attr(out, "archsim.attempts", s.attempt as u64);
                    str_attr(out, "archsim.kept", &js(kept_name(t.kept)));
                }
            }
            if let Some(e) = &s.error {
                str_attr(out, "error.type", &js(e));
            }
            out.push(']');
            if let Some(w) = s.work_ns.filter(|w| *w > s.start_ns) {
                let _ = write!(
                    out,
                    ",\"events\":[{{\"timeUnixNano\":\"{}\",\"name\":\"enqueued\"}},{{\"timeUnixNano\":\"{}\",\"name\":\"dequeued\",\"attributes\":[{{\"key\":\"archsim.wait_ms\",\"value\":{{\"doubleValue\":{}}}}}]}}]",
                    n.epoch_ns.saturating_add(s.start_ns),
                    n.epoch_ns.saturating_add(w),
                    (w - s.start_ns) as f64 / 1e6
                );
            }
            if let Some(e) = &s.error {
                let _ = write!(out, ",\"status\":{{\"code\":2,\"message\":{}}}", js(e));
            }
            out.push('}');
        }
        out.push_str("]}]}");
    }
    out.push_str("]}\n");
}

/// One trace as Chrome trace events: a track (thread) per request, a complete event per
/// span, times in microseconds of simulated time.
fn chrome_events(out: &mut String, t: &Trace, n: &Names, first: bool) {
    let class = n.classes.get(t.class as usize).map_or("", |s| s.as_str());
    let tid = t.seq + 1;
    if !first {
        out.push_str(",\n");
    }
    let _ = write!(
        out,
        "{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":{tid},\"args\":{{\"name\":{}}}}}",
        js(&format!("request {} ({class}, {})", t.seq, kept_name(t.kept)))
    );
    for s in &t.spans {
        let name = match s.component {
            Some(c) => n.components[c as usize].clone(),
            None => format!("request {class}"),
        };
        let _ = write!(
            out,
            ",\n{{\"name\":{},\"cat\":\"{}\",\"ph\":\"X\",\"ts\":{},\"dur\":{},\"pid\":1,\"tid\":{tid},\"args\":{{\"instance\":{},\"attempt\":{}",
            js(&name),
            if s.component.is_some() { "call" } else { "request" },
            s.start_ns as f64 / 1e3,
            (s.end_ns - s.start_ns) as f64 / 1e3,
            s.instance,
            s.attempt
        );
        if let Some(w) = s.work_ns {
            let _ = write!(
                out,
                ",\"wait_ms\":{}",
                (w.saturating_sub(s.start_ns)) as f64 / 1e6
            );
        }
        if let Some(e) = &s.error {
            let _ = write!(out, ",\"error\":{}", js(e));
        }
        out.push_str("}}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use archsim_scenario::Span;

    fn trace() -> Trace {
        Trace {
            seq: 7,
            class: 0,
            key: Some(42),
            kept: Kept::Sampled,
            spans: vec![
                Span {
                    id: 11,
                    parent: 0,
                    component: None,
                    instance: 0,
                    start_ns: 1_000,
                    work_ns: None,
                    end_ns: 9_000,
                    attempt: 1,
                    error: None,
                },
                Span {
                    id: 12,
                    parent: 11,
                    component: Some(0),
                    instance: 2,
                    start_ns: 2_000,
                    work_ns: Some(3_000),
                    end_ns: 8_000,
                    attempt: 1,
                    error: Some("timeout".into()),
                },
            ],
        }
    }

    fn names() -> Names {
        Names::new(
            "s",
            vec!["app".into()],
            vec!["read".into()],
            1,
            1_000_000_000,
        )
    }

    #[test]
    fn an_otlp_line_is_json_with_hex_ids_and_epoch_times() {
        let mut s = String::new();
        otlp_line(&mut s, &trace(), &names());
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        let rs = v["resourceSpans"].as_array().unwrap();
        assert_eq!(rs.len(), 2);
        let span = &rs[1]["scopeSpans"][0]["spans"][0];
        assert_eq!(span["traceId"].as_str().unwrap().len(), 32);
        assert_eq!(span["spanId"], "000000000000000c");
        assert_eq!(span["parentSpanId"], "000000000000000b");
        assert_eq!(span["startTimeUnixNano"], "1000002000");
        assert_eq!(span["status"]["code"], 2);
        assert_eq!(span["events"][1]["name"], "dequeued");
        assert_eq!(
            rs[1]["resource"]["attributes"][0]["value"]["stringValue"],
            "app"
        );
    }

    #[test]
    fn chrome_events_make_a_json_array_once_closed() {
        let mut s = String::from("{\"traceEvents\":[\n");
        chrome_events(&mut s, &trace(), &names(), true);
        chrome_events(&mut s, &trace(), &names(), false);
        s.push_str("\n]}");
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["traceEvents"].as_array().unwrap().len(), 6);
        assert_eq!(v["traceEvents"][2]["dur"], 6.0);
    }

    #[test]
    fn a_sample_fraction_outside_0_1_is_refused() {
        assert!(fraction("0.5").is_ok());
        assert!(fraction("1.5").unwrap_err().contains("outside 0..1"));
        assert!(fraction("x").is_err());
    }
}
