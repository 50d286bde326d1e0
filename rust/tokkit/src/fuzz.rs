//! Seeds and sizes for the engine's randomized tests. `cargo test` uses each test's own
//! fixed seed, so a commit always gets the same verdict. `make fuzz` sets
//! `TOKKIT_FUZZ_SEED` to a fresh seed (it prints it; `make fuzz SEED=n` replays a run), which
//! every randomized test mixes into its own, and runs ten times the cases.

/// The seed of a randomized test: `fixed`, or `fixed` mixed with `TOKKIT_FUZZ_SEED`. Never 0
/// (a xorshift generator stays at 0).
pub fn seed(fixed: u64) -> u64 {
    let fresh = std::env::var("TOKKIT_FUZZ_SEED").ok().and_then(|s| s.trim().parse::<u64>().ok());
    match fresh {
        Some(fresh) => (fixed ^ fresh.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1,
        None => fixed,
    }
}

/// How many random cases a test runs: `n`, or ten times `n` under `make fuzz`.
pub fn cases(n: usize) -> usize {
    if std::env::var_os("TOKKIT_FUZZ_SEED").is_some() {
        10 * n
    } else {
        n
    }
}
