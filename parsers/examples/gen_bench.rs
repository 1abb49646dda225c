//! Writes a benchmark data file of BENCH-REC records (parsers/testdata/bench.cpy) in JEF with
//! `RecordWriter`: `gen_bench OUT MEGABYTES [odo]`. With `odo`, BENCH-ODO-REC records
//! (parsers/testdata/bench_odo.cpy: the same fields, HISTORY sized by HIST-CNT 0..3), which
//! `dump` reads through its record walker instead of the compiled path.

use std::io::Write;

use parsers::{Decimal, Encoding, RecordWriter, SourceFormat, Value, parse_copybook};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = args.get(1).expect("usage: gen_bench OUT MEGABYTES");
    let mb: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1024);
    let odo = args.get(3).is_some_and(|a| a == "odo");
    let cpy = if odo {
        include_str!("../testdata/bench_odo.cpy")
    } else {
        include_str!("../testdata/bench.cpy")
    };
    let layout = parse_copybook(cpy, SourceFormat::Fixed).expect("bench copybook");
    let rec = &layout.records[0];
    let enc = Encoding::by_name("jef").expect("jef");
    let w = RecordWriter::new(rec, &enc);
    let uji = ["山田", "佐藤", "鈴木", "高橋", "田中", "渡辺"];
    let mei = ["太郎", "花子", "一郎", "美咲", "健太", "陽子"];
    let kana = ["ﾔﾏﾀﾞ", "ｻﾄｳ", "ｽｽﾞｷ", "ﾀｶﾊｼ", "ﾀﾅｶ", "ﾜﾀﾅﾍﾞ"];
    let honseki = [
        "架空県架空市本町一丁目１番地",
        "架空県架空郡山村大字川２３番地",
    ];
    // A few thousand distinct records, repeated: generation cost stays small.
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut pool = Vec::new();
    for i in 0..4096u64 {
        let r = next();
        let pick = |n: usize, s: u64| (s as usize) % n;
        let hist: Vec<Value> = (0..3)
            .map(|k| {
                Value::group([
                    (
                        "HIST-YMD",
                        Value::int(19500101 + ((r >> k) % 700000) as i128),
                    ),
                    (
                        "HIST-CD",
                        Value::text(format!("{:02}", (r >> (k * 3)) % 100)),
                    ),
                    (
                        "HIST-AMT",
                        Value::int(((r >> (k * 5)) % 2_000_000) as i128 - 1_000_000),
                    ),
                ])
            })
            .collect();
        let mut hist = hist;
        let hist_cnt = if odo { (r >> 40) as usize % 4 } else { 3 };
        hist.truncate(hist_cnt);
        let v = Value::group([
            ("REC-KBN", Value::text("2")),
            ("KOSEKI-NO", Value::int((i * 7919 % 100_000_000) as i128)),
            ("KOJIN-NO", Value::int((r % 10_000_000_000) as i128)),
            ("UJI", Value::text(uji[pick(uji.len(), r)])),
            ("MEI", Value::text(mei[pick(mei.len(), r >> 8)])),
            ("UJI-KANA", Value::text(kana[pick(kana.len(), r)])),
            ("MEI-KANA", Value::text("ﾀﾛｳ")),
            ("BIRTH-YMD", Value::int(19000101 + (r % 1_240_000) as i128)),
            ("SEX-CD", Value::text(if r & 1 == 0 { "1" } else { "2" })),
            ("ZOKUGARA-CD", Value::text("01")),
            (
                "FEE-AMOUNT",
                Value::Number(Decimal::new(
                    (r % 100_000_000_000) as i128 - 50_000_000_000,
                    2,
                )),
            ),
            ("ENTRY-COUNT", Value::int((r % 9999) as i128)),
            ("HONSEKI", Value::text(honseki[pick(2, r >> 16)])),
            ("HIST-CNT", Value::int(hist_cnt as i128)),
            ("HISTORY", Value::Array(hist)),
            ("UPDATED-AT", Value::int(20240401123456)),
        ]);
        pool.push(w.write(&v).expect("bench record"));
    }
    let per = rec.max_len;
    let n = mb * 1024 * 1024 / per;
    let f = std::fs::File::create(out).expect("create output");
    let mut f = std::io::BufWriter::with_capacity(1 << 22, f);
    for k in 0..n {
        f.write_all(&pool[k % pool.len()]).expect("write");
    }
    f.flush().expect("flush");
    eprintln!("{n} records of {per} bytes ({} bytes) in {out}", n * per);
}
