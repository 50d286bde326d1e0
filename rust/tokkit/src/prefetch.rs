//! A hint to the processor to bring memory into cache before it is read: the long merge
//! and the Unigram word table know which entries they want next, long before they read
//! them.

/// Asks for the cache line holding `item`. Free on targets without the instruction.
#[inline(always)]
pub fn prefetch<T>(item: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint; it cannot fault, and the pointer is a valid reference.
    unsafe {
        std::arch::x86_64::_mm_prefetch(item as *const T as *const i8, std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = item;
}
