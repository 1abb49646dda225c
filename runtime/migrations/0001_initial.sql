-- koseki runtime store, schema version 1.
-- Conventions:
--  * Text columns hold Unicode exactly as identified (UCS + IVS / PUA), never normalised;
--    the vendor bytes sit beside them in *_raw BLOB columns or inside the JSON `data`.
--  * 戸籍 content is append-only: triggers below refuse UPDATE and DELETE. A change is a new
--    row (a new *_version, a new jiko that `corrects` an older one).
--  * `data` columns hold the full serde JSON of the model value (runtime::model) so nothing
--    the model carries is lost; the other columns exist for joins, ordering and search.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- 戸籍 identity, then its header versions (本籍, 筆頭者, status change over time).
CREATE TABLE koseki (
    id         INTEGER PRIMARY KEY,
    source_key TEXT
);
CREATE INDEX koseki_source_key ON koseki(source_key);

CREATE TABLE koseki_version (
    koseki_id       INTEGER NOT NULL REFERENCES koseki(id),
    version         INTEGER NOT NULL,
    cause_jiko_id   INTEGER,               -- the 戸籍事項 that made this version (NULL: initial)
    status          TEXT NOT NULL,         -- 現在 / 全部除籍 / 改製原
    honseki_display TEXT NOT NULL,
    hittosha_uji    TEXT NOT NULL,
    hittosha_mei    TEXT NOT NULL,
    data            TEXT NOT NULL,         -- JSON: honseki, hittosha, uji_furigana, status
    PRIMARY KEY (koseki_id, version)
) WITHOUT ROWID;

CREATE TABLE person (
    id         INTEGER PRIMARY KEY,
    koseki_id  INTEGER NOT NULL REFERENCES koseki(id),
    kisai_jun  INTEGER NOT NULL,
    source_key TEXT,
    UNIQUE (koseki_id, kisai_jun)
);

CREATE TABLE person_version (
    person_id       INTEGER NOT NULL REFERENCES person(id),
    version         INTEGER NOT NULL,
    cause_jiko_id   INTEGER,
    uji             TEXT NOT NULL,
    mei             TEXT NOT NULL,
    birth_gregorian TEXT,                  -- ISO day when complete
    removed         INTEGER NOT NULL,
    data            TEXT NOT NULL,         -- JSON: the Person header (without mibun_jiko)
    PRIMARY KEY (person_id, version)
) WITHOUT ROWID;

-- 身分事項 (person_id set) and 戸籍事項 (person_id NULL).
CREATE TABLE jiko (
    id            INTEGER PRIMARY KEY,
    koseki_id     INTEGER NOT NULL REFERENCES koseki(id),
    person_id     INTEGER REFERENCES person(id),
    seq           INTEGER NOT NULL,
    kind          TEXT NOT NULL,           -- printed label: 出生, 婚姻, 戸籍改製 …
    corrects_id   INTEGER REFERENCES jiko(id),
    correction    TEXT,                    -- Teisei / Kosei / Shojo
    uketsuke_id   INTEGER,
    source_key    TEXT
);
CREATE INDEX jiko_owner ON jiko(koseki_id, person_id, seq);

CREATE TABLE jiko_item (
    jiko_id   INTEGER NOT NULL REFERENCES jiko(id),
    pos       INTEGER NOT NULL,
    tag       TEXT NOT NULL,
    value     TEXT NOT NULL,
    value_raw BLOB,
    line      TEXT,
    PRIMARY KEY (jiko_id, pos)
) WITHOUT ROWID;

-- 戸籍の附票: every address period; a change is a new row that supersedes an older one.
CREATE TABLE fuhyo_entry (
    id            INTEGER PRIMARY KEY,
    koseki_id     INTEGER NOT NULL REFERENCES koseki(id),
    person_id     INTEGER REFERENCES person(id),
    seq           INTEGER NOT NULL,
    supersedes_id INTEGER REFERENCES fuhyo_entry(id),
    juminhyo_code TEXT,
    data          TEXT NOT NULL
);
CREATE INDEX fuhyo_koseki ON fuhyo_entry(koseki_id, seq);
CREATE INDEX fuhyo_jcode ON fuhyo_entry(juminhyo_code);

-- 附票記載事項通知 (19条1項) and 9条2項 通知, raw payloads kept for audit; designed for later.
CREATE TABLE fuhyo_notice (
    id          INTEGER PRIMARY KEY,
    direction   TEXT NOT NULL,             -- in (19条1項) / out (9条2項)
    received_at TEXT NOT NULL,
    koseki_id   INTEGER REFERENCES koseki(id),
    person_id   INTEGER REFERENCES person(id),
    payload     BLOB NOT NULL,
    processed_fuhyo_entry_id INTEGER REFERENCES fuhyo_entry(id)
);

-- 戸籍受附帳 and 不受理申出: identity + versions (status changes are new versions).
CREATE TABLE uketsuke (
    id           INTEGER PRIMARY KEY,
    uketsuke_no  TEXT NOT NULL UNIQUE,
    received_at  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    koseki_id    INTEGER REFERENCES koseki(id),
    source_key   TEXT
);
CREATE TABLE uketsuke_version (
    uketsuke_id INTEGER NOT NULL REFERENCES uketsuke(id),
    version     INTEGER NOT NULL,
    status      TEXT NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (uketsuke_id, version)
) WITHOUT ROWID;

-- 届出 processing (later): 届書 images, 審査, 決裁, 届書等情報 send/receive.
CREATE TABLE todoke_document (
    id          INTEGER PRIMARY KEY,
    uketsuke_id INTEGER NOT NULL REFERENCES uketsuke(id),
    kind        TEXT NOT NULL,             -- 届書 / 添付書類 / 届書等情報
    blob_sha256 TEXT REFERENCES blob(sha256),
    data        TEXT NOT NULL
);
CREATE TABLE todoke_decision (
    id          INTEGER PRIMARY KEY,
    uketsuke_id INTEGER NOT NULL REFERENCES uketsuke(id),
    step        TEXT NOT NULL,             -- 審査 / 決裁 / 記載
    decided_by  TEXT NOT NULL,
    decided_at  TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    note        TEXT
);

CREATE TABLE fujuri_moushide (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER REFERENCES person(id),
    source_key TEXT
);
CREATE TABLE fujuri_version (
    fujuri_id INTEGER NOT NULL REFERENCES fujuri_moushide(id),
    version   INTEGER NOT NULL,
    status    TEXT NOT NULL,
    data      TEXT NOT NULL,
    PRIMARY KEY (fujuri_id, version)
) WITHOUT ROWID;

-- Content-addressed bytes (image pages, glyphs, 届書 scans).
CREATE TABLE blob (
    sha256     TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    bytes      BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE image_register (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    source_key TEXT,
    data       TEXT NOT NULL               -- JSON: 見出し (本籍, 筆頭者, names, date), no pages
);
CREATE TABLE image_page (
    register_id INTEGER NOT NULL REFERENCES image_register(id),
    page_no     INTEGER NOT NULL,
    sha256      TEXT NOT NULL REFERENCES blob(sha256),
    media_type  TEXT NOT NULL,
    width       INTEGER,
    height      INTEGER,
    PRIMARY KEY (register_id, page_no)
) WITHOUT ROWID;

CREATE TABLE local_gaiji (
    code_point  INTEGER PRIMARY KEY,       -- PUA scalar value
    vendor      TEXT NOT NULL,
    vendor_code TEXT NOT NULL,
    glyph_png   BLOB NOT NULL,
    note        TEXT,
    UNIQUE (vendor, vendor_code)
);

-- Search index: folded keys (MJ縮退 variant folding, kana folding) → owner.
-- field: name (氏+名), mei (名), kana (氏+名 振り仮名), kana_mei, hittosha, honseki.
CREATE TABLE search_key (
    field             TEXT NOT NULL,
    key               TEXT NOT NULL,
    koseki_id         INTEGER,
    person_id         INTEGER,
    image_register_id INTEGER
);
CREATE INDEX search_key_lookup ON search_key(field, key);
CREATE INDEX search_birth ON person_version(birth_gregorian);

-- The variant folding table used to build search_key (built from moji.db's MJ縮退マップ).
CREATE TABLE fold_map (
    src TEXT PRIMARY KEY,
    dst TEXT NOT NULL
) WITHOUT ROWID;

-- Staff, sessions, audit.
CREATE TABLE app_user (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,           -- argon2id PHC string
    totp_secret   BLOB NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked        INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE session (
    token_hash TEXT PRIMARY KEY,           -- SHA-256 of the token; the token itself is never stored
    user_id    INTEGER NOT NULL REFERENCES app_user(id),
    created_at TEXT NOT NULL,
    expires_at INTEGER NOT NULL,           -- unix seconds
    terminal   TEXT NOT NULL,
    csrf_token TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    user_name TEXT NOT NULL,
    terminal  TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

-- 交付履歴 (window, postal, CLI, コンビニ).
CREATE TABLE issuance (
    id                INTEGER PRIMARY KEY,
    hakko_no          TEXT NOT NULL UNIQUE,
    kind              TEXT NOT NULL,
    koseki_id         INTEGER,
    person_id         INTEGER,
    image_register_id INTEGER,
    requester_kubun   TEXT NOT NULL,
    requester_name    TEXT NOT NULL,
    fee_yen           INTEGER NOT NULL,
    channel           TEXT NOT NULL,
    issued_at         TEXT NOT NULL,
    user_name         TEXT NOT NULL,
    terminal          TEXT NOT NULL,
    pdf_sha256        TEXT
);

-- 副本 (later): what was sent to 戸籍情報連携システム, per recorded event.
CREATE TABLE fukuhon_outbox (
    id         INTEGER PRIMARY KEY,
    koseki_id  INTEGER NOT NULL REFERENCES koseki(id),
    jiko_id    INTEGER REFERENCES jiko(id),
    created_at TEXT NOT NULL,
    sent_at    TEXT,
    payload    BLOB
);

-- コンビニ交付 (later): 本籍地利用登録 and kiosk requests.
CREATE TABLE konbini_registration (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER REFERENCES person(id),
    applied_at  TEXT NOT NULL,
    status      TEXT NOT NULL,
    data        TEXT NOT NULL
);

-- 支援措置 blocks honoured on every output path (later).
CREATE TABLE shien_sochi (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES person(id),
    valid_from TEXT NOT NULL,
    valid_to   TEXT,
    data       TEXT NOT NULL
);

-- Append-only guards.
CREATE TRIGGER koseki_version_no_update BEFORE UPDATE ON koseki_version BEGIN SELECT RAISE(ABORT, 'append-only: koseki_version'); END;
CREATE TRIGGER koseki_version_no_delete BEFORE DELETE ON koseki_version BEGIN SELECT RAISE(ABORT, 'append-only: koseki_version'); END;
CREATE TRIGGER person_version_no_update BEFORE UPDATE ON person_version BEGIN SELECT RAISE(ABORT, 'append-only: person_version'); END;
CREATE TRIGGER person_version_no_delete BEFORE DELETE ON person_version BEGIN SELECT RAISE(ABORT, 'append-only: person_version'); END;
CREATE TRIGGER jiko_no_update BEFORE UPDATE ON jiko BEGIN SELECT RAISE(ABORT, 'append-only: jiko'); END;
CREATE TRIGGER jiko_no_delete BEFORE DELETE ON jiko BEGIN SELECT RAISE(ABORT, 'append-only: jiko'); END;
CREATE TRIGGER jiko_item_no_update BEFORE UPDATE ON jiko_item BEGIN SELECT RAISE(ABORT, 'append-only: jiko_item'); END;
CREATE TRIGGER jiko_item_no_delete BEFORE DELETE ON jiko_item BEGIN SELECT RAISE(ABORT, 'append-only: jiko_item'); END;
CREATE TRIGGER fuhyo_entry_no_update BEFORE UPDATE ON fuhyo_entry BEGIN SELECT RAISE(ABORT, 'append-only: fuhyo_entry'); END;
CREATE TRIGGER fuhyo_entry_no_delete BEFORE DELETE ON fuhyo_entry BEGIN SELECT RAISE(ABORT, 'append-only: fuhyo_entry'); END;
CREATE TRIGGER uketsuke_version_no_update BEFORE UPDATE ON uketsuke_version BEGIN SELECT RAISE(ABORT, 'append-only: uketsuke_version'); END;
CREATE TRIGGER fujuri_version_no_update BEFORE UPDATE ON fujuri_version BEGIN SELECT RAISE(ABORT, 'append-only: fujuri_version'); END;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'append-only: audit_log'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'append-only: audit_log'); END;
CREATE TRIGGER issuance_no_delete BEFORE DELETE ON issuance BEGIN SELECT RAISE(ABORT, 'append-only: issuance'); END;
