-- Schema version 5 (4 is reserved for a search change).
--
-- The rest of the migration scope gets tables of its own: 統計, 個人状態, 識別符号 and 事務内連携
-- were kept as JSON lines in `meta`, outside the content hash. They are register content now
-- (hashed, counted by backups). Codes keep the vendor's code beside its name.

-- 統計: the vendor's monthly figures (届出件数 / 月末現在数), kept as delivered.
CREATE TABLE tokei (
    id               INTEGER PRIMARY KEY,
    month            TEXT NOT NULL,        -- 年月 as delivered (YYYYMM)
    kbn_code         TEXT NOT NULL,
    kbn              TEXT NOT NULL,        -- 届出件数 / 月末現在数
    kind_code        TEXT NOT NULL,
    kind             TEXT NOT NULL,        -- 届出種別
    honsekinin       INTEGER,
    hihonsekinin     INTEGER,
    koseki_count     INTEGER,
    zaisekisha_count INTEGER,
    joseki_count     INTEGER,
    UNIQUE (month, kbn_code, kind_code)
);

-- 個人状態: a person's state in the vendor system (支援措置, 振り仮名 state, 広域交付 limits).
CREATE TABLE kojin_jotai (
    id                   INTEGER PRIMARY KEY,
    person_id            INTEGER REFERENCES person(id),
    source_key           TEXT,             -- the vendor's 個人番号
    state_code           TEXT NOT NULL,
    state                TEXT NOT NULL,
    shien_sochi          INTEGER NOT NULL,
    furigana_status_code TEXT NOT NULL,
    furigana_status      TEXT NOT NULL,
    furigana_change_open INTEGER NOT NULL,
    koiki_seigen         INTEGER NOT NULL,
    gaiji_count          INTEGER,
    updated              TEXT NOT NULL
);
CREATE INDEX kojin_jotai_person ON kojin_jotai(person_id);

-- 識別符号: a person's 戸籍情報連携システム 連携符号 and 電子証明 符号.
CREATE TABLE shikibetsu_fugo (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER REFERENCES person(id),
    source_key  TEXT,
    renkei_fugo TEXT NOT NULL,
    denshi_fugo TEXT NOT NULL,
    state_code  TEXT NOT NULL,
    state       TEXT NOT NULL
);
CREATE INDEX shikibetsu_fugo_person ON shikibetsu_fugo(person_id);

-- 事務内連携: link records with 住民基本台帳 and other offices' systems.
CREATE TABLE jimu_renkei (
    id            INTEGER PRIMARY KEY,
    seq           TEXT NOT NULL UNIQUE,
    person_id     INTEGER REFERENCES person(id),
    person_key    TEXT,
    atena_no      TEXT NOT NULL,
    juminhyo_code TEXT NOT NULL,
    jushochi_lg   TEXT NOT NULL,
    kind_code     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    result        TEXT NOT NULL
);
CREATE INDEX jimu_renkei_person ON jimu_renkei(person_id);

-- Issuance records carry the vendor keys of what they were issued for, so a bulk reload
-- (which gives every 戸籍 a new id) can re-point them.
ALTER TABLE issuance ADD COLUMN koseki_key TEXT;
ALTER TABLE issuance ADD COLUMN person_key TEXT;
ALTER TABLE issuance ADD COLUMN image_register_key TEXT;
CREATE INDEX person_source_key ON person(source_key);
CREATE INDEX image_register_source_key ON image_register(source_key);

-- person_version becomes a rowid table. As a WITHOUT ROWID table its rows (a person header as
-- JSON, about 1 KB) were larger than an index b-tree keeps on its own page, so nearly every
-- row took an overflow page of its own: three times the bytes to store, encrypt and write.
-- Same columns, same key (now a unique index), same content hash.
CREATE TABLE person_version_rowid (
    person_id       INTEGER NOT NULL REFERENCES person(id),
    version         INTEGER NOT NULL,
    cause_jiko_id   INTEGER,
    uji             TEXT NOT NULL,
    mei             TEXT NOT NULL,
    birth_gregorian TEXT,
    removed         INTEGER NOT NULL,
    data            TEXT NOT NULL,
    PRIMARY KEY (person_id, version)
);
INSERT INTO person_version_rowid SELECT * FROM person_version ORDER BY person_id, version;
DROP TABLE person_version;
ALTER TABLE person_version_rowid RENAME TO person_version;
CREATE INDEX search_birth ON person_version(birth_gregorian);
CREATE TRIGGER person_version_no_update BEFORE UPDATE ON person_version BEGIN SELECT RAISE(ABORT, 'append-only: person_version'); END;
CREATE TRIGGER person_version_no_delete BEFORE DELETE ON person_version BEGIN SELECT RAISE(ABORT, 'append-only: person_version'); END;
