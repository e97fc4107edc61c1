//! Distributions of durations, and their text syntax.
//!
//! | text | meaning |
//! |---|---|
//! | `"5ms"` or `const(5ms)` | always 5 ms |
//! | `exp(5ms)` | exponential, mean 5 ms |
//! | `uniform(1ms, 9ms)` | uniform between the two |
//! | `normal(10ms, 2ms)` | mean, standard deviation; negative draws are clamped to 0 |
//! | `lognormal(p50=10ms, p99=80ms)` | lognormal fixed by two percentiles (any two `pN`) |
//! | `pareto(5ms, 2.5)` | Pareto with scale and shape |
//! | `mix(0.99: const(1ms), 0.01: const(1s))` | a weighted mixture of any of these |
//!
//! Units: `ns`, `us`, `ms`, `s`, `m`, `h`.
//!
//! The same syntax draws sizes in bytes ([`Dist::parse_bytes`]: `exp(4KiB)`,
//! `lognormal(p50=2kB, p99=1MB)`) with the units of [`parse_bytes`]; and [`parse_rate`] reads a
//! bandwidth (`"1Gbps"`, `"125MB/s"`).

use archsim_engine::SimTime;
use rand::Rng;
use rand_distr::{Distribution, Exp1, StandardNormal};
use std::fmt;

/// A distribution of durations, in nanoseconds.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Always this value.
    Const(u64),
    /// Exponential with this mean.
    Exp {
        /// Mean in ns.
        mean_ns: f64,
    },
    /// Uniform in `[lo, hi]`.
    Uniform {
        /// Lower bound in ns.
        lo_ns: f64,
        /// Upper bound in ns.
        hi_ns: f64,
    },
    /// Normal, negative draws clamped to zero.
    Normal {
        /// Mean in ns.
        mean_ns: f64,
        /// Standard deviation in ns.
        sd_ns: f64,
    },
    /// Lognormal: `exp(mu + sigma Z)` nanoseconds.
    LogNormal {
        /// Location (log of the median in ns).
        mu: f64,
        /// Scale.
        sigma: f64,
    },
    /// Pareto: `scale * U^(-1/shape)`.
    Pareto {
        /// Scale (minimum) in ns.
        scale_ns: f64,
        /// Shape.
        shape: f64,
    },
    /// A weighted mixture: cumulative probabilities (last is 1) and the parts.
    Mix(Vec<(f64, Dist)>),
}

/// A syntax or range error in a distribution or duration, at a byte offset of the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistError {
    /// Byte offset in the text where the problem is.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for DistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DistError {}

impl Dist {
    /// A constant duration.
    pub fn constant(d: SimTime) -> Self {
        Dist::Const(d.as_nanos())
    }
    /// An exponential with mean `d`.
    pub fn exp(d: SimTime) -> Self {
        Dist::Exp {
            mean_ns: d.as_nanos() as f64,
        }
    }

    /// Draws one duration.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        SimTime::from_nanos_f64(self.sample_ns(rng))
    }

    fn sample_ns<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Const(ns) => *ns as f64,
            Dist::Exp { mean_ns } => {
                let e: f64 = Exp1.sample(rng);
                e * mean_ns
            }
            Dist::Uniform { lo_ns, hi_ns } => lo_ns + (hi_ns - lo_ns) * rng.random::<f64>(),
            Dist::Normal { mean_ns, sd_ns } => {
                let z: f64 = StandardNormal.sample(rng);
                (mean_ns + sd_ns * z).max(0.0)
            }
            Dist::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Dist::Pareto { scale_ns, shape } => {
                // 1 - U is in (0, 1], so the power is finite.
                let u = 1.0 - rng.random::<f64>();
                scale_ns * u.powf(-1.0 / shape)
            }
            Dist::Mix(parts) => {
                let u: f64 = rng.random();
                for (cum, d) in parts {
                    if u < *cum {
                        return d.sample_ns(rng);
                    }
                }
                parts.last().map_or(0.0, |(_, d)| d.sample_ns(rng))
            }
        }
    }

    /// The smallest duration a draw can come near, in nanoseconds (0 for the exponential,
    /// a normal with any spread, and the lognormal).
    pub fn min_ns(&self) -> f64 {
        match self {
            Dist::Const(ns) => *ns as f64,
            Dist::Exp { .. } | Dist::LogNormal { .. } => 0.0,
            Dist::Uniform { lo_ns, .. } => *lo_ns,
            Dist::Normal { mean_ns, sd_ns } if *sd_ns == 0.0 => mean_ns.max(0.0),
            Dist::Normal { .. } => 0.0,
            Dist::Pareto { scale_ns, .. } => *scale_ns,
            Dist::Mix(parts) => parts
                .iter()
                .map(|(_, d)| d.min_ns())
                .fold(f64::INFINITY, f64::min),
        }
    }

    /// The mean in nanoseconds (infinite for a Pareto with shape <= 1).
    pub fn mean_ns(&self) -> f64 {
        match self {
            Dist::Const(ns) => *ns as f64,
            Dist::Exp { mean_ns } => *mean_ns,
            Dist::Uniform { lo_ns, hi_ns } => (lo_ns + hi_ns) / 2.0,
            // The clamp at zero shifts the mean up when sd is large relative to the mean.
            Dist::Normal { mean_ns, sd_ns } => {
                if *sd_ns == 0.0 {
                    return mean_ns.max(0.0);
                }
                let a = mean_ns / sd_ns;
                mean_ns * std_normal_cdf(a) + sd_ns * std_normal_pdf(a)
            }
            Dist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Dist::Pareto { scale_ns, shape } => {
                if *shape <= 1.0 {
                    f64::INFINITY
                } else {
                    scale_ns * shape / (shape - 1.0)
                }
            }
            Dist::Mix(parts) => {
                let mut prev = 0.0;
                let mut m = 0.0;
                for (cum, d) in parts {
                    m += (cum - prev) * d.mean_ns();
                    prev = *cum;
                }
                m
            }
        }
    }

    /// The second moment E[X^2] in ns^2 (for Pollaczek-Khinchine and friends).
    pub fn second_moment_ns2(&self) -> f64 {
        match self {
            Dist::Const(ns) => (*ns as f64).powi(2),
            Dist::Exp { mean_ns } => 2.0 * mean_ns * mean_ns,
            Dist::Uniform { lo_ns, hi_ns } => (lo_ns * lo_ns + lo_ns * hi_ns + hi_ns * hi_ns) / 3.0,
            Dist::Normal { mean_ns, sd_ns } => mean_ns * mean_ns + sd_ns * sd_ns,
            Dist::LogNormal { mu, sigma } => (2.0 * mu + 2.0 * sigma * sigma).exp(),
            Dist::Pareto { scale_ns, shape } => {
                if *shape <= 2.0 {
                    f64::INFINITY
                } else {
                    scale_ns * scale_ns * shape / (shape - 2.0)
                }
            }
            Dist::Mix(parts) => {
                let mut prev = 0.0;
                let mut m = 0.0;
                for (cum, d) in parts {
                    m += (cum - prev) * d.second_moment_ns2();
                    prev = *cum;
                }
                m
            }
        }
    }

    /// Whether every draw is exactly zero.
    pub fn is_zero(&self) -> bool {
        matches!(self, Dist::Const(0))
    }

    /// Parses the distribution syntax.
    pub fn parse(text: &str) -> Result<Dist, DistError> {
        Self::parse_in(text, Units::Time)
    }

    /// Parses the distribution syntax with sizes instead of durations (`exp(4KiB)`,
    /// `uniform(1kB, 9kB)`, a bare number is bytes): the draws are bytes.
    pub fn parse_bytes(text: &str) -> Result<Dist, DistError> {
        Self::parse_in(text, Units::Bytes)
    }

    fn parse_in(text: &str, units: Units) -> Result<Dist, DistError> {
        let mut p = Parser {
            s: text,
            pos: 0,
            units,
        };
        p.ws();
        let d = p.dist(0)?;
        p.ws();
        if p.pos < text.len() {
            return Err(p.err(format!(
                "unexpected `{}` after the distribution",
                &text[p.pos..]
            )));
        }
        Ok(d)
    }
}

impl std::str::FromStr for Dist {
    type Err = DistError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dist::parse(s)
    }
}

/// Parses a plain duration with a unit (`"250ms"`, `"1.5s"`, `"10m"`).
pub fn parse_duration(text: &str) -> Result<SimTime, DistError> {
    let mut p = Parser {
        s: text,
        pos: 0,
        units: Units::Time,
    };
    p.ws();
    let d = p.duration()?;
    p.ws();
    if p.pos < text.len() {
        return Err(p.err(format!(
            "unexpected `{}` after the duration; write a number and a unit, like \"250ms\"",
            &text[p.pos..]
        )));
    }
    Ok(SimTime::from_nanos_f64(d))
}

const MAX_DEPTH: usize = 8;
const SYNTAX: &str = "expected a duration like \"5ms\" or a distribution: const(5ms), exp(5ms), \
uniform(1ms, 9ms), normal(10ms, 2ms), lognormal(p50=10ms, p99=80ms), pareto(5ms, 2.5), \
mix(0.9: exp(1ms), 0.1: exp(50ms))";

/// Parses a size in bytes: a whole number of bytes, or a number and a unit (`"8GiB"`,
/// `"500MB"`, `"1.5 GB"`); units B, kB, MB, GB, TB (powers of 1000) and KiB, MiB, GiB, TiB
/// (powers of 1024), in any case.
pub fn parse_bytes(text: &str) -> Result<u64, DistError> {
    let mut p = Parser {
        s: text,
        pos: 0,
        units: Units::Bytes,
    };
    p.ws();
    let b = p.duration()?;
    p.ws();
    if p.pos < text.len() {
        return Err(p.err(format!(
            "unexpected `{}` after the size; write a number and a unit, like \"64KiB\"",
            &text[p.pos..]
        )));
    }
    Ok(b.round() as u64)
}

/// Parses a bandwidth into bytes per second: bits per second (`"1Gbps"`, `"100Mbps"`,
/// `"10Gbit/s"`, `"500kbps"`; powers of 1000) or bytes per second (`"125MB/s"`,
/// `"1GiB/s"`, any unit of [`parse_bytes`] followed by `/s`).
pub fn parse_rate(text: &str) -> Result<f64, DistError> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    let bad = |message: String| DistError { offset: 0, message };
    const HELP: &str = "write a bandwidth like \"1Gbps\", \"100Mbps\" or \"125MB/s\"";
    let num: f64 = t[..split]
        .replace('_', "")
        .parse()
        .map_err(|_| bad(format!("`{text}` does not start with a number; {HELP}")))?;
    let unit = lower[split..].trim();
    let bits = match unit {
        "bps" | "bit/s" => Some(1.0),
        "kbps" | "kbit/s" => Some(1e3),
        "mbps" | "mbit/s" => Some(1e6),
        "gbps" | "gbit/s" => Some(1e9),
        "tbps" | "tbit/s" => Some(1e12),
        _ => None,
    };
    let bytes_per_s = match bits {
        Some(b) => num * b / 8.0,
        None => match unit.strip_suffix("/s") {
            Some(size) => {
                let scale = byte_unit(size.trim())
                    .ok_or_else(|| bad(format!("`{unit}` is not a unit of bandwidth; {HELP}")))?;
                num * scale
            }
            None => return Err(bad(format!("`{text}` has no unit of bandwidth; {HELP}"))),
        },
    };
    if !(bytes_per_s.is_finite() && bytes_per_s > 0.0 && bytes_per_s <= 1e18) {
        return Err(bad(format!(
            "a bandwidth must be positive and at most 8 Ebps, got `{text}`"
        )));
    }
    Ok(bytes_per_s)
}

/// The bytes in one of a size unit (lower case), if it is one.
fn byte_unit(unit: &str) -> Option<f64> {
    Some(match unit {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    })
}

/// What the numbers of a distribution measure.
#[derive(Clone, Copy, PartialEq)]
enum Units {
    /// Durations, drawn in ns.
    Time,
    /// Sizes, drawn in bytes.
    Bytes,
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    units: Units,
}

impl Parser<'_> {
    fn err(&self, message: String) -> DistError {
        DistError {
            offset: self.pos,
            message,
        }
    }
    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }
    fn ws(&mut self) {
        while self.rest().starts_with(|c: char| c.is_whitespace()) {
            self.pos += 1;
        }
    }
    fn eat(&mut self, c: char) -> bool {
        self.ws();
        if self.rest().starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }
    fn expect(&mut self, c: char) -> Result<(), DistError> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.err(format!("expected `{c}`")))
        }
    }
    fn ident(&mut self) -> &str {
        self.ws();
        let start = self.pos;
        while self
            .rest()
            .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }
    fn number(&mut self) -> Result<f64, DistError> {
        self.ws();
        let start = self.pos;
        let bytes = self.s.as_bytes();
        let mut i = self.pos;
        while i < bytes.len()
            && (bytes[i].is_ascii_digit()
                || bytes[i] == b'.'
                || bytes[i] == b'_'
                || bytes[i] == b'-'
                || bytes[i] == b'+'
                || ((bytes[i] == b'e' || bytes[i] == b'E')
                    && i > start
                    && bytes[i - 1].is_ascii_digit()
                    && bytes
                        .get(i + 1)
                        .is_some_and(|b| b.is_ascii_digit() || *b == b'-' || *b == b'+')))
        {
            i += 1;
        }
        if i == start {
            return Err(self.err(SYNTAX.to_string()));
        }
        let text: String = self.s[start..i].chars().filter(|c| *c != '_').collect();
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => {
                self.pos = i;
                Ok(v)
            }
            _ => Err(self.err(format!("`{}` is not a number", &self.s[start..i]))),
        }
    }
    /// A number followed by a unit, in ns; must be >= 0. Compound durations (`"1h30m"`,
    /// `"2m30s"`, `"1m0.5s"`) add their parts; the units go from largest to smallest, each
    /// once, and the parts follow each other without spaces.
    fn duration(&mut self) -> Result<f64, DistError> {
        if self.units == Units::Bytes {
            return self.size();
        }
        /// Units from largest to smallest, with their length in ns.
        const UNITS: [(&str, f64); 6] = [
            ("h", 3600e9),
            ("m", 60e9),
            ("s", 1e9),
            ("ms", 1e6),
            ("us", 1e3),
            ("ns", 1.0),
        ];
        self.ws();
        let at = self.pos;
        let mut ns = 0.0;
        let mut previous: Option<usize> = None;
        loop {
            let part_at = self.pos;
            let v = self.number()?;
            self.ws();
            let unit_at = self.pos;
            let unit_len = self
                .rest()
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(self.rest().len());
            let unit = self.rest()[..unit_len].to_string();
            self.pos += unit_len;
            let rank = match UNITS.iter().position(|(u, _)| *u == unit) {
                Some(r) => r,
                None if unit.is_empty() => {
                    self.pos = unit_at;
                    return Err(self.err(format!(
                        "the duration `{v}` has no unit; add one of ns, us, ms, s, m, h (e.g. \"{v}ms\")"
                    )));
                }
                None => {
                    self.pos = unit_at;
                    return Err(self.err(format!(
                        "unknown time unit `{unit}`; use one of ns, us, ms, s, m, h"
                    )));
                }
            };
            if v < 0.0 {
                self.pos = part_at;
                self.ws();
                return Err(self.err("a duration cannot be negative".into()));
            }
            if let Some(p) = previous {
                if rank <= p {
                    self.pos = unit_at;
                    return Err(self.err(format!(
                        "in a compound duration the units go from largest to smallest, each once (h, m, s, ms, us, ns), like \"1h30m\" or \"2m30s\"; `{unit}` cannot follow `{}`",
                        UNITS[p].0
                    )));
                }
            }
            previous = Some(rank);
            ns += v * UNITS[rank].1;
            // Another part follows only directly: `1h30m`, not `1h 30m`.
            if !self
                .rest()
                .starts_with(|c: char| c.is_ascii_digit() || c == '.')
            {
                break;
            }
        }
        if ns > 1e18 {
            self.pos = at;
            return Err(self.err("duration too large (the limit is about 30 years)".into()));
        }
        Ok(ns)
    }
    /// A number with an optional unit of size, in bytes; must be >= 0.
    fn size(&mut self) -> Result<f64, DistError> {
        self.ws();
        let at = self.pos;
        let v = self.number()?;
        self.ws();
        let unit_at = self.pos;
        let unit_len = self
            .rest()
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(self.rest().len());
        let unit = self.rest()[..unit_len].to_ascii_lowercase();
        let Some(scale) = byte_unit(&unit) else {
            return Err(self.err(format!(
                "`{}` is not a unit of size; use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB",
                &self.rest()[..unit_len]
            )));
        };
        self.pos = unit_at + unit_len;
        if v < 0.0 {
            self.pos = at;
            self.ws();
            return Err(self.err("a size cannot be negative".into()));
        }
        let b = v * scale;
        if b > (1u64 << 60) as f64 {
            self.pos = at;
            self.ws();
            return Err(self.err("size too large (the limit is 1 EiB)".into()));
        }
        Ok(b)
    }
    fn positive(&mut self, what: &str) -> Result<f64, DistError> {
        let at = self.pos;
        let v = self.number()?;
        if v <= 0.0 {
            self.pos = at;
            self.ws();
            return Err(self.err(format!("{what} must be positive, got {v}")));
        }
        Ok(v)
    }
    fn dist(&mut self, depth: usize) -> Result<Dist, DistError> {
        self.ws();
        if depth > MAX_DEPTH {
            return Err(self.err("distributions nested too deeply".into()));
        }
        if self
            .rest()
            .starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '-')
        {
            return Ok(Dist::Const(self.duration()?.round() as u64));
        }
        let name_at = self.pos;
        let name = self.ident().to_string();
        if name.is_empty() {
            return Err(self.err(SYNTAX.to_string()));
        }
        if !self.eat('(') {
            self.pos = name_at;
            return Err(self.err(format!("unknown distribution `{name}`; {SYNTAX}")));
        }
        let d = match name.as_str() {
            "const" => Dist::Const(self.duration()?.round() as u64),
            "exp" => Dist::Exp {
                mean_ns: self.duration()?,
            },
            "uniform" => {
                let lo = self.duration()?;
                self.expect(',')?;
                let at = self.pos;
                let hi = self.duration()?;
                if hi < lo {
                    self.pos = at;
                    self.ws();
                    return Err(self.err("uniform(lo, hi) needs lo <= hi".into()));
                }
                Dist::Uniform {
                    lo_ns: lo,
                    hi_ns: hi,
                }
            }
            "normal" => {
                let m = self.duration()?;
                self.expect(',')?;
                let sd = self.duration()?;
                Dist::Normal {
                    mean_ns: m,
                    sd_ns: sd,
                }
            }
            "lognormal" => self.lognormal()?,
            "pareto" => {
                let at = self.pos;
                let scale = self.duration()?;
                if scale <= 0.0 {
                    self.pos = at;
                    self.ws();
                    return Err(self.err("the Pareto scale must be positive".into()));
                }
                self.expect(',')?;
                let shape = self.positive("the Pareto shape")?;
                Dist::Pareto {
                    scale_ns: scale,
                    shape,
                }
            }
            "mix" => {
                let mut parts = Vec::new();
                let mut total = 0.0;
                loop {
                    let w = self.positive("a mixture weight")?;
                    self.expect(':')?;
                    let d = self.dist(depth + 1)?;
                    total += w;
                    parts.push((total, d));
                    if !self.eat(',') {
                        break;
                    }
                }
                for p in &mut parts {
                    p.0 /= total;
                }
                if let Some(last) = parts.last_mut() {
                    last.0 = 1.0;
                }
                Dist::Mix(parts)
            }
            other => {
                self.pos = name_at;
                return Err(self.err(format!("unknown distribution `{other}`; {SYNTAX}")));
            }
        };
        self.expect(')')?;
        Ok(d)
    }
    fn lognormal(&mut self) -> Result<Dist, DistError> {
        let mut pts = Vec::new();
        for i in 0..2 {
            if i == 1 {
                self.expect(',')?;
            }
            self.ws();
            let at = self.pos;
            let key = self.ident().to_string();
            let p = key
                .strip_prefix('p')
                .and_then(|d| {
                    // p50 = 0.50, p99 = 0.99, p999 = 0.999, p9999 = 0.9999
                    let digits: f64 = d.parse().ok()?;
                    let q = if d.len() <= 2 {
                        digits / 100.0
                    } else {
                        digits / 10f64.powi(d.len() as i32)
                    };
                    (q > 0.0 && q < 1.0).then_some(q)
                })
                .ok_or_else(|| {
                    DistError {
                        offset: at,
                        message: format!(
                            "expected a percentile like p50 or p99, got `{key}`; write lognormal(p50=10ms, p99=80ms)"
                        ),
                    }
                })?;
            self.expect('=')?;
            let at = self.pos;
            let v = self.duration()?;
            if v <= 0.0 {
                self.pos = at;
                self.ws();
                return Err(self.err("lognormal percentiles must be positive".into()));
            }
            pts.push((p, v, at));
        }
        let ((p1, v1, _), (p2, v2, at2)) = (pts[0], pts[1]);
        let (z1, z2) = (inverse_normal_cdf(p1), inverse_normal_cdf(p2));
        if p1 == p2 || (v2 - v1) * (p2 - p1) <= 0.0 {
            return Err(DistError {
                offset: at2,
                message: "the higher percentile must have the larger value".into(),
            });
        }
        let sigma = (v2.ln() - v1.ln()) / (z2 - z1);
        let mu = v1.ln() - sigma * z1;
        Ok(Dist::LogNormal { mu, sigma })
    }
}

fn std_normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Standard normal CDF (Abramowitz-Stegun 7.1.26 via erf, error below 1.5e-7).
pub fn std_normal_cdf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs() / std::f64::consts::SQRT_2);
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-(x * x) / 2.0).exp();
    if x >= 0.0 {
        0.5 * (1.0 + y)
    } else {
        0.5 * (1.0 - y)
    }
}

/// The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9).
pub fn inverse_normal_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let pl = 0.02425;
    if p < pl {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - pl {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use archsim_engine::stream;

    #[test]
    fn parses_sizes_and_rates() {
        assert_eq!(parse_bytes("64KiB").unwrap(), 65536);
        assert_eq!(parse_bytes("1.5 GB").unwrap(), 1_500_000_000);
        assert_eq!(parse_bytes("512").unwrap(), 512);
        assert!(parse_bytes("5ms").is_err());
        assert!(parse_bytes("-1kB").is_err());
        assert_eq!(
            Dist::parse_bytes("exp(4KiB)").unwrap(),
            Dist::Exp { mean_ns: 4096.0 }
        );
        assert_eq!(Dist::parse_bytes("2kB").unwrap(), Dist::Const(2000));
        assert!(Dist::parse_bytes("uniform(1kB, 2MB)").is_ok());
        assert!(Dist::parse_bytes("exp(4ms)").is_err());
        assert_eq!(parse_rate("1Gbps").unwrap(), 125e6);
        assert_eq!(parse_rate("100 Mbps").unwrap(), 12.5e6);
        assert_eq!(parse_rate("125MB/s").unwrap(), 125e6);
        assert_eq!(parse_rate("1GiB/s").unwrap(), 1073741824.0);
        assert!(parse_rate("1G").is_err());
        assert!(parse_rate("0Mbps").is_err());
        assert!(parse_rate("fast").is_err());
    }

    #[test]
    fn parses_the_contract_syntax() {
        assert_eq!(Dist::parse("5ms").unwrap(), Dist::Const(5_000_000));
        assert_eq!(
            Dist::parse("const(1.5s)").unwrap(),
            Dist::Const(1_500_000_000)
        );
        assert_eq!(Dist::parse("exp(5ms)").unwrap(), Dist::Exp { mean_ns: 5e6 });
        assert!(matches!(
            Dist::parse("uniform(1ms, 9ms)").unwrap(),
            Dist::Uniform { .. }
        ));
        assert!(matches!(
            Dist::parse("normal(10ms, 2ms)").unwrap(),
            Dist::Normal { .. }
        ));
        assert!(matches!(
            Dist::parse("pareto(5ms, 2.5)").unwrap(),
            Dist::Pareto { .. }
        ));
        let m = Dist::parse("mix(0.99: const(1ms), 0.01: const(1s))").unwrap();
        assert!((m.mean_ns() - (0.99e6 + 0.01e9)).abs() < 1.0);
        assert_eq!(parse_duration("10m").unwrap(), SimTime::from_secs(600));
    }

    #[test]
    fn compound_durations_add_their_parts() {
        let d = |t: &str| parse_duration(t).unwrap_or_else(|e| panic!("{t}: {e}"));
        assert_eq!(d("1h30m"), SimTime::from_secs(5400));
        assert_eq!(d("20h30m"), SimTime::from_secs(73_800));
        assert_eq!(d("2m30s"), SimTime::from_secs(150));
        assert_eq!(d("1m0.5s"), SimTime::from_millis(60_500));
        assert_eq!(d("1h2m3s4ms"), SimTime::from_millis(3_723_004));
        assert_eq!(d(" 1s500ms "), SimTime::from_millis(1500));
        // Single units are unchanged, spaces before the unit included.
        assert_eq!(d("250ms"), SimTime::from_millis(250));
        assert_eq!(d("5 ms"), SimTime::from_millis(5));
        // Anywhere a duration is drawn, too.
        assert_eq!(
            Dist::parse("const(1m30s)").unwrap(),
            Dist::Const(90_000_000_000)
        );
        let u = Dist::parse("uniform(1s, 1m30s)").unwrap();
        assert!((u.mean_ns() - 45.5e9).abs() < 1.0);
    }

    #[test]
    fn compound_durations_refuse_garbage() {
        let e = |t: &str| parse_duration(t).unwrap_err().message;
        for t in ["1h1h", "30m1h", "1s1m", "1ms1s", "1s1s"] {
            let m = e(t);
            assert!(m.contains("largest to smallest"), "{t}: {m}");
            assert!(m.contains("\"1h30m\""), "{t}: {m}");
        }
        assert!(e("1h30").contains("no unit"), "{}", e("1h30"));
        assert!(e("1h30x").contains("unknown time unit `x`"));
        assert!(e("1h 30m").contains("unexpected `30m`"), "{}", e("1h 30m"));
        assert!(e("1h-30m").contains("unexpected `-30m`"), "{}", e("1h-30m"));
        assert!(e("1h30mm").contains("unknown time unit `mm`"));
        assert!(e("h30m").contains("expected a duration"), "{}", e("h30m"));
    }

    #[test]
    fn lognormal_hits_its_percentiles() {
        let d = Dist::parse("lognormal(p50=10ms, p99=80ms)").unwrap();
        let mut rng = stream(7, "t");
        let mut v: Vec<u64> = (0..200_000)
            .map(|_| d.sample(&mut rng).as_nanos())
            .collect();
        v.sort_unstable();
        let p50 = v[100_000] as f64 / 1e6;
        let p99 = v[198_000] as f64 / 1e6;
        assert!((p50 - 10.0).abs() < 0.2, "p50 {p50}");
        assert!((p99 - 80.0).abs() < 3.0, "p99 {p99}");
    }

    #[test]
    fn sample_means_match() {
        let mut rng = stream(1, "means");
        for text in [
            "exp(5ms)",
            "uniform(1ms, 9ms)",
            "normal(10ms, 2ms)",
            "pareto(5ms, 3.5)",
        ] {
            let d = Dist::parse(text).unwrap();
            let n = 400_000;
            let mean: f64 = (0..n)
                .map(|_| d.sample(&mut rng).as_nanos() as f64)
                .sum::<f64>()
                / n as f64;
            let rel = (mean - d.mean_ns()).abs() / d.mean_ns();
            assert!(rel < 0.01, "{text}: {mean} vs {}", d.mean_ns());
        }
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = Dist::parse("exp(5)").unwrap_err();
        assert!(e.message.contains("no unit"), "{e}");
        assert_eq!(e.offset, 5);
        let e = Dist::parse("expo(5ms)").unwrap_err();
        assert!(e.message.contains("unknown distribution `expo`"), "{e}");
        let e = Dist::parse("uniform(9ms, 1ms)").unwrap_err();
        assert!(e.message.contains("lo <= hi"), "{e}");
        let e = Dist::parse("exp(-5ms)").unwrap_err();
        assert!(e.message.contains("negative"), "{e}");
        assert!(Dist::parse("").is_err());
        assert!(Dist::parse("mix(").is_err());
        assert!(Dist::parse("5 parsecs").is_err());
        assert!((inverse_normal_cdf(0.99) - 2.326_347_874).abs() < 1e-6);
    }
}
