//! The load balancer kind: forwards each call to an instance of its target.

use crate::world::*;

impl World {
    /// A balancer passes call `c` on to an instance of its target.
    #[inline(never)]
    pub(in crate::world) fn lb_arrive(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        c: u32,
        mut target: u32,
        mut policy: Policy,
    ) {
        let Call {
            comp, key, class, ..
        } = self.calls[c as usize];
        if !self.comps[comp as usize].global.is_empty() {
            target = self.global_target(comp, c);
            policy = self.comps[target as usize].balance;
        }
        let i = self.choose(comp, target, policy, key, class);
        self.calls[c as usize].pending = 1;
        self.call_out(ctx, c, target, i);
    }
}
