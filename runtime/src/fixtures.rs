//! A small, realistic demo store so the web UI and certificates can be built and tested before
//! migrate exists. Everything here is fictional (places in 架空県, invented people).
//!
//! Contents of [`demo_store`]:
//! - 戸籍 1 (現在): the 山吹 family of domain.md §3.7 — 改製 戸籍事項, a married couple, a
//!   daughter 除籍 by 婚姻 (boxed 除籍), a son; 附票 entries with 住民票コード.
//! - 戸籍 2 (現在): 渡邊󠄈 健一 (邊 + IVS U+E0108, an MJ variant) and 𠮷田 花子 (U+20BB7, 𠮷):
//!   searching 「渡辺」 or 「吉田」 finds them through the MJ縮退マップ; a child whose 名
//!   carries a local gaiji (U+E000, glyph in the local gaiji table).
//! - 戸籍 3 (全部除籍): 髙橋 (髙) — 筆頭者 死亡, spouse 死亡; 戸籍消除.
//! - An image register (平成改製原戸籍, 2 TIFF pages) whose 見出し is the 山吹 family's old 戸籍.
//! - A 受付帳 entry and a 不受理申出.

use std::path::Path;

use crate::error::Result;
use crate::key::Key;
use crate::model::*;
use crate::store::Store;

fn t(s: &str) -> Text {
    Text::new(s)
}

fn kana(s: &str) -> Option<Furigana> {
    Some(Furigana {
        kana: t(s),
        status: FuriganaStatus::Recorded,
    })
}

fn d(s: &str) -> Option<KosekiDate> {
    Some(KosekiDate::from_text(s))
}

fn jiko(kind: &str, items: &[(&str, &str)]) -> Jiko {
    Jiko::new(
        JikoKind::from_label(kind),
        items.iter().map(|(t, v)| JikoItem::new(t, v)).collect(),
    )
}

fn honseki(pref: &str, muni: &str, town: &str, chiban: &str) -> Honseki {
    Honseki {
        prefecture: pref.into(),
        municipality: muni.into(),
        town: town.into(),
        chiban: chiban.into(),
        display: t(&format!("{pref}{muni}{town}{chiban}")),
    }
}

#[allow(clippy::too_many_arguments)]
fn person(
    jun: u32,
    uji: &str,
    mei: &str,
    mei_kana: &str,
    birth: &str,
    father: &str,
    mother: &str,
    zokugara: &str,
    spouse: Option<SpouseKubun>,
    jiko: Vec<Jiko>,
) -> Person {
    let sex = if zokugara.contains('男') || spouse == Some(SpouseKubun::Otto) {
        Some(Sex::Male)
    } else if zokugara.contains('女') || spouse == Some(SpouseKubun::Tsuma) {
        Some(Sex::Female)
    } else {
        None
    };
    Person {
        id: 0,
        koseki_id: 0,
        kisai_jun: jun,
        name: PersonName::new(uji, mei),
        uji_furigana: None,
        mei_furigana: kana(mei_kana),
        birth_date: d(birth),
        sex,
        father: (!father.is_empty()).then(|| t(father)),
        mother: (!mother.is_empty()).then(|| t(mother)),
        zokugara: (!zokugara.is_empty()).then(|| t(zokugara)),
        adoptive_father: None,
        adoptive_mother: None,
        adoptive_zokugara: None,
        spouse_kubun: spouse,
        removed: false,
        removal_jiko: None,
        mibun_jiko: jiko,
        source_key: None,
        migrated: Default::default(),
    }
}

fn birth(date: &str, place: &str, filed: &str, by: &str) -> Jiko {
    jiko(
        "出生",
        &[
            ("出生日", date),
            ("出生地", place),
            ("届出日", filed),
            ("届出人", by),
        ],
    )
}

/// The 山吹 family of domain.md §3.7.
pub fn yamabuki() -> Koseki {
    let hs = honseki("架空県", "みなと市", "中央町一丁目", "２０番地");
    let kaisei = jiko(
        "戸籍改製",
        &[
            ("改製日", "平成１５年２月２２日"),
            (
                "改製事由",
                "平成６年法務省令第５１号附則第２条第１項による改製",
            ),
        ],
    );
    let seiichi = person(
        1,
        "山吹",
        "誠一",
        "セイイチ",
        "昭和４７年１１月３日",
        "山吹保",
        "山吹和子",
        "長男",
        Some(SpouseKubun::Otto),
        vec![
            birth(
                "昭和４７年１１月３日",
                "架空県みなと市",
                "昭和４７年１１月１０日",
                "父",
            ),
            jiko(
                "婚姻",
                &[
                    ("婚姻日", "平成１０年４月１０日"),
                    ("配偶者氏名", "若葉由美"),
                    ("従前戸籍", "架空県みなと市中央町一丁目２０番地　山吹保"),
                ],
            ),
        ],
    );
    let yumi = person(
        2,
        "山吹",
        "由美",
        "ユミ",
        "昭和４９年２月１４日",
        "若葉正",
        "若葉芳江",
        "二女",
        Some(SpouseKubun::Tsuma),
        vec![
            birth(
                "昭和４９年２月１４日",
                "架空県さくら町",
                "昭和４９年２月２０日",
                "父",
            ),
            jiko(
                "婚姻",
                &[
                    ("婚姻日", "平成１０年４月１０日"),
                    ("配偶者氏名", "山吹誠一"),
                    ("従前戸籍", "架空県さくら町大字本郷３４５番地　若葉正"),
                ],
            ),
        ],
    );
    let mut hina_birth = birth(
        "平成１１年７月７日",
        "架空県さくら町",
        "平成１１年７月１２日",
        "父",
    );
    hina_birth
        .items
        .push(JikoItem::new("送付を受けた日", "平成１１年７月１５日"));
    hina_birth
        .items
        .push(JikoItem::new("受理者", "架空県さくら町長"));
    let mut hina = person(
        3,
        "山吹",
        "陽菜",
        "ヒナ",
        "平成１１年７月７日",
        "山吹誠一",
        "山吹由美",
        "長女",
        None,
        vec![
            hina_birth,
            jiko(
                "婚姻",
                &[
                    ("婚姻日", "令和６年１０月１日"),
                    ("配偶者氏名", "青木大輔"),
                    ("新本籍", "架空県ひかり市緑町三丁目５番地"),
                    ("称する氏", "夫の氏"),
                ],
            ),
        ],
    );
    hina.removed = true;
    let shota = person(
        4,
        "山吹",
        "翔太",
        "ショウタ",
        "平成１４年５月２０日",
        "山吹誠一",
        "山吹由美",
        "長男",
        None,
        vec![birth(
            "平成１４年５月２０日",
            "架空県みなと市",
            "平成１４年５月２４日",
            "母",
        )],
    );
    Koseki {
        id: 0,
        honseki: hs,
        hittosha: PersonName::new("山吹", "誠一"),
        uji_furigana: kana("ヤマブキ"),
        status: KosekiStatus::Genzai,
        jiko: vec![kaisei],
        persons: vec![seiichi, yumi, hina, shota],
        source_key: Some("DEMO-0001".into()),
        migrated: Default::default(),
    }
}

/// 渡邊󠄈 (IVS) and 𠮷田: MJ variant names, plus a local gaiji in a 名.
pub fn watanabe() -> Koseki {
    let hs = honseki("架空県", "みなと市", "港南二丁目", "１１番地３");
    let uji = "渡邊\u{E0108}";
    let kenichi = person(
        1,
        uji,
        "健一",
        "ケンイチ",
        "昭和５５年８月１日",
        "渡邊\u{E0108}一郎",
        "渡邊\u{E0108}節子",
        "長男",
        Some(SpouseKubun::Otto),
        vec![
            birth(
                "昭和５５年８月１日",
                "架空県みなと市",
                "昭和５５年８月５日",
                "父",
            ),
            jiko(
                "婚姻",
                &[
                    ("婚姻日", "平成２０年６月１５日"),
                    ("配偶者氏名", "𠮷田花子"),
                    (
                        "従前戸籍",
                        "架空県みなと市港南二丁目１１番地３　渡邊\u{E0108}一郎",
                    ),
                ],
            ),
        ],
    );
    let mut hanako = person(
        2,
        uji,
        "花子",
        "ハナコ",
        "昭和５７年３月３日",
        "𠮷田茂",
        "𠮷田幸子",
        "長女",
        Some(SpouseKubun::Tsuma),
        vec![
            birth(
                "昭和５７年３月３日",
                "架空県ひかり市",
                "昭和５７年３月８日",
                "父",
            ),
            jiko(
                "婚姻",
                &[
                    ("婚姻日", "平成２０年６月１５日"),
                    ("配偶者氏名", "渡邊\u{E0108}健一"),
                    ("従前戸籍", "架空県ひかり市緑町一丁目１番地　𠮷田茂"),
                ],
            ),
        ],
    );
    // Her former 氏 stays searchable: 𠮷田 is in her 婚姻 事項 and in her parents' names.
    hanako.source_key = Some("DEMO-0002-02".into());
    let child = person(
        3,
        uji,
        "\u{E000}太",
        "リュウタ",
        "平成２２年１月２０日",
        "渡邊\u{E0108}健一",
        "渡邊\u{E0108}花子",
        "長男",
        None,
        vec![birth(
            "平成２２年１月２０日",
            "架空県みなと市",
            "平成２２年１月２５日",
            "父",
        )],
    );
    Koseki {
        id: 0,
        honseki: hs,
        hittosha: PersonName::new(uji, "健一"),
        uji_furigana: kana("ワタナベ"),
        status: KosekiStatus::Genzai,
        jiko: vec![jiko("戸籍編製", &[("編製日", "平成２０年６月１５日")])],
        persons: vec![kenichi, hanako, child],
        source_key: Some("DEMO-0002".into()),
        migrated: Default::default(),
    }
}

/// A 全部除籍 戸籍 (髙橋): both members died.
pub fn takahashi() -> Koseki {
    let hs = honseki("架空県", "みなと市", "本町", "５番地");
    let mut ichiro = person(
        1,
        "髙橋",
        "一郎",
        "イチロウ",
        "大正１５年４月２日",
        "髙橋平吉",
        "髙橋トメ",
        "長男",
        None,
        vec![
            birth(
                "大正１５年４月２日",
                "架空県みなと市",
                "大正１５年４月９日",
                "父",
            ),
            jiko(
                "死亡",
                &[
                    ("死亡日", "平成２５年１２月１日"),
                    ("死亡時分", "午前３時１０分"),
                    ("死亡地", "架空県みなと市"),
                    ("届出日", "平成２５年１２月２日"),
                    ("届出人", "親族　髙橋二郎"),
                ],
            ),
        ],
    );
    ichiro.removed = true;
    let mut fumi = person(
        2,
        "髙橋",
        "ふみ",
        "フミ",
        "昭和３年１月１５日",
        "佐藤清",
        "佐藤きく",
        "三女",
        None,
        vec![
            birth(
                "昭和３年１月１５日",
                "架空県さくら町",
                "昭和３年１月２０日",
                "父",
            ),
            jiko(
                "死亡",
                &[
                    ("死亡日", "平成３０年２月２８日"),
                    ("死亡地", "架空県みなと市"),
                    ("届出日", "平成３０年３月１日"),
                    ("届出人", "親族　髙橋二郎"),
                ],
            ),
        ],
    );
    fumi.removed = true;
    Koseki {
        id: 0,
        honseki: hs,
        hittosha: PersonName::new("髙橋", "一郎"),
        uji_furigana: kana("タカハシ"),
        status: KosekiStatus::ZenbuJoseki,
        jiko: vec![
            jiko(
                "戸籍改製",
                &[
                    ("改製日", "平成１５年２月２２日"),
                    (
                        "改製事由",
                        "平成６年法務省令第５１号附則第２条第１項による改製",
                    ),
                ],
            ),
            jiko(
                "戸籍消除",
                &[("消除日", "平成３０年３月１日"), ("消除事項", "全員除籍")],
            ),
        ],
        persons: vec![ichiro, fumi],
        source_key: Some("DEMO-0003".into()),
        migrated: Default::default(),
    }
}

fn fuhyo(
    k: &Koseki,
    person_idx: usize,
    seq: u32,
    addr: &str,
    jutei: &str,
    code: &str,
) -> FuhyoEntry {
    let p = &k.persons[person_idx];
    FuhyoEntry {
        id: 0,
        koseki_id: k.id,
        person_id: Some(p.id),
        seq,
        name: p.name.clone(),
        address: Address {
            display: t(addr),
            ..Address::default()
        },
        jutei_date: d(jutei),
        birth_date: p.birth_date.clone(),
        sex: p.sex,
        juminhyo_code: (!code.is_empty()).then(|| code.to_string()),
        zaigai_senkyonin: None,
        removed: false,
        supersedes: None,
        source: FuhyoSource::Migrated,
        source_key: None,
        migrated: Default::default(),
    }
}

/// Writes a store at `path` (must not exist) holding the demo register described above.
pub fn demo_store(path: &Path, key: &Key) -> Result<Store> {
    let store = Store::create(path, key)?;
    fill_demo(&store)?;
    Ok(store)
}

/// Adds the demo register to an open store.
pub fn fill_demo(store: &Store) -> Result<()> {
    store.atomically(|s| {
        let mut y = yamabuki();
        // 陽菜's removal is her 婚姻 event: link after storing (ids are assigned on insert).
        y = s.insert_koseki(&y)?;
        let w = s.insert_koseki(&watanabe())?;
        let tk = s.insert_koseki(&takahashi())?;
        let _ = tk;
        for e in [
            fuhyo(
                &y,
                0,
                1,
                "架空県みなと市中央町一丁目２０番地",
                "平成１０年４月１０日",
                "12345678901",
            ),
            fuhyo(
                &y,
                1,
                2,
                "架空県みなと市中央町一丁目２０番地",
                "平成１０年４月１０日",
                "12345678902",
            ),
            fuhyo(
                &y,
                2,
                3,
                "架空県みなと市中央町一丁目２０番地",
                "平成１１年７月７日",
                "12345678903",
            ),
            fuhyo(
                &y,
                3,
                4,
                "架空県みなと市中央町一丁目２０番地",
                "平成１４年５月２０日",
                "12345678904",
            ),
            fuhyo(
                &w,
                0,
                1,
                "架空県みなと市港南二丁目１１番３号",
                "平成２０年６月１５日",
                "22345678901",
            ),
            fuhyo(
                &w,
                1,
                2,
                "架空県みなと市港南二丁目１１番３号",
                "平成２０年６月１５日",
                "22345678902",
            ),
        ] {
            s.insert_fuhyo(&e)?;
        }
        // 陽菜 moved out on marriage: a new 附票 row that supersedes her old one, marked 消除.
        let old = s.fuhyo(y.id)?.into_iter().find(|e| e.seq == 3);
        let mut moved = fuhyo(
            &y,
            2,
            5,
            "架空県ひかり市緑町三丁目５番地",
            "令和６年１０月１日",
            "12345678903",
        );
        moved.supersedes = old.map(|o| o.id);
        moved.removed = true;
        s.insert_fuhyo(&moved)?;

        let g = LocalGaiji {
            code_point: '\u{E000}',
            glyph_png: gray_png(
                24,
                24,
                |x, y| if (x + y) % 6 < 2 || x == 12 { 0 } else { 255 },
            ),
            vendor: "demo".into(),
            vendor_code: "F040".into(),
            note: Some("demo gaiji: no MJ match (リュウ)".into()),
        };
        s.insert_local_gaiji(&g)?;

        let mut pages = Vec::new();
        for n in 1..=2u32 {
            let tiff = bilevel_tiff(200, 280, |x, y| {
                (y % 40 == 0) || (x % 50 == 0) || (n == 2 && x == y)
            });
            let sha = s.put_blob(&tiff, "image/tiff")?;
            pages.push(ImagePage {
                page_no: n,
                sha256: sha,
                media_type: "image/tiff".into(),
                width: Some(200),
                height: Some(280),
            });
        }
        s.insert_image_register(&ImageRegister {
            id: 0,
            kind: ImageRegisterKind::Kaiseigen,
            honseki: honseki("架空県", "みなと市", "中央町一丁目", "２０番地"),
            hittosha: PersonName::new("山吹", "保"),
            names: vec![
                PersonName::new("山吹", "和子"),
                PersonName::new("山吹", "誠一"),
            ],
            closed_date: d("平成１５年２月２２日"),
            pages,
            source_key: Some("DEMO-IMG-0001".into()),
            migrated: Default::default(),
        })?;

        s.insert_uketsuke(&Uketsuke {
            id: 0,
            uketsuke_no: "2026-000001".into(),
            received_at: "2026-10-01T09:15:00".into(),
            kind: "出生".into(),
            jiken_honnin: Some(t("山吹　翔太")),
            todokede_nin: Some(t("山吹　由美")),
            honsekichi: true,
            status: UketsukeStatus::Received,
            koseki_id: Some(y.id),
            note: None,
            source_key: None,
            migrated: Default::default(),
        })?;
        s.insert_fujuri(&FujuriMoushide {
            id: 0,
            applicant: PersonName::new("山吹", "翔太"),
            applicant_birth_date: d("平成１４年５月２０日"),
            person_id: Some(y.persons[3].id),
            target_kinds: vec!["婚姻".into(), "養子縁組".into()],
            aite: None,
            received_date: d("令和７年４月１日"),
            received_at_office: Some("架空県みなと市".into()),
            status: FujuriStatus::Active,
            source_key: None,
            migrated: Default::default(),
        })?;
        Ok(())
    })
}

/// A minimal uncompressed bilevel TIFF (WhiteIsZero; `ink(x, y)` true = black).
pub fn bilevel_tiff(width: u32, height: u32, ink: impl Fn(u32, u32) -> bool) -> Vec<u8> {
    let row_bytes = width.div_ceil(8);
    let mut pixels = vec![0u8; (row_bytes * height) as usize];
    for y in 0..height {
        for x in 0..width {
            if ink(x, y) {
                pixels[(y * row_bytes + x / 8) as usize] |= 0x80 >> (x % 8);
            }
        }
    }
    let entries: [(u16, u16, u32); 9] = [
        (256, 4, width),               // ImageWidth
        (257, 4, height),              // ImageLength
        (258, 3, 1),                   // BitsPerSample
        (259, 3, 1),                   // Compression: none
        (262, 3, 0),                   // Photometric: WhiteIsZero
        (273, 4, 8),                   // StripOffsets: right after the header
        (277, 3, 1),                   // SamplesPerPixel
        (278, 4, height),              // RowsPerStrip
        (279, 4, pixels.len() as u32), // StripByteCounts
    ];
    let mut out = Vec::new();
    out.extend_from_slice(b"II*\0");
    let ifd_offset = 8 + pixels.len() as u32;
    out.extend_from_slice(&ifd_offset.to_le_bytes());
    out.extend_from_slice(&pixels);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, typ, value) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&typ.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        if typ == 3 {
            out.extend_from_slice(&(value as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
        } else {
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out
}

/// A minimal 8-bit grayscale PNG (zlib stored blocks, no compression).
pub fn gray_png(width: u32, height: u32, shade: impl Fn(u32, u32) -> u8) -> Vec<u8> {
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0u8); // filter: none
        for x in 0..width {
            raw.push(shade(x, y));
        }
    }
    let mut z = vec![0x78, 0x01];
    let chunks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, c) in chunks.iter().enumerate() {
        z.push(u8::from(i + 1 == chunks.len()));
        z.extend_from_slice(&(c.len() as u16).to_le_bytes());
        z.extend_from_slice(&(!(c.len() as u16)).to_le_bytes());
        z.extend_from_slice(c);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", &z);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in kind.iter().chain(data) {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    out.extend_from_slice(&(!crc).to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_store_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.db");
        let key = Key::generate();
        let store = demo_store(&path, &key).unwrap();
        let c = store.counts().unwrap();
        assert_eq!(
            (
                c.koseki,
                c.persons,
                c.image_registers,
                c.image_pages,
                c.local_gaiji
            ),
            (3, 9, 1, 2, 1)
        );
        assert_eq!(c.fuhyo_entries, 7);
        drop(store);

        let store = Store::open(&path, &key).unwrap();
        let k = store.koseki(1).unwrap().unwrap();
        let want = yamabuki();
        assert_eq!(k.honseki, want.honseki);
        assert_eq!(k.persons.len(), 4);
        assert!(k.persons[2].removed);
        assert_eq!(
            k.persons[2].mibun_jiko[0].items,
            want.persons[2].mibun_jiko[0].items
        );
        assert_eq!(k.jiko[0].kind, JikoKind::Kaisei);
        assert_eq!(
            k.persons[0]
                .birth_date
                .as_ref()
                .unwrap()
                .gregorian
                .as_deref(),
            Some("1972-11-03")
        );

        let w = store.koseki(2).unwrap().unwrap();
        assert_eq!(
            w.hittosha.uji.text, "渡邊\u{E0108}",
            "IVS must survive the store"
        );
        assert_eq!(w.persons[2].name.mei.text, "\u{E000}太");
        assert_eq!(
            store.koseki(3).unwrap().unwrap().status,
            KosekiStatus::ZenbuJoseki
        );

        let img = store.image_register(1).unwrap().unwrap();
        let (mt, bytes) = store.blob(&img.pages[0].sha256).unwrap().unwrap();
        assert_eq!(mt, "image/tiff");
        assert_eq!(&bytes[..4], b"II*\0");
        let g = store.local_gaiji().unwrap();
        assert_eq!(&g[0].glyph_png[1..4], b"PNG");
        assert_eq!(store.uketsuke_list().unwrap().len(), 1);
        assert_eq!(store.fujuri_list().unwrap()[0].target_kinds.len(), 2);
    }
}
