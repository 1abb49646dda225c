-- Schema version 3: search results come from one "card" row per hit (a derived summary:
-- 本籍, 筆頭者, 氏名, 振り仮名, 生年月日, status), so a search is one index range scan plus one
-- rowid lookup per hit. search_key now points at cards. Both tables are derived from the
-- content tables and may be rebuilt at any time (Store::rebuild_search_index); the flag below
-- makes the next open rebuild them for stores made with an older schema.
DROP TABLE search_key;

CREATE TABLE search_card (
    id                INTEGER PRIMARY KEY,
    koseki_id         INTEGER,
    person_id         INTEGER,
    image_register_id INTEGER,
    honseki           TEXT NOT NULL,
    hittosha          TEXT NOT NULL,
    name              TEXT NOT NULL,
    kana              TEXT,
    birth_date        TEXT,
    birth_gregorian   TEXT,
    status            TEXT NOT NULL,
    removed           INTEGER NOT NULL
);
CREATE INDEX search_card_owner ON search_card(koseki_id, person_id);
CREATE INDEX search_card_image ON search_card(image_register_id);
CREATE INDEX search_card_birth ON search_card(birth_gregorian);

-- field: name (氏+名), mei (名), kana (氏+名 振り仮名), kana_mei, hittosha, honseki.
CREATE TABLE search_key (
    field   TEXT NOT NULL,
    key     TEXT NOT NULL,
    card_id INTEGER NOT NULL,
    PRIMARY KEY (field, key, card_id)
) WITHOUT ROWID;

INSERT OR REPLACE INTO meta (key, value) VALUES ('search_index_stale', '1');
