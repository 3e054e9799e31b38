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
