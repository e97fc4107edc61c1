//! A database: a service with data. Its instances are a primary and read `replicas` (with a
//! `replication_lag`, where `reads` go, and `replica_autoscale`), or `shards` (reached by
//! `sharding`); writes (`writes`) take `row_locks`; a read model is fed by a queue
//! (`source`); its data (`tables`, `storage`) is checked in [`super::data`].

use super::{data, service, Comp, Placement};
use crate::check::autoscale::autoscale_of;
use crate::check::ck::{one_of, Ck};
use crate::check::{Edge, Scope};
use crate::raw::RawComponent;
use archsim_models::{
    AutoscaleSpec, DbSpec, KindSpec, Reads, ServiceSpec, MAX_REPLICAS, MAX_SHARDS,
};

/// The keys of a database.
pub(super) const KEYS: &[&str] = &[
    "cores",
    "workers",
    "queue",
    "endpoints",
    "shards",
    "sharding",
    "replicas",
    "replica_autoscale",
    "replication_lag",
    "reads",
    "writes",
    "row_locks",
    "tables",
    "storage",
    "storage_base",
    "storage_autoscale",
    "disk_iops",
    "disk_throughput",
    "wal_fsync",
    "group_commit",
    "source",
    "drop_expired",
    "queue_discipline",
    "lifo_above",
    "usl",
];

/// A database's instances: one primary plus its `replicas`, or its `shards`.
pub(super) fn place(ck: &mut Ck, c: &Comp<'_>, place: &mut Placement) {
    let (name, r) = (c.name, c.raw);
    if let Some(rp) = r.replicas.as_ref() {
        if r.instances.is_some() || r.shards.is_some() {
            ck.err(rp.span(), format!("`{name}`: a database with `replicas` has one primary plus its replicas; drop `instances`/`shards`"));
        }
        if let Some(n) = ck.int(
            rp,
            &format!("components.{name}.replicas"),
            0,
            i64::from(MAX_REPLICAS),
        ) {
            place.replicas = n as u32;
            place.instances = 1 + place.replicas;
        }
    }
    if let Some(sh) = r.shards.as_ref() {
        if r.instances.is_some() {
            ck.err(
                sh.span(),
                format!(
                    "`{name}`: give `shards` or `instances`, not both (each shard is one instance)"
                ),
            );
        }
        if let Some(n) = ck.int(
            sh,
            &format!("components.{name}.shards"),
            1,
            i64::from(MAX_SHARDS),
        ) {
            place.instances = n as u32;
        }
    }
}

/// Checks a database: its service part, then its data.
pub(super) fn check(
    ck: &mut Ck,
    scope: &Scope<'_>,
    c: &Comp<'_>,
    edges: &mut Vec<Edge>,
    place: &mut Placement,
) -> KindSpec {
    let s = service::spec(ck, scope, c, edges, place);
    let (name, r, class_names) = (c.name, c.raw, &scope.classes);
    let replica_autoscale = replica_autoscale(ck, r, name, s.cores.is_some(), &mut place.replicas);
    if replica_autoscale.is_some() {
        place.instances = 1 + place.replicas;
    }
    let replication_lag = r
        .replication_lag
        .as_ref()
        .and_then(|l| ck.dist(l, &format!("components.{name}.replication_lag")));
    if let (Some(l), 0) = (&r.replication_lag, place.replicas) {
        ck.err(
            l.span(),
            format!("`{name}`: replication_lag needs `replicas`"),
        );
    }
    let reads = match &r.reads {
        None => Reads::Replicas,
        Some(v) => match one_of(v, &["primary", "replicas", "any"]) {
            Ok(0) => Reads::Primary,
            Ok(1) => Reads::Replicas,
            Ok(_) => Reads::Any,
            Err(m) => {
                ck.err(v.span(), format!("components.{name}.reads: {m}"));
                Reads::Replicas
            }
        },
    };
    let write_classes = ck.class_list(
        r.writes.as_ref(),
        class_names,
        &format!("components.{name}.writes"),
    );
    let data = data::check(ck, c);
    KindSpec::Service(ServiceSpec {
        database: true,
        db: Some(DbSpec {
            replicas: place.replicas,
            replication_lag,
            reads,
            write_classes,
            row_locks: r.row_locks.as_ref().is_none_or(|v| *v.get_ref()),
            source: r
                .source
                .as_ref()
                .and_then(|q| match scope.kind_of(q.get_ref()) {
                    Some("queue") => Some(q.get_ref().clone()),
                    _ => {
                        ck.err(
                            q.span(),
                            format!("components.{name}.source: `{}` is not a queue", q.get_ref()),
                        );
                        None
                    }
                }),
            autoscale: replica_autoscale,
            tables: data.tables,
            table_ops: data.table_ops,
            storage: data.storage,
            disk: data.disk,
        }),
        ..s
    })
}

/// A database's `replica_autoscale`: its read replicas scale like an autoscaled service's
/// instances. `replicas` (the initial ready count) is clamped to `[min, max]`. Not with
/// `failover` (a promotion would renumber the replicas the scaler adds and removes).
fn replica_autoscale(
    ck: &mut Ck,
    r: &RawComponent,
    name: &str,
    cores: bool,
    replicas: &mut u32,
) -> Option<AutoscaleSpec> {
    let a = r.replica_autoscale.as_ref()?;
    let mut ok = true;
    if r.replicas.is_none() {
        ck.err(
            a.span(),
            format!("`{name}`: replica_autoscale scales read replicas, so the database needs `replicas` (the initial count)"),
        );
        ok = false;
    }
    if let Some(f) = &r.failover {
        ck.err(
            f.span(),
            format!("`{name}`: `failover` and `replica_autoscale` do not combine (a promotion would renumber the replicas the scaler adds and removes); drop one"),
        );
        ok = false;
    }
    let spec = autoscale_of(ck, a, name, "replica_autoscale", cores, &[])?;
    if spec.max > MAX_REPLICAS {
        ck.err(
            a.span(),
            format!(
                "`{name}`: replica_autoscale max ({}) is above {MAX_REPLICAS} replicas",
                spec.max
            ),
        );
        ok = false;
    }
    if !ok {
        return None;
    }
    *replicas = (*replicas).clamp(spec.min, spec.max);
    Some(spec)
}
