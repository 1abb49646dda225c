//! samples: a synthetic, realistic vendor dataset for the reference city — what the outgoing
//! Fujitsu-style vendor would hand over (copybooks, fixed-length JEF/EBCDIK files with header
//! and trailer records, code lists, a gaiji list as BDF / PNG / TTF, TIFF G4 images of
//! image-only registers) and `manifest.json` with the truth.
//!
//! Everything is deterministic for a seed: no clocks, no hash-map iteration order; parallel
//! work draws from per-item random streams and keeps output order.

pub mod day;
pub mod faults;
pub mod files;
pub mod gaiji;
pub mod images;
pub mod lists;
pub mod records;
pub mod rng;
pub mod world;

use std::path::{Path, PathBuf};

use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error("reference data: {0}")]
    RefData(String),
    #[error("layout: {0}")]
    Layout(String),
    #[error("{file} record {record} field {field}: {message}")]
    Write {
        file: String,
        record: usize,
        field: String,
        message: String,
    },
    #[error("image: {0}")]
    Image(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// How many register images to draw.
#[derive(Clone, Copy, Debug)]
pub enum Images {
    Count(usize),
    All,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub out: PathBuf,
    pub persons: usize,
    pub images: Images,
    pub seed: u64,
    pub faults: bool,
    /// MJ database and IPAmj font (defaults from `moji::refdata`).
    pub mojidata: PathBuf,
    pub font: PathBuf,
}

impl Options {
    pub fn new(out: impl Into<PathBuf>) -> Options {
        Options {
            out: out.into(),
            persons: 80_333,
            images: Images::Count(300),
            seed: 1,
            faults: false,
            mojidata: moji::refdata::mojidata_db_path(),
            font: moji::refdata::ipamj_font_path(),
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct FileEntry {
    pub data: String,
    pub layout: String,
    pub encoding: String,
    pub records: usize,
    pub lrecl: usize,
}

#[derive(Serialize, Clone, Debug)]
pub struct GaijiEntry {
    pub code: String,
    pub mj: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct GaijiFiles {
    pub ttf: String,
    pub bdf: String,
    pub bdf24: String,
    pub png_dir: String,
    pub list: String,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fault {
    pub file: String,
    /// Physical record number from 1 (the header is record 1); for a TIFF, the page from 1.
    pub record: usize,
    pub field: String,
    pub kind: String,
}

#[derive(Serialize, Debug)]
pub struct Manifest {
    pub generator: String,
    pub seed: u64,
    pub persons: usize,
    pub kijun_date: String,
    pub city: String,
    pub lg_code: u32,
    pub files: Vec<FileEntry>,
    pub entities: std::collections::BTreeMap<String, usize>,
    pub gaiji: Vec<GaijiEntry>,
    pub gaiji_files: GaijiFiles,
    pub faults: Vec<Fault>,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> SampleError + '_ {
    move |source| SampleError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), SampleError> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(io(d))?;
    }
    std::fs::write(path, bytes).map_err(io(path))
}

/// The number of gaiji the vendor registered, for a city of `persons`.
pub fn gaiji_count(persons: usize) -> usize {
    (persons / 160).clamp(12, 500)
}

/// Writes the dataset; `progress` is told each phase's name.
pub fn generate(opts: &Options, progress: &dyn Fn(&str)) -> Result<Manifest, SampleError> {
    let out = &opts.out;
    std::fs::create_dir_all(out).map_err(io(out))?;
    let lists = lists::Lists::load();
    let scale = world::Scale::for_persons(opts.persons);

    progress("gaiji");
    let font = identify::glyph::FontData::load(&opts.font, 0)
        .map_err(|e| SampleError::RefData(e.to_string()))?;
    let mut base_text = String::new();
    base_text.push_str(lists::SURNAMES);
    base_text.push_str(lists::GIVEN);
    base_text.push_str(lists::CHOAZA);
    let chosen = gaiji::choose(
        &opts.mojidata,
        &font,
        &base_text,
        gaiji_count(opts.persons),
        opts.seed,
    )?;
    let variants = gaiji::Variants::new(chosen);

    progress("families");
    let mut w = world::build(&scale, opts.seed, &lists, &variants);
    let used = faults::ensure_gaiji_used(&mut w, &variants);
    let gaiji_used: Vec<gaiji::Gaiji> = variants
        .gaiji
        .iter()
        .filter(|g| used.contains(&g.pua))
        .cloned()
        .collect();

    progress("records");
    let images_wanted = match opts.images {
        Images::All => None,
        Images::Count(n) => Some(n),
    };
    let enc = files::jef();
    let parsed = files::FILES
        .iter()
        .map(files::Parsed::of)
        .collect::<Result<Vec<_>, _>>()?;
    let pfx = |id: &str| id[..3].to_string();
    // Records are encoded and written while the city is walked: the walk sends batches of
    // each file's records to a writer thread, so neither waits for the other for long.
    let outs = files::FILES
        .iter()
        .zip(&parsed)
        .map(|(vf, p)| {
            files::FileOut::create(
                vf,
                p,
                &enc,
                out.join(format!("data/{}.DAT", vf.id)),
                records::header(&pfx(vf.id), vf.id),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let lrecls: Vec<usize> = outs.iter().map(files::FileOut::lrecl).collect();
    let (built, outs) = std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        let writer = s.spawn(move || {
            let mut outs = outs;
            files::write_batches(&mut outs, rx).map(|()| outs)
        });
        let mut sink = files::BatchSink::new(tx, &lrecls);
        let built = records::build(&w, &scale, &lists, opts.seed, images_wanted, &mut sink);
        let sent = sink.finish();
        let outs = writer
            .join()
            .map_err(|_| SampleError::Layout("the file writer panicked".into()))??;
        sent?;
        Ok::<_, SampleError>((built?, outs))
    })?;

    progress("files");
    let mut planted: Vec<Fault> = Vec::new();
    let mut entries = Vec::new();
    let extras: [files::Flat; 12] = [
        vec![
            (
                "K01-T-GENZAI-CNT".to_string(),
                files::n(built.current as i128),
            ),
            (
                "K01-T-JOSEKI-CNT".to_string(),
                files::n(built.closed as i128),
            ),
            (
                "K01-T-KOSEKI-NO-SUM".to_string(),
                files::n(w.kosekis.iter().map(|k| i128::from(k.no)).sum()),
            ),
        ],
        vec![(
            "K02-T-KOSEKI-CNT".to_string(),
            files::n(w.kosekis.len() as i128),
        )],
        vec![
            (
                "K03-T-ZAISEKI-CNT".to_string(),
                files::n(built.persons_registered as i128),
            ),
            (
                "K03-T-JOSEKI-CNT".to_string(),
                files::n(built.persons_removed as i128),
            ),
            (
                "K03-T-KOJIN-NO-SUM".to_string(),
                files::n(
                    w.kosekis
                        .iter()
                        .flat_map(|k| &k.members)
                        .map(|m| i128::from(m.kojin_no))
                        .sum(),
                ),
            ),
        ],
        vec![(
            "K04-T-KOJIN-CNT".to_string(),
            files::n((built.persons_registered + built.persons_removed) as i128),
        )],
        vec![
            (
                "K05-T-FUHYO-CNT".to_string(),
                files::n(built.fuhyo_current as i128),
            ),
            (
                "K05-T-JOFUHYO-CNT".to_string(),
                files::n(built.fuhyo_closed as i128),
            ),
        ],
        vec![(
            "K06-T-TESURYO-SUM".to_string(),
            files::n(built.uketsuke_fee_sum),
        )],
        vec![(
            "K07-T-YUKO-CNT".to_string(),
            files::n(built.fujuri_active as i128),
        )],
        vec![
            ("K08-T-PAGE-SUM".to_string(), files::n(built.midashi_pages)),
            (
                "K08-T-IMAGE-CNT".to_string(),
                files::n(built.midashi_images as i128),
            ),
        ],
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    ];
    let images = built.images;
    let mut fault_rng = rng::Rng::new(opts.seed, 9);
    for (fo, extra) in outs.into_iter().zip(extras) {
        let mut body = fo.finish()?;
        let vf = body.vf;
        let id = vf.id;
        if opts.faults {
            faults::before_encoding(&mut body, &mut fault_rng, &mut planted)?;
        }
        let records = body.records;
        body.write_trailer(records::trailer(&pfx(id), id, records, extra))?;
        if opts.faults {
            faults::after_encoding(&mut body, &mut fault_rng, &mut planted)?;
        }
        write(
            &out.join(format!("layout/{id}.cpy")),
            vf.copybook.as_bytes(),
        )?;
        entries.push(FileEntry {
            data: format!("data/{id}.DAT"),
            layout: format!("layout/{id}.cpy"),
            encoding: "jef".into(),
            records,
            lrecl: body.lrecl,
        });
    }
    write(
        &out.join("layout/K05FUHYO.csv"),
        files::LAYOUT_TABLE.as_bytes(),
    )?;
    write(
        &out.join("README.md"),
        include_str!("../vendor/README.md").as_bytes(),
    )?;
    for (name, text) in CODE_TABLES {
        write(&out.join(format!("code/{name}.tsv")), text.as_bytes())?;
    }

    progress("gaiji glyphs");
    let gf = font
        .font()
        .map_err(|e| SampleError::RefData(e.to_string()))?;
    let drawn: Vec<(gaiji::Gaiji, gaiji::Drawn)> = {
        use rayon::prelude::*;
        gaiji_used
            .par_iter()
            .filter_map(|g| gaiji::draw(&gf, g, opts.seed).map(|d| (g.clone(), d)))
            .collect()
    };
    write(
        &out.join("gaiji/GAIJI24.bdf"),
        gaiji::bdf(&drawn, 24).as_bytes(),
    )?;
    write(
        &out.join("gaiji/GAIJI32.bdf"),
        gaiji::bdf(&drawn, 32).as_bytes(),
    )?;
    write(&out.join("gaiji/EUDC.TTF"), &gaiji::ttf(&drawn)?)?;
    progress("gaiji png");
    let mut list = String::from("コード\t登録番号\t使用区分\n");
    for (i, (g, d)) in drawn.iter().enumerate() {
        write(
            &out.join(format!("gaiji/png/{:04X}.png", g.code)),
            &gaiji::png(&d.image64)?,
        )?;
        list.push_str(&format!("{:04X}\t{:05}\t氏名・本籍\n", g.code, i + 1));
    }
    write(&out.join("gaiji/GAIJI.tsv"), list.as_bytes())?;

    progress("images");
    let cmap = |c: char| gf.glyph_for_char(c as u32);
    let tiffs = images::render_all(&images, &gf, cmap, opts.seed);
    let mut image_pages = 0usize;
    for (i, (reg, mut bytes)) in images.iter().zip(tiffs).enumerate() {
        image_pages += reg.pages;
        if opts.faults && i == images.len() / 2 {
            faults::corrupt_tiff(&mut bytes, &reg.file, reg.pages, &mut planted);
        }
        write(&out.join(reg.file.to_uppercase()), &bytes)?;
    }

    progress("manifest");
    let mut entities = std::collections::BTreeMap::new();
    let k = |s: &str| s.to_string();
    let n_closed = w.kosekis.iter().filter(|k| k.closed).count();
    entities.insert(k("koseki_current"), w.kosekis.len() - n_closed);
    entities.insert(k("koseki_closed"), n_closed);
    let persons_registered = w
        .kosekis
        .iter()
        .map(world::Koseki::registered)
        .sum::<usize>();
    let persons_total: usize = w.kosekis.iter().map(|k| k.members.len()).sum();
    entities.insert(k("persons_registered"), persons_registered);
    entities.insert(k("persons_removed"), persons_total - persons_registered);
    let count = |id: &str| {
        entries
            .iter()
            .find(|e| e.data.contains(id))
            .map_or(0, |e| e.records)
    };
    let orphan_extra = |id: &str| {
        planted
            .iter()
            .filter(|f| f.file.contains(id) && f.kind == "orphan_person")
            .count()
    };
    entities.insert(k("koseki_jiko"), count("K02KJIKO"));
    entities.insert(k("mibun_jiko"), count("K04MIBUN"));
    entities.insert(k("fuhyo"), count("K05FUHYO"));
    entities.insert(k("uketsuke"), count("K06UKETK"));
    entities.insert(k("fujuri"), count("K07FUJRI"));
    entities.insert(k("image_registers"), count("K08MIDAS"));
    entities.insert(k("image_files"), images.len());
    entities.insert(k("image_pages"), image_pages);
    entities.insert(k("tokei"), count("K09TOKEI"));
    entities.insert(
        k("kojin_jotai"),
        count("K10JOTAI") - orphan_extra("K10JOTAI"),
    );
    entities.insert(k("shikibetsu_fugo"), count("K11SKBFG"));
    entities.insert(k("jimu_renkei"), count("K12RENKE"));
    entities.insert(k("gaiji"), drawn.len());
    planted.sort();
    let manifest = Manifest {
        generator: format!("koseki sample {}", env!("CARGO_PKG_VERSION")),
        seed: opts.seed,
        persons: opts.persons,
        kijun_date: "2026-09-30".into(),
        city: format!("{}{}", world::CITY_PREF, world::CITY_NAME),
        lg_code: world::CITY_LG,
        files: entries,
        entities,
        gaiji: drawn
            .iter()
            .map(|(g, _)| GaijiEntry {
                code: format!("{:04X}", g.code),
                mj: g.mj.clone(),
            })
            .collect(),
        gaiji_files: GaijiFiles {
            ttf: "gaiji/EUDC.TTF".into(),
            bdf: "gaiji/GAIJI32.bdf".into(),
            bdf24: "gaiji/GAIJI24.bdf".into(),
            png_dir: "gaiji/png".into(),
            list: "gaiji/GAIJI.tsv".into(),
        },
        faults: planted,
    };
    let json =
        serde_json::to_vec_pretty(&manifest).map_err(|e| SampleError::Layout(e.to_string()))?;
    write(&out.join("manifest.json"), &json)?;
    Ok(manifest)
}

/// The vendor's code lists, delivered as `code/<NAME>.tsv`.
pub const CODE_TABLES: [(&str, &str); 22] = [
    ("BOSATSU", include_str!("../vendor/codes/BOSATSU.tsv")),
    ("CHOAZA", include_str!("../vendor/codes/CHOAZA.tsv")),
    ("FUHYOJIYU", include_str!("../vendor/codes/FUHYOJIYU.tsv")),
    ("FUJURI", include_str!("../vendor/codes/FUJURI.tsv")),
    ("FURIGANA", include_str!("../vendor/codes/FURIGANA.tsv")),
    ("GENGO", include_str!("../vendor/codes/GENGO.tsv")),
    ("HAIGUSHA", include_str!("../vendor/codes/HAIGUSHA.tsv")),
    ("HENSEI", include_str!("../vendor/codes/HENSEI.tsv")),
    ("JIMURENKEI", include_str!("../vendor/codes/JIMURENKEI.tsv")),
    ("JOSEKI", include_str!("../vendor/codes/JOSEKI.tsv")),
    ("JOTAI", include_str!("../vendor/codes/JOTAI.tsv")),
    ("KAKUNIN", include_str!("../vendor/codes/KAKUNIN.tsv")),
    ("KJIKO", include_str!("../vendor/codes/KJIKO.tsv")),
    ("KOMOKU", include_str!("../vendor/codes/KOMOKU.tsv")),
    ("MIBUN", include_str!("../vendor/codes/MIBUN.tsv")),
    ("NYUSEKI", include_str!("../vendor/codes/NYUSEKI.tsv")),
    ("RENKEI", include_str!("../vendor/codes/RENKEI.tsv")),
    ("SEIBETSU", include_str!("../vendor/codes/SEIBETSU.tsv")),
    ("SHIKAKU", include_str!("../vendor/codes/SHIKAKU.tsv")),
    ("SHORI", include_str!("../vendor/codes/SHORI.tsv")),
    ("TODOKE", include_str!("../vendor/codes/TODOKE.tsv")),
    ("ZOKUGARA", include_str!("../vendor/codes/ZOKUGARA.tsv")),
];
