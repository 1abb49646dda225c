-- Schema version 6.
--
-- A 事項's 【】 items move into the 事項 row itself, as one JSON array (`jiko.items`): each item
-- `[tag, text, vendor bytes]` (the bytes in the compact hex of `vendor_bytes_hex`, or null),
-- with a fourth element, the source line, where there is one. Items are never read without
-- their 事項 and never written after it, and one row per item (1.4 million for the reference
-- city) was a fifth of a migration's rows and of its store.

ALTER TABLE jiko ADD COLUMN items TEXT NOT NULL DEFAULT '[]';

-- 事項 are append-only; the move is the one write the trigger must let through.
DROP TRIGGER jiko_no_update;
UPDATE jiko SET items = (
    SELECT json_group_array(json_array(
        i.tag,
        i.value,
        CASE typeof(i.value_raw) WHEN 'blob' THEN lower(hex(i.value_raw)) ELSE i.value_raw END,
        i.line
    ) ORDER BY i.pos)
    FROM jiko_item i WHERE i.jiko_id = jiko.id
)
WHERE EXISTS (SELECT 1 FROM jiko_item i WHERE i.jiko_id = jiko.id);
CREATE TRIGGER jiko_no_update BEFORE UPDATE ON jiko BEGIN SELECT RAISE(ABORT, 'append-only: jiko'); END;

DROP TRIGGER jiko_item_no_update;
DROP TRIGGER jiko_item_no_delete;
DROP TABLE jiko_item;
