//! Everything the command writes to stdout and stderr goes through here, so that a failed
//! write never panics (issue 11 item 1).
//!
//! * A closed stdout (`simulate ... | head`: `BrokenPipe`) ends the program quietly with
//!   exit 0, as command-line tools do.
//! * Any other failure to write stdout (a full disk: `> /dev/full`) exits 1 with a message on
//!   stderr when one can still be written.
//! * A failure to write stderr is ignored: there is nowhere left to say it, and the exit
//!   code still tells what happened.
//!
//! Text meant for people ([`stdout_text`], [`stderr_text`] and the macros) is escaped
//! (issue 11 item 16): control characters other than newline and tab (terminal escape
//! sequences in a scenario `name`, a component name, a `--set` value) are shown as `\u{1b}`
//! instead of reaching the terminal raw. Machine output (`--json -`) is written as it is
//! ([`stdout_bytes`]); JSON escapes such characters itself. On a terminal, the escaped text
//! is then coloured (see `colour`).

use crate::colour::{self, Stream};
use crate::{EXIT_FAILURE, EXIT_OK};
use std::borrow::Cow;
use std::io::Write;

/// `print!` that never panics: see the module docs.
macro_rules! outp {
    ($($t:tt)*) => { $crate::out::stdout_text(&format!($($t)*)) };
}

/// `println!` that never panics: see the module docs.
macro_rules! outln {
    ($($t:tt)*) => {{
        let mut s = format!($($t)*);
        s.push('\n');
        $crate::out::stdout_text(&s)
    }};
}

/// `eprint!` that never panics: see the module docs.
macro_rules! errp {
    ($($t:tt)*) => { $crate::out::stderr_text(&format!($($t)*)) };
}

/// `eprintln!` that never panics: see the module docs.
macro_rules! errln {
    ($($t:tt)*) => {{
        let mut s = format!($($t)*);
        s.push('\n');
        $crate::out::stderr_text(&s)
    }};
}

pub(crate) use {errln, errp, outln, outp};

/// Whether `c` is shown escaped in text for people.
fn needs_escape(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// `s` with every control character other than newline and tab written as `\u{..}`.
pub(crate) fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Writes text for people to stdout (escaped; coloured on a terminal).
pub(crate) fn stdout_text(s: &str) {
    let s = escape(s);
    if colour::enabled(Stream::Stdout) {
        stdout_bytes(colour::paint(&s).as_bytes());
    } else {
        stdout_bytes(s.as_bytes());
    }
}

/// Writes `bytes` to stdout as they are, and flushes; a failure ends the program (see the
/// module docs).
pub(crate) fn stdout_bytes(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        drop(out);
        stdout_failed(&e);
    }
}

/// Writes text for people to stderr (escaped; coloured on a terminal); a failure is ignored.
pub(crate) fn stderr_text(s: &str) {
    let s = escape(s);
    let s = if colour::enabled(Stream::Stderr) {
        Cow::Owned(colour::paint(&s).into_owned())
    } else {
        s
    };
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(s.as_bytes()).and_then(|()| err.flush());
}

/// Ends the program after stdout could not be written: quietly with exit 0 for a closed
/// pipe, else exit 1 with a message on stderr.
pub(crate) fn stdout_failed(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(EXIT_OK);
    }
    stderr_text(&format!("error: writing to stdout: {e}\n"));
    std::process::exit(EXIT_FAILURE);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_but_newlines_and_tabs_kept() {
        assert_eq!(escape("stage1\n\tok"), "stage1\n\tok");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(escape("a\x1b[31mred\x07"), "a\\u{1b}[31mred\\u{7}");
        assert_eq!(escape("cr\rnul\0c1\u{9b}"), "cr\\u{d}nul\\u{0}c1\\u{9b}");
    }
}
