//! `simulate capacity --launcher CMD`: each probe's replications run as shard tasks through
//! a batch launcher, then are merged, so a search spreads over a cluster while giving the
//! figures it gives in one process. A task is this same binary run as
//! `simulate FILE --set ... --threads 1 --shard I/N --partial DIR`. With a launcher like
//! `srun -n1 -c1 --exact`, every task is started at once as `CMD TASK` and waited for; a
//! launcher ending in `:::` (GNU parallel: `parallel -j8 :::`) is run once, with every task
//! as one argument after it.

use crate::merge::{self, PointResult};
use crate::out::errln;
use crate::EXIT_FAILURE;
use archsim_scenario::Scenario;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `s` quoted for `sh`.
fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+%@".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Where the probes' partials go: `--partial DIR`, else a folder under the working
/// directory (which a cluster's tasks usually share), removed afterwards.
pub(crate) struct Workspace {
    dir: PathBuf,
}

impl Workspace {
    pub(crate) fn new(given: Option<&Path>) -> Result<Workspace, String> {
        let dir = match given {
            Some(d) => d.join(format!("capacity-{}", std::process::id())),
            None => PathBuf::from(format!(".simulate-capacity-{}", std::process::id())),
        };
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("--launcher: cannot create {}: {e}", dir.display()))?;
        Ok(Workspace { dir })
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs the replications of probe `k` (scenario `s`, loaded from `file` with `overrides`)
/// through `launcher` and merges them; problems are printed (the error is the exit code).
pub(crate) fn probe(
    launcher: &str,
    ws: &Workspace,
    k: usize,
    file: &Path,
    overrides: &[String],
    s: &Scenario,
) -> Result<PointResult, i32> {
    let n = s.replications;
    let parts = ws.dir.join(format!("probe-{k}"));
    if let Err(e) = std::fs::create_dir_all(&parts) {
        errln!("error: --launcher: cannot create {}: {e}", parts.display());
        return Err(EXIT_FAILURE);
    }
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            errln!("error: --launcher: cannot find this program's path: {e}");
            return Err(EXIT_FAILURE);
        }
    };
    let task = |i: u32| {
        let mut a: Vec<String> = vec![exe.display().to_string(), file.display().to_string()];
        for o in overrides {
            a.push("--set".into());
            a.push(o.clone());
        }
        a.extend([
            "--threads".into(),
            "1".into(),
            "--shard".into(),
            format!("{i}/{n}"),
            "--partial".into(),
            parts.display().to_string(),
        ]);
        a.iter().map(|x| quote(x)).collect::<Vec<_>>().join(" ")
    };
    let sh = |cmd: String| {
        Command::new("sh")
            .arg("-c")
            .arg(&cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map(|c| (cmd, c))
    };
    let launched: Result<Vec<_>, _> = if launcher.trim_end().ends_with(":::") {
        let all: Vec<String> = (0..n).map(|i| quote(&task(i))).collect();
        sh(format!("{launcher} {}", all.join(" "))).map(|c| vec![c])
    } else {
        (0..n)
            .map(|i| sh(format!("{launcher} {}", task(i))))
            .collect()
    };
    let children = match launched {
        Ok(c) => c,
        Err(e) => {
            errln!("error: --launcher: cannot start sh: {e}");
            return Err(EXIT_FAILURE);
        }
    };
    let mut failed = 0;
    for (cmd, child) in children {
        match child.wait_with_output() {
            Ok(o) if o.status.success() => {}
            Ok(o) => {
                failed += 1;
                if failed == 1 {
                    errln!(
                        "error: --launcher: a task failed ({}): {cmd}\n{}",
                        o.status,
                        String::from_utf8_lossy(&o.stderr).trim_end()
                    );
                }
            }
            Err(e) => {
                failed += 1;
                errln!("error: --launcher: waiting for a task: {e}");
            }
        }
    }
    if failed > 0 {
        return Err(EXIT_FAILURE);
    }
    let g = merge::gather(std::slice::from_ref(&parts), false).map_err(|_| EXIT_FAILURE)?;
    let _ = std::fs::remove_dir_all(&parts);
    let mut r = g.merged.results(std::slice::from_ref(s))?;
    Ok(r.pop().expect("one scenario, one result"))
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn arguments_are_quoted_for_sh() {
        assert_eq!(quote("traffic.users=200"), "traffic.users=200");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("$(x)"), "'$(x)'");
    }
}
