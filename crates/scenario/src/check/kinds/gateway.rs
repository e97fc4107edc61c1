//! A gateway: a service at the edge that admits requests at its rate limit; it takes a
//! service's keys.

use super::{service, Comp, Placement};
use crate::check::ck::Ck;
use crate::check::{Edge, Scope};
use archsim_models::KindSpec;

/// The keys of a gateway: a service's.
pub(super) const KEYS: &[&str] = service::KEYS;

/// Checks a gateway: a service marked as one.
pub(super) fn check(
    ck: &mut Ck,
    scope: &Scope<'_>,
    c: &Comp<'_>,
    edges: &mut Vec<Edge>,
    place: &mut Placement,
) -> KindSpec {
    let mut s = service::spec(ck, scope, c, edges, place);
    s.gateway = true;
    KindSpec::Service(s)
}
