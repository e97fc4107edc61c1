//! "Did you mean": the valid key nearest to a misspelt one, by edit distance, and the keys a
//! component of each kind takes (so a typo in a cache is matched against cache keys only).

use crate::check::kind_keys;
use crate::raw::{Applies, RawComponent};

/// The keys a component of `kind` takes, or `None` for an unknown kind.
pub fn component_keys(kind: &str) -> Option<Vec<&'static str>> {
    let own = kind_keys(kind)?;
    let applies = |key: &str, to: Applies| match to {
        Applies::Any => true,
        Applies::Kind => own.contains(&key),
        Applies::Only(kinds) => kinds.contains(&kind),
    };
    Some(
        RawComponent::KEYS
            .iter()
            .filter(|&&(key, to)| applies(key, to))
            .map(|&(key, _)| key)
            .collect(),
    )
}

/// Edit distance between `a` and `b` counting insertions, deletions, substitutions and
/// swaps of two neighbours (`coers` -> `cores` is one edit).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: distance between a[..i] and b[..j]
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The candidate nearest to `word`, if it is near enough to be a likely typo (about one
/// edit in three characters); ties go to the first candidate.
pub fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = ((word.chars().count() + 1) / 3).max(1);
    candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("coers", "cores"), 1);
        assert_eq!(distance("rat", "rate"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("same", "same"), 0);
    }

    #[test]
    fn suggests_the_nearest_key_of_the_kind_only() {
        let service = component_keys("service").unwrap();
        assert_eq!(nearest("coers", &service), Some("cores"));
        assert_eq!(nearest("instance", &service), Some("instances"));
        assert_eq!(nearest("endpoint", &service), Some("endpoints"));
        assert_eq!(nearest("bogus", &service), None);
        let cache = component_keys("cache").unwrap();
        assert!(!cache.contains(&"cores"));
        assert_eq!(nearest("capacty", &cache), Some("capacity"));
        assert_eq!(nearest("evction", &cache), Some("eviction"));
        assert!(component_keys("no-such-kind").is_none());
    }

    #[test]
    fn each_kind_takes_the_common_keys_its_own_and_those_only_it_takes() {
        let lb = component_keys("load_balancer").unwrap();
        assert_eq!(
            lb,
            [
                "kind",
                "description",
                "instances",
                "balance",
                "targets",
                "policy",
                "restart",
                "region",
                "bandwidth",
                "link_buffer",
                "health_check",
                "memory",
                "memory_base",
                "memory_per_request",
                "cost_per_hour",
                "machine"
            ]
        );
        let db = component_keys("database").unwrap();
        assert!(db.contains(&"failover") && db.contains(&"replica_cost_per_hour"));
        assert!(!db.contains(&"health_check"));
        let gateway = component_keys("gateway").unwrap();
        assert_eq!(gateway, component_keys("service").unwrap());
        assert!(!gateway.contains(&"failover"));
    }
}
