use std::time::Instant;
use tokkit::pretokenize::PreTokenizer;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read_to_string(&args[2]).unwrap();
    let pre = PreTokenizer::named(&args[1]).unwrap();
    for _ in 0..5 {
        let t0 = Instant::now();
        let mut n = 0usize;
        pre.for_each_piece(&text, |s, _| n += s & 1).unwrap();
        println!("{:.1} MB/s {}", text.len() as f64 / 1e6 / t0.elapsed().as_secs_f64(), n);
    }
}
