//! Turns the words of serde and the TOML parser into messages a user can act on: each type
//! error names the key by its full dotted path, says what to write there with an example,
//! and what was found instead (`traffic.rate must be a number of requests per second, like
//! 900; got the string "100"`).

use crate::locate::{item_at, path_at};
use crate::suggest::{component_keys, nearest};
use std::ops::Range;
use toml_edit::{ImDocument, Item};

/// What a key takes: a phrase and an example of a valid value.
struct Want {
    what: &'static str,
    example: &'static str,
}

const fn want(what: &'static str, example: &'static str) -> Option<Want> {
    Some(Want { what, example })
}

const DIST: &str = "a duration or a distribution";
const DIST_EXAMPLE: &str = "\"5ms\" or \"exp(5ms)\"";
const COMPONENT: &str = "a component name in quotes";
const BOOL: &str = "true or false";

fn duration(example: &'static str) -> Option<Want> {
    want("a duration", example)
}

fn dist() -> Option<Want> {
    want(DIST, DIST_EXAMPLE)
}

/// What the key at `path` takes, when it is a known key.
fn describe(path: &[&str]) -> Option<Want> {
    match path {
        ["name"] => want("a text in quotes", "\"stage3\""),
        ["description"] => want("a text in quotes", "\"three tiers behind a balancer\""),
        ["faults"] => want(
            "an array of tables, one `[[faults]]` section per fault",
            "[[faults]] with at = \"5m\"",
        ),
        ["run", k] => run_key(k),
        ["slo", "latency"] => duration("\"200ms\""),
        ["slo", "target"] => want("a fraction between 0 and 1", "0.999"),
        ["traffic", "keys", "count"] => want("a whole number of keys", "100000"),
        ["traffic", "keys", "zipf"] => want("a number (the Zipf exponent)", "0.99"),
        ["traffic", "retry", k] => retry_key(k),
        ["traffic", "classes", _, "weight"] => want("a number (the class's share)", "0.8"),
        ["traffic", "classes", _, "keyed"] => want(BOOL, "false"),
        ["traffic", "profile", _, "at"] => duration("\"5m\""),
        ["traffic", "profile", _, "factor"] => want("a number (the load multiplier)", "0.5"),
        ["traffic", "profile", _] => want("a table", "{ at = \"5m\", factor = 1.5 }"),
        ["traffic", "profile"] => want(
            "a list of points",
            "[{ at = \"0s\", factor = 0.5 }, { at = \"5m\", factor = 1.0 }]",
        ),
        ["traffic", "regions", _] => want("a number (the share of users there)", "0.6"),
        ["traffic", k] => traffic_key(k),
        ["network", "latency"] => dist(),
        ["network", "regions", _] => dist(),
        ["components", _, "endpoints", _, "calls", _, "breaker", k] => breaker_key(k),
        ["components", _, "endpoints", _, "calls", _, k] => call_key(k),
        ["components", _, "endpoints", _, "calls", _] => want(
            "a component name, or a call table",
            "\"db\" or { to = \"db\", fanout = 2 }",
        ),
        ["components", _, "endpoints", _, "calls"] => want(
            "a list of calls",
            "[\"db\"] or [{ to = \"index\", fanout = 20 }]",
        ),
        ["components", _, "endpoints", _, "cpu"] => dist(),
        ["components", _, "health_check", "interval"] => duration("\"5s\""),
        ["components", _, "health_check", "failures"] => want("a whole number", "3"),
        ["components", _, "failover", "detect"] => duration("\"10s\""),
        ["components", _, "failover", "promote"] => duration("\"5s\""),
        ["components", _, "autoscale" | "replica_autoscale", k] => autoscale_key(k),
        ["components", _, k] => component_key(k),
        ["faults", _, k] => fault_key(k),
        _ => None,
    }
}

fn run_key(k: &str) -> Option<Want> {
    match k {
        "duration" => duration("\"10m\""),
        "warmup" => duration("\"1m\""),
        "drain" => duration("\"60s\""),
        "series_interval" => duration("\"1s\""),
        "seed" => want("a whole number", "1"),
        "replications" => want("a whole number of runs", "10"),
        "max_in_flight" => want("a whole number of requests", "2000000"),
        _ => None,
    }
}

fn traffic_key(k: &str) -> Option<Want> {
    match k {
        "entry" => want(COMPONENT, "\"lb\""),
        "rate" => want("a number of requests per second", "900"),
        "arrivals" => want("\"poisson\" or \"uniform\"", "\"poisson\""),
        "users" => want("a whole number of users", "500"),
        "think" => dist(),
        "timeout" => duration("\"30s\""),
        "keys" => want("a table", "{ count = 100000, zipf = 0.99 }"),
        "regions" => want("a table of shares", "{ us-east = 0.6, eu-west = 0.4 }"),
        _ => None,
    }
}

fn retry_key(k: &str) -> Option<Want> {
    match k {
        "max" => want("a whole number of retries", "3"),
        "backoff" => duration("\"100ms\""),
        "multiplier" => want("a number", "2.0"),
        "jitter" => want("\"none\" or \"full\"", "\"full\""),
        "budget" => want("a fraction of first attempts", "0.1"),
        _ => None,
    }
}

fn breaker_key(k: &str) -> Option<Want> {
    match k {
        "failure_rate" => want("a fraction between 0 and 1", "0.5"),
        "window" => duration("\"10s\""),
        "open_for" => duration("\"5s\""),
        "min_calls" => want("a whole number of calls", "20"),
        "half_open" => want("a whole number of calls", "3"),
        _ => None,
    }
}

fn call_key(k: &str) -> Option<Want> {
    match k {
        "to" => want(COMPONENT, "\"db\""),
        "fanout" => want("a whole number of parallel calls", "20"),
        "timeout" => duration("\"1s\""),
        "retries" => want("a whole number of retries", "2"),
        "backoff" => duration("\"50ms\""),
        "bulkhead" => want("a whole number of calls", "50"),
        "hedge" => duration("\"50ms\""),
        "fallback" => dist(),
        "breaker" => want("a table", "{ failure_rate = 0.5, open_for = \"5s\" }"),
        _ => None,
    }
}

fn autoscale_key(k: &str) -> Option<Want> {
    match k {
        "target_utilization" => want("a fraction between 0 and 1", "0.6"),
        "interval" => duration("\"30s\""),
        "stabilization" => duration("\"5m\""),
        "startup" => duration("\"30s\""),
        "min" => want("a whole number of instances", "2"),
        "max" => want("a whole number of instances", "10"),
        _ => None,
    }
}

fn component_key(k: &str) -> Option<Want> {
    match k {
        "kind" => want(
            "a kind in quotes (service, database, load_balancer, cache, cdn, gateway, queue)",
            "\"service\"",
        ),
        "description" => want("a text in quotes", "\"the order service\""),
        "instances" => want("a whole number of instances", "4"),
        "balance" | "policy" => want(
            "a policy in quotes (round_robin, random, least_outstanding, p2c, ...)",
            "\"round_robin\"",
        ),
        "cores" => want("a whole number of cores", "2"),
        "workers" => want("a whole number of workers", "200"),
        "queue" => want("a whole number of waiting requests", "1000"),
        "endpoints" => want(
            "a table of endpoints",
            "[components.NAME.endpoints.default] with cpu = \"exp(5ms)\"",
        ),
        "targets" => want(
            "a component name in quotes, or a list of them",
            "\"app\" or [\"app-us\", \"app-eu\"]",
        ),
        "capacity" => want("a whole number of entries", "10000"),
        "eviction" => want(
            "an eviction policy in quotes (lru, lfu, fifo, random)",
            "\"lru\"",
        ),
        "ttl" => duration("\"5m\""),
        "hit" | "publish" | "edge_latency" | "replication_lag" => dist(),
        "backing" | "consumer" | "source" => want(COMPONENT, "\"db\""),
        "writes" | "classes" => want("a list of request class names", "[\"write\"]"),
        "shards" => want("a whole number of shards", "4"),
        "sharding" => want("\"hash\", \"range\" or \"consistent\"", "\"hash\""),
        "replicas" => want("a whole number of read replicas", "2"),
        "reads" => want("\"primary\", \"replicas\" or \"any\"", "\"replicas\""),
        "row_locks" | "durable" | "coalesce" | "drop_expired" => want(BOOL, "true"),
        "rate_limit" => want("a number of requests per second", "1000"),
        "burst" => want("a number of requests", "100"),
        "consumers" => want("a whole number of consumers", "4"),
        "write_policy" => want("\"aside\", \"through\" or \"behind\"", "\"aside\""),
        "flush_interval" => duration("\"1s\""),
        "refresh_ahead" => want("a fraction of the ttl", "0.8"),
        "hit_ratio" => want("a fraction between 0 and 1", "0.9"),
        "restart" => duration("\"30s\""),
        "region" => want("a region name in quotes", "\"us-east\""),
        "health_check" => want("a table", "{ interval = \"5s\", failures = 3 }"),
        "failover" => want("a table", "{ detect = \"10s\", promote = \"5s\" }"),
        "autoscale" | "replica_autoscale" => {
            want("a table", "{ target_utilization = 0.6, min = 2, max = 10 }")
        }
        "queue_discipline" => want("\"fifo\", \"lifo\" or \"adaptive_lifo\"", "\"fifo\""),
        "lifo_above" => want("a whole number of waiting requests", "10"),
        "cost_per_hour" | "replica_cost_per_hour" => want("a price per hour", "0.5"),
        _ => None,
    }
}

fn fault_key(k: &str) -> Option<Want> {
    match k {
        "at" => duration("\"5m\""),
        "for" => duration("\"30s\""),
        "target" => want(
            "a component name, or one instance, in quotes",
            "\"db\" or \"app[2]\"",
        ),
        "kind" => want(
            "a fault kind in quotes (crash, slow, reshard, partition, latency, region, deploy, spike)",
            "\"crash\"",
        ),
        "factor" => want("a number (the multiplier)", "3.0"),
        "to" => want("a whole number of shards", "8"),
        "peer" => want(COMPONENT, "\"db\""),
        "mode" => want("\"fail\" or \"drop\"", "\"fail\""),
        "add" => dist(),
        "batch" => want("a whole number of instances", "1"),
        "start_up" => duration("\"30s\""),
        "drain" => duration("\"30s\""),
        _ => None,
    }
}

/// What serde's type name asks for, when the key is not one we describe.
fn want_of_serde(expected: &str) -> Want {
    let (what, example) = match expected {
        "f64" | "f32" => ("a number", "1.5"),
        "i64" | "i32" | "u64" | "u32" | "usize" => ("a whole number", "10"),
        "a string" => ("a text in quotes", "\"name\""),
        "a boolean" => (BOOL, "true"),
        "a sequence" => ("a list", "[\"a\", \"b\"]"),
        _ => ("a table", "{ key = value }"),
    };
    Want { what, example }
}

/// serde's words for what it found, as a user would say them.
fn got(unexpected: &str) -> String {
    let unquote = |s: &str| s.trim_matches('`').to_string();
    if let Some(s) = unexpected.strip_prefix("string ") {
        format!("the string {s}")
    } else if let Some(n) = unexpected
        .strip_prefix("integer ")
        .or_else(|| unexpected.strip_prefix("floating point "))
    {
        unquote(n)
    } else if let Some(b) = unexpected.strip_prefix("boolean ") {
        unquote(b)
    } else {
        match unexpected {
            "map" => "a table".into(),
            "sequence" => "a list".into(),
            other => other.to_string(),
        }
    }
}

/// A dotted key path as a user writes it.
pub fn dotted(path: &[String]) -> String {
    path.join(".")
}

/// The user's message for a serde error `message` at `span` of `text` (which is valid TOML:
/// serde errors come after parsing).
pub fn explain(text: &str, message: &str, span: &Range<usize>) -> String {
    let Ok(doc) = ImDocument::parse(text.to_string()) else {
        return syntax(text, message, span);
    };
    let Some(found) = path_at(doc.as_item(), span.start) else {
        return message.to_string();
    };
    explain_at(doc.as_item(), &found.path, message)
}

/// The message for a serde error about the key at `path` of `doc`.
fn explain_at(doc: &Item, path: &[String], message: &str) -> String {
    // `[machines.general.xlarge]`: TOML reads a table `xlarge` inside `general`.
    if path.len() >= 3 && path[0] == "machines" {
        let name = path[1..].join(".");
        return format!(
            "a machine type's name holds dots, so write it in quotes: [machines.\"{name}\"]"
        );
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        return unknown_key(doc, path, rest);
    }
    let Some((unexpected, expected)) = message
        .strip_prefix("invalid type: ")
        .and_then(|m| m.rsplit_once(", expected "))
    else {
        return message.to_string();
    };
    // `[[run]]` where `[run]` is meant: the error is at the header of one element.
    if let Some((last, parent)) = path.split_last() {
        let in_array_of_tables = last.parse::<usize>().is_ok()
            && item_at(doc, parent).is_some_and(|i| i.is_array_of_tables());
        if in_array_of_tables && expected != "a sequence" {
            let key = dotted(parent);
            return format!(
                "`{key}` must be a table, written [{key}], not an array of tables ([[{key}]])"
            );
        }
    }
    let key = dotted(path);
    let segs: Vec<&str> = path.iter().map(String::as_str).collect();
    let w = describe(&segs).unwrap_or_else(|| want_of_serde(expected));
    format!(
        "{key} must be {}, like {}; got {}",
        w.what,
        w.example,
        got(unexpected)
    )
}

/// serde's field list after "expected": "`a`", "`a` or `b`", "one of `a`, `b`, `c`".
fn field_list(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect::<Vec<_>>()
}

/// An unknown key (`rest` is serde's message after "unknown field `"): the nearest valid
/// key of that table, and of that component kind, as a suggestion.
fn unknown_key(doc: &Item, path: &[String], rest: &str) -> String {
    let (word, after) = rest.split_once('`').unwrap_or((rest, ""));
    let mut valid = field_list(after);
    let table = match path.split_last() {
        Some((last, parent)) if last == word => parent,
        _ => path,
    };
    let mut of = if table.is_empty() {
        "at the top of the file".to_string()
    } else {
        format!("in [{}]", dotted(table))
    };
    if let [first, name] = table {
        if first != "components" {
            return suggestion(word, &of, &valid);
        }
        let kind = item_at(doc, table)
            .and_then(|c| c.get("kind"))
            .and_then(|k| k.as_str());
        if let Some((kind, keys)) = kind.and_then(|k| Some((k, component_keys(k)?))) {
            valid.retain(|k| keys.contains(k));
            of = format!("in components.{name} (a {kind})");
        }
    }
    suggestion(word, &of, &valid)
}

/// "unknown key `word` {of}" with the nearest of `valid`, or the list of them.
fn suggestion(word: &str, of: &str, valid: &[&str]) -> String {
    match nearest(word, valid) {
        Some(k) => format!("unknown key `{word}` {of}; did you mean `{k}`?"),
        None if valid.is_empty() => format!("unknown key `{word}` {of}; this table takes no keys"),
        None => format!(
            "unknown key `{word}` {of}; its keys are: {}",
            valid.join(", ")
        ),
    }
}

/// A distribution written where only a fixed duration is allowed.
pub fn fixed_duration_needed(what: &str, got: &str) -> String {
    format!(
        "{what} must be a fixed duration, like \"30s\" or \"1h30m\" (\"const(30s)\" works too); a distribution is not allowed here (got \"{got}\")"
    )
}

/// A value that is neither a duration nor a distribution, where a fixed duration is
/// allowed: the parser's words, without its list of distributions.
pub fn bad_duration(what: &str, got: &str, parser: &str) -> String {
    let why = if parser.starts_with("expected a duration like") {
        "expected a fixed duration: a number and a unit (ns, us, ms, s, m, h), like \"250ms\", \"1.5s\" or \"1h30m\""
    } else {
        parser
    };
    format!("{what}: {why} (got \"{got}\")")
}

/// The message for a TOML syntax error; never empty, and specific about characters TOML
/// does not allow.
pub fn syntax(text: &str, message: &str, span: &Range<usize>) -> String {
    let at = text.get(span.start..).and_then(|s| s.chars().next());
    if let Some(c) = at.filter(|c| is_forbidden_control(*c)) {
        return control_message(c);
    }
    let message = message.trim();
    if message.is_empty() {
        "this is not valid TOML here".to_string()
    } else {
        message.to_string()
    }
}

/// Control characters TOML allows nowhere raw (tab, newline and carriage return are fine).
pub fn is_forbidden_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) && (c as u32) < 0x80
}

/// What to say about control character `c` in the text.
pub fn control_message(c: char) -> String {
    format!(
        "control character U+{:04X} is not allowed in TOML, not even in a comment; delete it (in a string, write it as \"\\u{:04X}\")",
        c as u32, c as u32
    )
}

/// The first control character TOML does not allow, with its byte offset.
pub fn first_forbidden_control(text: &str) -> Option<(usize, char)> {
    text.char_indices().find(|(_, c)| is_forbidden_control(*c))
}

/// What to say about a file that is not UTF-8, whose first bad byte is `byte`.
pub fn not_utf8(byte: u8) -> String {
    format!("the file is not UTF-8 text: byte 0x{byte:02X} here is not part of a UTF-8 character; save the file as UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(text: &str, needle: &str, serde: &str) -> String {
        let at = text.find(needle).unwrap();
        explain(text, serde, &(at..at + needle.len()))
    }

    #[test]
    fn type_errors_name_the_key_what_to_write_and_what_was_got() {
        let t = "[traffic]\nrate = \"100\"\n";
        assert_eq!(
            msg(t, "\"100\"", "invalid type: string \"100\", expected f64"),
            "traffic.rate must be a number of requests per second, like 900; got the string \"100\""
        );
        let t = "[components.app.endpoints.default]\ncpu = 5\n";
        assert_eq!(
            msg(t, "5", "invalid type: integer `5`, expected a string"),
            "components.app.endpoints.default.cpu must be a duration or a distribution, like \"5ms\" or \"exp(5ms)\"; got 5"
        );
        let t = "[components.app]\ncores = 2.5\n";
        assert_eq!(
            msg(t, "2.5", "invalid type: floating point `2.5`, expected i64"),
            "components.app.cores must be a whole number of cores, like 2; got 2.5"
        );
        let t = "[run]\nduration = 5\n";
        assert!(msg(t, "5", "invalid type: integer `5`, expected a string")
            .starts_with("run.duration must be a duration, like \"10m\"; got 5"));
    }

    #[test]
    fn no_serde_words_reach_the_user() {
        for (t, needle, serde) in [
            (
                "[traffic]\nusers = \"abc\"\n",
                "\"abc\"",
                "invalid type: string \"abc\", expected i64",
            ),
            (
                "[run]\nseed = true\n",
                "true",
                "invalid type: boolean `true`, expected i64",
            ),
            (
                "[traffic.keys]\ncount = \"x\"\n",
                "\"x\"",
                "invalid type: string \"x\", expected i64",
            ),
            (
                "[[faults]]\nat = 5\n",
                "5",
                "invalid type: integer `5`, expected a string",
            ),
            (
                "[components.a.endpoints.default]\ncalls = [{ to = \"db\", fanout = \"x\" }]\n",
                "\"x\"",
                "invalid type: string \"x\", expected i64",
            ),
            (
                "[components.a]\nfoo = 1\nbar = [1]\n",
                "[1]",
                "invalid type: sequence, expected i64",
            ),
        ] {
            let m = msg(t, needle, serde);
            for word in [
                "f64",
                "i64",
                "expected a string",
                "invalid type",
                "sequence",
            ] {
                assert!(!m.contains(word), "{m}");
            }
            assert!(
                m.contains(" must be ") && m.contains(", like ") && m.contains("; got "),
                "{m}"
            );
        }
    }

    #[test]
    fn unknown_keys_suggest_the_nearest_key_of_their_table_and_kind() {
        let all =
            "expected one of `kind`, `description`, `instances`, `cores`, `capacity`, `eviction`";
        let t = "[components.app]\nkind = \"service\"\ncoers = 2\n";
        assert_eq!(
            msg(t, "coers", &format!("unknown field `coers`, {all}")),
            "unknown key `coers` in components.app (a service); did you mean `cores`?"
        );
        // A cache is matched against cache keys only.
        let t = "[components.c]\nkind = \"cache\"\ncores = 2\nbogus = 1\n";
        let m = msg(t, "bogus", &format!("unknown field `bogus`, {all}"));
        assert_eq!(
            m,
            "unknown key `bogus` in components.c (a cache); its keys are: kind, description, instances, capacity, eviction"
        );
        let t = "[traffic]\nrat = 5\n";
        assert_eq!(
            msg(
                t,
                "rat",
                "unknown field `rat`, expected one of `entry`, `rate`, `users`"
            ),
            "unknown key `rat` in [traffic]; did you mean `rate`?"
        );
        let t = "[traffic.keys]\ncont = 5\n";
        assert_eq!(
            msg(
                t,
                "cont",
                "unknown field `cont`, expected `count` or `zipf`"
            ),
            "unknown key `cont` in [traffic.keys]; did you mean `count`?"
        );
        let t = "nmae = \"x\"\n";
        assert_eq!(
            msg(
                t,
                "nmae",
                "unknown field `nmae`, expected one of `name`, `run`"
            ),
            "unknown key `nmae` at the top of the file; did you mean `name`?"
        );
    }

    #[test]
    fn fixed_durations_say_so() {
        let m = fixed_duration_needed("traffic.timeout", "exp(5ms)");
        assert!(
            m.starts_with("traffic.timeout must be a fixed duration, like \"30s\""),
            "{m}"
        );
        let m = bad_duration(
            "run.duration",
            "soon",
            "expected a duration like \"5ms\" or a distribution: const(5ms), exp(5ms)",
        );
        assert!(!m.contains("exp("), "{m}");
        assert!(m.contains("a number and a unit"), "{m}");
        assert_eq!(
            bad_duration("run.duration", "5", "has no unit"),
            "run.duration: has no unit (got \"5\")"
        );
    }

    #[test]
    fn an_array_of_tables_where_a_table_is_meant() {
        let t = "[[run]]\nduration = \"1s\"\n";
        assert_eq!(
            msg(t, "[[run]]", "invalid type: map, expected a string"),
            "`run` must be a table, written [run], not an array of tables ([[run]])"
        );
        let t = "[traffic]\nrate = 1\n[[traffic.classes.a]]\nweight = 1\n";
        assert!(msg(
            t,
            "[[traffic.classes.a]]",
            "invalid type: map, expected f64"
        )
        .starts_with("`traffic.classes.a` must be a table"));
    }

    #[test]
    fn syntax_messages_are_never_empty() {
        let t = "# a\u{f}b\n";
        let m = syntax(t, "", &(3..4));
        assert!(m.contains("U+000F") && m.contains("comment"), "{m}");
        assert_eq!(
            first_forbidden_control("a\tb\r\nc\u{0}"),
            Some((6, '\u{0}'))
        );
        assert_eq!(first_forbidden_control("caf\u{e9} \u{85}"), None);
        assert!(not_utf8(0xff).contains("0xFF"));
        assert_eq!(syntax("x", " ", &(0..1)), "this is not valid TOML here");
    }
}
