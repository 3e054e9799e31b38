use super::*;

#[test]
fn empty_index_has_no_heads() {
    let idx = Index::default();
    assert_eq!(idx.head(7), NONE);
    assert!(idx.full());
}

#[test]
fn rebuild_doubles_and_empties() {
    let mut idx = Index::default();
    idx.rebuild();
    assert_eq!(idx.heads.len(), MIN_BUCKETS);
    idx.push_head(3, 9);
    assert_eq!((idx.head(3), idx.head(3 + 16), idx.len()), (9, 9, 1));
    idx.rebuild();
    assert_eq!((idx.heads.len(), idx.len(), idx.head(3)), (32, 0, NONE));
}

#[test]
fn chains_link_beside_the_heads_and_unlink_anywhere() {
    let mut idx = Index::default();
    idx.rebuild();
    // Three slots in bucket 5, pushed head first: 2000 -> 7 -> 1.
    for s in [1, 7, 2000] {
        idx.push_head(5, s);
    }
    idx.push_head(6, 3);
    let chain = |idx: &Index| {
        let mut v = Vec::new();
        let mut s = idx.head(5);
        while s != NONE {
            v.push(s);
            s = idx.next(s);
        }
        v
    };
    assert_eq!(chain(&idx), [2000, 7, 1]);
    assert!(idx.unlink(5, 7));
    assert_eq!(chain(&idx), [2000, 1]);
    assert!(!idx.unlink(5, 7), "already gone");
    assert!(!idx.unlink(5, 3), "in another bucket");
    assert!(idx.unlink(5, 2000));
    assert_eq!((chain(&idx), idx.head(6), idx.len()), (vec![1], 3, 2));
    // Links grow in whole chunks, not by doubling.
    assert_eq!(idx.links.len(), 2 * LINK_CHUNK);
}
