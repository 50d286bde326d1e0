use std::time::Instant;
use tokkit::bpe::ByteLevelBpe;
use tokkit::formats::tiktoken;
use tokkit::pretokenize::PreTokenizer;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let vocab = &args[1];
    let pattern = &args[2];
    let text = std::fs::read_to_string(&args[3]).unwrap();
    let limit = args.get(4).map(|s| s.parse().unwrap()).unwrap_or(text.len());
    let mut end = limit.min(text.len());
    while !text.is_char_boundary(end) { end -= 1; }
    let text = &text[..end];
    let ranks = tiktoken::parse(&std::fs::read(vocab).unwrap(), vocab).unwrap();
    let pre = PreTokenizer::named(pattern).unwrap();
    let bpe = ByteLevelBpe::new(ranks, pre.clone(), vec![]).unwrap();
    let mb = text.len() as f64 / 1e6;
    for _ in 0..3 {
        let t0 = Instant::now();
        let mut n = 0;
        pre.for_each_piece(text, |_, _| n += 1).unwrap();
        let t1 = Instant::now();
        let ids = bpe.encode_ordinary(text).unwrap();
        let t2 = Instant::now();
        println!("split {:.1} MB/s ({} pieces)  encode {:.1} MB/s ({} ids)", mb / (t1 - t0).as_secs_f64(), n, mb / (t2 - t1).as_secs_f64(), ids.len());
    }
}
