//! Room for the large lists one account run works with (facts, candidate edges, indexes).
//!
//! The system allocator on Linux (glibc) keeps freed blocks below 32 MiB in its heap, which
//! never shrinks while later blocks (the run's output) sit above them: the memory a run worked
//! in stayed resident through the next runs, and at 1M lines the peak was the inputs, the
//! output and one run's working memory on top. A block of 32 MiB or more is mapped on its own
//! and given back when freed, so these lists ask for at least that much room. Room never
//! written is never touched, so it costs address space, not memory.

/// An empty list with room for `len` items, and at least 32 MiB of room.
pub fn working_vec<T>(len: usize) -> Vec<T> {
    const MAPPED: usize = 32 << 20;
    Vec::with_capacity(len.max(MAPPED / std::mem::size_of::<T>().max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_is_at_least_what_is_asked() {
        let v: Vec<u64> = working_vec(10);
        assert!(v.is_empty() && v.capacity() >= 4 << 20);
        let w: Vec<[u8; 100]> = working_vec(1 << 20);
        assert!(w.capacity() >= 1 << 20);
    }
}
