//! `--set KEY=VALUE` overrides: applying them to the scenario text, and telling, for a
//! problem found in the overridden text, whether it comes from an override (then the message
//! names the `--set` and gives no file position) or from the file (then its position is
//! mapped back to the file as written, which inserted keys may have shifted).

use crate::locate::{path_at, span_of};
use crate::ScenarioError;
use toml_edit::ImDocument;

/// Each `--set` argument with its key path.
pub type Applied = Vec<(String, Vec<String>)>;

/// Applies `KEY=VALUE` overrides to the TOML text. Returns the new text and each override
/// with its key path (so errors in it can name it).
pub fn apply(text: &str, overrides: &[String]) -> Result<(String, Applied), ScenarioError> {
    if overrides.is_empty() {
        return Ok((text.to_string(), Vec::new()));
    }
    let bad = |arg: &str, message: String| ScenarioError::BadOverride {
        arg: arg.to_string(),
        message,
    };
    let mut doc: toml_edit::DocumentMut = match text.parse() {
        Ok(d) => d,
        // Let the normal parse report the syntax error with its position.
        Err(_) => return Ok((text.to_string(), Vec::new())),
    };
    let mut parsed = Vec::new();
    for arg in overrides {
        let (key, value) = arg.split_once('=').ok_or_else(|| {
            bad(
                arg,
                "expected KEY=VALUE, e.g. --set traffic.rate=2000".into(),
            )
        })?;
        let path: Vec<&str> = key.trim().split('.').map(str::trim).collect();
        if path.iter().any(|p| p.is_empty()) {
            return Err(bad(arg, format!("`{key}` is not a dotted key path")));
        }
        let value_text = value.trim();
        let v: toml_edit::Value = match value_text.parse::<toml_edit::Value>() {
            Ok(v) => v,
            Err(_) => toml_edit::Value::from(value_text),
        };
        set_path(doc.as_item_mut(), &path, v).map_err(|m| bad(arg, m))?;
        parsed.push((
            arg.clone(),
            path.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        ));
    }
    Ok((doc.to_string(), parsed))
}

fn set_path(root: &mut toml_edit::Item, path: &[&str], v: toml_edit::Value) -> Result<(), String> {
    let mut cur = root;
    for (depth, seg) in path.iter().enumerate() {
        let last = depth + 1 == path.len();
        let so_far = path[..=depth].join(".");
        if cur.is_array() || cur.is_array_of_tables() {
            let i: usize = seg.parse().map_err(|_| {
                format!(
                    "`{}` is a list; index it with a number",
                    path[..depth].join(".")
                )
            })?;
            if last {
                return Err(format!("`{so_far}`: replacing a whole list element is not supported; set one of its keys"));
            }
            cur = cur
                .get_mut(i)
                .ok_or_else(|| format!("`{so_far}`: no element {i} in the list"))?;
            continue;
        }
        if !cur.is_table_like() {
            return Err(format!(
                "`{}` is a value, not a table",
                path[..depth].join(".")
            ));
        }
        if last {
            cur[*seg] = toml_edit::Item::Value(v);
            return Ok(());
        }
        if cur.get(*seg).is_none() {
            if cur.is_inline_table() {
                cur[*seg] = toml_edit::Item::Value(toml_edit::Value::InlineTable(
                    toml_edit::InlineTable::new(),
                ));
            } else {
                let mut t = toml_edit::Table::new();
                t.set_implicit(true);
                cur[*seg] = toml_edit::Item::Table(t);
            }
        }
        cur = cur.get_mut(*seg).expect("just inserted");
    }
    Ok(())
}

/// Where a problem in the overridden text comes from.
#[derive(Debug, PartialEq, Eq)]
pub enum Origin {
    /// The file, at this byte offset of the text as written.
    File(usize),
    /// This `--set` argument.
    Set(String),
}

/// Maps offsets of the overridden text back to the file or to an override.
pub struct Origins {
    applied: Applied,
    written: Option<ImDocument<String>>,
    overridden: Option<ImDocument<String>>,
}

impl Origins {
    /// For `text` as written, the `overridden` text and the overrides `applied` to it.
    pub fn new(text: &str, overridden: &str, applied: Applied) -> Origins {
        let parse = |t: &str| ImDocument::parse(t.to_string()).ok();
        let (written, overridden) = if applied.is_empty() {
            (None, None)
        } else {
            (parse(text), parse(overridden))
        };
        Origins {
            applied,
            written,
            overridden,
        }
    }

    /// Where byte `offset` of the overridden text comes from.
    pub fn of(&self, offset: usize) -> Origin {
        let (Some(written), Some(overridden)) = (&self.written, &self.overridden) else {
            return Origin::File(offset);
        };
        let Some(found) = path_at(overridden.as_item(), offset) else {
            // Outside every key and value: the top of the document.
            return Origin::File(offset.min(1).min(written.raw().len()));
        };
        // In the value an override set, or in a key or table it added.
        let in_file = span_of(written.as_item(), &found.path, found.key);
        let from = self.applied.iter().find(|(_, p)| {
            found.path.starts_with(p) || (in_file.is_none() && p.starts_with(&found.path))
        });
        if let Some((arg, _)) = from {
            return Origin::Set(arg.clone());
        }
        match in_file {
            Some(span) => {
                let inside = offset.saturating_sub(found.span.start);
                Origin::File((span.start + inside).min(span.end.max(span.start)))
            }
            None => Origin::File(offset.min(written.raw().len())),
        }
    }
}
