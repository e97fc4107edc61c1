//! Colour on a terminal (issue 12 item 14): a missed SLO (`MISSED`, "none meets the SLO"),
//! errors (`error:`, the summary's `errors` line, `slo missed:`) and incident verdicts
//! (recovered or absorbed green, metastable red, unresolved yellow).
//!
//! Only when the stream is a terminal and `NO_COLOR` is unset or empty (no-color.org);
//! `CLICOLOR_FORCE` (set, not `0`) colours a pipe too, unless `NO_COLOR` says otherwise.
//! Piped output is never coloured, so it stays byte for byte what it was. Colour is added
//! to text already escaped by `out`, so every escape sequence in the output is ours.

use std::borrow::Cow;
use std::io::IsTerminal;
use std::sync::OnceLock;

const RED: &str = "\x1b[1;31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

/// Which stream a text goes to.
#[derive(Clone, Copy)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// Whether text for `stream` is coloured (decided once per stream).
pub(crate) fn enabled(stream: Stream) -> bool {
    static OUT: OnceLock<bool> = OnceLock::new();
    static ERR: OnceLock<bool> = OnceLock::new();
    let decide = |tty: bool| {
        let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        if set("NO_COLOR") {
            return false;
        }
        let forced = std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0");
        forced || tty
    };
    match stream {
        Stream::Stdout => *OUT.get_or_init(|| decide(std::io::stdout().is_terminal())),
        Stream::Stderr => *ERR.get_or_init(|| decide(std::io::stderr().is_terminal())),
    }
}

/// `text` with its verdicts and errors coloured.
pub(crate) fn paint(text: &str) -> Cow<'_, str> {
    if !text.contains("MISSED")
        && !text.contains("incident ")
        && !text.contains("error")
        && !text.contains("none meets the SLO")
        && !text.contains("slo missed:")
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 32);
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        out.push_str(&paint_line(body));
        out.push_str(nl);
    }
    Cow::Owned(out)
}

fn wrap(colour: &str, s: &str) -> String {
    format!("{colour}{s}{RESET}")
}

/// One line (without its newline), coloured.
fn paint_line(line: &str) -> String {
    for prefix in ["error:", "slo missed:"] {
        if let Some(rest) = line.strip_prefix(prefix) {
            return format!("{}{rest}", wrap(RED, prefix));
        }
    }
    // The summary's errors line: `errors       rejected 12, timeout 3`.
    if let Some(rest) = line.strip_prefix("errors ") {
        return format!("{} {rest}", wrap(RED, "errors"));
    }
    // `incident 1: ... -> ...; recovered 2.0s after the trigger ended`.
    if line.starts_with("incident ") {
        if let Some(at) = line.rfind("; ") {
            let (head, verdict) = (&line[..at + 2], &line[at + 2..]);
            let colour = if verdict.contains("metastable") {
                RED
            } else if verdict.starts_with("recovered") || verdict.starts_with("absorbed") {
                GREEN
            } else {
                YELLOW
            };
            return format!("{head}{}", wrap(colour, verdict));
        }
    }
    let line = line.replace("none meets the SLO", &wrap(RED, "none meets the SLO"));
    line.replace("MISSED", &wrap(RED, "MISSED"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_and_errors_are_coloured() {
        assert!(matches!(paint("all 5ms\n"), Cow::Borrowed(_)));
        assert_eq!(
            paint("slo 90%: MISSED\nok\n"),
            "slo 90%: \x1b[1;31mMISSED\x1b[0m\nok\n"
        );
        assert_eq!(
            paint("error: bad.toml:1:1: x"),
            "\x1b[1;31merror:\x1b[0m bad.toml:1:1: x"
        );
        assert_eq!(
            paint("incident 1: db crashed -> app failing +1.0s; still failing 30s after the trigger ended: metastable\n"),
            "incident 1: db crashed -> app failing +1.0s; \x1b[1;31mstill failing 30s after the trigger ended: metastable\x1b[0m\n"
        );
        assert_eq!(
            paint("incident 2: load at 1.0s -> no threshold crossed, no errors; absorbed"),
            "incident 2: load at 1.0s -> no threshold crossed, no errors; \x1b[32mabsorbed\x1b[0m"
        );
        assert_eq!(
            paint("errors       rejected 3\n"),
            "\x1b[1;31merrors\x1b[0m       rejected 3\n"
        );
    }
}
