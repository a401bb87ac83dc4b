//! Software prefetch: a hint that a cache line will be read soon. Unlike a load, it never
//! waits for the line, so a loop can ask for lines many steps ahead of where it reads.

/// Asks for the cache line holding `p`. Never reads it: any address is allowed.
#[inline(always)]
#[allow(unsafe_code)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetcht0` is a hint; it never dereferences (no fault, no read), whatever
    // the address. SSE is part of the x86-64 baseline.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
