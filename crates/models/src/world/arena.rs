//! The call arena: taking and freeing call slots.

use super::*;

impl World {
    // ----- arena -----

    #[inline]
    pub(super) fn new_call(&mut self, call: Call) -> u32 {
        match self.free_calls.pop() {
            Some(i) => {
                self.calls[i as usize] = call;
                i
            }
            None => {
                self.calls.push(call);
                (self.calls.len() - 1) as u32
            }
        }
    }
    #[inline]
    pub(super) fn free_call(&mut self, c: u32) {
        debug_assert!(!self.calls[c as usize].free, "call freed twice");
        self.calls[c as usize].free = true;
        self.free_calls.push(c);
    }
}
