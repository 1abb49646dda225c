//! Decoding throughput (input bytes per second) of the hot paths: an IBM930 mixed stream,
//! a pure double-byte JEF field (PIC N), and EBCDIC カナ single bytes.
//! Run: `cargo bench -p moji --bench decode`. `bench/decode.sh` compares the CLI with iconv.

use divan::counter::BytesCount;
use divan::{Bencher, black_box};
use moji::{CodePage, Decoder};

fn main() {
    divan::main();
}

const SIZE: usize = 4 << 20;

/// xorshift64*, so every run decodes the same stream.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    }
}

fn defined_dbcs(page: CodePage, range: std::ops::RangeInclusive<u16>) -> Vec<u16> {
    let d = Decoder::new(page);
    range.filter(|c| d.decode_code(*c).is_ok()).collect()
}

fn defined_sbcs(page: CodePage) -> Vec<u8> {
    let d = Decoder::new(page).strict(true);
    (0..=255u8)
        .filter(|b| {
            d.decode_sbcs(&[*b], &mut String::new(), &mut Vec::new())
                .is_ok()
        })
        .collect()
}

/// Records like a vendor file's: a single-byte run (kana, digits), SO, a few kanji, SI.
fn ibm930_mixed() -> Vec<u8> {
    let sb = defined_sbcs(CodePage::Ibm930);
    let db = defined_dbcs(CodePage::Ibm930, 0x4040..=0xFFFE);
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    let mut v = Vec::with_capacity(SIZE + 64);
    while v.len() < SIZE {
        for _ in 0..8 + rng.below(24) {
            v.push(sb[rng.below(sb.len())]);
        }
        v.push(0x0E);
        for _ in 0..4 + rng.below(16) {
            v.extend_from_slice(&db[rng.below(db.len())].to_be_bytes());
        }
        v.push(0x0F);
    }
    v
}

fn jef_dbcs() -> Vec<u8> {
    let db = defined_dbcs(CodePage::Jef, 0xA1A1..=0xFEFE);
    let mut rng = Rng(0x0FED_CBA9_8765_4321);
    (0..SIZE / 2)
        .flat_map(|_| db[rng.below(db.len())].to_be_bytes())
        .collect()
}

fn kana_sbcs() -> Vec<u8> {
    let sb = defined_sbcs(CodePage::EbcdicKana);
    let mut rng = Rng(0x5555_AAAA_1234_4321);
    (0..SIZE).map(|_| sb[rng.below(sb.len())]).collect()
}

#[divan::bench]
fn ibm930_mixed_stream(b: Bencher) {
    let input = ibm930_mixed();
    let dec = Decoder::new(CodePage::Ibm930);
    let mut out = String::with_capacity(input.len() * 2);
    b.counter(BytesCount::new(input.len())).bench_local(|| {
        out.clear();
        let out = &mut out;
        let _ = dec.decode_mixed(black_box(&input), out, &mut Vec::new());
    });
}

#[divan::bench]
fn jef_pure_dbcs_field(b: Bencher) {
    let input = jef_dbcs();
    let dec = Decoder::new(CodePage::Jef);
    let mut out = String::with_capacity(input.len() * 2);
    b.counter(BytesCount::new(input.len())).bench_local(|| {
        out.clear();
        let out = &mut out;
        let _ = dec.decode_dbcs(black_box(&input), out, &mut Vec::new());
    });
}

#[divan::bench]
fn ebcdic_kana_sbcs_field(b: Bencher) {
    let input = kana_sbcs();
    let dec = Decoder::new(CodePage::EbcdicKana);
    let mut out = String::with_capacity(input.len() * 3);
    b.counter(BytesCount::new(input.len())).bench_local(|| {
        out.clear();
        let out = &mut out;
        let _ = dec.decode_sbcs(black_box(&input), out, &mut Vec::new());
    });
}

#[divan::bench]
fn ebcdic_latin_digits_sbcs_field(b: Bencher) {
    // Mostly digits and upper case (numbers, codes): the 8-byte ASCII fast path.
    let input: Vec<u8> = b"\xF1\xF2\xF3\xF4\xC1\xC2\xC3\x40"
        .iter()
        .copied()
        .cycle()
        .take(SIZE)
        .collect();
    let dec = Decoder::new(CodePage::Ibm939);
    let mut out = String::with_capacity(input.len());
    b.counter(BytesCount::new(input.len())).bench_local(|| {
        out.clear();
        let out = &mut out;
        let _ = dec.decode_sbcs(black_box(&input), out, &mut Vec::new());
    });
}

// The same streams through the byte-output kernels (what `koseki decode` uses).

#[divan::bench]
fn ibm930_mixed_stream_utf8(b: Bencher) {
    let input = ibm930_mixed();
    let dec = Decoder::new(CodePage::Ibm930);
    let mut out = Vec::with_capacity(input.len() * 2);
    b.counter(BytesCount::new(input.len())).bench_local(|| {
        out.clear();
        let _ = dec.decode_mixed_utf8(black_box(&input), &mut out, &mut Vec::new());
    });
}

#[divan::bench]
fn jef_pure_dbcs_field_utf8(b: Bencher) {
    let input = jef_dbcs();
    let dec = Decoder::new(CodePage::Jef);
    let mut out = Vec::with_capacity(input.len() * 2);
    b.counter(BytesCount::new(input.len())).bench_local(|| {
        out.clear();
        let _ = dec.decode_dbcs_utf8(black_box(&input), &mut out, &mut Vec::new());
    });
}

#[divan::bench]
fn ebcdic_kana_sbcs_field_utf8(b: Bencher) {
    let input = kana_sbcs();
    let dec = Decoder::new(CodePage::EbcdicKana);
    let mut out = Vec::with_capacity(input.len() * 3);
    b.counter(BytesCount::new(input.len())).bench_local(|| {
        out.clear();
        let _ = dec.decode_sbcs_utf8(black_box(&input), &mut out, &mut Vec::new());
    });
}
