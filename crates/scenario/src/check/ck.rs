//! The problem collector: every check reports into one [`Ck`], which keeps each problem with
//! its span, and the small readers every part shares (a duration, a distribution, a number in
//! a range, a reference to another component, a list of request classes, a name).

use super::{Edge, NameIndex, Problem};
use crate::messages;
use archsim_engine::SimTime;
use archsim_models::{
    parse_bytes, parse_duration, parse_rate, Dist, MAX_BANDWIDTH_BYTES_PER_S, MAX_MESSAGE_BYTES,
    MIN_BANDWIDTH_BYTES_PER_S,
};
use std::ops::Range;
use toml::Spanned;

/// The problems found so far.
pub(super) struct Ck {
    pub(super) problems: Vec<Problem>,
    /// Span of the whole document, for missing top-level keys.
    pub(super) top: Range<usize>,
}

impl Ck {
    /// A collector for a document of `doc_len` bytes.
    pub(super) fn new(doc_len: usize) -> Self {
        Ck {
            problems: Vec::new(),
            top: 0..doc_len.min(1),
        }
    }

    pub(super) fn err(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.problems.push(Problem {
            span,
            message: message.into(),
        });
    }

    /// A fixed duration (`"30s"`, `"1h30m"`, or `"const(30s)"`); a distribution is refused
    /// with a message that says a fixed duration is needed here.
    pub(super) fn duration(&mut self, v: &Spanned<String>, what: &str) -> Option<SimTime> {
        let text = v.get_ref();
        match parse_duration(text) {
            Ok(d) => Some(d),
            Err(e) => match Dist::parse(text) {
                Ok(Dist::Const(ns)) => Some(SimTime::from_nanos(ns)),
                Ok(_) => {
                    self.err(v.span(), messages::fixed_duration_needed(what, text));
                    None
                }
                Err(_) => {
                    self.err(v.span(), messages::bad_duration(what, text, &e.message));
                    None
                }
            },
        }
    }

    /// A distribution of bytes (`"exp(2KiB)"`, `"lognormal(p50=8KiB, p99=200KiB)"`), its
    /// mean at most [`MAX_MESSAGE_BYTES`].
    pub(super) fn bytes_dist(&mut self, v: &Spanned<String>, what: &str) -> Option<Dist> {
        match Dist::parse_bytes(v.get_ref()) {
            Ok(d) if d.mean_ns() <= MAX_MESSAGE_BYTES as f64 => Some(d),
            Ok(d) => {
                self.err(
                    v.span(),
                    format!(
                        "{what}: a mean of {:.0} bytes is over the limit of 1TiB; write a size like \"64KiB\" or \"exp(2MiB)\"",
                        d.mean_ns()
                    ),
                );
                None
            }
            Err(e) => {
                self.err(
                    v.span(),
                    format!(
                        "{what}: {e} (in \"{}\" at character {}); write a size or a distribution of sizes, like \"2KiB\" or \"exp(2KiB)\"",
                        v.get_ref(),
                        e.offset + 1
                    ),
                );
                None
            }
        }
    }

    /// A bandwidth (`"1Gbps"`, `"125MB/s"`) in bytes per second, within the limits of a link.
    pub(super) fn bandwidth(&mut self, v: &Spanned<String>, what: &str) -> Option<f64> {
        match parse_rate(v.get_ref()) {
            Ok(r) if (MIN_BANDWIDTH_BYTES_PER_S..=MAX_BANDWIDTH_BYTES_PER_S).contains(&r) => {
                Some(r)
            }
            Ok(_) => {
                self.err(
                    v.span(),
                    format!(
                        "{what}: `{}` is out of range; a link's bandwidth is between 8bps and 80Tbps, like \"1Gbps\"",
                        v.get_ref()
                    ),
                );
                None
            }
            Err(e) => {
                self.err(v.span(), format!("{what}: {}", e.message));
                None
            }
        }
    }

    /// A size in bytes (`"1MiB"`), from 1 byte to [`MAX_MESSAGE_BYTES`].
    pub(super) fn size(&mut self, v: &Spanned<String>, what: &str) -> Option<u64> {
        match parse_bytes(v.get_ref()) {
            Ok(b) if (1..=MAX_MESSAGE_BYTES).contains(&b) => Some(b),
            Ok(_) => {
                self.err(
                    v.span(),
                    format!(
                        "{what}: `{}` is out of range; write a size from 1 byte to 1TiB, like \"1MiB\"",
                        v.get_ref()
                    ),
                );
                None
            }
            Err(e) => {
                self.err(
                    v.span(),
                    format!("{what}: {} (in \"{}\")", e.message, v.get_ref()),
                );
                None
            }
        }
    }

    pub(super) fn dist(&mut self, v: &Spanned<String>, what: &str) -> Option<Dist> {
        match Dist::parse(v.get_ref()) {
            Ok(d) => Some(d),
            Err(e) => {
                self.err(
                    v.span(),
                    format!(
                        "{what}: {e} (in \"{}\" at character {})",
                        v.get_ref(),
                        e.offset + 1
                    ),
                );
                None
            }
        }
    }

    /// A reference to another component: checked to exist, recorded as a call edge (for the
    /// cycle check), reported as missing with `missing` when absent.
    pub(super) fn component_ref(
        &mut self,
        v: Option<&Spanned<String>>,
        (names, index): (&[&String], &NameIndex<'_>),
        (from, edges): (usize, &mut Vec<Edge>),
        span: &Range<usize>,
        missing: String,
    ) -> String {
        let Some(t) = v else {
            self.err(span.clone(), missing);
            return String::new();
        };
        match index.get(t.get_ref().as_str()).copied() {
            None => self.err(
                t.span(),
                format!(
                    "`{}` is not a component; components are: {}",
                    t.get_ref(),
                    list(names)
                ),
            ),
            Some(to) => edges.push((from, to, t.span())),
        }
        t.get_ref().clone()
    }

    /// A list of request class names (default: the class named `write`, if any).
    pub(super) fn class_list(
        &mut self,
        v: Option<&Spanned<Vec<String>>>,
        classes: &[String],
        what: &str,
    ) -> Vec<String> {
        match v {
            None => classes
                .iter()
                .filter(|c| c.as_str() == "write")
                .cloned()
                .collect(),
            Some(w) => {
                for c in w.get_ref() {
                    if !classes.contains(c) {
                        self.err(
                            w.span(),
                            format!(
                                "{what}: `{c}` is not a request class; classes are: {}",
                                classes.join(", ")
                            ),
                        );
                    }
                }
                w.get_ref().clone()
            }
        }
    }

    pub(super) fn int(&mut self, v: &Spanned<i64>, what: &str, lo: i64, hi: i64) -> Option<i64> {
        let x = *v.get_ref();
        if x < lo || x > hi {
            self.err(
                v.span(),
                format!("{what} must be between {lo} and {hi}, got {x}"),
            );
            None
        } else {
            Some(x)
        }
    }

    pub(super) fn float(
        &mut self,
        v: &Spanned<f64>,
        what: &str,
        lo: f64,
        hi: f64,
        lo_open: bool,
    ) -> Option<f64> {
        let x = *v.get_ref();
        let ok = x.is_finite() && (if lo_open { x > lo } else { x >= lo }) && x <= hi;
        if !ok {
            let range = if lo_open {
                format!("greater than {lo} and at most {hi}")
            } else {
                format!("between {lo} and {hi}")
            };
            self.err(v.span(), format!("{what} must be {range}, got {x}"));
            None
        } else {
            Some(x)
        }
    }
}

/// The index of `v` in `names`, or the message that lists them.
pub(super) fn one_of(v: &Spanned<String>, names: &[&str]) -> Result<usize, String> {
    names.iter().position(|n| n == v.get_ref()).ok_or_else(|| {
        format!(
            "unknown value \"{}\"; expected one of: {}",
            v.get_ref(),
            names.join(", ")
        )
    })
}

/// A name of a component, class or region: letters, digits, `_` or `-`, at most 64 of them.
pub(super) fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The component names for a message, `(none)` when there are none.
pub(super) fn list(names: &[&String]) -> String {
    if names.is_empty() {
        "(none)".into()
    } else {
        names
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
