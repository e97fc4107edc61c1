//! A component's operational keys, which any kind may have but some kinds refuse: `restart`,
//! `region`, `bandwidth` and `link_buffer` (its instances' network links), `health_check`
//! (balancers) and `failover` (databases with replicas).

use super::ck::{valid_name, Ck};
use super::MAX_DURATION;
use crate::raw::{RawComponent, S};
use archsim_engine::SimTime;
use archsim_models::{CompOps, Failover, HealthCheck};

/// A component's operational keys: `restart`, `region`, `health_check` (balancers),
/// `failover` (databases with replicas).
pub(super) fn check_ops(
    ck: &mut Ck,
    r: &RawComponent,
    name: &str,
    kind: &str,
    replicas: u32,
    global_targets: Vec<String>,
) -> CompOps {
    let mut o = CompOps {
        global_targets,
        ..CompOps::default()
    };
    if let Some(v) = &r.restart {
        if kind == "load_balancer" {
            ck.err(v.span(), format!("`{name}`: `restart` applies to components that crash and come back (services, databases, caches, queues), not to a load balancer"));
        }
        match ck.duration(v, &format!("components.{name}.restart")) {
            Some(d) if d > SimTime::ZERO && d <= MAX_DURATION => o.restart = Some(d),
            Some(_) => ck.err(
                v.span(),
                format!("components.{name}.restart must be more than 0s and at most 30 days"),
            ),
            None => {}
        }
    }
    if let Some(v) = &r.region {
        if valid_name(v.get_ref()) {
            o.region = Some(v.get_ref().clone());
        } else {
            ck.err(v.span(), format!("components.{name}.region: a region name is letters, digits, `_` or `-`, got \"{}\"", v.get_ref()));
        }
    }
    if let Some(h) = &r.health_check {
        if kind != "load_balancer" {
            ck.err(
                h.span(),
                format!(
                    "`{name}`: `health_check` applies to a load balancer, which probes its targets"
                ),
            );
        }
        let hr = h.get_ref();
        let interval = match &hr.interval {
            None => Some(SimTime::from_secs(5)),
            Some(i) => match ck.duration(i, &format!("components.{name}.health_check.interval")) {
                Some(d) if d >= SimTime::from_millis(1) && d <= MAX_DURATION => Some(d),
                Some(_) => {
                    ck.err(
                        i.span(),
                        "health_check.interval must be between 1ms and 30 days",
                    );
                    None
                }
                None => None,
            },
        };
        let failures = match &hr.failures {
            None => Some(3),
            Some(f) => ck.int(
                f,
                &format!("components.{name}.health_check.failures"),
                1,
                1000,
            ),
        };
        if let (Some(interval), Some(failures)) = (interval, failures) {
            o.health_check = Some(HealthCheck {
                interval,
                failures: failures as u32,
            });
        }
    }
    if let Some(v) = &r.bandwidth {
        o.bandwidth = ck.bandwidth(v, &format!("components.{name}.bandwidth"));
    }
    if let Some(v) = &r.link_buffer {
        if r.bandwidth.is_none() {
            ck.err(v.span(), format!("`{name}`: `link_buffer` bounds the queue of its instances' links, so it needs a `bandwidth`, e.g. bandwidth = \"1Gbps\""));
        }
        o.link_buffer = ck.size(v, &format!("components.{name}.link_buffer"));
    }
    if let Some(f) = &r.failover {
        if kind != "database" || replicas == 0 {
            ck.err(f.span(), format!("`{name}`: `failover` promotes a replica, so it needs a database with `replicas`"));
        }
        let fr = f.get_ref();
        let get = |ck: &mut Ck, v: &S<String>, what: &str| match v {
            None => {
                ck.err(f.span(), format!("components.{name}.failover needs `{what}`, e.g. failover = {{ detect = \"10s\", promote = \"5s\" }}"));
                None
            }
            Some(v) => ck
                .duration(v, &format!("components.{name}.failover.{what}"))
                .filter(|d| {
                    *d <= MAX_DURATION || {
                        ck.err(v.span(), format!("failover.{what} must be at most 30 days"));
                        false
                    }
                }),
        };
        let detect = get(ck, &fr.detect, "detect");
        let promote = get(ck, &fr.promote, "promote");
        if let (Some(detect), Some(promote)) = (detect, promote) {
            o.failover = Some(Failover { detect, promote });
        }
    }
    o
}
