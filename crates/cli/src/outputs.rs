//! The files a command writes (`--json`, `--csv`, `--html`, `--metrics`, `--alerts-rules`,
//! `--traces`): checked before anything is
//! simulated, then each written whole or not at all, on its own, so that one failure loses
//! neither the others nor the summary (issue 11 item 15).

use crate::out::{errln, errp, outp};
use crate::{EXIT_FAILURE, EXIT_OK};
use anyhow::Context as _;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The outputs one command was asked for.
#[derive(Clone, Copy, Default)]
pub(crate) struct Outputs<'a> {
    /// `--json`: a path, or `-` for stdout.
    pub json: Option<&'a str>,
    /// `--csv`.
    pub csv: Option<&'a Path>,
    /// `--html`.
    pub html: Option<&'a Path>,
    /// `--traces` (written while the run goes, by the command; only checked here).
    pub traces: Option<&'a Path>,
    /// `--metrics` (a single run only).
    pub metrics: Option<&'a Path>,
    /// `--alerts-rules` (written by the run command itself, checked here with the others).
    pub alerts_rules: Option<&'a Path>,
}

impl<'a> Outputs<'a> {
    /// Whether any output was asked for.
    pub(crate) fn any(&self) -> bool {
        self.json.is_some()
            || self.csv.is_some()
            || self.html.is_some()
            || self.metrics.is_some()
            || self.alerts_rules.is_some()
    }
    /// The file outputs as (option, path); `--json -` is stdout, not a file.
    fn files(&self) -> Vec<(&'static str, &'a Path)> {
        let mut v = Vec::new();
        if let Some(j) = self.json.filter(|j| *j != "-") {
            v.push(("--json", Path::new(j)));
        }
        if let Some(c) = self.csv {
            v.push(("--csv", c));
        }
        if let Some(h) = self.html {
            v.push(("--html", h));
        }
        if let Some(t) = self.traces {
            v.push(("--traces", t));
        }
        if let Some(m) = self.metrics {
            v.push(("--metrics", m));
        }
        if let Some(r) = self.alerts_rules {
            v.push(("--alerts-rules", r));
        }
        v
    }
}

/// The folder a file at `path` lives in (`.` for a bare name).
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether `path` exists and is neither a file nor a folder (a device, a pipe): such a path
/// is written in place.
pub(crate) fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Where `path` points once symlinks and `..` are resolved, for an existing file or one to
/// be created in an existing folder.
fn resolved(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = std::fs::canonicalize(path) {
        return Some(p);
    }
    let name = path.file_name()?;
    Some(std::fs::canonicalize(folder_of(path)).ok()?.join(name))
}

/// Checks every output path before anything runs: its folder exists and takes new files,
/// it is not a folder, not one of the scenario files `inputs`, and no two outputs share it.
/// The error names the option and the path.
pub(crate) fn check(outputs: &Outputs, inputs: &[&Path]) -> Result<(), String> {
    let files = outputs.files();
    let mut seen: Vec<(&str, &Path, PathBuf)> = Vec::new();
    for &(opt, path) in &files {
        let shown = path.display();
        if path.as_os_str().is_empty() {
            return Err(format!("{opt}: the path is empty"));
        }
        if path.is_dir() {
            return Err(format!(
                "{opt} {shown}: is a folder; give the path of a file to write"
            ));
        }
        if is_special(path) {
            // `/dev/null`, `/dev/stdout`, a named pipe: written in place; nothing to check.
            continue;
        }
        if path.file_name().is_none() {
            return Err(format!("{opt} {shown}: does not name a file"));
        }
        let dir = folder_of(path);
        match std::fs::metadata(&dir) {
            Err(_) => {
                return Err(format!(
                    "{opt} {shown}: the folder {} does not exist",
                    dir.display()
                ))
            }
            Ok(m) if !m.is_dir() => {
                return Err(format!("{opt} {shown}: {} is not a folder", dir.display()))
            }
            Ok(_) => {}
        }
        // The write goes through a temporary file beside the target: try making one.
        let probe = crate::outputs::temp_path(path);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
        {
            Ok(f) => {
                drop(f);
                let _ = std::fs::remove_file(&probe);
            }
            Err(e) => {
                return Err(format!(
                    "{opt} {shown}: cannot write in the folder {}: {e}",
                    dir.display()
                ))
            }
        }
        let Some(real) = resolved(path) else {
            continue;
        };
        if let Some(input) = inputs
            .iter()
            .find(|i| resolved(i).is_some_and(|r| r == real))
        {
            return Err(format!(
                "{opt} {shown}: is the scenario file {}; writing there would overwrite it",
                input.display()
            ));
        }
        if let Some((other, other_path, _)) = seen.iter().find(|s| s.2 == real) {
            return Err(format!(
                "{other} {} and {opt} {shown} write to the same file; give each its own path",
                other_path.display()
            ));
        }
        seen.push((opt, path, real));
    }
    Ok(())
}

/// A further file a command writes (`--metrics`): its option, its path and how to render it.
pub(crate) struct Extra<'a> {
    /// The option, for messages.
    pub opt: &'static str,
    /// Where it goes.
    pub path: &'a Path,
    /// Its text.
    pub render: Box<dyn FnOnce() -> anyhow::Result<String> + 'a>,
}

/// Writes the outputs that were asked for, each on its own (the `extra` files after the
/// HTML), then prints `text` (to stderr when the JSON goes to stdout). A failed output is
/// reported after the summary and makes the exit code 1; the others are still written.
pub(crate) fn emit(
    outputs: &Outputs,
    text: &str,
    json: impl FnOnce() -> anyhow::Result<String>,
    csv: impl FnOnce() -> String,
    html: impl FnOnce() -> anyhow::Result<String>,
    extra: Vec<Extra>,
) -> i32 {
    let mut failed: Vec<anyhow::Error> = Vec::new();
    if let Some(path) = outputs.csv {
        if let Err(e) = write_atomically(path, csv().trim_end().as_bytes())
            .with_context(|| format!("--csv: writing {}", path.display()))
        {
            failed.push(e);
        }
    }
    if let Some(path) = outputs.html {
        let res = html()
            .and_then(|page| write_atomically(path, page.as_bytes()).map_err(anyhow::Error::from));
        if let Err(e) = res.with_context(|| format!("--html: writing {}", path.display())) {
            failed.push(e);
        }
    }
    for x in extra {
        let res = (x.render)()
            .and_then(|t| write_atomically(x.path, t.as_bytes()).map_err(anyhow::Error::from));
        if let Err(e) = res.with_context(|| format!("{}: writing {}", x.opt, x.path.display())) {
            failed.push(e);
        }
    }
    match outputs.json {
        Some("-") => {
            errp!("{text}");
            match json() {
                Ok(s) => crate::out::stdout_bytes(format!("{s}\n").as_bytes()),
                Err(e) => failed.push(e.context("--json -: writing to stdout")),
            }
        }
        Some(path) => {
            let res = json().and_then(|s| {
                write_atomically(Path::new(path), s.as_bytes()).map_err(anyhow::Error::from)
            });
            if let Err(e) = res.with_context(|| format!("--json: writing {path}")) {
                failed.push(e);
            }
            outp!("{text}");
        }
        None => outp!("{text}"),
    }
    for e in &failed {
        errln!("error: {e:#}");
    }
    if failed.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILURE
    }
}

/// What marks the temporary file of an unfinished write: `.NAME.simulate-partial-PID.tmp`
/// beside the target (a dot file, so listings hide it; the words say it is safe to delete).
const PARTIAL: &str = ".simulate-partial-";

/// A partial file must be at least this old before another process removes it, in case the
/// folder is shared with processes this one cannot see (another PID namespace).
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// The temporary file beside `path` that [`write_atomically`] writes first.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "result".into());
    folder_of(path).join(format!(".{name}{PARTIAL}{}.tmp", std::process::id()))
}

/// The process id in the name of a partial file, if `name` is one.
fn partial_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, pid) = rest.rsplit_once(PARTIAL)?;
    pid.parse().ok()
}

/// Removes the partial files in `dir` left by processes that are gone (a kill during the
/// final write). Where `/proc` cannot tell whether a process lives, nothing is removed.
fn remove_stale_partials(dir: &Path) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(partial_pid) else {
            continue;
        };
        if pid == std::process::id() || proc.join(pid.to_string()).exists() {
            continue;
        }
        let old = e
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= STALE_AFTER);
        if old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Writes `bytes` to a temporary file beside `path` (`.NAME.simulate-partial-PID.tmp`), then
/// renames it over `path`, so the file is written whole or not at all. A device or pipe at
/// `path` is written in place. Partial files in that folder left by processes that are gone
/// (and untouched for a minute) are removed first.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // A device or a pipe (`--json /dev/null`, `--csv /dev/stdout`, a named pipe) is written
    // in place: renaming a file over it would replace the device itself.
    if is_special(path) {
        let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
        f.write_all(bytes)?;
        f.write_all(b"\n")?;
        return f.flush();
    }
    remove_stale_partials(&folder_of(path));
    let tmp = temp_path(path);
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_files_are_recognised_by_name() {
        let t = temp_path(Path::new("out/result.json"));
        let name = t.file_name().unwrap().to_str().unwrap();
        assert_eq!(
            name,
            format!(".result.json.simulate-partial-{}.tmp", std::process::id())
        );
        assert_eq!(partial_pid(name), Some(std::process::id()));
        assert_eq!(partial_pid(".a.simulate-partial-12.tmp"), Some(12));
        assert_eq!(partial_pid(".a.simulate-partial-x.tmp"), None);
        assert_eq!(partial_pid(".result.json.123.tmp"), None);
        assert_eq!(partial_pid("a.simulate-partial-12.tmp"), None);
    }
}
