//! Post-processors: what happens to an encoding after the model, with HF's semantics —
//! special tokens around the sequence(s) (`[CLS] A [SEP]`, `<s> A </s>`, or any
//! template) when `add_special_tokens` is set, and for byte-level models the trimming of
//! the spaces that tokens carry out of their offsets. Linear in the number of tokens.

use super::Encoding;

/// A piece of a template: one of the input sequences, or a special token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplatePiece {
    /// The first (`A`) or the second (`B`) input, with the type id its tokens get.
    Sequence { second: bool, type_id: u32 },
    /// A special token by its name in `special_tokens`.
    Special { name: String, type_id: u32 },
}

/// What a template's special-token name stands for: one or more tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateToken {
    pub name: String,
    pub ids: Vec<u32>,
    pub tokens: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pub single: Vec<TemplatePiece>,
    pub pair: Vec<TemplatePiece>,
    pub special_tokens: Vec<TemplateToken>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PostProcessor {
    Template(Template),
    /// `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]` (B with type id 1).
    Bert { sep: (String, u32), cls: (String, u32) },
    /// `<s> A </s>` and `<s> A </s> </s> B </s>`, after trimming offsets if asked.
    Roberta { sep: (String, u32), cls: (String, u32), trim_offsets: bool, add_prefix_space: bool },
    /// Trims offsets only; `use_regex` is kept to be written back.
    ByteLevel { add_prefix_space: bool, trim_offsets: bool, use_regex: bool },
    Sequence(Vec<PostProcessor>),
}

impl PostProcessor {
    /// Whether it moves offsets past the spaces token strings start or end with.
    pub fn trims_offsets(&self) -> bool {
        match self {
            PostProcessor::Roberta { trim_offsets, .. } | PostProcessor::ByteLevel { trim_offsets, .. } => *trim_offsets,
            PostProcessor::Sequence(all) => all.iter().any(PostProcessor::trims_offsets),
            PostProcessor::Template(_) | PostProcessor::Bert { .. } => false,
        }
    }

    /// The processed encodings of one sequence or a pair (concatenated by the caller).
    /// `detailed` encodings carry tokens, offsets and type ids; the others only ids.
    pub fn process(&self, mut encodings: Vec<Encoding>, add_special_tokens: bool, detailed: bool) -> Vec<Encoding> {
        match self {
            PostProcessor::Sequence(all) => {
                for processor in all {
                    encodings = processor.process(encodings, add_special_tokens, detailed);
                }
                encodings
            }
            PostProcessor::ByteLevel { add_prefix_space, trim_offsets, .. } => {
                if *trim_offsets && detailed {
                    encodings.iter_mut().for_each(|e| trim_offsets_of(e, *add_prefix_space));
                }
                encodings
            }
            PostProcessor::Roberta { sep, cls, trim_offsets, add_prefix_space } => {
                if *trim_offsets && detailed {
                    encodings.iter_mut().for_each(|e| trim_offsets_of(e, *add_prefix_space));
                }
                if !add_special_tokens {
                    return encodings;
                }
                let mut out = Vec::with_capacity(encodings.len());
                for (i, encoding) in encodings.into_iter().enumerate() {
                    let first = if i == 0 { cls } else { sep };
                    out.push(surround(first, encoding, sep, 0, detailed));
                }
                out
            }
            PostProcessor::Bert { sep, cls } => {
                if !add_special_tokens {
                    return encodings;
                }
                let mut out = Vec::with_capacity(encodings.len());
                for (i, mut encoding) in encodings.into_iter().enumerate() {
                    if i == 0 {
                        out.push(surround(cls, encoding, sep, 0, detailed));
                    } else {
                        encoding.push(sep.1, &sep.0, (0, 0), 1, detailed);
                        if detailed {
                            encoding.type_ids.iter_mut().for_each(|t| *t = 1);
                        }
                        out.push(encoding);
                    }
                }
                out
            }
            PostProcessor::Template(template) => vec![template.apply(encodings, add_special_tokens, detailed)],
        }
    }
}

/// `left`, the encoding, `right`, all with `type_id`.
fn surround(left: &(String, u32), encoding: Encoding, right: &(String, u32), type_id: u32, detailed: bool) -> Encoding {
    let mut out = Encoding::default();
    out.push(left.1, &left.0, (0, 0), type_id, detailed);
    out.append(encoding, Some(type_id), detailed);
    out.push(right.1, &right.0, (0, 0), type_id, detailed);
    out
}

impl Template {
    fn apply(&self, encodings: Vec<Encoding>, add_special_tokens: bool, detailed: bool) -> Encoding {
        let pieces = if encodings.len() > 1 { &self.pair } else { &self.single };
        let mut inputs: Vec<Option<Encoding>> = encodings.into_iter().map(Some).collect();
        let mut out = Encoding::default();
        for piece in pieces {
            match piece {
                TemplatePiece::Sequence { second, type_id } => {
                    if let Some(encoding) = inputs.get_mut(*second as usize).and_then(Option::take) {
                        out.append(encoding, Some(*type_id), detailed);
                    }
                }
                TemplatePiece::Special { name, type_id } => {
                    if !add_special_tokens {
                        continue;
                    }
                    if let Some(special) = self.special_tokens.iter().find(|t| &t.name == name) {
                        for (id, token) in special.ids.iter().zip(&special.tokens) {
                            out.push(*id, token, (0, 0), *type_id, detailed);
                        }
                    }
                }
            }
        }
        out
    }
}

/// Moves each token's offsets past the spaces it starts or ends with ("Ġ" in the byte
/// alphabet, or real whitespace), as HF's ByteLevel processor does. With
/// `add_prefix_space`, a single leading space on the first token is the one the
/// pre-tokenizer added, and is kept.
fn trim_offsets_of(encoding: &mut Encoding, add_prefix_space: bool) {
    let is_space = |c: &char| *c == 'Ġ' || c.is_whitespace();
    for (i, (token, offsets)) in encoding.tokens.iter().zip(encoding.offsets.iter_mut()).enumerate() {
        let mut leading = token.chars().take_while(is_space).count();
        let trailing = token.chars().rev().take_while(is_space).count();
        if leading > 0 {
            let is_first = i == 0 || offsets.0 == 0;
            if is_first && add_prefix_space && leading == 1 {
                leading = 0;
            }
            offsets.0 = (offsets.0 + leading).min(offsets.1);
        }
        if trailing > 0 && offsets.1 >= trailing {
            offsets.1 = (offsets.1 - trailing).max(offsets.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoding(tokens: &[(&str, (usize, usize))]) -> Encoding {
        let mut e = Encoding::default();
        for (i, (t, o)) in tokens.iter().enumerate() {
            e.push(i as u32 + 10, t, *o, 0, true);
        }
        e
    }

    #[test]
    fn roberta_trims_spaces_then_surrounds() {
        let roberta = PostProcessor::Roberta { sep: ("</s>".into(), 2), cls: ("<s>".into(), 0), trim_offsets: true, add_prefix_space: false };
        let out = roberta.process(vec![encoding(&[("ĠHello", (0, 6)), ("ĠĠ", (6, 8))])], true, true);
        assert_eq!(out[0].ids, [0, 10, 11, 2]);
        assert_eq!(out[0].offsets, [(0, 0), (1, 6), (8, 8), (0, 0)]);
    }

    #[test]
    fn bert_gives_the_second_sequence_type_one() {
        let bert = PostProcessor::Bert { sep: ("[SEP]".into(), 102), cls: ("[CLS]".into(), 101) };
        let out = bert.process(vec![encoding(&[("a", (0, 1))]), encoding(&[("b", (0, 1))])], true, true);
        let ids: Vec<u32> = out.iter().flat_map(|e| e.ids.clone()).collect();
        let types: Vec<u32> = out.iter().flat_map(|e| e.type_ids.clone()).collect();
        assert_eq!(ids, [101, 10, 102, 10, 102]);
        assert_eq!(types, [0, 0, 0, 1, 1]);
    }

    #[test]
    fn templates_skip_special_tokens_when_not_asked() {
        let template = Template {
            single: vec![
                TemplatePiece::Special { name: "[CLS]".into(), type_id: 0 },
                TemplatePiece::Sequence { second: false, type_id: 0 },
            ],
            pair: vec![],
            special_tokens: vec![TemplateToken { name: "[CLS]".into(), ids: vec![1], tokens: vec!["[CLS]".into()] }],
        };
        let processor = PostProcessor::Template(template);
        assert_eq!(processor.process(vec![encoding(&[("a", (0, 1))])], true, false)[0].ids, [1, 10]);
        assert_eq!(processor.process(vec![encoding(&[("a", (0, 1))])], false, false)[0].ids, [10]);
    }
}
