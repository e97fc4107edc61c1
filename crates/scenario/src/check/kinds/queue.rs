//! A queue: one broker that holds messages (`capacity`, `durable`) and hands each to its
//! `consumer` component, `consumers` at a time, after a `publish` delay.

use super::{Comp, Placement};
use crate::check::ck::Ck;
use crate::check::{Edge, Scope};
use archsim_models::{Dist, KindSpec, QueueSpec, MAX_CONSUMERS, MAX_QUEUE_CAPACITY};

/// The keys of a queue.
pub(super) const KEYS: &[&str] = &["publish", "consumers", "consumer", "durable", "capacity"];

/// Checks a queue.
pub(super) fn check(
    ck: &mut Ck,
    scope: &Scope<'_>,
    c: &Comp<'_>,
    edges: &mut Vec<Edge>,
    _: &mut Placement,
) -> KindSpec {
    let (name, r, span, ci) = (c.name, c.raw, &c.span, c.index);
    let (names, index_of) = (&scope.names, &scope.index);
    let publish = match &r.publish {
        None => Dist::Const(0),
        Some(p) => ck
            .dist(p, &format!("components.{name}.publish"))
            .unwrap_or(Dist::Const(0)),
    };
    let consumers = r
        .consumers
        .as_ref()
        .and_then(|c| {
            ck.int(
                c,
                &format!("components.{name}.consumers"),
                1,
                i64::from(MAX_CONSUMERS),
            )
        })
        .unwrap_or(1) as u32;
    let consumer = ck.component_ref(
        r.consumer.as_ref(),
        (names, index_of),
        (ci, &mut *edges),
        span,
        format!("queue `{name}` needs `consumer`, the component each message is handed to"),
    );
    if let Some(i) = &r.instances {
        if *i.get_ref() != 1 {
            ck.err(
                i.span(),
                format!("queue `{name}` is one broker; raise `consumers` instead of `instances`"),
            );
        }
    }
    let capacity = r
        .capacity
        .as_ref()
        .and_then(|c| {
            ck.int(
                c,
                &format!("components.{name}.capacity"),
                0,
                MAX_QUEUE_CAPACITY as i64,
            )
        })
        .map(|c| c as u64);
    KindSpec::Queue(QueueSpec {
        publish,
        consumers,
        consumer,
        durable: r.durable.as_ref().is_none_or(|d| *d.get_ref()),
        capacity,
    })
}
