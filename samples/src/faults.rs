//! `--faults`: damaged records planted on purpose, each listed in the manifest. Also the pass
//! that makes sure every registered gaiji is used by somebody.

use std::collections::BTreeSet;

use crate::files::{Body, field_at, n, t};
use crate::gaiji::Variants;
use crate::rng::Rng;
use crate::world::World;
use crate::{Fault, SampleError};

/// Uses every gaiji at least once (in a name carrying its base character, when there is one);
/// returns the private-use characters in use.
pub fn ensure_gaiji_used(w: &mut World, v: &Variants) -> BTreeSet<char> {
    let mut used = BTreeSet::new();
    let scan = |s: &str, used: &mut BTreeSet<char>| {
        used.extend(s.chars().filter(|c| ('\u{E000}'..='\u{F8FF}').contains(c)))
    };
    for k in &w.kosekis {
        scan(&k.honseki, &mut used);
        for m in &k.members {
            scan(&m.name.uji, &mut used);
            scan(&m.name.mei, &mut used);
        }
    }
    let nk = w.kosekis.len();
    for g in &v.gaiji {
        if used.contains(&g.pua) || nk == 0 {
            continue;
        }
        let start = usize::from(g.code) * 7919 % nk;
        'find: for step in 0..nk {
            let k = &mut w.kosekis[(start + step) % nk];
            for m in k.members.iter_mut() {
                if let Some(s) = Variants::force(&m.name.mei, g.base, g.pua) {
                    m.name.mei = s;
                    used.insert(g.pua);
                    break 'find;
                }
                if let Some(s) = Variants::force(&m.name.uji, g.base, g.pua) {
                    m.name.uji = s;
                    used.insert(g.pua);
                    break 'find;
                }
            }
        }
    }
    used
}

fn fault(planted: &mut Vec<Fault>, id: &str, idx: usize, field: &str, kind: &str) {
    planted.push(Fault {
        file: format!("data/{id}.DAT"),
        record: idx + 2,
        field: field.to_string(),
        kind: kind.to_string(),
    });
}

/// Faults that are values (written through the codecs like any value), set in the file's
/// data records before its trailer is written. Which records is drawn from `rng` and the
/// record count only, so the same seed plants the same faults however records were produced.
pub fn before_encoding(
    body: &mut Body,
    rng: &mut Rng,
    planted: &mut Vec<Fault>,
) -> Result<(), SampleError> {
    let id = body.vf.id;
    let len = body.records;
    if len < 4 {
        return Ok(());
    }
    let pick = |rng: &mut Rng| 1 + rng.below(len - 2);
    match id {
        "K01KOSEKI" => {
            let i = pick(rng);
            let v = body.num(i, "K01-HENSEI-DATE-YMD")? / 10_000 * 10_000 + 230;
            body.set(i, "K01-HENSEI-DATE-YMD", &n(v))?;
            fault(planted, id, i, "K01-HENSEI-DATE", "impossible_date");
        }
        "K03KOJIN" => {
            let i = pick(rng);
            body.set(i, "K03-BIRTH-DATE-GENGO", &n(3))?;
            body.set(i, "K03-BIRTH-DATE-YMD", &n(640_108))?;
            fault(planted, id, i, "K03-BIRTH-DATE", "impossible_date");
            let j = (i + 1 + rng.below(len - 2)) % len;
            body.set(j, "K03-ZOKUGARA-CD", &t("99"))?;
            fault(planted, id, j, "K03-ZOKUGARA-CD", "undefined_code");
            body.push_copy(pick(rng))?;
            let o = body.records - 1;
            body.set(o, "K03-KOSEKI-NO", &n(99_999_999))?;
            body.set(o, "K03-KOJIN-NO", &n(999_999_001))?;
            body.set(o, "K03-KISAI-JUN", &n(1))?;
            fault(planted, id, o, "K03-KOSEKI-NO", "orphan_person");
        }
        "K04MIBUN" => {
            let mut hit = None;
            for k in (0..len).map(|k| (k * 7 + 3) % len) {
                if body.num(k, "K04-AITE-KOSEKI-NO")? != 0 {
                    hit = Some(k);
                    break;
                }
            }
            if let Some(i) = hit {
                body.set(i, "K04-AITE-KOSEKI-NO", &n(98_765_432))?;
                fault(
                    planted,
                    id,
                    i,
                    "K04-AITE-KOSEKI-NO",
                    "broken_cross_reference",
                );
            }
            let i = pick(rng);
            body.set(i, "K04-JIKEN-DATE-GENGO", &n(4))?;
            body.set(i, "K04-JIKEN-DATE-YMD", &n(310_501))?;
            fault(planted, id, i, "K04-JIKEN-DATE", "impossible_date");
        }
        "K06UKETK" => {
            let i = pick(rng);
            body.set(i, "K06-TODOKE-SHUBETSU-CD", &t("Z9"))?;
            fault(planted, id, i, "K06-TODOKE-SHUBETSU-CD", "undefined_code");
        }
        _ => {}
    }
    Ok(())
}

/// Faults in the bytes, once the trailer is written: bad nibbles, an undefined double-byte
/// code, a wrong trailer count, a truncated last record.
pub fn after_encoding(
    body: &mut Body,
    rng: &mut Rng,
    planted: &mut Vec<Fault>,
) -> Result<(), SampleError> {
    let (vf, lrecl, records) = (body.vf, body.lrecl, body.records);
    if records < 4 {
        return Ok(());
    }
    let id = vf.id;
    // data index → byte offset (after the header)
    let rec_at = |idx: usize| ((idx + 1) * lrecl) as u64;
    let pick = |rng: &mut Rng| 1 + rng.below(records - 2);
    match id {
        "K03KOJIN" => {
            if let Some((off, _)) = field_at(vf, "-REC", "K03-KOJIN-NO") {
                let i = pick(rng);
                let at = rec_at(i) + off as u64;
                let b = body.read_at(at, 1)?[0];
                body.write_at(at, &[(b & 0x0F) | 0xA0])?;
                fault(planted, id, i, "K03-KOJIN-NO", "bad_packed");
            }
        }
        "K05FUHYO" => {
            if let Some((off, _)) = field_at(vf, "-REC", "K05-KOSEKI-NO") {
                let i = pick(rng);
                body.write_at(rec_at(i) + off as u64 + 3, &[0xFA])?;
                fault(planted, id, i, "K05-KOSEKI-NO", "bad_zoned");
            }
            if let Some((off, len)) = field_at(vf, "-TRL", "K05-T-REC-CNT") {
                let at = rec_at(records) + off as u64;
                let s = format!("{:0w$}", records + 1, w = len);
                let zoned: Vec<u8> = s.bytes().map(|c| 0xF0 + (c - b'0')).collect();
                body.write_at(at, &zoned)?;
                planted.push(Fault {
                    file: format!("data/{id}.DAT"),
                    record: records + 2,
                    field: "K05-T-REC-CNT".into(),
                    kind: "wrong_trailer_count".into(),
                });
            }
        }
        "K02KJIKO" => {
            if let Some((off, _)) = field_at(vf, "-REC", "K02-KOMOKU-CHI") {
                let i = pick(rng);
                body.write_at(rec_at(i) + off as u64, &[0xFE, 0xFF])?;
                fault(planted, id, i, "K02-KOMOKU-CHI", "undefined_character");
            }
        }
        "K12RENKE" => {
            // The file was cut short: half of the last data record, no trailer.
            let keep = rec_at(records - 1) + (lrecl / 2) as u64;
            body.truncate(keep)?;
            fault(planted, id, records - 1, "", "truncated_record");
            planted.push(Fault {
                file: format!("data/{id}.DAT"),
                record: records + 2,
                field: "".into(),
                kind: "missing_trailer".into(),
            });
        }
        _ => {}
    }
    Ok(())
}

/// Garbles the compressed data of one page of a TIFF.
pub fn corrupt_tiff(bytes: &mut [u8], file: &str, pages: usize, planted: &mut Vec<Fault>) {
    let page = if pages > 1 { 2 } else { 1 };
    let rd32 = |b: &[u8], at: usize| {
        b.get(at..at + 4)
            .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
    };
    let rd16 = |b: &[u8], at: usize| {
        b.get(at..at + 2)
            .map_or(0, |s| u16::from_le_bytes([s[0], s[1]]) as usize)
    };
    let mut ifd = rd32(bytes, 4);
    for _ in 1..page {
        let n = rd16(bytes, ifd);
        ifd = rd32(bytes, ifd + 2 + n * 12);
    }
    let n = rd16(bytes, ifd);
    let (mut off, mut len) = (0, 0);
    for e in 0..n {
        let at = ifd + 2 + e * 12;
        match rd16(bytes, at) {
            273 => off = rd32(bytes, at + 8),
            279 => len = rd32(bytes, at + 8),
            _ => {}
        }
    }
    if len > 64 && off + len <= bytes.len() {
        for (k, b) in bytes[off + len / 3..off + len / 3 + 48]
            .iter_mut()
            .enumerate()
        {
            *b = 0xFF ^ (k as u8).wrapping_mul(37);
        }
        planted.push(Fault {
            file: file.to_uppercase(),
            record: page,
            field: "page".into(),
            kind: "corrupt_tiff_page".into(),
        });
    }
}
