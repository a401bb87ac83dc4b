//! Reading ahead in the inputs. A line's or posting's strings are separate heap blocks, and
//! the decisions read lines in canonical order, not in the order they lie in memory: a loop
//! that reads them waits for each block in turn (~100 ns at 1M lines). Asked for (see
//! [`prefetch`]) some steps ahead, they are at hand when the loop gets there.

use crate::prefetch::prefetch;

/// How many steps ahead a loop asks for what it reads: enough for the memory to answer in
/// time, few enough that what arrives is not pushed out again before it is read.
pub const DISTANCE: usize = 16;

/// For a walk over `items` in memory order that reads, at step `i`, the strings `strings`
/// gives of `items[i]`: asks for those of the item `DISTANCE` steps ahead.
#[inline(always)]
pub fn strings_of<'a, T, const N: usize>(
    items: &'a [T],
    i: usize,
    strings: impl Fn(&'a T) -> [&'a str; N],
) {
    if let Some(item) = items.get(i + DISTANCE) {
        for s in strings(item) {
            prefetch(s.as_ptr());
        }
    }
}

/// For a loop whose step `m` reads the item `item_at(m)` gives (if any; far from the one
/// before in memory), then the strings `strings` gives of it: asks for the item `2 *
/// DISTANCE` steps ahead, and for the strings of the one `DISTANCE` steps ahead, which was
/// asked for `DISTANCE` steps ago (its string pointers are at hand).
#[inline(always)]
pub fn items_and_strings<'a, T: 'a, const N: usize>(
    n: usize,
    item_at: impl Fn(usize) -> Option<&'a T>,
    strings: impl Fn(&'a T) -> [&'a str; N],
) {
    if let Some(item) = item_at(n + 2 * DISTANCE) {
        prefetch(item);
    }
    if let Some(item) = item_at(n + DISTANCE) {
        for s in strings(item) {
            prefetch(s.as_ptr());
        }
    }
}
