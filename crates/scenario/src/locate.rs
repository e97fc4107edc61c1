//! Where a byte offset falls in a TOML document: the dotted key path of the innermost key,
//! value or table header there. Messages use it to name the key a serde error is about, and
//! the `--set` handling uses it to tell a problem in an override from one in the file.

use std::ops::Range;
use toml_edit::{Item, Table, Value};

/// The innermost key, value or table header at an offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The dotted key path; list elements are their index (`faults.0.at`).
    pub path: Vec<String>,
    /// The span of what was found.
    pub span: Range<usize>,
    /// Whether it is the key (not the value or the table header).
    pub key: bool,
}

/// The innermost key, value or table header of `doc` whose span holds `offset`.
pub fn path_at(doc: &Item, offset: usize) -> Option<Found> {
    let mut w = Walk {
        offset,
        path: Vec::new(),
        best: None,
    };
    w.item(doc);
    w.best
}

/// The item at dotted `path` of `doc` (list elements by index).
pub fn item_at<'a>(doc: &'a Item, path: &[String]) -> Option<&'a Item> {
    let mut cur = doc;
    for seg in path {
        cur = match seg.parse::<usize>() {
            Ok(i) if cur.is_array() || cur.is_array_of_tables() => cur.get(i)?,
            _ => cur.get(seg.as_str())?,
        };
    }
    Some(cur)
}

/// The span of the item at `path`, or of its key when `key` (an item's own span may be
/// missing, as for an implicit table).
pub fn span_of(doc: &Item, path: &[String], key: bool) -> Option<Range<usize>> {
    let (last, parent) = path.split_last()?;
    let parent = item_at(doc, parent)?;
    let key_span = match parent {
        Item::Table(t) => t.key(last).and_then(|k| k.span()),
        Item::Value(Value::InlineTable(t)) => t.key(last).and_then(|k| k.span()),
        _ => None,
    };
    let own = item_at(doc, path).and_then(|i| i.span());
    if key {
        key_span.or(own)
    } else {
        own.or(key_span)
    }
}

struct Walk {
    offset: usize,
    path: Vec<String>,
    best: Option<Found>,
}

impl Walk {
    /// Records `span` for the current path if it holds the offset and is no wider than the
    /// best so far (visited later = deeper, so ties go to the deeper one).
    fn consider(&mut self, span: Option<Range<usize>>, key: bool) {
        // The document itself (span 0..0) is no match: a match names a key.
        let Some(span) = span.filter(|_| !self.path.is_empty()) else {
            return;
        };
        let holds = span.start <= self.offset && self.offset < span.end.max(span.start + 1);
        let narrower = self
            .best
            .as_ref()
            .is_none_or(|b| span.len() <= b.span.len());
        if holds && narrower {
            self.best = Some(Found {
                path: self.path.clone(),
                span,
                key,
            });
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::None => {}
            Item::Value(v) => self.value(v),
            Item::Table(t) => self.table(t),
            Item::ArrayOfTables(a) => {
                self.consider(a.span(), false);
                for (i, t) in a.iter().enumerate() {
                    self.path.push(i.to_string());
                    self.table(t);
                    self.path.pop();
                }
            }
        }
    }

    fn table(&mut self, t: &Table) {
        self.consider(t.span(), false);
        for (k, it) in t.iter() {
            self.path.push(k.to_string());
            self.consider(t.key(k).and_then(|k| k.span()), true);
            self.item(it);
            self.path.pop();
        }
    }

    fn value(&mut self, v: &Value) {
        self.consider(v.span(), false);
        match v {
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    self.path.push(i.to_string());
                    self.value(x);
                    self.path.pop();
                }
            }
            Value::InlineTable(t) => {
                for (k, x) in t.iter() {
                    self.path.push(k.to_string());
                    self.consider(t.key(k).and_then(|k| k.span()), true);
                    self.value(x);
                    self.path.pop();
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, needle: &str) -> Vec<String> {
        let doc = toml_edit::ImDocument::parse(text.to_string()).unwrap();
        path_at(doc.as_item(), text.find(needle).unwrap())
            .unwrap()
            .path
    }

    #[test]
    fn finds_keys_values_headers_and_list_elements() {
        let text = "[traffic]\nrate = \"100\"\n[components.app]\ncores = 2\n\
                    [components.app.endpoints.default]\ncalls = [{ to = \"db\", fanout = \"x\" }]\n\
                    [[faults]]\nat = 5\n";
        assert_eq!(at(text, "\"100\""), ["traffic", "rate"]);
        assert_eq!(at(text, "cores"), ["components", "app", "cores"]);
        assert_eq!(at(text, "[components.app]"), ["components", "app"]);
        assert_eq!(
            at(text, "\"x\""),
            [
                "components",
                "app",
                "endpoints",
                "default",
                "calls",
                "0",
                "fanout"
            ]
        );
        assert_eq!(at(text, "[[faults]]"), ["faults", "0"]);
        assert_eq!(at(text, "5\n"), ["faults", "0", "at"]);
    }
}
