-- Schema version 7.
--
-- What a vendor delivered for a 事項 that the model has no place for (its 届出日 as the vendor
-- kept it beside the items, its 消除 flag, the 受付年度 …): a JSON object of domain field name
-- → text (and vendor bytes), as `MigratedFields`; NULL when there is none. 戸籍, persons, 附票
-- rows, 受付, 不受理申出 and image registers keep theirs in the JSON they already have.

ALTER TABLE jiko ADD COLUMN migrated TEXT;
