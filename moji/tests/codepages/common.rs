//! Helpers: running glibc iconv, a small deterministic random source, the shared data path.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// What `iconv -f CS -t UTF-8` made of some bytes: the text it wrote, and the byte position
/// it stopped at with an error (None when it converted everything).
#[derive(Debug)]
pub struct IconvOut {
    pub text: String,
    pub error_at: Option<usize>,
    pub incomplete: bool,
}

/// Whether the `iconv` program is here; the differential tests say so loudly if not.
pub fn have_iconv() -> bool {
    let ok = Command::new("iconv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!(
            "!!!!! SKIPPED: glibc `iconv` is not installed; differential tests did not run !!!!!"
        );
    }
    ok
}

pub fn iconv(cs: &str, input: &[u8], extra: &[&str]) -> IconvOut {
    let mut child = Command::new("iconv")
        .args(["-f", cs, "-t", "UTF-8"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn iconv");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait iconv");
    writer.join().expect("writer");
    let err = String::from_utf8_lossy(&out.stderr);
    let error_at = err
        .split("at position ")
        .nth(1)
        .and_then(|s| s.trim().split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|s| s.parse().ok());
    IconvOut {
        text: String::from_utf8(out.stdout).expect("iconv wrote UTF-8"),
        error_at,
        incomplete: err.contains("incomplete"),
    }
}

/// xorshift64*: deterministic, so a failing stream can be reproduced from its seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// `<workspace root>/../shared/data`, or None after a loud notice.
pub fn shared_data(what: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(manifest_dir()).join("../../shared/data");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "!!!!! SKIPPED: {} is absent; reference test `{what}` did not run !!!!!",
            dir.display()
        );
        None
    }
}

/// Every single byte and double-byte code the code page defines (by asking the decoder in
/// strict mode), with its text.
/// Defined single bytes and double-byte codes, each with its text.
pub type Defined = (Vec<(u8, String)>, Vec<(u16, String)>);

pub fn defined_codes(page: moji::CodePage) -> Defined {
    let dec = moji::Decoder::new(page).strict(true);
    let mut sb = Vec::new();
    for b in 0..=255u8 {
        let mut s = String::new();
        if dec.decode_sbcs(&[b], &mut s, &mut Vec::new()).is_ok() {
            sb.push((b, s));
        }
    }
    let mut db = Vec::new();
    if page.has_double_byte() {
        for code in 0..=u16::MAX {
            if let Ok(s) = dec.decode_code(code) {
                db.push((code, s));
            }
        }
    }
    (sb, db)
}

/// The package folder of *this* run (cargo sets it when it runs a test), not the one the test
/// was compiled in: a shared build folder may hold a test built from another checkout.
pub fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
