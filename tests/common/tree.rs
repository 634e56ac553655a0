//! Reading the command's decoded trees (`procslink decode`, `dump -d`).

/// Counts the attributes a tree names by number only (`type 7: …`) and
/// the attributes under sub-messages whose selector value no format of
/// the specification describes (`IFLA_INFO_DATA (2) (vxlan: undescribed):`,
/// whose children can only be numbers), as `(unnamed, undescribed)`.
pub fn unnamed_attributes(tree: &str) -> (usize, usize) {
    let (mut unnamed, mut undescribed) = (0, 0);
    let mut under: Option<usize> = None;
    for line in tree.lines() {
        let indent = line.len() - line.trim_start().len();
        if under.is_some_and(|at| indent <= at) {
            under = None;
        }
        let text = line.trim_start();
        let numbered =
            text.starts_with("type ") && text[5..].starts_with(|c: char| c.is_ascii_digit());
        match under {
            Some(_) if numbered => undescribed += 1,
            None if numbered => unnamed += 1,
            _ => {}
        }
        if under.is_none() && text.ends_with(": undescribed):") {
            under = Some(indent);
        }
    }
    (unnamed, undescribed)
}
