//! Views from `runtime::model`: the record as it is printed. Dates print in 和暦 with
//! full-width digits (the stored text when the date is not a readable 和暦 date); names and
//! values keep their exact code points (IVS, local gaiji).

use runtime::model::{FuhyoEntry, Jiko, Koseki, KosekiDate, KosekiStatus, Person};

use crate::issue::JikoSelection;
use crate::layout::IchibuSelection;
use crate::view::{
    FuhyoAddressView, FuhyoPersonView, FuhyoView, Item, JikoView, KosekiView, MemberView,
};

/// A date as certificates print it.
pub fn date_text(d: &KosekiDate) -> String {
    match d.wareki {
        Some(w) => w.to_fullwidth(),
        None => d.text.clone(),
    }
}

fn jiko_view(j: &Jiko) -> JikoView {
    JikoView {
        title: j.kind.label().to_string(),
        items: j
            .items
            .iter()
            .map(|i| Item::new(i.tag.clone(), i.value.text.clone()))
            .collect(),
    }
}

/// One member's block.
pub fn member_view(p: &Person) -> MemberView {
    let t = |o: &Option<runtime::model::Text>| o.as_ref().map(|t| t.text.clone());
    MemberView {
        mei: p.name.mei.text.clone(),
        birth_date: p.birth_date.as_ref().map(date_text),
        spouse_kubun: p.spouse_kubun.map(|k| k.label().to_string()),
        father: t(&p.father),
        mother: t(&p.mother),
        zokugara: t(&p.zokugara),
        adoptive_father: t(&p.adoptive_father),
        adoptive_mother: t(&p.adoptive_mother),
        adoptive_zokugara: t(&p.adoptive_zokugara),
        removed: p.removed,
        mibun_jiko: p.mibun_jiko.iter().map(jiko_view).collect(),
    }
}

/// The whole 戸籍, members in 記載順.
pub fn koseki_view(k: &Koseki) -> KosekiView {
    let mut persons: Vec<&Person> = k.persons.iter().collect();
    persons.sort_by_key(|p| p.kisai_jun);
    KosekiView {
        honseki: k.honseki.display.text.clone(),
        hittosha: k.hittosha.display(),
        closed: k.status != KosekiStatus::Genzai,
        koseki_jiko: k.jiko.iter().map(jiko_view).collect(),
        members: persons.into_iter().map(member_view).collect(),
    }
}

/// Index of a person in [`koseki_view`]'s member order.
pub fn member_index(k: &Koseki, person_id: i64) -> Option<usize> {
    let mut persons: Vec<&Person> = k.persons.iter().collect();
    persons.sort_by_key(|p| p.kisai_jun);
    persons.iter().position(|p| p.id == person_id)
}

/// A 一部事項証明書's selection as indices into [`koseki_view`]. Refuses (with the reason, for
/// the clerk) a person who is not in this 戸籍, a 事項 id or title that matches nothing, and a
/// selection that picks nothing.
pub fn ichibu_selection(k: &Koseki, sel: &JikoSelection) -> Result<IchibuSelection, String> {
    let chosen = |j: &Jiko| {
        sel.jiko_ids.contains(&j.id) || sel.jiko_titles.iter().any(|t| t == j.kind.label())
    };
    let mut persons: Vec<&Person> = k.persons.iter().collect();
    persons.sort_by_key(|p| p.kisai_jun);
    if let Some(pid) = sel
        .persons
        .iter()
        .find(|&&pid| !persons.iter().any(|p| p.id == pid))
    {
        return Err(format!("person {pid} is not in 戸籍 {}", k.id));
    }
    let koseki_jiko: Vec<usize> = (0..k.jiko.len()).filter(|&i| chosen(&k.jiko[i])).collect();
    let mut members = Vec::new();
    for (i, p) in persons.iter().enumerate() {
        let jiko: Vec<usize> = (0..p.mibun_jiko.len())
            .filter(|&j| chosen(&p.mibun_jiko[j]))
            .collect();
        let wanted = if sel.persons.is_empty() {
            !jiko.is_empty()
        } else {
            sel.persons.contains(&p.id)
        };
        if wanted {
            members.push((i, jiko));
        }
    }
    // Every id and title asked for must appear in what is printed.
    let printed = || {
        koseki_jiko.iter().map(|&i| &k.jiko[i]).chain(
            members
                .iter()
                .flat_map(|(i, js)| js.iter().map(|&j| &persons[*i].mibun_jiko[j])),
        )
    };
    if let Some(id) = sel
        .jiko_ids
        .iter()
        .find(|&&id| !printed().any(|j| j.id == id))
    {
        return Err(format!(
            "事項 {id} is not among the chosen persons' 事項 in 戸籍 {}",
            k.id
        ));
    }
    if let Some(t) = sel
        .jiko_titles
        .iter()
        .find(|t| !printed().any(|j| j.kind.label() == t.as_str()))
    {
        return Err(format!(
            "no 事項 {t} among the chosen persons in 戸籍 {}",
            k.id
        ));
    }
    if koseki_jiko.is_empty() && members.is_empty() {
        return Err("一部事項証明書: choose at least one person or 事項".into());
    }
    Ok(IchibuSelection {
        koseki_jiko,
        members,
    })
}

/// The 附票 of a 戸籍: one block per member (in 記載順, then unlinked names), each with its
/// address rows in order. Superseded rows stay: the 写し shows the history.
pub fn fuhyo_view(k: &Koseki, entries: &[FuhyoEntry]) -> FuhyoView {
    let mut rows: Vec<&FuhyoEntry> = entries.iter().filter(|e| e.koseki_id == k.id).collect();
    rows.sort_by_key(|e| e.seq);
    // Group by person (or by name for rows not linked to a member), keeping first-seen order.
    let mut keys: Vec<(Option<i64>, String)> = Vec::new();
    for e in &rows {
        let key = (
            e.person_id,
            if e.person_id.is_some() {
                String::new()
            } else {
                e.name.display()
            },
        );
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let order = |key: &(Option<i64>, String)| {
        key.0
            .and_then(|id| k.persons.iter().find(|p| p.id == id))
            .map(|p| p.kisai_jun)
            .unwrap_or(u32::MAX)
    };
    keys.sort_by_key(order);
    let persons = keys
        .iter()
        .map(|key| {
            let mine: Vec<&&FuhyoEntry> = rows
                .iter()
                .filter(|e| e.person_id == key.0 && (key.0.is_some() || e.name.display() == key.1))
                .collect();
            let last = mine.last().copied();
            let member = key.0.and_then(|id| k.persons.iter().find(|p| p.id == id));
            FuhyoPersonView {
                name: last.map(|e| e.name.display()).unwrap_or_default(),
                birth_date: mine
                    .iter()
                    .rev()
                    .find_map(|e| e.birth_date.as_ref())
                    .map(date_text),
                sex: mine
                    .iter()
                    .rev()
                    .find_map(|e| e.sex)
                    .map(|s| s.label().to_string()),
                juminhyo_code: mine.iter().rev().find_map(|e| e.juminhyo_code.clone()),
                removed: member.map(|p| p.removed).unwrap_or(false)
                    || last.map(|e| e.removed).unwrap_or(false),
                addresses: mine
                    .iter()
                    .map(|e| FuhyoAddressView {
                        address: e.address.display.text.clone(),
                        jutei_date: e.jutei_date.as_ref().map(date_text),
                        removed: e.removed,
                    })
                    .collect(),
            }
        })
        .collect();
    FuhyoView {
        honseki: k.honseki.display.text.clone(),
        hittosha: k.hittosha.display(),
        fuhyo_jiko: Vec::new(),
        persons,
    }
}
