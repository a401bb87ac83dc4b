//! Software prefetch: a hint that a cache line will be read soon.
//!
//! At 1M lines the engine waits on memory more than it computes: the inputs' strings are
//! separate heap blocks, and the records read in input order are put in canonical order by a
//! gather that reads them at random. A load of the next items ahead (what the engine did
//! before) still holds up the processor until it arrives; a prefetch does not, so a loop can
//! ask for what it will read a few steps from now and go on working. The 1M benchmark took
//! about a tenth less time (BENCHMARKS.md, round 13).
//!
//! This is the workspace's one use of `unsafe` (`make check` enforces that): the intrinsic is
//! an `unsafe fn` only because it is a `#[target_feature]` function, though the instruction
//! reads nothing and cannot fault.

/// Asks for the cache line holding `p`. Never reads it, so any address is allowed, dangling
/// or not (none of the engine's are).
#[inline(always)]
#[allow(unsafe_code)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetcht0` is a hint: it never dereferences `p` (no fault, no read, no
    // write), whatever the address. SSE is part of the x86-64 baseline, so the instruction
    // exists on every processor this target runs on.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_address_is_only_a_hint() {
        let v = vec![7u64; 1024];
        prefetch(v.as_ptr());
        prefetch(v.as_ptr().wrapping_add(1023));
        // Past the end, null, and freed: still nothing is read.
        prefetch(v.as_ptr().wrapping_add(1 << 20));
        prefetch(std::ptr::null::<u8>());
        let freed = v.as_ptr();
        drop(v);
        prefetch(freed);
    }
}
