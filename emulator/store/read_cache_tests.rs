use super::*;

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn row(id: &str, parent: Option<&str>, body: &str) -> Row {
    Row {
        id: id.into(),
        kind: "k".into(),
        parent_id: parent.map(str::to_string),
        name: id.rsplit('/').next().unwrap_or_default().into(),
        body: body.into(),
    }
}

fn built(all: &[(&str, Option<&str>)]) -> ReadCache {
    let c = ReadCache::default();
    let all = all
        .iter()
        .map(|(i, p)| {
            let name = i.rsplit('/').next().unwrap_or_default().to_string();
            IndexRow(
                (*i).into(),
                p.map(Into::into),
                "k".into(),
                name.into(),
                None,
                0,
            )
        })
        .collect();
    c.install_index(c.generation(), all);
    c
}

fn put(row: Row) -> Change {
    Change::Put(row, (None, 0))
}

#[test]
fn the_index_answers_casing_and_absence_until_a_write_of_unknown_effect() {
    let c = built(&[("/subscriptions/s", None)]);
    let q = ids(&["/SUBSCRIPTIONS/S", "/subscriptions/S/resourceGroups/x"]);
    assert_eq!(c.lookup(&q), Some(ids(&["/subscriptions/s"])));
    assert_eq!(
        c.lookup_row("/subscriptions/S/resourceGroups/x"),
        Some(None)
    );
    c.bump();
    assert_eq!(c.lookup(&q), None);
    assert_eq!(c.lookup_row("/subscriptions/S/resourceGroups/x"), None);
}

#[test]
fn an_index_read_that_raced_with_a_write_is_not_installed() {
    let c = ReadCache::default();
    let seen = c.generation();
    c.bump();
    c.install_index(seen, Vec::new());
    assert_eq!(c.lookup(&ids(&["/a"])), None);
}

#[test]
fn a_new_row_is_written_through_and_an_update_keeps_the_stored_spelling() {
    let c = built(&[("/a", None)]);
    c.advance(&[put(row("/a/B", Some("/a"), "1"))]);
    assert_eq!(c.lookup(&ids(&["/A/b"])), Some(ids(&["/a/B"])));
    assert_eq!(c.lookup_row("/a/b").unwrap().unwrap().body, "1");
    // The request spells it differently: the stored spelling and parent stay.
    c.advance(&[put(row("/A/b", Some("/A"), "2"))]);
    let r = c.lookup_row("/a/B").unwrap().unwrap();
    assert_eq!((r.id.as_str(), r.body.as_str()), ("/a/B", "2"));
    assert_eq!(r.parent_id.as_deref(), Some("/a"));
}

#[test]
fn an_existing_uncached_row_stays_uncached_after_an_update() {
    let c = built(&[("/a", None)]);
    c.advance(&[put(row("/a", None, "x"))]);
    assert_eq!(c.lookup_row("/a"), None);
}

#[test]
fn a_delete_cascades_to_children_in_the_index_and_the_rows() {
    let c = built(&[
        ("/w", None),
        ("/w/e", Some("/w")),
        ("/w/e/d", Some("/W/E")),
        ("/v", None),
    ]);
    let seen = c.generation();
    c.fill_row(seen, "/w/e/d", &Some(row("/w/e/d", Some("/w/e"), "d")));
    c.advance(&[Change::Delete("/W".into())]);
    assert_eq!(
        c.lookup(&ids(&["/w", "/w/e", "/w/e/d", "/v"])),
        Some(ids(&["/v"]))
    );
    assert_eq!(c.lookup_row("/w/e/d"), Some(None));
}

#[test]
fn operations_are_written_through_and_ended_in_memory() {
    let c = built(&[]);
    let op = OperationRow {
        id: "o".into(),
        resource_id: "/a".into(),
        action: "{}".into(),
        status: "InProgress".into(),
        started_at: "t0".into(),
        ended_at: None,
        due_at_ms: 0,
        error: None,
        location: "eastus".into(),
    };
    c.advance(&[Change::NewOperation(op)]);
    assert_eq!(
        c.lookup_operation("o").unwrap().unwrap().status,
        "InProgress"
    );
    c.advance(&[Change::EndOperation {
        id: "o".into(),
        status: "Failed".into(),
        ended_at: "t1".into(),
        error: Some("e".into()),
    }]);
    let o = c.lookup_operation("o").unwrap().unwrap();
    assert_eq!(
        (o.status.as_str(), o.ended_at.as_deref()),
        ("Failed", Some("t1"))
    );
    // Only an InProgress operation ends.
    c.advance(&[Change::EndOperation {
        id: "o".into(),
        status: "Succeeded".into(),
        ended_at: "t2".into(),
        error: None,
    }]);
    assert_eq!(c.lookup_operation("o").unwrap().unwrap().status, "Failed");
    c.advance(&[Change::Operations]);
    assert!(c.lookup_operation("o").is_none());
}

#[test]
fn a_row_read_that_raced_with_a_write_is_not_kept() {
    let c = ReadCache::default();
    let seen = c.generation();
    c.bump();
    c.fill_row(seen, "/a", &None);
    assert_eq!(c.lookup_row("/a"), None);
}

#[test]
fn children_names_and_usage_totals_follow_puts_and_cascading_deletes() {
    let c = built(&[("/w", None)]);
    let dep = |id: &str, units: i64| {
        let mut r = row(id, Some("/w/e"), "{}");
        r.kind = "dep".into();
        Change::Put(r, (Some("s/eastus".into()), units))
    };
    c.advance(&[put(row("/w/e", Some("/w"), "{}"))]);
    c.advance(&[dep("/w/e/Blue", 4), dep("/w/e/green", 2)]);
    assert_eq!(
        c.children("/W/E", "dep"),
        Some(ids(&["/w/e/blue", "/w/e/green"]))
    );
    assert_eq!(c.by_kind_and_name("dep", "BLUE"), Some(ids(&["/w/e/blue"])));
    assert_eq!(
        c.by_kind_under("dep", "/W/"),
        Some(ids(&["/w/e/blue", "/w/e/green"]))
    );
    assert_eq!(c.totals("dep", "s/eastus"), Some((2, 6)));
    // An update replaces the units it held (the UPDATE trigger: old out, new in).
    c.advance(&[dep("/w/e/blue", 1)]);
    assert_eq!(c.totals("dep", "s/eastus"), Some((2, 3)));
    c.advance(&[Change::Delete("/w/E".into())]);
    assert_eq!(c.totals("dep", "s/eastus"), Some((0, 0)));
    assert_eq!(c.children("/w/e", "dep"), Some(Vec::new()));
    assert_eq!(c.by_kind_and_name("dep", "blue"), Some(Vec::new()));
    c.bump();
    assert_eq!(c.totals("dep", "s/eastus"), None);
}

/// Issue 14's 10,000-endpoint row: once the row cache is full, the rows every request reads stay
/// (they are read between writes) and the row a request just wrote is cached for the next one
/// (a deployment PUT reads its newest sibling). Fails with the map that cached a new row only
/// while it had room.
#[test]
fn a_full_row_cache_keeps_the_rows_read_and_the_row_just_written() {
    let c = built(&[("/w", None)]);
    let seen = c.generation();
    c.fill_row(seen, "/w", &Some(row("/w", None, "workspace")));
    for i in 0..3 * MAX_ENTRIES {
        c.advance(&[put(row(&format!("/w/e{i}"), Some("/w"), "{}"))]);
        assert!(c.lookup_row("/w").is_some_and(|r| r.is_some()), "after {i}");
    }
    let newest = format!("/w/e{}", 3 * MAX_ENTRIES - 1);
    assert_eq!(c.lookup_row(&newest).unwrap().unwrap().id, newest);
    // The oldest written rows went (never read since), and are read from SQLite again.
    assert_eq!(c.lookup_row("/w/e0"), None);
}
